"""The history plot in a real browser: every trial drawn, new ones appended live, log scale."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import quadratic_spec
from tests.web.test_browser import log_in

pytestmark = pytest.mark.browser

BIG = 3000  # past the old 3,000-point bucketing of /plots/, small enough to build quickly
BUILD = (
    "from bench.synthetic import build_finished_study; from studies.models import Trial; "
    f"s = build_finished_study('big', {BIG}, seed=5, curves=10); "
    "print(Trial.objects.filter(study=s, state='completed').count())"
)
HISTORY = "window.__somatizeHistory"


def open_study(page, daphne, name: str) -> None:
    page.get_by_role("link", name=name, exact=True).click()
    page.wait_for_url(re.compile(r".*/studies/\d+/$"))
    page.wait_for_function(f"() => {HISTORY} && {HISTORY}.fullDraws === 1", timeout=30_000)


def test_the_history_plot_draws_every_completed_trial_and_toggles_a_log_scale(project, start_daphne, chromium):
    project.run("create_login", "viewer", "--password", "viewer-password")
    completed = int(project.run("shell", "-c", BUILD).stdout.strip().splitlines()[-1])
    daphne = start_daphne(project)
    page = chromium.new_page()
    log_in(page, daphne.url)
    open_study(page, daphne, "big")

    stats = page.evaluate(f"{HISTORY}")
    assert stats["points"] == completed > BIG // 2  # every completed trial, no buckets
    drawn = page.evaluate("document.querySelector('#plot-history .canvas').data[0].x.length")
    assert drawn == completed
    assert page.evaluate("document.querySelector('#plot-history .canvas').data[0].type") == stats["kind"]
    assert "buckets" not in page.inner_text("#plot-history")

    yaxis_type = "document.querySelector('#plot-history .canvas').layout.yaxis.type"
    assert page.evaluate(yaxis_type) == "linear"
    page.check("#history-log")
    page.wait_for_function(f"() => {yaxis_type} === 'log'")
    page.uncheck("#history-log")
    page.wait_for_function(f"() => {yaxis_type} === 'linear'")


def watch_a_study_of_8_trials(project, start_daphne, chromium, name: str, init_script: str = ""):
    """The page of a new 8-trial study, logged in and live; ``init_script`` runs before the page's."""
    project.run("create_login", "viewer", "--password", "viewer-password")
    spec = quadratic_spec(
        name, n_trials=8, executor="sleepy", search_space=[{"name": "x", "type": "float", "low": 0, "high": 1}]
    )
    project.run("create_study", str(project.write_spec(spec)))
    daphne = start_daphne(project)
    page = chromium.new_page()
    if init_script:
        page.add_init_script(init_script)
    log_in(page, daphne.url)
    open_study(page, daphne, name)
    page.wait_for_selector("#connection[data-state=live]")
    return page


def run_8_trials(project, page, name: str) -> None:
    project.env["SOMATIZE_TEST_SLEEP"] = "0.1"
    assert project.run("run_study", name).returncode == 0
    page.wait_for_function(f"() => {HISTORY}.points === 8", timeout=30_000)


TRACES = "document.querySelector('#plot-history .canvas').data"


def test_a_new_trial_is_appended_to_the_history_without_a_replot(project, start_daphne, chromium):
    page = watch_a_study_of_8_trials(project, start_daphne, chromium, "grow")
    assert page.evaluate(f"{HISTORY}.points") == 0

    run_8_trials(project, page, "grow")
    assert page.evaluate(f"{TRACES}[0].x.length") == 8
    assert page.evaluate(f"{HISTORY}.fullDraws") == 1  # grown with extendTraces, never re-plotted
    assert page.evaluate(f"{TRACES}[0].type") == "scatter"  # a few points: SVG


def test_a_growing_history_moves_from_svg_to_webgl_in_place(project, start_daphne, chromium):
    # The switch after 5 points instead of 2,000.
    page = watch_a_study_of_8_trials(project, start_daphne, chromium, "outgrow", "window.__somatizeSvgMost = 5")
    assert page.evaluate(f"{TRACES}[0].type") == "scatter"

    run_8_trials(project, page, "outgrow")
    webgl = page.evaluate("Boolean(document.createElement('canvas').getContext('webgl'))")
    kind = "scattergl" if webgl else "scatter"  # without WebGL the history stays SVG
    assert page.evaluate(f"[{TRACES}[0].type, {TRACES}[1].type, {HISTORY}.kind]") == [kind, kind, kind]
    assert page.evaluate(f"{TRACES}[0].x.length") == 8  # every point kept through the switch
    assert page.evaluate(f"{HISTORY}.fullDraws") == 1  # restyled in place, not re-plotted
