"""In Chromium: logging out closes the open pages' sockets, and the pages stop reconnecting."""

from __future__ import annotations

import pytest

from tests.web.conftest import quadratic_spec
from tests.web.test_browser import log_in

pytestmark = pytest.mark.browser


def test_logging_out_in_one_tab_closes_the_live_page_in_another_for_good(project, start_daphne, chromium):
    project.run("create_login", "viewer", "--password", "viewer-password")
    project.run("create_study", str(project.write_spec(quadratic_spec("watched"))))
    daphne = start_daphne(project)
    context = chromium.new_context()
    page = context.new_page()
    sockets = []
    page.on("websocket", lambda socket: sockets.append(socket.url))
    log_in(page, daphne.url)
    page.get_by_role("link", name="watched", exact=True).click()
    page.wait_for_selector("#connection[data-state=live]")
    opened = len(sockets)

    other = context.new_page()
    other.goto(f"{daphne.url}/")
    other.click(".logout button[type=submit]")
    other.wait_for_url("**/login/")

    page.wait_for_selector("#connection[data-state=logged-out]", timeout=10_000)
    page.wait_for_timeout(2_000)  # a retry would come after 0.25 s, then every few seconds
    assert len(sockets) == opened, "the page stopped instead of reconnecting"
    assert page.inner_text("#connection") == "logged-out"
