"""run_worker picks up queued studies; two of them never start the same study run."""

import signal

import pytest

from .conftest import create, random_spec, stop

QUEUE = "from studies import services\nfor name in {names!r}:\n    services.queue_study(services.get_study(name))\n"


def queue(project, *names: str) -> None:
    """Queue studies through the same service the admin and the dashboard call."""
    project.run("shell", "-c", QUEUE.format(names=list(names)))


@pytest.mark.postgres
def test_two_run_workers_run_every_queued_study_once_and_stop_on_sigterm(pg_project):
    pg_project.env["SOMATIZE_TEST_SLEEP"] = "0.02"
    names = [f"queued{i}" for i in range(4)]
    for i, name in enumerate(names):
        create(pg_project, random_spec(name, "sleepy", 12, seed=i))
    workers = [pg_project.start("run_worker", "--concurrency", "2", "--poll", "0.2") for _ in range(2)]
    db = pg_project.database
    try:
        queue(pg_project, *names)
        db.wait_for(lambda: all(db.study(n)["state"] == "completed" for n in names), "the queued studies to complete")
    finally:
        results = [stop(w, signal.SIGTERM) for w in workers]

    assert [code for code, _, _ in results] == [0, 0], results
    for name in names:
        types = [t for _, t in db.events(name)]
        assert types.count("study_queued") == 1
        assert types.count("study_started") == 1, f"{name} was started by two run_worker processes"
        assert [t.number for t in db.trials(name)] == list(range(12))
        assert all(t.state == "completed" for t in db.trials(name))
    assert sum("started worker" in out for _, out, _ in results) >= 1


def test_run_worker_leaves_created_studies_alone_and_exits_on_sigterm(sqlite_project):
    create(sqlite_project, random_spec("not-queued", "sleepy", 3))
    worker = sqlite_project.start("run_worker", "--poll", "0.2")
    sqlite_project.database.wait_for(
        lambda: worker.stdout.readline().startswith("run_worker: waiting"), "run_worker to start", interval=0
    )

    code, out, err = stop(worker, signal.SIGTERM)

    assert code == 0, err
    assert "run_worker: stopped" in out
    assert sqlite_project.database.study("not-queued")["state"] == "created"
    assert sqlite_project.database.trials("not-queued") == []


@pytest.mark.postgres
def test_run_worker_interrupted_mid_study_leaves_it_resumable(pg_project):
    pg_project.env["SOMATIZE_TEST_SLEEP"] = "300"
    create(pg_project, random_spec("long", "sleepy", 5))
    worker = pg_project.start("run_worker", "--poll", "0.2")
    db = pg_project.database
    queue(pg_project, "long")
    db.wait_for(lambda: [t.state for t in db.trials("long")] == ["running"], "the first trial to run")

    code, _out, err = stop(worker, signal.SIGTERM)

    assert code == 0, err
    assert [(t.state, t.error.split(":")[0]) for t in db.trials("long")] == [("failed", "interrupted")]
    assert db.study("long")["state"] == "stopped"


@pytest.mark.postgres
def test_run_worker_joins_a_running_study_with_unclaimed_trials(pg_project):
    pg_project.env["SOMATIZE_TEST_SLEEP"] = "0.3"
    create(pg_project, random_spec("shared", "sleepy", 24))
    db = pg_project.database
    by_hand = pg_project.start("run_study", "shared")
    db.wait_for(lambda: db.trials("shared"), "run_study to claim a trial")
    helper = pg_project.start("run_worker", "--poll", "0.2")
    try:
        assert by_hand.wait(timeout=120) == 0
        db.wait_for(lambda: db.study("shared")["state"] == "completed", "the study to complete")
    finally:
        code, out, err = stop(helper, signal.SIGTERM)

    assert code == 0, err
    assert "study shared: started worker" in out
    trials = db.trials("shared")
    assert [t.number for t in trials] == list(range(24)) and all(t.state == "completed" for t in trials)
    workers = db.query("SELECT DISTINCT worker_id FROM studies_trial")
    assert len(workers) == 2
    assert [t for _, t in db.events("shared")].count("study_started") == 1


@pytest.mark.postgres
def test_run_worker_fails_trials_a_dead_worker_left_behind(pg_project, tmp_path):
    pg_project.env["SOMATIZE_TEST_STALL_FILE"] = str(tmp_path / "stalled")
    create(pg_project, random_spec("orphaned", "stalls_once", 4))
    db = pg_project.database
    lost = pg_project.start("run_study", "orphaned", "--heartbeat-grace", "2")
    db.wait_for(lambda: [t.state for t in db.trials("orphaned")] == ["completed"] * 3 + ["running"], "trial 3 to run")
    lost.kill()
    lost.communicate(timeout=30)
    helper = pg_project.start("run_worker", "--poll", "0.2", "--heartbeat-grace", "2")
    try:
        db.wait_for(lambda: db.study("orphaned")["state"] == "completed", "the lost trial to be failed")
    finally:
        stop(helper, signal.SIGTERM)

    trials = db.trials("orphaned")
    assert [t.state for t in trials] == ["completed"] * 3 + ["failed"]
    assert "worker lost" in trials[3].error
