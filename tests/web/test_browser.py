"""A real browser follows a study that another process runs: Daphne + Chromium.

The worker is a separate ``run_study`` process, so events reach the page only through
the web process: its relay in the embedded default, channels-redis with REDIS_URL.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.web.conftest import quadratic_spec, redis_prefix

pytestmark = pytest.mark.browser

N_TRIALS = 12
WAIT_MS = 90_000


def stored_event_ids(project, study_name: str, after: int) -> list[int]:
    code = (
        "from studies.models import StudyEvent; print(list(StudyEvent.objects.filter("
        f"study__name={study_name!r}, id__gt={after}).order_by('id').values_list('id', flat=True)))"
    )
    return json.loads(project.run("shell", "-c", code).stdout.strip().splitlines()[-1])


def log_in(page, base_url: str) -> None:
    page.goto(f"{base_url}/")
    assert "/login/" in page.url  # every page asks for a login first
    page.fill("input[name=username]", "viewer")
    page.fill("input[name=password]", "viewer-password")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/")


def run_two_workers_while_watching(project, page) -> None:
    """Two paced workers run the study while ``page`` waits for 100%."""
    project.env["SOMATIZE_TEST_SLEEP"] = "0.15"  # paced, so the page sees the trials arrive one by one
    # Two workers: their events commit interleaved, and with Redis their publishes can
    # arrive out of order; the page must still see every event once, in id order.
    workers = [project.start("run_study", "live") for _ in range(2)]
    try:
        page.wait_for_function(
            "() => document.querySelector('[data-live=\"progress\"]').textContent === '100%'", timeout=WAIT_MS
        )
        for worker in workers:
            assert worker.wait(timeout=60) == 0, worker.stderr.read()
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()


def watch_a_study_run_to_the_end(project, daphne, browser) -> None:
    project.run("create_login", "viewer", "--password", "viewer-password")
    spec = project.write_spec(
        quadratic_spec(
            "live",
            n_trials=N_TRIALS,
            executor="sleepy",
            search_space=[{"name": "x", "type": "float", "low": 0, "high": 1}],
        )
    )
    project.run("create_study", str(spec))
    context = browser.new_context()  # one session for both pages
    page = context.new_page()
    log_in(page, daphne.url)
    list_page = context.new_page()
    list_page.goto(f"{daphne.url}/")
    page.get_by_role("link", name="live", exact=True).click()
    page.wait_for_url(re.compile(r".*/studies/\d+/$"))
    page.wait_for_selector("#connection[data-state=live]")
    list_page.wait_for_selector("#connection[data-state=live]")
    assert page.inner_text('[data-live="progress"]') == "0%"
    assert page.inner_text('[data-live="best-value"]') == ""
    page.evaluate("window.__notReloaded = true")
    cursor = page.evaluate("JSON.parse(document.getElementById('initial-data').textContent).last_event_id")

    run_two_workers_while_watching(project, page)
    assert page.evaluate("window.__notReloaded === true")  # updated in place, never reloaded
    assert page.inner_text('[data-live="trials-done"]') == str(N_TRIALS)
    page.wait_for_selector('[data-live="state"][data-state="completed"]')
    applied = page.evaluate("window.__somatizeApplied.filter((m) => m.type !== 'snapshot').map((m) => m.id)")
    assert applied == stored_event_ids(project, "live", after=cursor)
    assert re.fullmatch(r"0\.\d+|[1-9]\S*", page.inner_text('[data-live="best-value"]'))
    page.wait_for_selector('[data-live="state"][data-state="completed"]')
    page.wait_for_function(f"() => document.querySelectorAll('#trial-table tbody tr').length === {N_TRIALS}")
    row = list_page.locator('tr:has-text("live")')
    list_page.wait_for_function(
        "() => document.querySelector('[data-live=\"progress\"]').textContent === '100%'", timeout=WAIT_MS
    )
    assert row.locator('[data-live="best-value"]').inner_text() == page.inner_text('[data-live="best-value"]')
    return page


def test_the_study_page_follows_a_worker_process_live(project, start_daphne, chromium):
    watch_a_study_run_to_the_end(project, start_daphne(project), chromium)


@pytest.mark.redis
@pytest.mark.postgres
def test_the_study_page_follows_a_worker_process_live_through_redis_and_postgres(
    tmp_path, migrated_postgres_url, redis_url, start_daphne, chromium
):
    from tests.conftest import Project

    project = Project(tmp_path, database_url=migrated_postgres_url, redis_url=redis_url)
    project.env["SOMATIZE_REDIS_PREFIX"] = redis_prefix()
    page = watch_a_study_run_to_the_end(project, start_daphne(project), chromium)

    # The table's filters and sorting, answered by PostgreSQL's JSON operators.
    page.check("input[name=state][value=completed]")
    page.fill("input[name='min.x']", "0.5")
    page.click("#trial-filters button[type=submit]")
    page.wait_for_function(
        "() => document.getElementById('trial-count').textContent.includes('matching') && "
        f"document.querySelectorAll('#trial-table tbody tr').length < {N_TRIALS}"
    )
    page.click("#trial-table th[data-sort='param.x']")
    page.wait_for_selector("#trial-table th[data-sort='param.x'][data-sorted=asc]")
    xs = [float(x) for x in page.locator("#trial-table tbody tr td:nth-child(5)").all_inner_texts()]
    assert xs and all(x >= 0.5 for x in xs) and xs == sorted(xs)


def test_a_page_that_loses_its_server_catches_up_without_a_gap_or_a_duplicate(project, start_daphne, chromium):
    project.run("create_login", "viewer", "--password", "viewer-password")
    spec = project.write_spec(
        quadratic_spec(
            "outage",
            n_trials=N_TRIALS,
            executor="sleepy",
            search_space=[{"name": "x", "type": "float", "low": 0, "high": 1}],
        )
    )
    project.run("create_study", str(spec))
    daphne = start_daphne(project)
    page = chromium.new_context().new_page()
    log_in(page, daphne.url)
    page.get_by_role("link", name="outage", exact=True).click()
    page.wait_for_selector("#connection[data-state=live]")
    cursor = page.evaluate("JSON.parse(document.getElementById('initial-data').textContent).last_event_id")

    project.env["SOMATIZE_TEST_SLEEP"] = "0.3"
    worker = project.start("run_study", "outage")
    try:
        page.wait_for_function(
            "() => Number(document.querySelector('[data-live=\"trials-done\"]').textContent) >= 2", timeout=WAIT_MS
        )
        daphne.stop()  # the server goes away while the study keeps running
        page.wait_for_selector("#connection[data-state=offline]")
        page.wait_for_timeout(1500)
        daphne.start(port=daphne.port)
        page.wait_for_function(
            "() => document.querySelector('[data-live=\"progress\"]').textContent === '100%'", timeout=WAIT_MS
        )
        assert worker.wait(timeout=60) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
    page.wait_for_selector('[data-live="state"][data-state="completed"]')
    applied = page.evaluate("window.__somatizeApplied.filter((m) => m.type !== 'snapshot').map((m) => m.id)")
    assert applied == stored_event_ids(project, "outage", after=cursor)
