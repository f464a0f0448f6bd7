"""The Pareto plot in a real browser: points and the front arrive live, the list counts the front."""

from __future__ import annotations

import re

import pytest

from tests.test_multiobjective_run import ZDT1_SPEC
from tests.web.test_browser import log_in

pytestmark = pytest.mark.browser
PARETO = "window.__somatizePareto"


def test_the_pareto_plot_gains_points_live_and_the_list_shows_the_front_size(project, start_daphne, chromium):
    project.run("create_login", "viewer", "--password", "viewer-password")
    spec = {**ZDT1_SPEC, "name": "live-front", "n_trials": 6, "sampler": {"type": "random", "seed": 2}}
    project.run("create_study", str(project.write_spec(spec)))
    daphne = start_daphne(project)
    page = chromium.new_page()
    log_in(page, daphne.url)
    assert "0 on the front" in page.inner_text("#studies")
    page.get_by_role("link", name="live-front", exact=True).click()
    page.wait_for_url(re.compile(r".*/studies/\d+/$"))
    page.wait_for_function(f"() => {PARETO} && {PARETO}.draws >= 1", timeout=30_000)
    page.wait_for_selector("#connection[data-state=live]")
    assert page.evaluate(f"{PARETO}.points") == 0

    assert project.run("run_study", "live-front").returncode == 0
    page.wait_for_function(f"() => {PARETO}.points === 6", timeout=30_000)
    front = page.evaluate(f"{PARETO}.front")
    assert front >= 1
    drawn = page.evaluate("document.querySelector('#plot-pareto .canvas').data.map((t) => t.x.length)")
    assert sum(drawn) == 6 and drawn[2] == front  # dominated, infeasible, front
    assert (
        page.eval_on_selector_all('[data-live="front-size"]', "(els) => els.map((e) => e.textContent)")
        == [str(front)] * 2
    )  # the summary card and the plot's heading
    assert "Pareto front" in page.inner_text(".summary")
    page.wait_for_function("() => document.querySelector('#plot-hypervolume .canvas').data[0].x.length > 0")
    headers = page.eval_on_selector_all("#trial-table th", "(ths) => ths.map((th) => th.dataset.sort)")
    assert headers[:4] == ["number", "state", "objective.0", "objective.1"]
    page.click("#trial-table th[data-sort='objective.1']")  # sorted by f2 on the server
    page.wait_for_selector("#trial-table th[data-sorted='asc'][data-sort='objective.1']")

    page.goto(f"{daphne.url}/")
    assert f"{front} on the front" in page.inner_text("#studies")
