"""Workers of one Bayesian study suggest outside the study lock: their model fits overlap.

The sampler is ``slow_bayesian`` (tests/support/samplers.py): the real Bayesian sampler,
sleeping ``delay`` seconds before each suggestion as an expensive fit would take. Were
suggestions made under the study lock, K workers would take turns; made from a
snapshot outside it, two workers finish in about half the time of serialised fits.
"""

from __future__ import annotations

import pytest

from .conftest import create

DELAY = 0.5
N_TRIALS = 12


def slow_bayesian_spec(name: str) -> dict:
    return {
        "name": name,
        "executor": "quadratic",
        "objective": {"metric": "value", "direction": "minimize"},
        "sampler": {"type": "slow_bayesian", "seed": 3, "n_startup": 4, "delay": DELAY},
        "n_trials": N_TRIALS,
        "search_space": [
            {"name": "x", "type": "float", "low": -1.0, "high": 1.0},
            {"name": "y", "type": "float", "low": -1.0, "high": 1.0},
        ],
    }


def span_seconds(project, name: str) -> float:
    ((span,),) = project.database.query(
        "SELECT EXTRACT(EPOCH FROM MAX(t.finished_at) - MIN(t.started_at)) FROM studies_trial t "
        "JOIN studies_study s ON s.id = t.study_id WHERE s.name = ?",
        (name,),
    )
    return float(span)


@pytest.mark.postgres
def test_two_workers_of_a_bayesian_study_fit_at_the_same_time(pg_project):
    spans = {}
    for workers in (1, 2):
        name = f"slowfit-{workers}"
        create(pg_project, slow_bayesian_spec(name))

        result = pg_project.run("run_study", name, "--workers", str(workers), "--in-process")

        assert f"{name}: completed, {N_TRIALS}/{N_TRIALS} done" in result.stdout
        trials = pg_project.database.trials(name)
        assert [t.number for t in trials] == list(range(N_TRIALS))
        assert all(t.state == "completed" for t in trials)
        assert len({(t.params["x"], t.params["y"]) for t in trials}) == N_TRIALS
        started = [t for _, t in pg_project.database.events(name) if t == "trial_started"]
        assert len(started) == N_TRIALS
        spans[workers] = span_seconds(pg_project, name)

    # One worker suggests N_TRIALS - 1 times between its first start and last finish;
    # two workers whose suggestions overlap take about half that (they would take as
    # long as one if each suggestion waited for the other's to end, under the lock).
    assert spans[1] > (N_TRIALS - 1) * DELAY
    assert spans[2] < 0.65 * spans[1], spans


@pytest.mark.postgres
def test_one_worker_suggests_the_same_sequence_as_before_for_a_seed(pg_project):
    """One worker's snapshot is the history a locked suggestion saw: same seed, same trials."""
    for name in ("first", "second"):
        create(pg_project, slow_bayesian_spec(name) | {"sampler": {"type": "bayesian", "seed": 3, "n_startup": 4}})
        pg_project.run("run_study", name, "--n-trials", "10")

    first, second = (pg_project.database.trials(name) for name in ("first", "second"))
    assert [t.params for t in first] == [t.params for t in second]
    assert len(first) == 10
