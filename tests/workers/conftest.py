"""Fixtures for the worker tests: projects on PostgreSQL or SQLite, and direct reads of their rows.

The workers under test are real ``manage.py run_study`` / ``run_worker`` subprocesses;
the test reads what they stored straight from the database they share.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import Project
from tests.web.conftest import start_daphne  # noqa: F401  (a fixture, shared with the web tests)


@dataclass
class TrialRow:
    number: int
    state: str
    params: dict[str, Any]
    value: float | None
    error: str
    retries: int
    finished_at: Any


class Database:
    """Read-only access to a project's tables, on PostgreSQL or SQLite."""

    def __init__(self, project: Project, postgres_url: str | None):
        self.project, self.postgres_url = project, postgres_url

    def query(self, sql: str, args: tuple = ()) -> list[tuple]:
        if self.postgres_url:
            import psycopg

            with psycopg.connect(self.postgres_url, autocommit=True) as conn:
                return conn.execute(sql.replace("?", "%s"), args).fetchall()
        conn = sqlite3.connect(self.project.data_dir / "somatize.sqlite3", timeout=30)
        try:
            return conn.execute(sql, args).fetchall()
        finally:
            conn.close()

    def study(self, name: str) -> dict[str, Any]:
        (row,) = self.query("SELECT id, state, n_done, n_trials FROM studies_study WHERE name = ?", (name,))
        return dict(zip(["id", "state", "n_done", "n_trials"], row, strict=False))

    def trials(self, name: str) -> list[TrialRow]:
        rows = self.query(
            "SELECT t.number, t.state, t.params, t.value, t.error, t.retries, t.finished_at FROM studies_trial t "
            "JOIN studies_study s ON s.id = t.study_id WHERE s.name = ? ORDER BY t.number",
            (name,),
        )
        return [
            TrialRow(n, st, p if isinstance(p, dict) else json.loads(p), v, e, r, f) for n, st, p, v, e, r, f in rows
        ]

    def events(self, name: str) -> list[tuple[int, str]]:
        return [
            (i, t)
            for i, t in self.query(
                "SELECT e.id, e.type FROM studies_studyevent e JOIN studies_study s ON s.id = e.study_id "
                "WHERE s.name = ? ORDER BY e.id",
                (name,),
            )
        ]

    def wait_for(self, condition, what: str, timeout: float = 120.0, interval: float = 0.1):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(interval)
        raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


@pytest.fixture
def pg_project(tmp_path, migrated_postgres_url) -> Project:
    p = Project(tmp_path, database_url=migrated_postgres_url)
    p.database = Database(p, migrated_postgres_url)
    return p


@pytest.fixture
def sqlite_project(project) -> Project:
    project.database = Database(project, None)
    return project


def grid_spec(name: str, executor: str, points: int, metric: str = "x", **extra) -> dict:
    return {
        "name": name,
        "executor": executor,
        "objective": {"metric": metric, "direction": "maximize"},
        "sampler": {"type": "grid", "points_per_dim": points},
        **extra,
        "search_space": [{"name": "x", "type": "float", "low": 0.0, "high": 1.0}],
    }


def random_spec(name: str, executor: str, n_trials: int, metric: str = "x", seed: int = 11) -> dict:
    return {
        "name": name,
        "executor": executor,
        "objective": {"metric": metric, "direction": "maximize"},
        "sampler": {"type": "random", "seed": seed},
        "n_trials": n_trials,
        "search_space": [
            {"name": "x", "type": "float", "low": 0.0, "high": 1.0},
            {"name": "y", "type": "int", "low": 0, "high": 1000},
        ],
    }


def create(project: Project, spec: dict) -> None:
    project.run("create_study", str(project.write_spec(spec, f"{spec['name']}.json")))


def stop(process, sig=signal.SIGTERM, timeout: float = 60.0) -> tuple[int, str, str]:
    """Send ``sig`` and wait for the process; returns (exit code, stdout, stderr)."""
    process.send_signal(sig)
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err
