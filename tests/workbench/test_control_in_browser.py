"""Controls and notes in Chromium: one user acts on the study page, a second page sees it live.

The study runs in separate worker processes (``run_study``, ``run_worker``), so every
change reaches the pages only through events, as in production.
"""

from __future__ import annotations

import pytest

from tests.web.conftest import quadratic_spec
from tests.workbench.conftest import open_as, study_id

pytestmark = pytest.mark.browser

WAIT_MS = 60_000


def wait_state(pages, state: str) -> None:
    for page in pages:
        page.wait_for_selector(f'h1 [data-live="state"][data-state="{state}"]', timeout=WAIT_MS)


def test_stop_and_resume_from_the_page_are_seen_live_by_another_page(server, chromium):
    project, daphne = server
    spec = quadratic_spec(
        "stop-me", n_trials=60, executor="sleepy", search_space=[{"name": "x", "type": "float", "low": 0, "high": 1}]
    )
    project.run("create_study", str(project.write_spec(spec, "stop-me.json")))
    path = f"/studies/{study_id(project, 'stop-me')}/"
    boss, viewer = open_as(chromium, daphne.url, "boss", path), open_as(chromium, daphne.url, "viewer", path)
    assert viewer.locator("#study-control").count() == 0 and viewer.locator("#note-edit").count() == 0

    project.env["SOMATIZE_TEST_SLEEP"] = "0.3"
    worker = project.start("run_study", "stop-me")
    try:
        wait_state([boss, viewer], "running")
        boss.click("#control-stop")
        wait_state([boss, viewer], "stopped")
        assert worker.wait(timeout=60) == 0, worker.stderr.read()  # it takes no new trial and exits
        boss.wait_for_selector("#control-activity li:has-text('boss stopped the study')")
        assert boss.is_disabled("#control-stop") and not boss.is_disabled("#control-resume")

        boss.click("#control-resume")
        wait_state([boss, viewer], "queued")
        worker = project.start("run_worker", "--poll", "0.2")
        wait_state([boss, viewer], "running")  # run_worker took the queued study
        boss.click("#control-stop")
        wait_state([boss, viewer], "stopped")
        boss.wait_for_selector("#control-activity li:has-text('boss queued the study for run_worker')")
    finally:
        if worker.poll() is None:
            worker.terminate()
            worker.wait(timeout=30)


def test_retry_a_failed_trial_from_the_page_is_seen_live_by_another_page(server, chromium):
    project, daphne = server
    spec = quadratic_spec(
        "retry-me",
        n_trials=8,
        executor="fails_above_half",
        search_space=[{"name": "x", "type": "float", "low": 0, "high": 1}],
        objective={"metric": "f1", "direction": "maximize"},
    )
    project.run("create_study", str(project.write_spec(spec, "retry-me.json")))
    project.run("run_study", "retry-me")
    path = f"/studies/{study_id(project, 'retry-me')}/"
    boss, viewer = open_as(chromium, daphne.url, "boss", path), open_as(chromium, daphne.url, "viewer", path)
    wait_state([boss, viewer], "completed")
    failed_row = "#trial-table tbody tr:has(.state[data-state=failed])"
    boss.wait_for_selector(failed_row)
    number = boss.locator(failed_row).first.get_attribute("data-trial")

    boss.fill("#control-trial input[name=number]", number)
    boss.click("#control-trial button[data-action=retry]")
    for page in (boss, viewer):
        page.wait_for_selector(f'#trial-table tr[data-trial="{number}"] .state[data-state=waiting]', timeout=WAIT_MS)
    wait_state([boss, viewer], "stopped")  # resumable again: the retried trial waits for a worker
    boss.wait_for_selector(f"#control-activity li:has-text('boss re-queued failed trial {number}')")

    boss.fill("#control-trial input[name=number]", number)
    boss.click("#control-trial button[data-action=retry]")  # it is waiting now: refused, and said so
    boss.wait_for_selector("#control-status[data-kind=error]:has-text('only a failed trial can be retried')")


def test_a_note_with_markup_is_shown_as_text_live(server, chromium):
    project, daphne = server
    spec = quadratic_spec("noted", n_trials=2)
    project.run("create_study", str(project.write_spec(spec, "noted.json")))
    project.run("run_study", "noted")
    sid = study_id(project, "noted")
    for path in (f"/studies/{sid}/", f"/studies/{sid}/trials/1/"):
        boss, viewer = open_as(chromium, daphne.url, "boss", path), open_as(chromium, daphne.url, "viewer", path)
        note = f"<script>window.__pwned = 1</script><img src=x onerror='window.__pwned = 2'>\nline two of {path}"
        boss.click("#note-edit")
        boss.fill("#note-form textarea", note)
        boss.click("#note-form button[type=submit]")
        for page in (boss, viewer):
            page.wait_for_function(
                f"() => document.getElementById('note-text').textContent.endsWith({('line two of ' + path)!r})"
            )
            assert page.eval_on_selector("#note-text", "el => el.textContent") == note
            assert page.eval_on_selector("#note-text", "el => el.children.length") == 0
            assert page.evaluate("() => window.__pwned === undefined")
        viewer.reload()  # rendered by the server this time: escaped there too
        assert viewer.eval_on_selector("#note-text", "el => el.textContent") == note
        assert viewer.evaluate("() => window.__pwned === undefined")
