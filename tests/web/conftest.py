"""Web fixtures: logins, websocket cookies and Daphne as a subprocess (Chromium: tests/conftest.py)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: F401  (re-exported for the browser tests)
from tests.support.specs import quadratic_spec  # noqa: F401  (re-exported: the web tests import it from here)

ORIGIN = (b"origin", b"http://localhost")
HOST = (b"host", b"localhost")
PASSWORD = "correct-horse-battery"


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
