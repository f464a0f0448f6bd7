"""Successive halving on the dashboard: rungs on the intermediate plot, the rung of each stopped trial."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import quadratic_spec
from tests.web.test_browser import log_in

pytestmark = pytest.mark.browser

INTERMEDIATE = "document.querySelector('#plot-intermediate .canvas')"


def test_the_study_and_trial_pages_show_rungs_and_where_trials_stopped(project, start_daphne, chromium):
    project.run("create_login", "viewer", "--password", "viewer-password")
    spec = quadratic_spec(
        "halving",
        n_trials=12,
        executor="learning_curve",
        objective={"metric": "accuracy", "direction": "maximize"},
        sampler={"type": "random", "seed": 3},
        pruner={"type": "successive_halving", "min_resource": 1, "reduction_factor": 3},
        search_space=[{"name": "x", "type": "float", "low": 0, "high": 1}],
    )
    project.run("create_study", str(project.write_spec(spec)))
    assert project.run("run_study", "halving").returncode == 0
    daphne = start_daphne(project)
    page = chromium.new_page()
    log_in(page, daphne.url)
    page.get_by_role("link", name="halving", exact=True).click()
    page.wait_for_url(re.compile(r".*/studies/\d+/$"))

    # learning_curve reports steps 0..9: rungs at steps 1, 3 and 9 are drawn as lines.
    page.locator("#plot-intermediate").scroll_into_view_if_needed()
    page.wait_for_function(f"() => {INTERMEDIATE}?.layout?.shapes?.length > 0", timeout=30_000)
    assert page.evaluate(f"{INTERMEDIATE}.layout.shapes.map((s) => s.x0)") == [1, 3, 9]

    pruned_rows = page.locator("#trial-table tbody tr", has_text="pruned")
    pruned_rows.first.wait_for()
    texts = pruned_rows.all_inner_texts()
    assert texts and all(re.search(r"pruned rung [123]\b", text) for text in texts)

    page.goto(daphne.url + pruned_rows.first.locator("a").get_attribute("href"))
    title = page.inner_text("[data-live=error-title]")
    step, rung = re.fullmatch(r"Pruned at step (\d+) \(rung (\d+)\)", title).groups()
    assert [1, 3, 9].index(int(step)) + 1 == int(rung)
