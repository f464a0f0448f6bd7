"""Shared fixtures: test executors, real PostgreSQL/Redis, and manage.py subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TEST_EXECUTORS = "tests.support.executors"
IN_CI = os.environ.get("CI", "").lower() == "true"
PG_ADMIN_URL = os.environ.get("SOMATIZE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
TEST_REDIS_URL = os.environ.get("SOMATIZE_TEST_REDIS", "redis://127.0.0.1:6379/0")


def pytest_configure(config):
    # Register the test executors in this process too (settings read this at start-up).
    from django.conf import settings

    if TEST_EXECUTORS not in settings.SOMATIZE_EXECUTOR_MODULES:
        settings.SOMATIZE_EXECUTOR_MODULES.append(TEST_EXECUTORS)
    import importlib

    importlib.import_module(TEST_EXECUTORS)


@pytest.fixture(autouse=True)
def _fresh_login_throttle():
    """Each test starts with no failed logins counted (the throttle lives in the cache)."""
    from django.core.cache import cache

    cache.clear()


def service_missing(what: str, error: Exception):
    """Skip on a developer machine without the service; fail in CI, where it must run."""
    message = f"{what} is not reachable ({error})"
    if IN_CI:
        pytest.fail(message + "; CI must run these tests")
    pytest.skip(message)


def _admin_connection():
    psycopg = pytest.importorskip("psycopg")
    try:
        return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        service_missing("PostgreSQL on 127.0.0.1:5432", exc)


def _database_url(name: str) -> str:
    return f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"


def _drop_database(name: str) -> None:
    with _admin_connection() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url():
    """A fresh, empty PostgreSQL database for one test; dropped afterwards."""
    name = f"somatize_test_{uuid.uuid4().hex[:12]}"
    with _admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield _database_url(name)
    _drop_database(name)


@pytest.fixture(scope="session")
def _migrated_postgres_template(tmp_path_factory):
    """A PostgreSQL database migrated once per session (per xdist worker), to copy from."""
    name = f"somatize_template_{uuid.uuid4().hex[:12]}"
    with _admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        Project(tmp_path_factory.mktemp("pg-template"), database_url=_database_url(name)).run("migrate", "-v0")
        yield name
    finally:
        _drop_database(name)


@pytest.fixture
def migrated_postgres_url(_migrated_postgres_template):
    """A fresh PostgreSQL database for one test, already migrated (a copy of the session's
    template: copying takes a fraction of what running the migrations takes); dropped afterwards."""
    name = f"somatize_test_{uuid.uuid4().hex[:12]}"
    with _admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{_migrated_postgres_template}"')
    yield _database_url(name)
    _drop_database(name)


@pytest.fixture
def redis_url():
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2).ping()
    except redis.exceptions.RedisError as exc:
        service_missing("Redis on 127.0.0.1:6379", exc)
    return TEST_REDIS_URL


class Project:
    """Runs manage.py in subprocesses against one isolated data dir (or DATABASE_URL)."""

    def __init__(self, data_dir: Path, database_url: str | None = None, redis_url: str | None = None):
        self.data_dir = data_dir
        self.env = {
            **os.environ,
            "SOMATIZE_DATA_DIR": str(data_dir),
            "SOMATIZE_EXECUTOR_MODULES": TEST_EXECUTORS,
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "somatize_site.settings",
        }
        self.env.pop("DATABASE_URL", None)
        self.env.pop("REDIS_URL", None)
        if database_url:
            self.env["DATABASE_URL"] = database_url
        if redis_url:
            self.env["REDIS_URL"] = redis_url

    def command(self, *args: str) -> list[str]:
        return [sys.executable, str(ROOT / "manage.py"), *args]

    def run(self, *args: str, check: bool = True, timeout: float = 300, input: str | None = None):
        result = subprocess.run(
            self.command(*args), env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=timeout, input=input
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"manage.py {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
            )
        return result

    def start(self, *args: str, **kwargs) -> subprocess.Popen:
        return subprocess.Popen(
            self.command(*args),
            env=self.env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            **kwargs,
        )

    def write_spec(self, spec: dict, name: str = "spec.json") -> Path:
        import json

        path = self.data_dir / name
        path.write_text(json.dumps(spec))
        return path


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory) -> Path:
    """A SQLite database migrated once per session; each project starts from a copy."""
    template = Project(tmp_path_factory.mktemp("template"))
    template.run("migrate", "-v0")
    return template.data_dir / "somatize.sqlite3"


@pytest.fixture
def project(tmp_path, migrated_sqlite) -> Project:
    """A migrated SQLite project in a temporary directory."""
    import shutil

    shutil.copy(migrated_sqlite, tmp_path / "somatize.sqlite3")
    return Project(tmp_path)


@pytest.fixture
def chromium():
    """Debian's Chromium through Playwright, launched for one test and closed after it.

    Not shared across tests: while Playwright's sync API is started it leaves an event
    loop running in this thread, which makes Django's ORM refuse to run ("async
    context") and pytest-asyncio refuse to start its loop in every later test of the
    worker that has nothing to do with a browser.
    """
    from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, require_chromium

    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
