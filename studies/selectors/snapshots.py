"""Frozen trial snapshots for samplers and pruners: they never see a queryset."""

from __future__ import annotations

from collections import defaultdict

from ..core.trials import FrozenTrial, TrialState
from ..models import Study, Trial, TrialValue


def history_snapshots(study: Study, metric: str) -> list[FrozenTrial]:
    """Every trial of the study as a frozen snapshot, with its objective's intermediate values."""
    intermediate: dict[int, dict[int, float]] = defaultdict(dict)
    for trial_id, step, value in TrialValue.objects.filter(study=study, metric=metric).values_list(
        "trial_id", "step", "value"
    ):
        intermediate[trial_id][step] = value
    return [
        FrozenTrial(
            number=number,
            state=TrialState(state),
            params=params,
            value=value,
            intermediate=intermediate.get(pk, {}),
            pruned_step=pruned_step,
            values=None if values is None else tuple(values),
            metrics=metrics or {},
        )
        for pk, number, state, params, value, pruned_step, values, metrics in (
            Trial.objects.filter(study=study)
            .order_by("number")
            .values_list("pk", "number", "state", "params", "value", "pruned_step", "objective_values", "metrics")
        )
    ]


def peers_at_step(study_id: int, metric: str, step: int) -> list[FrozenTrial]:
    """Completed trials that reported ``metric`` at ``step``: what a pruner compares against."""
    rows = TrialValue.objects.filter(
        study_id=study_id, metric=metric, step=step, trial__state=TrialState.COMPLETED.value
    ).values_list("trial__number", "value")
    return [FrozenTrial(number=n, state=TrialState.COMPLETED, params={}, intermediate={step: v}) for n, v in rows]


def reported_values(trial_id: int, metric: str) -> dict[int, float]:
    """A trial's stored objective values by step (a remote trial's, for its pruner)."""
    return dict(TrialValue.objects.filter(trial_id=trial_id, metric=metric).values_list("step", "value"))
