"""Remote-client fixtures: a live Daphne with a staff login, its API token and a study spec."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, Project
from tests.support import specs
from tests.web.conftest import Daphne, start_daphne

__all__ = ["start_daphne"]  # the web tests' fixture, used here too


def create_token(project: Project, username: str, *, staff: bool = True, password: str | None = None) -> str:
    """A login (staff: allowed to run studies) and a fresh API token for it, as an admin makes them."""
    options = (["--staff"] if staff else []) + (["--password", password] if password else [])
    project.run("create_login", username, *options)
    printed = project.run("create_token", username, "--name", "tests").stdout
    return printed.split()[-1]  # the command prints the token last


def remote_spec(name: str, n_trials: int = 10, **extra: Any) -> dict:
    """A remote-only study (no executor): random search over x in [0, 1], y in [-1, 1] (seed 3)."""
    return specs.remote_spec(name, n_trials=n_trials, seed=3, **extra)


@dataclass
class Remote:
    """A running server and what a client needs to reach it."""

    project: Project
    daphne: Daphne
    token: str

    @property
    def url(self) -> str:
        return self.daphne.url

    def client(self, **options: Any):
        from somatize_client import Client

        return Client(self.url, self.token, **options)

    def trials(self, study_id: int) -> list[dict]:
        """Every trial of the study as the server stores it (read through the JSON API)."""
        client, rows = self.client(), []
        for page in range(1, 1000):
            path = f"/api/studies/{study_id}/trials/?sort=number&page={page}&page_size=100"
            answer = client.transport.request("GET", path)
            rows += answer["results"]
            if page >= answer["pages"]:
                return rows
        raise AssertionError("too many pages")

    def trial(self, study_id: int, number: int) -> dict:
        return self.client().transport.request("GET", f"/api/studies/{study_id}/trials/{number}/")


@pytest.fixture(scope="module")
def remote(tmp_path_factory, migrated_sqlite) -> Iterator[Remote]:
    """Daphne on a fresh SQLite project, with a staff login's token; one per test module
    (starting Django processes is the slow part), so each test uses its own study names."""
    with served_remote(tmp_path_factory, migrated_sqlite, "runner") as served:
        yield served


@contextlib.contextmanager
def served_remote(tmp_path_factory, migrated_sqlite, username: str, **env: str) -> Iterator[Remote]:
    """Daphne on a copy of the migrated SQLite project (with ``env`` set), and ``username``'s token."""
    data_dir = tmp_path_factory.mktemp("remote")
    shutil.copy(migrated_sqlite, data_dir / "somatize.sqlite3")
    project = Project(data_dir)
    project.env.update(env)
    token = create_token(project, username)
    daphne = Daphne(project.env).start()
    try:
        yield Remote(project, daphne, token)
    finally:
        daphne.stop()


CLIENT_CACHE = ROOT / "var" / "test-cache"


def client_files_digest() -> str:
    """What the client's venv is built from: its source files and this Python's version."""
    digest = hashlib.sha256(sys.version.encode())
    for path in sorted((ROOT / "client").rglob("*")):
        relative = path.relative_to(ROOT / "client")
        if path.is_file() and not {"build", "__pycache__"} & set(relative.parts) and ".egg-info" not in str(relative):
            digest.update(str(relative).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def build_client_venv(root: Path) -> None:
    """A fresh venv with only the client installed, offline (no index, no build isolation)."""
    source = shutil.copytree(ROOT / "client", root / "client")  # build outputs stay out of the checkout
    pip = [sys.executable, "-m", "pip", "-q", "--disable-pip-version-check"]
    # Built here because a new venv's setuptools (65, Python 3.11) cannot build wheels offline.
    subprocess.run([*pip, "wheel", "--no-deps", "--no-index", "--no-build-isolation", "-w", root, source], check=True)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", root / "venv"], check=True)
    wheel = next(root.glob("somatize_client-*.whl"))
    subprocess.run([*pip, "--python", root / "venv" / "bin" / "python", "install", "--no-index", wheel], check=True)


@pytest.fixture(scope="session")
def client_venv() -> Path:
    """The python of a venv holding only the client, built from the client's current files.

    Building it takes a while, so it is kept in var/test-cache under a digest of those files
    (a change to the client builds a new one); a lock keeps parallel sessions from racing."""
    CLIENT_CACHE.mkdir(parents=True, exist_ok=True)
    root = CLIENT_CACHE / f"client-venv-{client_files_digest()}"
    with (CLIENT_CACHE / "client-venv.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / "complete").exists():
            shutil.rmtree(root, ignore_errors=True)
            build_client_venv(root)
            (root / "complete").touch()
            for stale in CLIENT_CACHE.glob("client-venv-*"):
                if stale != root:
                    shutil.rmtree(stale, ignore_errors=True)
    python = root / "venv" / "bin" / "python"
    assert subprocess.run([python, "-c", "import django"], capture_output=True).returncode != 0
    where = subprocess.run(
        [python, "-c", "import somatize_client; print(somatize_client.__file__)"],
        text=True,
        capture_output=True,
        check=True,
    ).stdout
    assert where.startswith(str(root / "venv"))
    return python
