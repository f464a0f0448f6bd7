"""Remote-trial fixtures: users with and without the run permission, tokens, a JSON caller."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from studies import services
from studies.services import tokens
from tests.support.specs import remote_spec
from tests.web.conftest import start_daphne  # noqa: F401  (a fixture, shared with the web tests)


class Api:
    """The Django test client speaking JSON with a bearer token (or a session)."""

    def __init__(self, client: Client, token: str | None = None):
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, url: str, **params):
        return self.client.get(url, params, headers=self.headers)

    def post(self, url: str, body=None, raw: str | bytes | None = None, **headers):
        data = raw if raw is not None else ("" if body is None else json.dumps(body))
        return self.client.post(url, data=data, content_type="application/json", headers={**self.headers, **headers})


@pytest.fixture
def runner_user(django_user_model):
    """A non-staff user granted ``studies.run_studies``."""
    user = django_user_model.objects.create_user("rita", password="x" * 12)
    user.user_permissions.add(Permission.objects.get(codename="run_studies", content_type__app_label="studies"))
    return user


@pytest.fixture
def reader_user(django_user_model):
    """A logged-in user who may read but not run studies."""
    return django_user_model.objects.create_user("rob", password="x" * 12)


@pytest.fixture
def token(runner_user) -> str:
    return tokens.create_token(runner_user.username, "tests")[1]


@pytest.fixture
def api(token) -> Api:
    return Api(Client(), token)


@pytest.fixture
def remote_study(db):
    return services.create_study(remote_spec())


class Http:
    """JSON over real HTTP (a live Daphne) with a bearer token; returns (status, body)."""

    def __init__(self, base_url: str, token: str):
        self.base_url, self.token = base_url, token

    def call(self, method: str, path: str, body=None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.base_url + path,
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"null")

    def post(self, path: str, body=None) -> tuple[int, Any]:
        return self.call("POST", path, body if body is not None else {})

    def get(self, path: str) -> tuple[int, Any]:
        return self.call("GET", path)


def project_token(project, username: str = "remote") -> str:
    """A staff login and a token for it, made with the real commands."""
    project.run("create_login", username, "--staff")
    return project.run("create_token", username).stdout.strip()
