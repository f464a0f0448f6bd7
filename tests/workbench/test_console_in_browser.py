"""The trial page's console in Chromium: an executor's output from Python, C and a subprocess, live."""

from __future__ import annotations

import pytest

from tests.web.conftest import quadratic_spec
from tests.workbench.conftest import open_first_trial

pytestmark = pytest.mark.browser

ONE_DIM = [{"name": "x", "type": "float", "low": 0, "high": 1}]


def console_text(page) -> str:
    return page.eval_on_selector("#console", "el => el.textContent")


def test_the_trial_page_shows_python_c_and_subprocess_output_live(server, chromium):
    project, daphne = server
    spec = quadratic_spec("console", 1, "noisy", search_space=ONE_DIM)
    project.run("create_study", str(project.write_spec(spec, "console.json")))
    project.env.update(SOMATIZE_TEST_LINES="30", SOMATIZE_TEST_SLEEP="0.2")  # a trial of about 6 s
    worker = project.start("run_study", "console")
    try:
        page = open_first_trial(chromium, daphne.url, "viewer", "console")
        # Lines arrive while the trial still runs: the page shows them without a reload.
        page.wait_for_function("() => document.getElementById('console').textContent.includes('python line 3 of')")
        assert page.get_attribute('h1 [data-live="state"]', "data-state") == "running"
        page.evaluate("window.__notReloaded = true")
        page.wait_for_function(
            "() => document.getElementById('console').textContent.includes('subprocess echo of trial 0')",
            timeout=60_000,
        )
        page.wait_for_function("() => document.getElementById('console').textContent.includes('to stderr')")
        assert worker.wait(timeout=60) == 0, worker.stderr.read()
    finally:
        if worker.poll() is None:
            worker.kill()
    text = console_text(page)
    expected = [f"python line {i} of trial 0" for i in range(30)] + [
        "logged <b>warning</b> of trial 0",  # markup in output is text
        "c-level write of trial 0",
        "subprocess echo of trial 0",
        "to stderr",
    ]
    positions = [text.index(line) for line in expected]
    assert positions == sorted(positions)
    assert page.eval_on_selector("#console", "el => el.querySelectorAll('b').length") == 0
    assert page.evaluate("window.__notReloaded === true")
    download = page.get_attribute("#trial-console a[download]", "href")
    assert download.endswith("/trials/0/log.txt")
