"""A killed, crashed, exhausted or hung trial fails alone; its study finishes or resumes."""

import os
import signal
import time

import pytest

from .conftest import create, grid_spec, random_spec, stop


@pytest.mark.parametrize(
    "executor, flags, error",
    [
        ("segfaults_above_half", [], "died from SIGSEGV"),
        ("exhausts_memory_above_half", ["--trial-memory", "600"], "MemoryError"),
        ("hangs_above_half", ["--trial-timeout", "2"], "timeout"),
    ],
)
def test_a_misbehaving_executor_fails_only_its_own_trials(sqlite_project, executor, flags, error):
    create(sqlite_project, grid_spec("isolated", executor, 4))

    result = sqlite_project.run("run_study", "isolated", *flags)

    assert "isolated: completed, 4/4 done" in result.stdout
    trials = sqlite_project.database.trials("isolated")
    assert [(t.params["x"] > 0.5, t.state) for t in trials] == [
        (False, "completed"),
        (False, "completed"),
        (True, "failed"),
        (True, "failed"),
    ]
    assert all(error in t.error for t in trials if t.state == "failed"), [t.error for t in trials]
    assert [t.value for t in trials if t.state == "completed"] == [0.0, pytest.approx(1 / 3)]


def test_a_too_small_memory_cap_is_refused_before_any_trial(sqlite_project):
    create(
        sqlite_project,
        grid_spec("capped", "seed_f1", 4, metric="f1")
        | {"search_space": [{"name": "lr", "type": "float", "low": 0.0, "high": 0.1}]},
    )

    result = sqlite_project.run("run_study", "capped", "--trial-memory", "10", check=False)

    assert result.returncode != 0
    assert "--trial-memory 10 is below what the executor process needs" in result.stderr
    assert sqlite_project.database.trials("capped") == []


def stalling(project, tmp_path, name: str, n_trials: int = 8):
    """A study whose trial 3 sleeps the first time it runs; returns the env for it."""
    project.env["SOMATIZE_TEST_STALL_FILE"] = str(tmp_path / f"{name}.stalled")
    project.env["SOMATIZE_TEST_STALL_AT"] = "3"
    # Long enough (against storing an outcome) that the worker holds the next trial ahead.
    project.env["SOMATIZE_TEST_STALL_OTHERS"] = "0.2"
    create(project, random_spec(name, "stalls_once", n_trials))


def running_trial(project, name: str, number: int = 3):
    """Trial ``number`` once it runs (the stalling one), else None.

    Running and started: a trial claimed ahead is running before it starts, without a
    start time (its worker stamps it as it stores the outcome of the trial before)."""
    started = project.database.query(
        "SELECT t.number FROM studies_trial t JOIN studies_study s ON s.id = t.study_id "
        "WHERE s.name = ? AND t.number = ? AND t.state = 'running' AND t.started_at IS NOT NULL",
        (name, number),
    )
    running = [t for t in project.database.trials(name) if t.number == number] if started else []
    return running[0] if running else None


@pytest.mark.postgres
def test_a_worker_killed_mid_trial_loses_its_trial_after_the_grace_period_and_a_restart_finishes(pg_project, tmp_path):
    stalling(pg_project, tmp_path, "killed")
    worker = pg_project.start("run_study", "killed", "--heartbeat-grace", "2")
    db = pg_project.database
    stuck = db.wait_for(lambda: running_trial(pg_project, "killed"), "trial 3 to start")
    assert stuck.number == 3
    before = {t.number: t for t in db.trials("killed") if t.state == "completed"}
    assert set(before) == {0, 1, 2}

    worker.send_signal(signal.SIGKILL)
    worker.communicate(timeout=30)
    # Nobody beats its heartbeat now; another worker fails it once the grace period passes.
    time.sleep(2.5)
    result = pg_project.run("run_study", "killed", "--heartbeat-grace", "2")

    assert "killed: completed, 8/8 done" in result.stdout
    trials = db.trials("killed")
    assert trials[3].state == "failed" and "worker lost" in trials[3].error
    assert [t.number for t in trials] == list(range(8))
    assert all(t.state == "completed" for t in trials if t.number != 3)
    for number, old in before.items():  # nothing finished before the kill was lost or changed
        assert (trials[number].params, trials[number].value, trials[number].finished_at) == (
            old.params,
            old.value,
            old.finished_at,
        )


@pytest.mark.postgres
def test_a_lost_trial_is_retried_with_its_original_parameters(pg_project, tmp_path):
    stalling(pg_project, tmp_path, "retried")
    worker = pg_project.start("run_study", "retried", "--heartbeat-grace", "2")
    stuck = pg_project.database.wait_for(lambda: running_trial(pg_project, "retried"), "trial 3 to start")
    worker.send_signal(signal.SIGKILL)
    worker.communicate(timeout=30)
    time.sleep(2.5)

    result = pg_project.run("run_study", "retried", "--heartbeat-grace", "2", "--retry-failed", "1")

    assert "retried: completed, 8/8 done" in result.stdout
    trials = pg_project.database.trials("retried")
    assert all(t.state == "completed" for t in trials)
    assert (trials[3].params, trials[3].retries, trials[3].value) == (stuck.params, 1, stuck.params["x"])


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_interrupts_the_running_trial_exits_cleanly_and_the_study_resumes(sqlite_project, tmp_path, sig):
    stalling(sqlite_project, tmp_path, "terminated")
    worker = sqlite_project.start("run_study", "terminated")
    db = sqlite_project.database
    db.wait_for(lambda: running_trial(sqlite_project, "terminated"), "trial 3 to start")

    code, out, err = stop(worker, sig)

    assert code == 0, err
    assert "interrupted: run the same command again to resume" in out
    trials = db.trials("terminated")
    # Trial 4 was claimed ahead while trial 3 ran (the trials before it were short): it
    # never started, so it waits for the next run instead of failing.
    assert [t.state for t in trials] == ["completed"] * 3 + ["failed", "waiting"]
    assert trials[3].error.startswith("interrupted") and sig.name in trials[3].error
    assert (trials[4].error, trials[4].finished_at) == ("", None)
    assert "trial_requeued" in [kind for _, kind in db.events("terminated")]
    assert db.study("terminated")["state"] == "stopped"

    result = sqlite_project.run("run_study", "terminated", "--retry-failed", "1")

    assert "terminated: completed, 8/8 done" in result.stdout
    trials = db.trials("terminated")
    assert [t.state for t in trials] == ["completed"] * 8
    assert trials[3].retries == 1


@pytest.mark.postgres
def test_sigterm_reaches_every_worker_of_a_pool_and_leaves_no_trial_running(pg_project):
    pg_project.env["SOMATIZE_TEST_SLEEP"] = "300"
    create(pg_project, random_spec("pool", "sleepy", 30))
    parent = pg_project.start("run_study", "pool", "--workers", "3")
    db = pg_project.database
    db.wait_for(lambda: sum(t.state == "running" for t in db.trials("pool")) == 3, "three trials to run")
    assert len(processes_of(pg_project)) == 7  # run_study, 3 workers, 3 executor processes

    code, out, err = stop(parent, signal.SIGTERM)

    assert code == 0, err
    assert "interrupted" in out
    trials = db.trials("pool")
    assert [t.state for t in trials] == ["failed"] * 3
    assert all(t.error.startswith("interrupted") for t in trials)
    assert db.study("pool")["state"] == "stopped"
    assert processes_of(pg_project) == [], "a worker or executor process outlived run_study"


def processes_of(project) -> list[int]:
    """Live processes started for this project (workers and executors inherit its environment)."""
    marker = f"SOMATIZE_DATA_DIR={project.data_dir}".encode()
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/environ", "rb") as environ:
                if marker in environ.read().split(b"\0"):
                    found.append(int(pid))
        except OSError:
            pass
    return found


def test_reports_and_prune_decisions_cross_from_the_executor_process(sqlite_project):
    create(
        sqlite_project,
        random_spec("curves", "learning_curve", 12, metric="accuracy")
        | {"pruner": {"type": "median", "n_warmup_steps": 2, "n_min_trials": 3}},
    )

    result = sqlite_project.run("run_study", "curves")

    assert "curves: completed, 12/12 done" in result.stdout
    trials = sqlite_project.database.trials("curves")
    assert {t.state for t in trials} == {"completed", "pruned"}
    values = sqlite_project.database.query(
        "SELECT trial_id, COUNT(*) FROM studies_trialvalue WHERE metric = 'accuracy' GROUP BY trial_id"
    )
    assert len(values) == 12 and all(n >= 3 for _, n in values)


def test_a_worker_without_the_studys_executor_refuses_before_claiming(sqlite_project):
    create(sqlite_project, random_spec("elsewhere", "sleepy", 3))
    sqlite_project.env["SOMATIZE_EXECUTOR_MODULES"] = ""  # as on a machine without the test executors

    result = sqlite_project.run("run_study", "elsewhere", check=False)

    assert result.returncode != 0
    assert "unknown executor 'sleepy'" in result.stderr.strip().splitlines()[-1]
    assert sqlite_project.database.trials("elsewhere") == []
    assert sqlite_project.database.study("elsewhere")["state"] == "created"
