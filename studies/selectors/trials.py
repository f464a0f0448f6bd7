"""Trials as pages read them: a filtered, sorted page and one trial's detail.

A trial page is one COUNT and one LIMIT/OFFSET query on indexed columns, whatever the
study's size.
"""

from __future__ import annotations

import math
from typing import Any, TypedDict

from django.db.models import F, FloatField, Q
from django.db.models.expressions import OrderBy
from django.db.models.fields.json import KeyTransform
from django.db.models.functions import Cast
from django.urls import reverse

from ..core.space import CategoricalDimension, SearchSpace
from ..core.trialquery import TrialQuery
from ..models import Study, Trial, TrialValue
from ..shapes import StudySummary, TrialDetail, TrialPage, TrialRow
from .cursor import read_at_cursor
from .studies import iso, study_get, study_space, study_summary

TRIAL_COLUMNS = (
    "id",
    "number",
    "state",
    "params",
    "value",
    "duration_ms",
    "pruned_step",
    "error",
    "objective_values",
    "feasible",
)


class TrialView(TypedDict):
    """What the trial page renders first."""

    study: StudySummary
    trial: TrialDetail
    last_event_id: int


def trial_get(study: Study, number: int) -> Trial | None:
    return Trial.objects.filter(study=study, number=number).first()


def trial_row(study_id: int, row: dict[str, Any]) -> TrialRow:
    return {
        "number": row["number"],
        "state": row["state"],
        "params": row["params"],
        "value": row["value"],
        "duration_ms": row["duration_ms"],
        "pruned_step": row["pruned_step"],
        "error": (row["error"] or "")[:200],
        "url": reverse("studies:trial", args=[study_id, row["number"]]),
        "values": row["objective_values"],
        "feasible": row["feasible"],
    }


def filtered_trials(study: Study, query: TrialQuery, space: SearchSpace):
    """The study's trials matching ``query``'s filters, in its sort order (lazy)."""
    rows = Trial.objects.filter(study=study)
    if query.states:
        rows = rows.filter(state__in=query.states)
    for i, r in enumerate(query.ranges):
        alias = f"_range{i}"
        rows = rows.alias(**{alias: Cast(KeyTransform(r.name, "params"), FloatField())})
        if r.low is not None:
            rows = rows.filter(**{f"{alias}__gte": r.low})
        if r.high is not None:
            rows = rows.filter(**{f"{alias}__lte": r.high})
    for i, (name, allowed) in enumerate(query.choices):
        alias = f"_choice{i}"
        rows = rows.alias(**{alias: KeyTransform(name, "params")})
        rows = rows.filter(Q(**{f"{alias}__in": list(allowed)}))
    return rows.order_by(*_ordering(query, space))


def _ordering(query: TrialQuery, space: SearchSpace) -> list:
    """Sort column (missing values last), then trial number so pages are stable."""
    if query.sort_param is not None:
        expression: KeyTransform | Cast | F = KeyTransform(query.sort_param, "params")
        if not isinstance(space[query.sort_param], CategoricalDimension):
            expression = Cast(expression, FloatField())
    elif query.sort_objective is not None:
        expression = Cast(KeyTransform(str(query.sort_objective), "objective_values"), FloatField())
    else:
        expression = F(query.sort_key)
    primary = OrderBy(expression, descending=query.descending, nulls_last=True)
    if query.sort_key == "number":
        return [primary]
    return [primary, OrderBy(F("number"))]


def trial_page(study: Study, query: TrialQuery) -> TrialPage:
    return read_at_cursor(lambda cursor: _trial_page_at(study, query, cursor))[1]


def _trial_page_at(study: Study, query: TrialQuery, cursor: int) -> TrialPage:
    rows = filtered_trials(study, query, study_space(study))
    count = rows.count()
    pages = max(1, math.ceil(count / query.page_size))
    page = min(query.page, pages)
    start = (page - 1) * query.page_size
    results = [trial_row(study.pk, r) for r in rows.values(*TRIAL_COLUMNS)[start : start + query.page_size]]
    return {
        "count": count,
        "page": page,
        "pages": pages,
        "page_size": query.page_size,
        "sort": query.sort,
        "results": results,
        "last_event_id": cursor,
    }


def trial_detail(study: Study, trial: Trial) -> TrialDetail:
    row = {c: getattr(trial, c) for c in TRIAL_COLUMNS}
    return {
        **trial_row(study.pk, row),
        "error": trial.error,
        "metrics": trial.metrics,
        "traceback": trial.traceback,
        "started_at": iso(trial.started_at),
        "finished_at": iso(trial.finished_at),
        "worker_id": trial.worker_id,
        "retries": trial.retries,
        "intermediate": trial_curve(trial),
    }


def trial_curve(trial: Trial) -> list[list[Any]]:
    """``[[step, {metric: value}], ...]`` in step order, for one trial."""
    steps: dict[int, dict[str, float]] = {}
    for step, metric, value in (
        TrialValue.objects.filter(trial=trial).order_by("step", "metric").values_list("step", "metric", "value")
    ):
        steps.setdefault(step, {})[metric] = value
    return [[step, metrics] for step, metrics in steps.items()]


def trial_view(study_id: int, number: int) -> TrialView | None:
    """The trial page's first view; None if the study or the trial does not exist."""
    return read_at_cursor(lambda cursor: _trial_view_at(study_id, number, cursor))[1]


def _trial_view_at(study_id: int, number: int, cursor: int) -> TrialView | None:
    study = study_get(study_id)
    trial = None if study is None else trial_get(study, number)
    if study is None or trial is None:
        return None
    return {"study": study_summary(study), "trial": trial_detail(study, trial), "last_event_id": cursor}
