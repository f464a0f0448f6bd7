"""The seed's StudyRunner tests, ported, plus the event contract of DESIGN.md section 4."""

from __future__ import annotations

import pytest

from studies import services
from studies.models import Study, StudyEvent, Trial
from studies.runner import StudyRunner

pytestmark = pytest.mark.django_db(transaction=True)

LR_ACTIVATION = [
    {"name": "lr", "type": "float", "low": 0.001, "high": 0.1, "scale": "log"},
    {"name": "activation", "type": "categorical", "choices": ["relu", "tanh"]},
]
X_ONLY = [{"name": "x", "type": "float", "low": 0.0, "high": 1.0}]


def make_study(executor, space, sampler, n_trials=None, name="s", direction="maximize", metric="f1", pruner=None):
    spec = {
        "name": name,
        "executor": executor,
        "objective": {"metric": metric, "direction": direction},
        "sampler": sampler,
        "search_space": space,
    }
    if n_trials is not None:
        spec["n_trials"] = n_trials
    if pruner is not None:
        spec["pruner"] = pruner
    return services.create_study(spec)


def run(study):
    StudyRunner(study, worker_id="test").run()
    study.refresh_from_db()
    return study


def event_types(study):
    return list(StudyEvent.objects.filter(study=study).order_by("id").values_list("type", flat=True))


def test_study_runner_grid_search():
    study = run(make_study("seed_f1", LR_ACTIVATION, {"type": "grid", "points_per_dim": 3}))
    trials = list(study.trials.order_by("number"))
    assert len(trials) == 6
    assert all(t.state == "completed" for t in trials)
    best = study.trials.get(number=study.best_trial_number)
    assert abs(best.params["lr"] - 0.01) < 0.05
    assert study.best_value == max(t.value for t in trials)
    types = set(event_types(study))
    assert {"study_started", "trial_started", "trial_completed", "best_updated", "study_completed"} <= types


def test_study_runner_random_search():
    study = run(make_study("seed_f1", LR_ACTIVATION, {"type": "random", "seed": 42}, n_trials=20))
    assert study.trials.count() == 20
    assert study.best_trial_number is not None
    assert study.state == "completed"


def test_study_runner_handles_failed_trials():
    study = run(make_study("fails_above_half", X_ONLY, {"type": "random", "seed": 42}, n_trials=5))
    trials = list(study.trials.all())
    assert len(trials) == 5
    failed = [t for t in trials if t.state == "failed"]
    assert failed, "x > 0.5 must fail some trials with seed 42"
    assert all(t.params["x"] > 0.5 for t in failed)
    assert all("RuntimeError: too high" in t.error and "Traceback" in t.traceback for t in failed)
    assert all(t.state == "completed" for t in trials if t.params["x"] <= 0.5)


def test_study_runner_handles_pruned_trials():
    study = run(make_study("always_pruned", X_ONLY, {"type": "random", "seed": 1}, n_trials=3))
    trials = list(study.trials.all())
    assert len(trials) == 3 and all(t.state == "pruned" for t in trials)
    assert all(t.pruned_step == 5 and t.error == "below median" for t in trials)
    assert study.best_value is None and study.state == "completed"


def test_study_progress_tracking():
    study = run(make_study("constant_half", X_ONLY, {"type": "random", "seed": 1}, n_trials=3))
    progress = [
        (e.data["n_done"], e.data["n_trials"])
        for e in StudyEvent.objects.filter(study=study, type="study_progress").order_by("id")
    ]
    assert progress == [(1, 3), (2, 3), (3, 3)]


def test_events_follow_the_documented_sequence():
    study = run(make_study("learning_curve", X_ONLY, {"type": "random", "seed": 5}, n_trials=2, metric="accuracy"))
    types = event_types(study)
    assert types[0] == "study_started" and types[-1] == "study_completed"
    per_trial = types[1:-1]
    # trial 0: started, 10 metric reports, completed, best_updated (first best), progress
    assert per_trial[:14] == ["trial_started"] + ["trial_metric"] * 10 + [
        "trial_completed",
        "best_updated",
        "study_progress",
    ]
    rest = per_trial[14:]
    assert rest[0] == "trial_started" and rest[-1] == "study_progress"
    assert rest.count("trial_completed") == 1
    ids = list(StudyEvent.objects.filter(study=study).order_by("id").values_list("id", flat=True))
    assert ids == sorted(set(ids))


def test_nan_and_missing_metric_fail_the_trial_with_a_clear_message():
    nan = run(make_study("returns_nan", X_ONLY, {"type": "random", "seed": 1}, n_trials=1, name="nan"))
    wrong = run(make_study("wrong_metric", X_ONLY, {"type": "random", "seed": 1}, n_trials=1, name="wrong"))
    assert nan.trials.get().state == "failed" and "nan" in nan.trials.get().error
    assert "objective metric 'f1' missing" in wrong.trials.get().error
    assert nan.state == wrong.state == "completed"


def test_median_pruner_prunes_weak_learning_curves():
    study = run(
        make_study(
            "learning_curve",
            X_ONLY,
            {"type": "random", "seed": 3},
            n_trials=30,
            metric="accuracy",
            pruner={"type": "median", "n_warmup_steps": 2, "n_min_trials": 3},
        )
    )
    trials = list(study.trials.all())
    pruned = [t for t in trials if t.state == "pruned"]
    completed = [t for t in trials if t.state == "completed"]
    assert pruned and completed
    # Pruning stopped the weak ones early: each pruned trial ran fewer than 10 steps,
    # and none of them would have beaten the best completed trial.
    assert all(t.pruned_step is not None and 2 <= t.pruned_step < 9 for t in pruned)
    assert max(t.params["x"] for t in pruned) < study.best_value
    assert study.best_value == max(t.value for t in completed)


def test_minimize_keeps_the_lowest_value_as_best():
    study = run(
        make_study(
            "quadratic",
            [
                {"name": "x", "type": "float", "low": -1, "high": 1},
                {"name": "y", "type": "float", "low": -1, "high": 1},
            ],
            {"type": "random", "seed": 9},
            n_trials=15,
            direction="minimize",
            metric="value",
        )
    )
    assert study.best_value == min(t.value for t in study.trials.all())


def test_a_stopped_run_resumes_and_counts_finished_trials_toward_the_budget():
    study = make_study("constant_half", X_ONLY, {"type": "random", "seed": 4}, n_trials=5)
    StudyRunner(study, worker_id="a", max_trials=2).run()
    study.refresh_from_db()
    assert (study.state, study.n_done) == ("stopped", 2)
    StudyRunner(study, worker_id="b").run()
    study.refresh_from_db()
    assert (study.state, study.n_done, study.trials.count()) == ("completed", 5, 5)
    assert sorted(Trial.objects.filter(study=study).values_list("number", flat=True)) == [0, 1, 2, 3, 4]


def test_stale_running_trials_are_failed_and_can_be_retried():
    study = make_study("constant_half", X_ONLY, {"type": "random", "seed": 4}, n_trials=3)
    services.start_study(study)
    claim = services.claim_trial(study, "lost-worker")
    Trial.objects.filter(pk=claim.trial.pk).update(heartbeat_at="2000-01-01T00:00:00Z")
    assert services.fail_stale_trials(study, grace_seconds=60) == 1
    lost = Trial.objects.get(pk=claim.trial.pk)
    assert lost.state == "failed" and lost.error.startswith("worker lost")
    assert services.requeue_failed(study, max_retries=1) == 1
    StudyRunner(Study.objects.get(pk=study.pk), worker_id="b").run()
    retried = Trial.objects.get(pk=claim.trial.pk)
    assert (retried.state, retried.params, retried.retries) == ("completed", claim.params, 1)
    assert Study.objects.get(pk=study.pk).state == "completed"


def test_the_runner_prepares_its_executor_before_any_claim_and_closes_it_at_the_end():
    from studies.execution import InProcessExecutor

    class Recording(InProcessExecutor):
        def __init__(self):
            self.calls = []

        def prepare(self):
            self.calls.append(("prepare", Trial.objects.count()))

        def run(self, executor_name, trial, hooks):
            self.calls.append(("run", trial.number))
            return super().run(executor_name, trial, hooks)

        def close(self):
            self.calls.append(("close", Trial.objects.count()))

    study = make_study("constant_half", X_ONLY, {"type": "random", "seed": 1}, n_trials=2)
    execute = Recording()
    StudyRunner(study, worker_id="test", execute=execute).run()
    assert execute.calls == [("prepare", 0), ("run", 0), ("run", 1), ("close", 2)]
