"""Rows behind ``export_study``: every trial, streamed, with its intermediate values."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from ..models import Study, Trial, TrialValue


def intermediate_by_trial(study: Study) -> dict[int, list[list[Any]]]:
    """trial id -> ``[[step, {metric: value}], ...]`` in step order."""
    by_trial: dict[int, dict[int, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    for trial_id, step, metric, value in (
        TrialValue.objects.filter(study=study).order_by("step").values_list("trial_id", "step", "metric", "value")
    ):
        by_trial[trial_id][step][metric] = value
    return {tid: [[step, metrics] for step, metrics in sorted(steps.items())] for tid, steps in by_trial.items()}


def trial_rows(study: Study) -> Iterator[Trial]:
    return Trial.objects.filter(study=study).order_by("number").iterator(chunk_size=2000)


def pareto_front_numbers(study: Study) -> list[int]:
    """Numbers of the trials on a several-objective study's Pareto front, in order."""
    return list(Trial.objects.filter(study=study, on_front=True).order_by("number").values_list("number", flat=True))
