"""Several worker processes on one study never duplicate a trial or exceed the budget."""

import pytest

from .conftest import create, grid_spec, random_spec


def assert_each_trial_once(trials, budget: int) -> None:
    assert [t.number for t in trials] == list(range(budget))
    assert len({tuple(sorted(t.params.items())) for t in trials}) == budget
    assert all(t.state == "completed" for t in trials)


@pytest.fixture(params=[pytest.param("postgres", marks=pytest.mark.postgres), "sqlite"])
def shared_project(request):
    """A project on PostgreSQL (many machines) or SQLite (one machine)."""
    return request.getfixturevalue("pg_project" if request.param == "postgres" else "sqlite_project")


def test_four_workers_run_each_of_48_grid_points_exactly_once(shared_project):
    create(
        shared_project,
        grid_spec("grid48", "seed_f1", 48, metric="f1")
        | {"search_space": [{"name": "lr", "type": "float", "low": 0.0, "high": 0.1}]},
    )

    result = shared_project.run("run_study", "grid48", "--workers", "4")

    assert "grid48: completed, 48/48 done" in result.stdout
    assert_each_trial_once(shared_project.database.trials("grid48"), 48)


@pytest.mark.postgres
def test_separate_run_study_processes_share_one_budget(pg_project):
    """As on many machines: independent run_study commands join the same study."""
    create(
        pg_project,
        random_spec("random60", "quadratic", 60, metric="loss")
        | {
            "objective": {"metric": "loss", "direction": "minimize"},
            "search_space": [
                {"name": "x", "type": "float", "low": -1.0, "high": 1.0},
                {"name": "y", "type": "float", "low": -1.0, "high": 1.0},
            ],
        },
    )

    processes = [pg_project.start("run_study", "random60") for _ in range(3)]
    outputs = [p.communicate(timeout=300) for p in processes]

    assert [p.returncode for p in processes] == [0, 0, 0], outputs
    trials = pg_project.database.trials("random60")
    assert_each_trial_once(trials, 60)
    assert pg_project.database.study("random60")["state"] == "completed"


@pytest.mark.postgres
def test_three_workers_run_a_random_study_of_60_exactly(pg_project):
    create(pg_project, random_spec("random60", "sleepy", 60))

    result = pg_project.run("run_study", "random60", "--workers", "3")

    assert "random60: completed, 60/60 done" in result.stdout
    assert_each_trial_once(pg_project.database.trials("random60"), 60)
    started = [t for _, t in pg_project.database.events("random60") if t == "trial_started"]
    assert len(started) == 60


@pytest.mark.postgres
def test_n_trials_is_shared_between_the_workers_of_one_command(pg_project):
    create(
        pg_project,
        random_spec("partial", "seed_f1", 40, metric="f1")
        | {"search_space": [{"name": "lr", "type": "float", "low": 0.0, "high": 0.1}]},
    )

    pg_project.run("run_study", "partial", "--workers", "3", "--n-trials", "10")
    assert len(pg_project.database.trials("partial")) == 10

    result = pg_project.run("run_study", "partial", "--workers", "2")
    assert "partial: completed, 40/40 done" in result.stdout
    assert [t.number for t in pg_project.database.trials("partial")] == list(range(40))
