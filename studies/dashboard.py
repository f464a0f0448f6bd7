"""Read queries behind the dashboard's pages, JSON endpoints and websockets.

Everything here is bounded: a study list reads only study rows (their counters are
denormalised), a trial page is one COUNT and one LIMIT/OFFSET query on indexed columns,
and events are read by id range. Plot series live in ``studies.plots``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, F, FloatField, Max, Q
from django.db.models.expressions import OrderBy
from django.db.models.fields.json import KeyTransform
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone

from . import events
from .core.series import rate_and_eta
from .core.space import CategoricalDimension, SearchSpace, parse_space
from .core.trialquery import TrialQuery
from .models import Study, StudyEvent, Trial, TrialValue
from .shapes import EventMessage, StudyDetail, StudyList, StudySummary, TrialDetail, TrialPage, TrialRow

TRIAL_COLUMNS = ("id", "number", "state", "params", "value", "duration_ms", "pruned_step", "error")


def last_event_id() -> int:
    """The event cursor now: read it BEFORE reading a snapshot, so replay covers the rest."""
    return StudyEvent.objects.aggregate(last=Max("id"))["last"] or 0


def study_space(study: Study) -> SearchSpace:
    return parse_space(study.spec["search_space"], stored=True)


def _iso(when) -> str | None:
    return when.isoformat() if when else None


def study_summary(study: Study) -> StudySummary:
    return {
        "id": study.pk,
        "name": study.name,
        "description": study.description,
        "executor": study.executor,
        "metric": study.metric,
        "direction": study.direction,
        "sampler": study.spec["sampler"]["type"],
        "state": study.state,
        "n_done": study.n_done,
        "n_trials": study.n_trials,
        "progress": progress_percent(study.n_done, study.n_trials),
        "best_value": study.best_value,
        "best_trial": study.best_trial_number,
        "started_at": _iso(study.started_at),
        "finished_at": _iso(study.finished_at),
        "url": reverse("studies:study", args=[study.pk]),
    }


def progress_percent(done: int, total: int) -> float:
    return round(100.0 * done / total, 1) if total else 100.0


def study_list() -> StudyList:
    cursor = last_event_id()
    return {"studies": [study_summary(s) for s in Study.objects.order_by("-created_at")], "last_event_id": cursor}


def study_detail(study: Study, cursor: int | None = None) -> StudyDetail:
    cursor = last_event_id() if cursor is None else cursor
    counts = dict(Trial.objects.filter(study=study).values_list("state").annotate(n=Count("id")).order_by())
    best_params = None
    if study.best_trial_number is not None:
        best_params = (
            Trial.objects.filter(study=study, number=study.best_trial_number).values_list("params", flat=True).first()
        )
    elapsed = (timezone.now() - study.started_at).total_seconds() if study.started_at else 0.0
    if study.finished_at and study.started_at:
        elapsed = (study.finished_at - study.started_at).total_seconds()
    rate, eta = rate_and_eta(study.n_done, elapsed, study.n_trials - study.n_done)
    return {
        **study_summary(study),
        "best_params": best_params,
        "counts": counts,
        "search_space": study.spec["search_space"],
        "rate": rate,
        "eta_seconds": eta if study.state == "running" else None,
        "last_event_id": cursor,
    }


# --- trials ----------------------------------------------------------------------


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
        expression = KeyTransform(query.sort_param, "params")
        if not isinstance(space[query.sort_param], CategoricalDimension):
            expression = Cast(expression, FloatField())
    else:
        expression = F(query.sort_key)
    primary = OrderBy(expression, descending=query.descending, nulls_last=True)
    if query.sort_key == "number":
        return [primary]
    return [primary, OrderBy(F("number"))]


def trial_page(study: Study, query: TrialQuery) -> TrialPage:
    cursor = last_event_id()
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
    curve = trial_curve(trial)
    return {
        **trial_row(study.pk, row),
        "error": trial.error,
        "metrics": trial.metrics,
        "traceback": trial.traceback,
        "started_at": _iso(trial.started_at),
        "finished_at": _iso(trial.finished_at),
        "worker_id": trial.worker_id,
        "retries": trial.retries,
        "intermediate": curve,
    }


def trial_curve(trial: Trial) -> list[list[Any]]:
    """``[[step, {metric: value}], ...]`` in step order, for one trial."""
    steps: dict[int, dict[str, float]] = {}
    for step, metric, value in (
        TrialValue.objects.filter(trial=trial).order_by("step", "metric").values_list("step", "metric", "value")
    ):
        steps.setdefault(step, {})[metric] = value
    return [[step, metrics] for step, metrics in steps.items()]


# --- events ----------------------------------------------------------------------


def events_after(
    after: int, study_id: int | None = None, limit: int = 1000, types: Iterable[str] | None = None
) -> list[EventMessage]:
    """Stored events with id > ``after`` in id order: one study's, or (``types``) the list's."""
    rows = StudyEvent.objects.filter(id__gt=after)
    if study_id is not None:
        rows = rows.filter(study_id=study_id)
    if types is not None:
        rows = rows.filter(type__in=list(types))
    return [events.as_message(e) for e in rows.order_by("id")[:limit]]
