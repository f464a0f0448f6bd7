"""A worker running short trials claims its next one while the current one runs.

The held trial starts the moment the one before ends; until then it has no start time,
its heartbeat is kept by its worker, and it goes back to ``waiting`` when its worker
stops or is lost before starting it (DESIGN.md section 5, README "Workers").
"""

import itertools
import signal
import time

import pytest

from .conftest import create, random_spec
from .test_crashes import running_trial, stalling


def timings(project, name: str) -> list[tuple[int, float, float]]:
    """(number, started_at, duration in s) of every finished trial, in order."""
    rows = project.database.query(
        "SELECT t.number, t.started_at, t.duration_ms FROM studies_trial t JOIN studies_study s ON s.id = t.study_id "
        "WHERE s.name = ? AND t.finished_at IS NOT NULL ORDER BY t.number",
        (name,),
    )
    return [(number, started.timestamp(), duration / 1000) for number, started, duration in rows]


@pytest.mark.postgres
def test_a_trial_held_ahead_starts_when_the_one_before_ends_and_keeps_its_own_start_and_duration(pg_project):
    pg_project.env["SOMATIZE_TEST_SLEEP"] = "0.1"
    create(pg_project, random_spec("pipelined", "sleepy", 12))

    result = pg_project.run("run_study", "pipelined")

    assert "pipelined: completed, 12/12 done" in result.stdout
    rows = timings(pg_project, "pipelined")
    assert [number for number, _, _ in rows] == list(range(12))
    for (_, started, took), (number, started_next, _) in itertools.pairwise(rows):
        # Trials from 2 on were claimed while the one before ran: their start is when
        # they began, a sleep after the one before began, not when they were claimed.
        assert started_next - started >= 0.1, (number, started_next - started)
        assert 0.1 <= took < 1.0, took  # the time it ran (loose: a loaded CI machine stores late)
    assert pg_project.database.query("SELECT count(*) FROM studies_trial WHERE state IN ('running', 'waiting')") == [
        (0,)
    ]


@pytest.mark.postgres
def test_a_held_trial_keeps_its_heartbeat_while_the_one_before_runs_long(pg_project, tmp_path):
    stalling(pg_project, tmp_path, "held")
    worker = pg_project.start("run_study", "held", "--heartbeat-grace", "2")
    db = pg_project.database
    db.wait_for(lambda: running_trial(pg_project, "held", 3), "trial 3 to stall")
    held = db.wait_for(
        lambda: db.query("SELECT number, started_at FROM studies_trial WHERE number = 4 AND state = 'running'"),
        "trial 4 to be held",
    )
    assert held == [(4, None)]  # claimed, not started: no start time yet

    time.sleep(3)  # past the grace period: only the worker's heartbeats keep trials 3 and 4
    other = pg_project.run("run_study", "held", "--heartbeat-grace", "2", "--n-trials", "1")

    assert "this run: 1 completed" in other.stdout, other.stdout
    states = {t.number: t.state for t in db.trials("held")}
    assert (states[3], states[4], states[5]) == ("running", "running", "completed")
    worker.send_signal(signal.SIGTERM)
    worker.communicate(timeout=60)
    trials = db.trials("held")
    assert (trials[3].state, trials[4].state) == ("failed", "waiting")
    assert "interrupted" in trials[3].error
