"""Successive halving with 4 worker processes on one study: trials stop only at rungs."""

from __future__ import annotations

import pytest

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
