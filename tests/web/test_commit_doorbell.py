"""Without Redis, a commit wakes the web process at once; it does not wait for a poll.

Daphne is started with a 60 s fallback poll, so a page that updates within seconds
proves the commit's doorbell reached the relay: a SQLite datagram, or PostgreSQL
NOTIFY delivered at commit.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import Project
from tests.web.conftest import quadratic_spec
from tests.web.test_browser import log_in

pytestmark = pytest.mark.browser

SLOW_POLL = "60"
N_TRIALS = 4


def watch_trials_arrive_before_any_poll(project: Project, start_daphne, browser) -> None:
    project.env["SOMATIZE_RELAY_POLL_SECONDS"] = SLOW_POLL
    project.run("create_login", "viewer", "--password", "viewer-password")
    project.run("create_study", str(project.write_spec(quadratic_spec("rung", n_trials=N_TRIALS))))
    daphne = start_daphne(project)
    page = browser.new_context().new_page()
    log_in(page, daphne.url)
    page.get_by_role("link", name="rung", exact=True).click()
    page.wait_for_url(re.compile(r".*/studies/\d+/$"))
    page.wait_for_selector("#connection[data-state=live]")
    # The relay has done its first read of the log; from here only doorbells wake it.
    page.wait_for_timeout(500)

    project.run("run_study", "rung")

    page.wait_for_function(
        "() => document.querySelector('[data-live=\"progress\"]').textContent === '100%'", timeout=15_000
    )
    assert page.inner_text('[data-live="trials-done"]') == str(N_TRIALS)


def test_a_sqlite_commit_reaches_the_page_without_waiting_for_the_poll(project, start_daphne, chromium):
    watch_trials_arrive_before_any_poll(project, start_daphne, chromium)


@pytest.mark.postgres
def test_a_postgres_commit_reaches_the_page_without_waiting_for_the_poll(
    tmp_path, migrated_postgres_url, start_daphne, chromium
):
    project = Project(tmp_path, database_url=migrated_postgres_url)
    watch_trials_arrive_before_any_poll(project, start_daphne, chromium)
