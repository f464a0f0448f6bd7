"""Web fixtures: logins, websocket cookies, Daphne as a subprocess and Chromium."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import IN_CI, ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ORIGIN = (b"origin", b"http://localhost")
HOST = (b"host", b"localhost")
PASSWORD = "correct-horse-battery"


def quadratic_spec(name: str, n_trials: int = 6, executor: str = "quadratic", **extra) -> dict:
    """A small random-search study over x in [0, 1], y in [-1, 1]."""
    return {
        "name": name,
        "executor": executor,
        "objective": {"metric": "value", "direction": "minimize"},
        "sampler": {"type": "random", "seed": 5},
        "n_trials": n_trials,
        "search_space": [
            {"name": "x", "type": "float", "low": 0, "high": 1},
            {"name": "y", "type": "float", "low": -1, "high": 1},
        ],
        **extra,
    }


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("ada", password=PASSWORD)


@pytest.fixture
def client_logged_in(client, user):
    client.force_login(user)
    return client


def session_cookie_for(user) -> tuple[bytes, bytes]:
    """A ``cookie`` header carrying a real session of ``user`` (sync: call via database_sync_to_async)."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Daphne:
    """Daphne serving the project's ASGI app on a free port, in its own process."""

    def __init__(self, env: dict):
        self.env = env
        self.process: subprocess.Popen | None = None
        self.port = 0
        # A file, not a pipe: a pipe nobody reads would fill up and stall the server.
        self.log = Path(env["SOMATIZE_DATA_DIR"]) / "daphne.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, attempts: int = 3, port: int | None = None) -> Daphne:
        """Listen on ``port`` (a restart), else on a free port."""
        for _ in range(attempts):
            self.port = port or free_port()
            with self.log.open("a") as log:
                self.process = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "daphne",
                        "-b",
                        "127.0.0.1",
                        "-p",
                        str(self.port),
                        "somatize_site.asgi:application",
                    ],
                    env=self.env,
                    cwd=ROOT,
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                )
            if self._wait_until_listening(timeout=60):
                return self
            self.stop()
        raise AssertionError(f"Daphne did not start:\n{self.log.read_text()[-3000:]}")

    def _wait_until_listening(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False  # the port was taken meanwhile, or the app failed to load
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return True
            except OSError:
                time.sleep(0.1)
        return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def start_daphne():
    """``start_daphne(project)`` -> a running Daphne on the project's data; stopped after the test."""
    servers = []

    def start(project) -> Daphne:
        server = Daphne(project.env).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def redis_prefix() -> str:
    return f"somatize-test-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def chromium():
    """Debian's Chromium through Playwright; missing Chromium skips here and fails in CI."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is not installed (apt-get install chromium)"
        if IN_CI:
            pytest.fail(message + "; CI must run the browser tests")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
