"""The trial page's Retry and Fail buttons in Chromium: a user allowed to run studies
retries a failed trial and fails a running one; a second page (a viewer, who has no
buttons) sees each change live. The trial runs through the remote-trial services in
``manage.py shell`` processes, so the pages learn of it only through events."""

from __future__ import annotations

import pytest

from tests.support.specs import remote_spec
from tests.workbench.conftest import open_as, server, study_id  # noqa: F401  (server: the module's Daphne)

pytestmark = pytest.mark.browser

WAIT_MS = 30_000


def shell(project, code: str) -> None:
    project.run(
        "shell",
        "-c",
        f"from studies.models import Study\nfrom studies.services import remote\n"
        f"study = Study.objects.get(name='retry-page')\n{code}",
    )


def wait_state(pages, state: str) -> None:
    for page in pages:
        page.wait_for_selector(f'h1 [data-live="state"][data-state="{state}"]', timeout=WAIT_MS)


def test_retry_and_fail_from_the_trial_page_are_seen_live_by_another_page(server, chromium):  # noqa: F811
    project, daphne = server
    project.run("create_study", str(project.write_spec(remote_spec("retry-page", n_trials=3), "r.json")))
    failed = 'remote.outcome_of(study, "failed", error="boom")'
    shell(project, f"n = remote.ask(study).number\nremote.tell(remote.get_trial(study.pk, n), {failed})")
    path = f"/studies/{study_id(project, 'retry-page')}/trials/0/"
    boss, viewer = open_as(chromium, daphne.url, "boss", path), open_as(chromium, daphne.url, "viewer", path)
    assert viewer.locator("#trial-control").count() == 0  # no permission: no buttons
    assert not boss.is_disabled("#trial-retry") and boss.is_disabled("#trial-fail")

    boss.click("#trial-retry")
    wait_state([boss, viewer], "waiting")
    boss.wait_for_selector("#trial-control-status:has-text('trial 0 re-queued')")
    assert boss.is_disabled("#trial-retry") and boss.is_disabled("#trial-fail")

    shell(project, "assert remote.ask(study).number == 0")  # the re-queued trial is handed out first
    wait_state([boss, viewer], "running")
    boss.wait_for_selector("#trial-fail:not([disabled])", timeout=WAIT_MS)
    boss.click("#trial-fail")
    wait_state([boss, viewer], "failed")
    viewer.wait_for_selector("[data-live=error]:has-text('failed by boss from the dashboard')", timeout=WAIT_MS)
    boss.wait_for_selector("#trial-retry:not([disabled])", timeout=WAIT_MS)

    assert boss.is_disabled("#trial-fail")  # failed now: only a retry applies
    assert boss.text_content("#trial-control-status") == "trial 0 failed"
