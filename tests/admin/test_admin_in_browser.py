"""The whole path in a real browser: set a study up in the admin, queue it, a worker runs it."""

from __future__ import annotations

import socket
import time
import urllib.request

import pytest

from tests.support.browser import require_chromium


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, server, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"the server exited: {server.stderr.read()}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {seconds} s")


@pytest.fixture
def admin_site(project):
    """The project's admin served by manage.py runserver, with a superuser admin/pw."""
    require_chromium()
    project.env["DJANGO_SUPERUSER_PASSWORD"] = "admin-password-for-tests"
    project.run("createsuperuser", "--noinput", "--username", "admin", "--email", "admin@example.com")
    base = f"http://127.0.0.1:{free_port()}"
    server = project.start("runserver", base.removeprefix("http://"), "--noreload")
    try:
        wait_for(f"{base}/admin/login/", server)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture
def page(chromium):
    return chromium.new_page()


@pytest.mark.browser
def fill_the_study_form(page) -> None:
    """A median-pruned study of 6 trials with a conditional space; depth's bounds are swapped."""
    page.fill("#id_name", "browser-study")
    page.select_option("#id_executor", "learning_curve")
    page.fill("#id_metric", "accuracy")
    page.select_option("#id_direction", "maximize")
    page.fill("#id_sampler_seed", "11")
    page.select_option("#id_pruner_type", "median")
    page.fill("#id_n_trials", "6")
    rows = [
        ("x", "float", "0.1", "1", "log", "", ""),
        ("kind", "categorical", "", "", "", "a, b", ""),
        ("depth", "int", "5", "1", "", "", "kind: b"),
        ("width", "int", "1", "3", "", "", "kind: a"),
    ]
    page.click("#add-dimension")  # three blank rows come with the form; the fourth is added
    for i, (name, kind, low, high, scale, choices, condition) in enumerate(rows):
        page.fill(f"#id_dim-{i}-name", name)
        page.select_option(f"#id_dim-{i}-type", kind)
        page.fill(f"#id_dim-{i}-low", low)
        page.fill(f"#id_dim-{i}-high", high)
        page.select_option(f"#id_dim-{i}-scale", scale)
        page.fill(f"#id_dim-{i}-choices", choices)
        page.fill(f"#id_dim-{i}-condition", condition)


def test_a_study_set_up_and_queued_in_the_admin_is_run_to_completion_by_a_worker(project, admin_site, page):
    page.goto(f"{admin_site}/admin/login/?next=/admin/studies/study/add/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", "admin-password-for-tests")
    page.click("input[type=submit]")

    fill_the_study_form(page)
    page.click("input[name=_continue]")
    # depth's low is above its high: the error sits on that row, and nothing is saved.
    expect = pytest.importorskip("playwright.sync_api").expect
    expect(page.locator("#search-space tr.row-errors")).to_have_text(
        "low: This value must be less than high (got low=5, high=1)."
    )
    page.fill("#id_dim-2-low", "1")
    page.fill("#id_dim-2-high", "5")
    page.click("input[name=_continue]")
    expect(page.locator("ul.messagelist")).to_contain_text("was added successfully")

    page.goto(f"{admin_site}/admin/studies/study/")
    page.check("input[name=_selected_action]")
    page.select_option("select[name=action]", "queue_selected")
    page.click("button[name=index]")
    expect(page.locator("ul.messagelist")).to_contain_text("Queued browser-study")
    assert "queued" in project.run("list_studies").stdout

    project.run("run_worker", "--max-studies", "1", "--poll", "0.2")

    listing = project.run("list_studies").stdout
    assert "browser-study" in listing and "completed" in listing and "6/6" in listing
    page.goto(f"{admin_site}/admin/studies/study/")
    page.click("#result_list >> text=browser-study")
    expect(page.locator("#study_form")).to_contain_text("progress 6/6")
    page.click("text=Trials (6)")
    expect(page.locator("#result_list tbody tr")).to_have_count(6)
