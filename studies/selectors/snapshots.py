"""Frozen trial snapshots for samplers and pruners: they never see a queryset."""

from __future__ import annotations

from collections import defaultdict

from ..core.pruners import PeerQuery
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


def peers_at_step(study_id: int, metric: str, query: PeerQuery | int) -> list[FrozenTrial]:
    """The trials a pruner compares against: each with its first ``metric`` value in the query's steps.

    An int means the median pruner's question: completed trials' values at exactly that step.
    """
    if isinstance(query, int):
        query = PeerQuery(step=query, before=query + 1)
    rows = TrialValue.objects.filter(
        study_id=study_id, metric=metric, step__gte=query.step, trial__state__in=[s.value for s in query.states]
    )
    if query.before is not None:
        rows = rows.filter(step__lt=query.before)
    first: dict[int, FrozenTrial] = {}
    # Ascending steps: the first row seen for a trial is its first report in the range.
    for number, state, step, value in rows.order_by("step").values_list(
        "trial__number", "trial__state", "step", "value"
    ):
        if number not in first:
            first[number] = FrozenTrial(number=number, state=TrialState(state), params={}, intermediate={step: value})
    return list(first.values())


def reported_values(trial_id: int, metric: str) -> dict[int, float]:
    """A trial's stored objective values by step (a remote trial's, for its pruner)."""
    return dict(TrialValue.objects.filter(trial_id=trial_id, metric=metric).values_list("step", "value"))
