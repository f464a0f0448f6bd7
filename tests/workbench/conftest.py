"""The web fixtures (Chromium, Daphne) serve the workbench's tests too, and one server per module."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import Project
from tests.support.browser import log_in_as
from tests.web.conftest import Daphne


@pytest.fixture(scope="module")
def server(tmp_path_factory, migrated_sqlite):
    """One project and Daphne for the module; logins ``boss`` (staff) and ``viewer`` (may only look)."""
    data_dir = tmp_path_factory.mktemp("workbench")
    shutil.copy(migrated_sqlite, data_dir / "somatize.sqlite3")
    project = Project(data_dir)
    project.run("create_login", "boss", "--password", "boss-password-1", "--staff")
    project.run("create_login", "viewer", "--password", "viewer-password-1")
    daphne = Daphne(project.env).start()
    yield project, daphne
    daphne.stop()


def study_id(project: Project, name: str) -> int:
    code = f"from studies.models import Study; print(Study.objects.get(name={name!r}).pk)"
    return int(project.run("shell", "-c", code).stdout.strip().splitlines()[-1])


def open_first_trial(browser, base_url: str, username: str, study: str):
    """Log in, follow the list's link to ``study``, then its first trial's link: a user's way there."""
    page = open_as(browser, base_url, username, "/")
    page.get_by_role("link", name=study, exact=True).click()
    page.wait_for_selector('#trial-table tr[data-trial="0"] a', timeout=60_000)
    page.click('#trial-table tr[data-trial="0"] a')
    page.wait_for_selector("#connection[data-state=live]")
    return page


def open_as(browser, base_url: str, username: str, path: str):
    page = browser.new_context().new_page()  # its own session
    log_in_as(page, base_url, username, f"{username}-password-1")
    page.goto(f"{base_url}{path}")
    page.wait_for_selector("#connection[data-state=live]")
    return page
