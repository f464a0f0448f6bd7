"""Trial artifacts over HTTP: upload, list, download headers, who may do what, limits, and deletion."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client

from studies import services
from studies.models import Study, TrialArtifact
from studies.services import artifacts
from studies.services.tokens import create_token
from tests.support.executors import tiny_png
from tests.web.conftest import quadratic_spec

CSRF = "c" * 32
PNG = tiny_png(4, 3, (10, 200, 10))


@pytest.fixture
def artifact_dir(settings, tmp_path) -> Path:
    """Artifacts go to a directory of this test (the storage is rebuilt when STORAGES changes)."""
    location = tmp_path / "artifacts"
    settings.STORAGES = {
        **settings.STORAGES,
        "artifacts": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(location)}},
    }
    return location


def stored_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def running_trial(name: str):
    study = services.create_study(quadratic_spec(name, 3))
    services.start_study(study)
    return study, services.claim_trial(study, "w").trial


def logged_in(username: str, *, staff: bool) -> Client:
    user = User.objects.create_user(username, password=f"{username}-pw-123", is_staff=staff)
    client = Client(enforce_csrf_checks=True)  # as a browser: a session's writes need the CSRF token
    client.force_login(user)
    client.cookies["csrftoken"] = CSRF
    return client


def upload(client: Client, url: str, data: bytes, **headers):
    return client.post(url, data, content_type="application/octet-stream", **headers)


def bearer(username: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {create_token(username)[1]}"}


@pytest.mark.django_db
def test_uploads_are_listed_and_downloaded_with_their_type_and_a_safe_disposition(artifact_dir):
    study, trial = running_trial("artifact-api")
    boss = logged_in("boss", staff=True)
    base = f"/api/studies/{study.pk}/trials/{trial.number}/artifacts/"
    uploads = {
        "curve.png": PNG,
        "page.html": b"<script>alert(1)</script>",
        "drawing.svg": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "résumé final.txt": "accents é\n".encode(),
    }
    for name, data in uploads.items():
        response = upload(boss, f"{base}?name={name}", data, HTTP_X_CSRFTOKEN=CSRF)
        assert response.status_code == 200, response.content
        assert response.json()["size"] == len(data)
    listed = {row["name"]: row for row in boss.get(base).json()}
    assert sorted(listed) == sorted(uploads)
    assert (listed["curve.png"]["content_type"], listed["curve.png"]["inline"]) == ("image/png", True)
    assert (listed["drawing.svg"]["content_type"], listed["drawing.svg"]["inline"]) == ("image/svg+xml", False)
    detail = boss.get(f"/api/studies/{study.pk}/trials/{trial.number}/").json()
    assert [row["name"] for row in detail["artifacts"]] == sorted(uploads)

    png = boss.get(listed["curve.png"]["url"])
    assert png.status_code == 200 and b"".join(png.streaming_content) == PNG
    assert png["Content-Type"] == "image/png"
    assert png["Content-Disposition"] == 'inline; filename="curve.png"'
    assert png["X-Content-Type-Options"] == "nosniff"
    for name, kind in (("page.html", "text/html"), ("drawing.svg", "image/svg+xml")):
        response = boss.get(listed[name]["url"])
        assert response["Content-Type"] == kind
        assert response["Content-Disposition"] == f'attachment; filename="{name}"'  # never rendered by the browser
        assert "sandbox" in response["Content-Security-Policy"]
    accented = boss.get(listed["résumé final.txt"]["url"])
    assert accented["Content-Disposition"] == "attachment; filename*=utf-8''r%C3%A9sum%C3%A9%20final.txt"
    assert b"".join(accented.streaming_content) == uploads["résumé final.txt"]
    assert len(stored_files(artifact_dir)) == len(uploads)


@pytest.mark.django_db
def test_only_logged_in_users_and_tokens_download_and_only_runners_upload(artifact_dir):
    study, trial = running_trial("artifact-permissions")
    artifacts.save_artifact(trial, "curve.png", PNG)
    base = f"/api/studies/{study.pk}/trials/{trial.number}/artifacts/"
    download = f"/studies/{study.pk}/trials/{trial.number}/artifacts/curve.png"

    anonymous = Client()
    assert anonymous.get(download).status_code == 302
    assert anonymous.get(download)["Location"].startswith("/login/?next=")
    assert anonymous.get(base).status_code == 401
    assert upload(anonymous, f"{base}?name=x.bin", b"x").status_code == 401
    refused = anonymous.get(download, HTTP_AUTHORIZATION="Bearer not-a-token")
    assert refused.status_code == 401 and "unknown or revoked API token" in refused.json()["error"]

    viewer = logged_in("viewer", staff=False)
    assert viewer.get(download).status_code == 200
    assert viewer.get(base).status_code == 200
    forbidden = upload(viewer, f"{base}?name=x.bin", b"x", HTTP_X_CSRFTOKEN=CSRF)
    assert forbidden.status_code == 403 and "may not run studies" in forbidden.json()["error"]
    assert upload(Client(), f"{base}?name=x.bin", b"x", **bearer("viewer")).status_code == 403
    assert Client().get(download, **bearer("viewer")).status_code == 200  # a token reads without a session

    boss = logged_in("boss", staff=True)
    no_csrf = upload(boss, f"{base}?name=x.bin", b"x")
    assert no_csrf.status_code == 403 and "CSRF" in no_csrf.json()["error"]
    assert upload(Client(), f"{base}?name=x.bin", b"x", **bearer("boss")).status_code == 200
    assert sorted(TrialArtifact.objects.values_list("name", flat=True)) == ["curve.png", "x.bin"]
    assert boss.get(download.replace("curve.png", "missing.png")).status_code == 404


@pytest.mark.django_db
def test_too_large_and_badly_named_uploads_are_refused_naming_the_field(artifact_dir, settings):
    settings.SOMATIZE_ARTIFACT_MAX_BYTES = 1000
    study, trial = running_trial("artifact-limits")
    base = f"/api/studies/{study.pk}/trials/{trial.number}/artifacts/"
    User.objects.create_user("boss-limits", is_staff=True)
    token = bearer("boss-limits")
    client = Client()

    too_big = upload(client, f"{base}?name=big.bin", b"x" * 1001, **token)
    assert too_big.status_code == 413
    assert too_big.json()["errors"] == [
        {"field": "file", "message": "is 1001 bytes; artifacts may be at most 1000 bytes (SOMATIZE_ARTIFACT_MAX_BYTES)"}
    ]
    assert upload(client, f"{base}?name=fits.bin", b"x" * 1000, **token).status_code == 200

    bad_names = {
        "../escape.txt": "path separator",
        "a%5Cb.txt": "path separator",  # a backslash
        "a%00b": "control character",
        "..": "not a file name",
        "x" * 201: "at most 200",
        "": "must not be empty",
    }
    for name, reason in bad_names.items():
        response = upload(client, f"{base}?name={name}", b"x", **token)
        assert response.status_code == 400, (name, response.content)
        assert response.json()["errors"][0]["field"] == "name" and reason in response.json()["error"], name
    missing = upload(client, base, b"x", **token)
    assert missing.status_code == 400 and missing.json()["errors"][0]["field"] == "name"
    form = client.post(f"{base}?name=form.bin", {"file": "x"}, **token)  # multipart: not a raw file
    assert form.status_code == 400 and form.json()["errors"][0]["field"] == "file"
    assert list(TrialArtifact.objects.values_list("name", flat=True)) == ["fits.bin"]
    assert len(stored_files(artifact_dir)) == 1  # nothing refused was kept


@pytest.mark.django_db(transaction=True)
def test_saving_a_name_again_replaces_its_file(artifact_dir):
    _, trial = running_trial("artifact-replace")
    first = artifacts.save_artifact(trial, "model.pt", b"version 1")
    (old_file,) = stored_files(artifact_dir)
    second = artifacts.save_artifact(trial, "model.pt", b"version 2, longer")
    assert list(TrialArtifact.objects.filter(trial=trial).values_list("name", "size")) == [("model.pt", 17)]
    assert second.pk != first.pk
    (new_file,) = stored_files(artifact_dir)
    assert not old_file.exists() and new_file.read_bytes() == b"version 2, longer"


@pytest.mark.django_db(transaction=True)
def test_deleting_a_study_in_the_admin_deletes_its_files_and_no_others(artifact_dir):
    doomed, doomed_trial = running_trial("artifact-doomed")
    second = services.claim_trial(doomed, "w").trial
    kept, kept_trial = running_trial("artifact-kept")
    for trial in (doomed_trial, second, kept_trial):
        artifacts.save_artifact(trial, "curve.png", PNG)
        artifacts.save_artifact(trial, "notes.txt", b"notes")
    assert len(stored_files(artifact_dir)) == 6
    User.objects.create_superuser("admin", password="admin-pw-123")
    admin = Client()
    admin.login(username="admin", password="admin-pw-123")
    response = admin.post(f"/admin/studies/study/{doomed.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302, response.content
    assert not Study.objects.filter(pk=doomed.pk).exists()
    left = stored_files(artifact_dir)
    assert len(left) == 2 and all(f"study-{kept.pk}" in str(path) for path in left)
    assert not (artifact_dir / f"study-{doomed.pk}").exists()  # its emptied directories too
    kept.delete()  # any delete, not only the admin's
    assert stored_files(artifact_dir) == []


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_delete_keeps_the_files(artifact_dir):
    from django.db import transaction

    study, trial = running_trial("artifact-rollback")
    artifacts.save_artifact(trial, "notes.txt", b"notes")
    with pytest.raises(RuntimeError), transaction.atomic():
        study.delete()
        raise RuntimeError("changed my mind")
    assert len(stored_files(artifact_dir)) == 1
    assert TrialArtifact.objects.filter(trial=trial).exists()


@pytest.mark.django_db
def test_the_schema_describes_the_upload_as_a_raw_body_and_the_listing():
    schema = logged_in("reader", staff=False).get("/api/schema/").json()
    artifacts_path = schema["paths"]["/api/studies/{study_id}/trials/{number}/artifacts/"]
    body = artifacts_path["post"]["requestBody"]["content"]
    assert body == {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
    assert [p["name"] for p in artifacts_path["post"]["parameters"] if p["in"] == "query"] == ["name"]
    assert {"200", "400", "403", "413"} <= set(artifacts_path["post"]["responses"])
    assert "200" in artifacts_path["get"]["responses"]


@pytest.mark.django_db
def test_an_upload_past_djangos_form_body_limit_is_streamed_not_refused(artifact_dir, settings):
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE < 3_000_000 < settings.SOMATIZE_ARTIFACT_MAX_BYTES
    study, trial = running_trial("artifact-streamed")
    User.objects.create_user("boss-big", is_staff=True)
    data = bytes(range(256)) * (3_000_000 // 256)
    url = f"/api/studies/{study.pk}/trials/{trial.number}/artifacts/?name=big.bin"
    response = upload(Client(), url, data, **bearer("boss-big"))
    assert response.status_code == 200, response.content
    (stored,) = stored_files(artifact_dir)
    assert stored.read_bytes() == data
