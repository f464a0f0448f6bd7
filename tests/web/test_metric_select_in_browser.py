"""Every metric in Chromium: the history and intermediate-values plots switch to another
metric from their selectors, metric columns join the trial table, and trials committed
afterwards by a service call (another process) appear live in what was selected.

Trials are run through the remote-trial services (ask, report, tell) in ``manage.py
shell`` processes, so the page learns of them only through events, as in production.
"""

from __future__ import annotations

import json

import pytest

from tests.support.specs import remote_spec
from tests.workbench.conftest import open_as, server, study_id  # noqa: F401  (server: the module's Daphne)

pytestmark = pytest.mark.browser

WAIT_MS = 30_000
MARKUP = "<img src=x onerror='window.__pwned = 1'>"  # a metric name that is markup


def acc(number: int, step: int | None = None) -> float:
    """Trial ``number``'s accuracy at ``step`` (None: the final one it returns)."""
    return round(0.5 + number / 20 + (0.1 * step if step is not None else 0.2), 6)


def loss(number: int, step: int) -> float:
    return round(10.0 - number - step, 6)


def run_trials(project, name: str, count: int, extra: dict | None = None) -> None:
    """``count`` trials of study ``name``: each reports loss and acc at steps 0-1 (and
    ``extra`` at step 0), then completes with value, acc and loss."""
    code = f"""
from studies.models import Study
from studies.services import remote
study = Study.objects.get(name={name!r})
for _ in range({count}):
    trial = remote.ask(study)
    n = trial.number
    for step in range(2):
        reported = {{"loss": 10.0 - n - step, "acc": round(0.5 + n / 20 + 0.1 * step, 6)}}
        first = {json.dumps(extra or {})} if step == 0 else {{}}
        remote.report(remote.get_trial(study.pk, n), step=step, metrics=reported | first)
    final = {{"acc": round(0.5 + n / 20 + 0.2, 6), "loss": 9.0 - n}}
    remote.tell(remote.get_trial(study.pk, n), remote.outcome_of(study, "completed", value=float(n * n), metrics=final))
"""
    project.run("shell", "-c", code)


def trace_ys(page, plot: str, index: int = 0):
    return page.evaluate(f"() => document.querySelector('#{plot} .canvas').data[{index}].y")


def wait_trace(page, plot: str, metric: str, predicate: str) -> None:
    """Until plot's canvas draws ``metric`` and ``predicate`` (JS over ``gd``) holds."""
    page.wait_for_function(
        f"([metric]) => {{ const gd = document.querySelector('#{plot} .canvas');"
        f" return gd.dataset.metric === metric && gd.data && ({predicate}); }}",
        arg=[metric],
        timeout=WAIT_MS,
    )


def test_the_plots_switch_metric_and_new_trials_appear_live_in_it(server, chromium):  # noqa: F811
    project, daphne = server
    project.run("create_study", str(project.write_spec(remote_spec("two-metrics", n_trials=30), "m.json")))
    run_trials(project, "two-metrics", 3)
    page = open_as(chromium, daphne.url, "viewer", f"/studies/{study_id(project, 'two-metrics')}/")
    page.wait_for_selector("#intermediate-metric option[value=acc]", state="attached", timeout=WAIT_MS)
    assert page.eval_on_selector_all("#history-metric option", "os => os.map((o) => o.value)") == [
        "value",
        "acc",
        "loss",
    ]
    wait_trace(page, "plot-history", "value", "gd.data[0].y.length === 3 && gd.data[1].x.length > 0")
    assert trace_ys(page, "plot-history") == [0.0, 1.0, 4.0]

    page.select_option("#history-metric", "acc")
    wait_trace(page, "plot-history", "acc", "gd.data[0].y.length === 3")
    assert trace_ys(page, "plot-history") == [acc(n) for n in range(3)]
    assert page.evaluate("() => document.querySelector('#plot-history .canvas').data[1].x.length") == 0  # no best line
    assert "objectives only" in page.text_content("#history-metric-note")

    page.locator("#plot-intermediate").scroll_into_view_if_needed()
    page.select_option("#intermediate-metric", "acc")
    wait_trace(page, "plot-intermediate", "acc", "gd.data.length === 3")
    assert trace_ys(page, "plot-intermediate", 2) == [acc(2, 0), acc(2, 1)]

    run_trials(project, "two-metrics", 1, extra={MARKUP: 1.5})  # trial 3, and a new metric name
    wait_trace(page, "plot-history", "acc", "gd.data[0].y.length === 4")
    assert trace_ys(page, "plot-history")[-1] == acc(3)
    wait_trace(page, "plot-intermediate", "acc", "gd.data.length === 4")
    assert trace_ys(page, "plot-intermediate", 3) == [acc(3, 0), acc(3, 1)]
    # The new name is offered at once, as text.
    options = "os => os.map((o) => o.textContent)"
    page.wait_for_function(
        "([name]) => [...document.querySelectorAll('#history-metric option')].some((o) => o.value === name)",
        arg=[MARKUP],
        timeout=WAIT_MS,
    )
    assert MARKUP in page.eval_on_selector_all("#intermediate-metric option", options)
    page.select_option("#intermediate-metric", MARKUP)
    wait_trace(page, "plot-intermediate", MARKUP, "gd.data.length === 1")
    title = page.text_content("#plot-intermediate .ytitle")
    assert title == MARKUP  # escaped for Plotly: shown as typed
    assert page.evaluate("() => window.__pwned === undefined")


def test_a_metric_column_shows_values_sorts_survives_a_reload_and_is_live(server, chromium):  # noqa: F811
    project, daphne = server
    project.run("create_study", str(project.write_spec(remote_spec("columns", n_trials=30), "c.json")))
    run_trials(project, "columns", 3)
    path = f"/studies/{study_id(project, 'columns')}/"
    page = open_as(chromium, daphne.url, "viewer", path)
    page.wait_for_selector("#metric-column-add option[value=acc]", state="attached", timeout=WAIT_MS)
    page.select_option("#metric-column-add", "acc")
    page.wait_for_selector('#trial-table th[data-sort="metric.acc"]')
    assert "metric_column=acc" in page.url
    # The header changes first; the rows follow once the page has fetched them with the column.
    acc_cells = "() => [...document.querySelectorAll('#trial-table tbody tr')].map((r) => r.children[3]?.textContent)"
    expected = [str(acc(n)) for n in range(3)]
    page.wait_for_function(f"(want) => JSON.stringify(({acc_cells})()) === JSON.stringify(want)", arg=expected)
    assert page.evaluate(acc_cells) == expected

    page.click('#trial-table th[data-sort="metric.acc"]')  # ascending, then descending
    page.click('#trial-table th[data-sort="metric.acc"]')
    page.wait_for_selector('#trial-table th[data-sort="metric.acc"][data-sorted=desc]')
    assert page.eval_on_selector_all("#trial-table tbody tr", "rows => rows.map((r) => r.dataset.trial)") == [
        "2",
        "1",
        "0",
    ]

    page.reload()  # the column is in the URL
    page.wait_for_selector('#trial-table th[data-sort="metric.acc"]')
    page.wait_for_selector("#connection[data-state=live]")
    run_trials(project, "columns", 1)  # trial 3 arrives live, with its acc in the column
    # Its row appears when it starts (no acc yet); the value fills in when it completes.
    cell = '#trial-table tr[data-trial="3"] td:nth-child(4)'
    page.wait_for_function(
        "([cell, want]) => document.querySelector(cell)?.textContent === want", arg=[cell, str(acc(3))], timeout=WAIT_MS
    )

    page.click('#trial-table th[data-sort="metric.acc"] button.remove-column')
    page.wait_for_function("() => !document.querySelector('#trial-table th[data-sort=\"metric.acc\"]')")
    assert "metric_column" not in page.url
