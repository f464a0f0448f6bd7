"""Successive halving and Hyperband with 4 worker processes on one study: trials stop only at rungs."""

from __future__ import annotations

import pytest

from studies.core.pruners import HyperbandPruner, trial_rungs

from .conftest import create, random_spec

RUNGS = (1, 3, 9)  # min_resource 1, reduction factor 3; learning_curve reports steps 0..9


@pytest.mark.postgres
def test_four_workers_stop_weak_trials_at_rungs_and_finish_the_best(pg_project):
    spec = random_spec("asha", "learning_curve", 30, metric="accuracy") | {
        "pruner": {"type": "successive_halving", "min_resource": 1, "reduction_factor": 3}
    }
    create(pg_project, spec)

    result = pg_project.run("run_study", "asha", "--workers", "4")

    assert "asha: completed, 30/30 done" in result.stdout
    rows = pg_project.database.query(
        "SELECT t.id, t.number, t.state, t.pruned_step FROM studies_trial t JOIN studies_study s "
        "ON s.id = t.study_id WHERE s.name = ? ORDER BY t.number",
        ("asha",),
    )
    assert [number for _, number, _, _ in rows] == list(range(30))
    assert {state for _, _, state, _ in rows} == {"completed", "pruned"}
    assert all(step in RUNGS for _, _, state, step in rows if state == "pruned")
    # accuracy = x * (1 - 0.5 ** (step + 1)) ranks trials by x at every step: the trial
    # with the largest x is the best at every rung whenever it gets there, so it finishes.
    trials = pg_project.database.trials("asha")
    assert max(trials, key=lambda t: t.params["x"]).state == "completed"
    at_rung = rung_values(pg_project)
    for trial_id, _, state, step in rows:
        if state == "pruned":
            # Stopped at a rung only when another trial had done better there.
            own = at_rung[trial_id][step]
            assert any(values.get(step, -1) > own for other, values in at_rung.items() if other != trial_id)
    steps_run = sum(len(values) for values in step_counts(pg_project).values())
    assert steps_run < 30 * 10  # pruning saved steps


@pytest.mark.postgres
def test_four_workers_judge_each_hyperband_trial_only_at_its_own_brackets_rungs(pg_project):
    pruner = {"type": "hyperband", "min_resource": 1, "max_resource": 10, "reduction_factor": 3}
    spec = random_spec("hb", "learning_curve", 30, metric="accuracy") | {"pruner": pruner}
    create(pg_project, spec)

    result = pg_project.run("run_study", "hb", "--workers", "4")

    assert "hb: completed, 30/30 done" in result.stdout
    config = {"type": "hyperband", **{k: v for k, v in pruner.items() if k != "type"}}
    bracket_of = HyperbandPruner(max_resource=10).bracket_of
    trials = {t.number: t for t in pg_project.database.trials("hb")}
    values = curves(pg_project, "hb")
    assert sorted(trials) == list(range(30)) and {t.state for t in trials.values()} == {"completed", "pruned"}
    assert {bracket_of(n) for n in trials} == {0, 1, 2, 3}
    for number, trial in trials.items():
        if bracket_of(number) == 3:  # rungs [] (brackets: [1, 3, 9], [3, 9], [9], [])
            assert trial.state == "completed"
        if trial.state != "pruned":
            continue
        step = max(values[number])
        assert step in trial_rungs(config, number, 9)
        # Stopped only because a trial of its own bracket had done better at that rung.
        mates = [n for n in trials if n != number and bracket_of(n) == bracket_of(number)]
        assert any(values[n].get(step, -1) > values[number][step] for n in mates)
    # The trial with the largest x is the best of its bracket at every rung: it finishes.
    assert max(trials.values(), key=lambda t: t.params["x"]).state == "completed"


def curves(project, name: str) -> dict[int, dict[int, float]]:
    rows = project.database.query(
        "SELECT t.number, v.step, v.value FROM studies_trialvalue v JOIN studies_trial t ON t.id = v.trial_id "
        "JOIN studies_study s ON s.id = v.study_id WHERE s.name = ? AND v.metric = 'accuracy'",
        (name,),
    )
    values: dict[int, dict[int, float]] = {}
    for number, step, value in rows:
        values.setdefault(number, {})[step] = value
    return values


def rung_values(project) -> dict[int, dict[int, float]]:
    rows = project.database.query(
        "SELECT v.trial_id, v.step, v.value FROM studies_trialvalue v JOIN studies_study s ON s.id = v.study_id "
        "WHERE s.name = ? AND v.metric = 'accuracy'",
        ("asha",),
    )
    values: dict[int, dict[int, float]] = {}
    for trial_id, step, value in rows:
        values.setdefault(trial_id, {})[step] = value
    return {trial_id: {s: v for s, v in steps.items() if s in RUNGS} for trial_id, steps in values.items()}


def step_counts(project) -> dict[int, list[int]]:
    rows = project.database.query(
        "SELECT v.trial_id, v.step FROM studies_trialvalue v JOIN studies_study s ON s.id = v.study_id "
        "WHERE s.name = ? AND v.metric = 'accuracy'",
        ("asha",),
    )
    steps: dict[int, list[int]] = {}
    for trial_id, step in rows:
        steps.setdefault(trial_id, []).append(step)
    return steps
