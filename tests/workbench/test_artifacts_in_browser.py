"""The trial page's artifacts in Chromium: listed with size and type, images shown, new ones live."""

from __future__ import annotations

import urllib.request

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.web.conftest import quadratic_spec
from tests.workbench.conftest import open_first_trial, study_id

pytestmark = pytest.mark.browser

ONE_DIM = [{"name": "x", "type": "float", "low": 0, "high": 1}]
MARKUP_NAME = "<img src=x onerror=alert(1)>.txt"


def rows(page) -> list[str]:
    return page.eval_on_selector_all("#artifact-list li", "items => items.map(item => item.textContent)")


def upload_as_boss(project, base_url: str, study: int, name: str, data: bytes) -> None:
    token = project.run("create_token", "boss", "--name", "browser-test").stdout.split()[-1]
    url = f"{base_url}/api/studies/{study}/trials/0/artifacts/?name={urllib.request.quote(name, safe='')}"
    request = urllib.request.Request(
        url, data=data, method="POST", headers={"Authorization": f"Bearer {token}", "Content-Type": "text/plain"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def test_the_trial_page_shows_an_image_inline_and_new_artifacts_live(server, chromium):
    project, daphne = server
    spec = quadratic_spec("gallery", 1, "saves_artifacts", search_space=ONE_DIM)
    project.run("create_study", str(project.write_spec(spec, "gallery.json")))
    project.env["SOMATIZE_TEST_ARTIFACT_PAUSE"] = "4"  # each file a while after the last (room for a loaded CI)
    worker = project.start("run_study", "gallery")
    try:
        page = open_first_trial(chromium, daphne.url, "viewer", "gallery")
        page.evaluate("window.__notReloaded = true")
        # The image arrives while the trial runs and is drawn: the browser decoded the PNG.
        try:
            page.wait_for_function(
                "() => { const img = document.querySelector('#artifact-list img');"
                " return img && img.complete && img.naturalWidth > 0; }",
                timeout=60_000,
            )
        except PlaywrightTimeout:  # say what the page showed, so a failure on a loaded CI can be read
            listed = page.inner_html("#artifact-list")
            state = page.get_attribute('h1 [data-live="state"]', "data-state")
            exited = worker.poll()
            raise AssertionError(f"no image drawn; trial {state}, worker exit {exited}, list: {listed}") from None
        assert page.get_attribute('h1 [data-live="state"]', "data-state") == "running"
        assert page.eval_on_selector("#artifact-list img", "img => [img.naturalWidth, img.naturalHeight]") == [40, 30]
        page.wait_for_selector('#artifact-list li[data-name="weights.bin"]', timeout=30_000)
        assert worker.wait(timeout=60) == 0, worker.stderr.read()
    finally:
        if worker.poll() is None:
            worker.kill()
    assert page.evaluate("window.__notReloaded === true")
    shown = rows(page)
    assert [text.split(" ")[0] for text in shown] == ["curve.png", "notes.txt", "weights.bin"]
    assert "1.0 KB · application/octet-stream" in shown[2]
    assert page.get_attribute('#artifact-list li[data-name="weights.bin"] a', "download") == ""
    assert page.get_attribute('#artifact-list li[data-name="curve.png"] a', "download") is None

    # A name with markup is text on the page, however it arrives (here: uploaded over the API).
    upload_as_boss(project, daphne.url, study_id(project, "gallery"), MARKUP_NAME, b"hello")
    page.wait_for_selector(f'#artifact-list li[data-name="{MARKUP_NAME}"]')
    assert page.eval_on_selector_all("#artifact-list img", "images => images.length") == 1
    assert page.evaluate("window.__notReloaded === true")
