"""User text stays text in a real browser, no inline script runs, and Plotly still draws under the CSP.

The study carries script-like text everywhere a user can type it: the metric, the
description and categorical choices (all valid in a spec), and a dimension name, which
specs now refuse but which a study stored before that rule may still have.
"""

from __future__ import annotations

import json

import pytest

from tests.web.test_browser import log_in

pytestmark = pytest.mark.browser

PAYLOAD = "<img src=x onerror=alert(1)>"
CHOICE = "<b>bold</b><img src=x onerror=alert(2)>"
RENAME = f"""
from studies.models import Study
study = Study.objects.get(name="xss")
study.spec["search_space"][1]["name"] = {PAYLOAD!r}
study.save(update_fields=["spec"])
for trial in study.trials.all():
    trial.params[{PAYLOAD!r}] = trial.params.pop("y")
    trial.save(update_fields=["params"])
"""


def xss_study(project) -> None:
    spec = {
        "name": "xss",
        "description": PAYLOAD,
        "executor": "quadratic",
        "objective": {"metric": PAYLOAD, "direction": "minimize"},
        "sampler": {"type": "random", "seed": 3},
        "n_trials": 6,
        "search_space": [
            {"name": "x", "type": "float", "low": 0, "high": 1},
            {"name": "y", "type": "float", "low": -1, "high": 1},
            {"name": "k", "type": "categorical", "choices": ["plain", CHOICE]},
        ],
    }
    project.run("create_study", str(project.write_spec(spec)))
    project.run("run_study", "xss", "--in-process")
    project.run("shell", "-c", RENAME)  # a numeric dimension named with markup, as stored before the name rule


def test_script_like_names_show_as_text_and_plotly_draws_under_the_csp(project, start_daphne, chromium):
    project.run("create_login", "viewer", "--password", "viewer-password")
    xss_study(project)
    daphne = start_daphne(project)
    page = chromium.new_context().new_page()
    dialogs, violations = [], []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    page.add_init_script("window.alert = (m) => { window.__alerted = String(m); };")
    log_in(page, daphne.url)
    response = page.goto(f"{daphne.url}/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert page.locator("#studies tbody").inner_text().count(PAYLOAD) == 2  # description and metric, as text

    page.get_by_role("link", name="xss", exact=True).click()
    page.wait_for_selector("#connection[data-state=live]")
    page.wait_for_function("() => document.querySelectorAll('#trial-table tbody tr').length === 6")
    filters = page.locator("#param-filters")
    assert PAYLOAD in filters.inner_text()
    assert filters.locator(f'input[name="min.{PAYLOAD}"]').count() == 1
    assert page.locator("main img").count() == 0  # no markup was made from user text
    assert page.locator("#trial-table thead").inner_text().count(PAYLOAD) == 2  # the value column and the param

    # Plotly draws every plot, with the names and choices as plain text in its SVG.
    for plot in ("history", "parallel", "importance", "slice"):
        page.locator(f"#plot-{plot}").scroll_into_view_if_needed()
        page.wait_for_selector(f"#plot-{plot} .main-svg", timeout=30_000)
    # The history draws its points with WebGL (a canvas, not SVG markers): count them.
    page.wait_for_function("() => window.__somatizeHistory.points === 6")
    page.select_option("#slice-param", "k")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#plot-slice .xtick text')]"
        ".some((t) => t.textContent.includes('<b>bold</b>'))"
    )
    assert PAYLOAD in page.locator("#plot-history .ytitle").text_content()
    assert page.locator(".plot svg a, .plot svg image, .plot img").count() == 0

    trial = page.locator("#trial-table tbody a").first.get_attribute("href")
    page.goto(f"{daphne.url}{trial}")
    page.wait_for_selector("#connection[data-state=live]")
    assert PAYLOAD in page.locator("#trial-params").inner_text()

    page.wait_for_timeout(500)  # let any injected handler fire
    assert dialogs == [] and page.evaluate("window.__alerted === undefined")
    assert violations == [], violations


def test_an_inline_script_is_blocked_by_the_policy(project, start_daphne, chromium):
    """The policy itself: markup injected at run time cannot run script, even an inline handler."""
    project.run("create_login", "viewer", "--password", "viewer-password")
    daphne = start_daphne(project)
    page = chromium.new_context().new_page()
    log_in(page, daphne.url)
    page.evaluate(
        "document.body.insertAdjacentHTML('beforeend', "
        + json.dumps('<img src="data:," onerror="window.__ran = true"><script>window.__ran = true</script>')
        + ")"
    )
    page.wait_for_timeout(300)
    assert page.evaluate("window.__ran === undefined")
