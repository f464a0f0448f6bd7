"""The shell contract of DESIGN.md section 5, through real manage.py processes."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.support.specs import DESIGN_SPEC

QUICK_SPEC = {
    **DESIGN_SPEC,
    "name": "quick",
    "executor": "mixed",
    "n_trials": 12,
    "pruner": {"type": "none"},
    "sampler": {"type": "random", "seed": 7},
    "objective": {"metric": "value", "direction": "minimize"},
    "search_space": [
        {"name": "lr", "type": "float", "low": 1e-5, "high": 1.0, "scale": "log"},
        {"name": "layers", "type": "int", "low": 1, "high": 8},
        {"name": "activation", "type": "categorical", "choices": ["relu", "tanh", "sigmoid"]},
    ],
}


def export(project, name):
    return json.loads(project.run("export_study", name, "--format", "json").stdout)


def test_the_design_spec_runs_to_its_budget_and_exports_the_best_trial(project):
    project.run("create_study", str(project.write_spec(DESIGN_SPEC)))
    project.run("run_study", "svm-digits")
    doc = export(project, "svm-digits")
    assert doc["name"] == "svm-digits" and doc["state"] == "completed" and doc["n_trials"] == 40
    assert doc["sampler"] == {"type": "bayesian", "seed": 7, "n_startup": 10}
    assert set(doc) >= {"id", "name", "executor", "objective", "sampler", "n_trials", "state", "best_trial", "trials"}
    trials = doc["trials"]
    assert [t["number"] for t in trials] == list(range(40))
    assert all(t["state"] in ("completed", "pruned", "failed") for t in trials)
    completed = [t for t in trials if t["state"] == "completed"]
    best = max(completed, key=lambda t: t["value"])
    assert doc["best_trial"] == {"number": best["number"], "value": best["value"], "params": best["params"]}
    for t in trials:
        assert set(t) >= {"number", "state", "params", "value", "metrics", "intermediate", "duration_ms", "error"}
        assert t["intermediate"] and all(isinstance(step, int) and "accuracy" in m for step, m in t["intermediate"])
        assert ("degree" in t["params"]) == (t["params"]["kernel"] == "poly")


def test_csv_export_has_a_row_per_trial_with_param_and_metric_columns(project):
    project.run("create_study", str(project.write_spec(QUICK_SPEC)))
    project.run("run_study", "quick")
    rows = list(csv.DictReader(io.StringIO(project.run("export_study", "quick", "--format", "csv").stdout)))
    assert len(rows) == 12
    assert {"number", "state", "value", "param_lr", "param_layers", "param_activation", "metric_value"} <= set(rows[0])
    doc = export(project, "quick")
    assert [float(r["value"]) for r in rows] == [t["value"] for t in doc["trials"]]


def test_export_to_a_file(project, tmp_path):
    project.run("create_study", str(project.write_spec(QUICK_SPEC)))
    out = tmp_path / "out.json"
    project.run("export_study", "quick", "--output", str(out))
    assert json.loads(out.read_text())["name"] == "quick"


def test_the_same_spec_and_seed_give_identical_parameters_trial_by_trial(tmp_path, migrated_sqlite):
    import shutil

    from tests.conftest import Project

    runs = []
    for i in range(2):
        p = Project(tmp_path / f"run{i}")
        p.data_dir.mkdir()
        shutil.copy(migrated_sqlite, p.data_dir / "somatize.sqlite3")
        p.run("create_study", str(p.write_spec(QUICK_SPEC)))
        p.run("run_study", "quick")
        runs.append([t["params"] for t in export(p, "quick")["trials"]])
    assert runs[0] == runs[1] and len(runs[0]) == 12


def test_a_spec_without_a_seed_gets_one_so_it_can_be_replayed(project):
    spec = {**QUICK_SPEC, "sampler": {"type": "random"}}
    out = project.run("create_study", str(project.write_spec(spec))).stdout
    assert "seed " in out and "seed None" not in out
    assert isinstance(export(project, "quick")["sampler"]["seed"], int)


def bad(changes=None, dim_changes=None, index=0):
    spec = json.loads(json.dumps(DESIGN_SPEC))
    spec.update(changes or {})
    if dim_changes:
        spec["search_space"][index].update(dim_changes)
    return spec


@pytest.mark.parametrize(
    "spec, field",
    [
        (bad({"executor": "no_such_executor"}), "executor"),
        (bad(dim_changes={"low": 1000, "high": 1}), "search_space[0].low"),
        (bad(dim_changes={"low": 0}), "search_space[0].low"),  # log scale with low <= 0
        (bad(dim_changes={"choices": []}, index=1), "search_space[1].choices"),
        (bad({"sampler": {"type": "simulated_annealing"}}), "sampler.type"),
        (bad(dim_changes={"when": {"kernal": ["poly"]}}, index=2), "search_space[2].when.kernal"),
    ],
)
def test_an_invalid_spec_exits_non_zero_with_one_line_naming_the_field(project, spec, field):
    project.run("create_study", str(project.write_spec(QUICK_SPEC)))
    before = project.run("export_study", "quick").stdout
    result = project.run("create_study", str(project.write_spec(spec, "bad.json")), check=False)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and field in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    listing = project.run("list_studies").stdout
    assert "svm-digits" not in listing
    assert project.run("export_study", "quick").stdout == before


def test_malformed_json_names_the_line_and_column(project):
    path = project.data_dir / "broken.json"
    path.write_text('{"name": "x",\n  "executor": }')
    result = project.run("create_study", str(path), check=False)
    assert result.returncode != 0
    assert "invalid JSON at line 2, column 15" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_an_existing_study_is_kept_unless_replace_is_given(project):
    path = str(project.write_spec(QUICK_SPEC))
    project.run("create_study", path)
    project.run("run_study", "quick", "--n-trials", "3")
    again = project.run("create_study", path, check=False)
    assert again.returncode != 0 and "--replace" in again.stderr
    assert len(export(project, "quick")["trials"]) == 3
    project.run("create_study", path, "--replace")
    assert export(project, "quick")["trials"] == []


def test_run_study_resumes_until_the_budget_is_spent(project):
    project.run("create_study", str(project.write_spec(QUICK_SPEC)))
    first = project.run("run_study", "quick", "--n-trials", "5").stdout
    assert "stopped, 5/12 done" in first
    project.run("run_study", "quick")
    doc = export(project, "quick")
    assert doc["state"] == "completed" and [t["number"] for t in doc["trials"]] == list(range(12))
    assert "already complete" in project.run("run_study", "quick").stdout


def test_unknown_study_and_bad_options_fail_with_one_clear_line(project):
    for args in (("run_study", "ghost"), ("export_study", "ghost")):
        result = project.run(*args, check=False)
        assert result.returncode != 0 and "no study named 'ghost'" in result.stderr
    result = project.run("run_study", "ghost", "--n-trials", "-3", check=False)
    assert result.returncode != 0 and "--n-trials" in result.stderr


def test_list_commands_show_studies_and_executors(project):
    project.run("create_study", str(project.write_spec(QUICK_SPEC)))
    project.run("run_study", "quick")
    listing = project.run("list_studies").stdout.splitlines()
    assert listing[0].split() == ["NAME", "STATE", "DONE", "BEST", "EXECUTOR"]
    assert listing[1].split()[:3] == ["quick", "completed", "12/12"]
    executors = project.run("list_executors").stdout
    for name in ("branin", "hartmann6", "rosenbrock4", "mixed", "svm_digits", "sgd_digits"):
        assert name in executors


@pytest.mark.parametrize(
    "variable, value",
    [
        ("DEBUG", "maybe"),
        ("DATABASE_URL", "mysql://x/y"),
        ("SECRET_KEY", "short"),
        ("REDIS_URL", "localhost:6379"),
        ("SOMATIZE_HEARTBEAT_GRACE", "soon"),
    ],
)
def test_a_bad_setting_stops_start_up_naming_the_variable(project, variable, value):
    project.env[variable] = value
    result = project.run("check", check=False)
    assert result.returncode != 0
    assert result.stderr.startswith("configuration error:") and variable in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_run_study_draws_a_live_progress_line_on_a_terminal_only(project):
    import os
    import pty
    import subprocess

    project.run("create_study", str(project.write_spec(QUICK_SPEC)))
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        project.command("run_study", "quick", "--n-trials", "4"),
        env=project.env,
        stdout=follower,
        stderr=subprocess.PIPE,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=60)
    screen = b"".join(chunks).decode()
    assert "\rquick: 4/12 · best " in screen and "trials/s · ETA" in screen
    piped = project.run("run_study", "quick", "--n-trials", "2").stdout
    assert "\r" not in piped and "trials/s" not in piped


def test_queue_study_queues_created_studies_for_run_worker(project):
    project.run("create_study", str(project.write_spec(QUICK_SPEC)))
    assert project.run("queue_study", "quick").stdout.strip() == "queued quick"
    assert "quick is queued: left as it is" in project.run("queue_study", "quick").stdout
    assert project.run("list_studies").stdout.splitlines()[1].split()[:2] == ["quick", "queued"]
    project.run("run_worker", "--max-studies", "1", "--poll", "0.2")
    assert export(project, "quick")["state"] == "completed"
    missing = project.run("queue_study", "ghost", check=False)
    assert missing.returncode != 0 and "no study named 'ghost'" in missing.stderr
