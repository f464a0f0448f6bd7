"""Remote-client fixtures: a live Daphne with a staff login, its API token and a study spec."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import Project
from tests.web.conftest import Daphne, chromium, start_daphne

__all__ = ["chromium", "start_daphne"]  # the web tests' fixtures, used here too


def create_token(project: Project, username: str, *, staff: bool = True, password: str | None = None) -> str:
    """A login (staff: allowed to run studies) and a fresh API token for it, as an admin makes them."""
    options = (["--staff"] if staff else []) + (["--password", password] if password else [])
    project.run("create_login", username, *options)
    printed = project.run("create_token", username, "--name", "tests").stdout
    return printed.split()[-1]  # the command prints the token last


def remote_spec(name: str, n_trials: int = 10, **extra: Any) -> dict:
    """A remote-only study (no executor): random search over x in [0, 1], y in [-1, 1]."""
    return {
        "name": name,
        "objective": {"metric": "value", "direction": "minimize"},
        "sampler": {"type": "random", "seed": 3},
        "n_trials": n_trials,
        "search_space": [
            {"name": "x", "type": "float", "low": 0, "high": 1},
            {"name": "y", "type": "float", "low": -1, "high": 1},
        ],
        **extra,
    }


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
    data_dir = tmp_path_factory.mktemp("remote")
    shutil.copy(migrated_sqlite, data_dir / "somatize.sqlite3")
    project = Project(data_dir)
    token = create_token(project, "runner")
    daphne = Daphne(project.env).start()
    try:
        yield Remote(project, daphne, token)
    finally:
        daphne.stop()
