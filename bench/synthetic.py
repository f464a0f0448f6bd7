"""A finished study of any size, its rows bulk-inserted as a real run would leave them.

Shared by bench/pages.py and the large-study tests: running 100,000 real trials would
take minutes, while what they measure (pages and endpoints over many rows) only needs
the rows.
"""

from __future__ import annotations

import random

SPEC_SPACE = [
    {"name": "lr", "type": "float", "low": 1e-5, "high": 1.0, "scale": "log"},
    {"name": "layers", "type": "int", "low": 1, "high": 8},
    {"name": "activation", "type": "categorical", "choices": ["relu", "tanh", "sigmoid"]},
]


def _trial_rows(study, n_trials: int, seed: int) -> list:
    """8 in 10 completed, the rest pruned or failed; random parameters and durations."""
    from studies.models import Trial

    rng = random.Random(seed)
    states = ["completed"] * 8 + ["pruned", "failed"]
    rows = []
    for number in range(n_trials):
        state = rng.choice(states)
        rows.append(
            Trial(
                study=study,
                number=number,
                state=state,
                duration_ms=rng.randint(1, 900),
                params={
                    "lr": 10 ** rng.uniform(-5, 0),
                    "layers": rng.randint(1, 8),
                    "activation": rng.choice(["relu", "tanh", "sigmoid"]),
                },
                value=rng.uniform(0, 100) if state == "completed" else None,
            )
        )
    return rows


def build_finished_study(name: str, n_trials: int, seed: int, curves: int = 100):
    """``n_trials`` trials (8 in 10 completed, the rest pruned or failed), learning curves of
    20 steps on the last ``curves`` trials, and one progress event per trial."""
    from studies import services
    from studies.models import Study, StudyEvent, Trial, TrialValue

    study = services.create_study(
        {
            "name": name,
            "executor": "mixed",
            "objective": {"metric": "value", "direction": "minimize"},
            "sampler": {"type": "random", "seed": seed},
            "n_trials": n_trials,
            "search_space": SPEC_SPACE,
        },
        replace=True,
    )
    Trial.objects.bulk_create(_trial_rows(study, n_trials, seed), batch_size=5000)
    _record_params(study)
    recent = Trial.objects.filter(study=study).order_by("-number").values_list("id", flat=True)[:curves]
    TrialValue.objects.bulk_create(
        [
            TrialValue(trial_id=tid, study=study, step=s, metric="value", value=s / 10)
            for tid in recent
            for s in range(20)
        ],
        batch_size=5000,
    )
    StudyEvent.objects.bulk_create(
        [
            StudyEvent(study=study, type="study_progress", data={"n_done": i + 1, "n_trials": n_trials})
            for i in range(n_trials)
        ],
        batch_size=5000,
    )
    best = Trial.objects.filter(study=study, state="completed").order_by("value").first()
    Study.objects.filter(pk=study.pk).update(
        n_done=n_trials, state="completed", best_value=best.value, best_trial_number=best.number
    )
    study.refresh_from_db()
    return study


def _record_params(study) -> None:
    """The typed parameter rows a claim writes with each trial (services.trial_params)."""
    from studies.models import Trial
    from studies.selectors import study_space
    from studies.services.trial_params import record_trial_params

    space = study_space(study)
    trials = Trial.objects.filter(study=study).only("id", "study_id", "number", "params").order_by("number")
    chunk = []
    for trial in trials.iterator(chunk_size=5000):
        chunk.append(trial)
        if len(chunk) == 5000:
            record_trial_params(space, chunk)
            chunk = []
    record_trial_params(space, chunk)
