"""API tokens, the run permission and CSRF: who may read and who may write."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from studies.models import ApiToken
from studies.services import tokens
from tests.remote.conftest import Api, remote_spec

pytestmark = pytest.mark.django_db


def test_create_token_prints_the_token_once_and_stores_only_its_hash(project):
    project.run("create_login", "tina")
    result = project.run("create_token", "tina", "--name", "laptop")
    token = result.stdout.strip()
    assert token.startswith("smz_") and len(token) > 40 and "\n" not in token
    assert "shown only now" in result.stderr and token not in result.stderr
    dump = project.run("dumpdata", "studies.apitoken").stdout
    assert token not in dump and hashlib.sha256(token.encode()).hexdigest() in dump and "laptop" in dump
    second = project.run("create_token", "tina").stdout.strip()
    assert second != token


def test_create_token_for_an_unknown_user_fails_with_one_line(project):
    result = project.run("create_token", "nobody", check=False)
    assert result.returncode != 0 and result.stdout == ""
    assert result.stderr.strip().count("\n") == 0 and "no user named 'nobody'" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_token_reads_and_writes_without_csrf(api, runner_user):
    assert api.get("/api/studies/").status_code == 200
    created = api.post("/api/studies/", remote_spec("by-token"))
    assert created.status_code == 201 and created.json()["name"] == "by-token"


def test_unknown_revoked_and_malformed_tokens_are_401(api, token, runner_user):
    for header in ("Bearer smz_not-a-token", "Bearer ", "Basic abc", "Token " + token):
        response = Client().get("/api/studies/", headers={"Authorization": header})
        assert response.status_code == 401 and response.json()["error"], header
    tokens.revoke_tokens(ApiToken.objects.values_list("pk", flat=True))
    response = api.get("/api/studies/")
    assert response.status_code == 401 and "revoked" in response.json()["error"]
    assert api.post("/api/studies/", remote_spec()).status_code == 401


def test_an_inactive_users_token_is_refused(api, runner_user):
    runner_user.is_active = False
    runner_user.save()
    assert api.get("/api/studies/").status_code == 401


def test_last_used_is_stamped_at_most_once_a_minute(api):
    row = ApiToken.objects.get()
    assert row.last_used_at is None
    api.get("/api/studies/")
    first = ApiToken.objects.get().last_used_at
    assert first is not None
    api.get("/api/studies/")
    assert ApiToken.objects.get().last_used_at == first
    ApiToken.objects.update(last_used_at=timezone.now() - timedelta(minutes=2))
    api.get("/api/studies/")
    assert ApiToken.objects.get().last_used_at > timezone.now() - timedelta(seconds=30)


def test_a_user_without_the_permission_reads_but_may_not_write(reader_user):
    reader = Api(Client(), tokens.create_token(reader_user.username)[1])
    assert reader.get("/api/studies/").status_code == 200
    response = reader.post("/api/studies/", remote_spec())
    assert response.status_code == 403 and "run_studies" in response.json()["error"]


def test_staff_may_write_without_the_explicit_permission(django_user_model):
    staff = django_user_model.objects.create_user("sam", password="x" * 12, is_staff=True)
    assert Api(Client(), tokens.create_token(staff.username)[1]).post("/api/studies/", remote_spec()).status_code == 201


def test_session_writes_need_the_csrf_token(runner_user):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(runner_user)
    assert browser.get("/api/studies/").status_code == 200  # reads need no CSRF token
    refused = Api(browser).post("/api/studies/", remote_spec("session"))
    assert refused.status_code == 403 and "CSRF" in refused.json()["error"]
    browser.get("/")  # the dashboard page sets the csrftoken cookie
    csrf = browser.cookies["csrftoken"].value
    accepted = Api(browser).post("/api/studies/", remote_spec("session"), **{"X-CSRFToken": csrf})
    assert accepted.status_code == 201


def test_a_bearer_token_needs_no_csrf_token_even_beside_a_session_cookie(runner_user, token):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(runner_user)
    assert Api(browser, token).post("/api/studies/", remote_spec("both")).status_code == 201


def test_the_schema_needs_a_login_or_token_and_lists_every_endpoint(api):
    assert Client().get("/api/schema/").status_code == 401
    paths = api.get("/api/schema/").json()["paths"]
    for path in (
        "/api/studies/",
        "/api/studies/{study_id}/",
        "/api/studies/{study_id}/trials/",
        "/api/studies/{study_id}/trials/{number}/",
        "/api/studies/{study_id}/plots/",
        "/api/studies/{study_id}/events/",
        "/api/events/",
        "/api/studies/{study_id}/ask/",
        "/api/studies/{study_id}/trials/{number}/report/",
        "/api/studies/{study_id}/trials/{number}/tell/",
        "/api/studies/{study_id}/trials/{number}/heartbeat/",
        "/api/studies/{study_id}/enqueue/",
    ):
        assert path in paths, path


def test_the_admin_lists_and_revokes_tokens_without_showing_them(admin_client, token):
    page = admin_client.get("/admin/studies/apitoken/").content.decode()
    assert token[:12] in page and token not in page and "tests" in page
    row = ApiToken.objects.get()
    response = admin_client.post(
        "/admin/studies/apitoken/", {"action": "revoke", "_selected_action": [row.pk]}, follow=True
    )
    assert response.status_code == 200 and ApiToken.objects.get().revoked
    assert admin_client.get(f"/admin/studies/apitoken/{row.pk}/change/").status_code == 200
    assert admin_client.get("/admin/studies/apitoken/add/").status_code == 403
