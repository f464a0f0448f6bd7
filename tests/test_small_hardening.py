"""Small hardening: private data files, CSV formulas neutralised, create_login's password rules."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import subprocess
import sys

import pytest

from studies import export, services
from studies.runner import StudyRunner
from tests.conftest import ROOT, Project

# Records, in a fresh process, how the secret key file is first opened and whether the
# database file exists (and with which mode) when SQLite first connects to it.
WATCH_CREATION = """
import json, os, stat, sys
seen = {"secret_flags": None, "db_mode_at_connect": "missing"}
data = os.environ["SOMATIZE_DATA_DIR"]
def hook(event, args):
    if event == "open" and str(args[0]).endswith("secret_key") and seen["secret_flags"] is None:
        seen["secret_flags"] = args[2]
    if event == "sqlite3.connect" and seen["db_mode_at_connect"] == "missing":
        path = str(args[0])
        if os.path.exists(path):
            seen["db_mode_at_connect"] = oct(stat.S_IMODE(os.stat(path).st_mode))
sys.addaudithook(hook)
os.umask(0)  # the worst umask: anything created without an explicit mode is world-writable
from django.core.management import execute_from_command_line
execute_from_command_line(["manage.py", "migrate", "-v0"])
print(json.dumps(seen))
"""


def test_a_fresh_data_dir_gets_a_secret_key_and_database_only_their_owner_can_read(tmp_path):
    project = Project(tmp_path / "fresh")
    result = subprocess.run(
        [sys.executable, "-c", WATCH_CREATION], env=project.env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["secret_flags"] & os.O_EXCL and seen["secret_flags"] & os.O_CREAT  # created, never overwritten
    assert seen["db_mode_at_connect"] == "0o600"  # created private before SQLite opened it
    data = tmp_path / "fresh"
    for name in ("secret_key", "somatize.sqlite3"):
        assert stat.S_IMODE((data / name).stat().st_mode) == 0o600, name
    assert stat.S_IMODE(data.stat().st_mode) == 0o700


FORMULAS = ['=HYPERLINK("http://evil.example")', "+1+1", "@SUM(A1)", "-2+3", "-7"]


@pytest.mark.django_db
def test_csv_export_neutralises_formula_cells_but_keeps_numbers():
    spec = {
        "name": "formulas",
        "executor": "quadratic",
        "objective": {"metric": "loss", "direction": "minimize"},
        "sampler": {"type": "grid", "points_per_dim": 1},
        "search_space": [
            {"name": "x", "type": "float", "low": -2, "high": -1},
            {"name": "y", "type": "float", "low": -2, "high": -1},
            {"name": "k", "type": "categorical", "choices": FORMULAS},
        ],
    }
    study = services.create_study(spec)
    StudyRunner(study, max_trials=len(FORMULAS)).run()
    rows = list(csv.DictReader(io.StringIO(export.render(study, "csv"))))
    assert [row["param_k"] for row in rows] == [
        '\'=HYPERLINK("http://evil.example")',
        "'+1+1",
        "'@SUM(A1)",
        "'-2+3",
        "-7",  # a plain number stays a number
    ]
    assert {row["param_x"] for row in rows} == {"-1.5"}


def test_create_login_applies_the_password_validators(project):
    refused = project.run("create_login", "bob", "--password", "password", check=False)
    assert refused.returncode == 1
    assert refused.stderr.strip() == "CommandError: --password refused: This password is too common."
    count = "from django.contrib.auth.models import User; print(User.objects.filter(username='bob').count())"
    assert project.run("shell", "-c", count).stdout.strip().splitlines()[-1] == "0"
    assert "created login bob" in project.run("create_login", "bob", "--password", "a-long-unusual-phrase").stdout
