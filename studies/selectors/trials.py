"""Trials as pages read them: a filtered, sorted page and one trial's detail.

A trial page reads the page's trial numbers through indexes (``trial_filters``), then
those trials' rows; its count is exact where that is cheap and capped where it is not
(``_count``), so a page takes about as long at 1,000,000 trials as at 1,000.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypedDict

from django.db import connection, transaction
from django.urls import reverse

from ..core.errors import SpecError
from ..core.pruners import trial_rungs
from ..core.trialquery import TrialQuery
from ..models import Study, Trial, TrialValue
from ..shapes import StudySummary, TrialDetail, TrialPage, TrialRow
from . import workbench
from .artifacts import trial_artifacts
from .counts import state_counts, trial_total
from .cursor import read_at_cursor
from .studies import iso, study_get, study_space, study_summary
from .trial_filters import NumberPlan, number_plan

# Past any step a trial reports (steps are stored as 32-bit integers).
MAX_RUNG_STEP = 2**31
COUNT_CAP = 500  # matches counted exactly when parameters filter; past it "500+"
EXACT_COUNT_TRIALS = 2_000  # a study this small has every filtered count exact (a few thousand probes)
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
    "metrics",
)
# Sorting by a returned metric reads every matching trial's JSON (no index can serve any
# name): allowed up to this many trials, where that takes tens of milliseconds.
METRIC_SORT_TRIALS = 20_000


class TrialView(TypedDict):
    """What the trial page renders first."""

    study: StudySummary
    trial: TrialDetail
    last_event_id: int


def trial_get(study: Study, number: int) -> Trial | None:
    return Trial.objects.filter(study=study, number=number).first()


def study_pruner(study: Study) -> dict[str, Any]:
    return study.spec.get("pruner") or {"type": "none"}


def stopped_at_rung(pruner: dict[str, Any], number: int, step: int | None) -> int | None:
    """The rung (1 = the first) a trial stopped at ``step`` was judged at; None for pruners without rungs."""
    if step is None:
        return None
    return len(trial_rungs(pruner, number, step)) or None


def trial_row(study_id: int, row: dict[str, Any], pruner: dict[str, Any] | None = None) -> TrialRow:
    return {
        "number": row["number"],
        "state": row["state"],
        "params": row["params"],
        "value": row["value"],
        "duration_ms": row["duration_ms"],
        "pruned_step": row["pruned_step"],
        "rung": stopped_at_rung(pruner or {"type": "none"}, row["number"], row["pruned_step"]),
        "error": (row["error"] or "")[:200],
        "url": reverse("studies:trial", args=[study_id, row["number"]]),
        "values": row["objective_values"],
        "feasible": row["feasible"],
        "metrics": row["metrics"] or {},
    }


def trial_page(study: Study, query: TrialQuery) -> TrialPage:
    with without_jit():
        return read_at_cursor(lambda cursor: _trial_page_at(study, query, cursor))[1]


@contextmanager
def without_jit() -> Iterator[None]:
    """PostgreSQL's JIT off for these statements. The planner cannot estimate how many
    rows the parameter probes keep, so it costs a walk of the whole index, and JIT then
    spends about a second compiling a nested loop that stops at its LIMIT in milliseconds."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        yield


def _trial_page_at(study: Study, query: TrialQuery, cursor: int) -> TrialPage:
    if query.sort_metric is not None and trial_total(study) > METRIC_SORT_TRIALS:
        raise SpecError(
            [
                (
                    "sort",
                    f"sorting by a metric reads every trial's metrics (they have no index), so it is offered "
                    f"up to {METRIC_SORT_TRIALS:,} trials; this study has {trial_total(study):,}",
                )
            ]
        )
    plan = number_plan(study, query, study_space(study))
    start = (query.page - 1) * query.page_size
    count, capped = _count(study, query, plan, start + query.page_size)
    pages = max(1, math.ceil(count / query.page_size))
    page = min(query.page, pages)
    numbers = _page_numbers(plan, (page - 1) * query.page_size, query.page_size)
    by_number = {r["number"]: r for r in Trial.objects.filter(study=study, number__in=numbers).values(*TRIAL_COLUMNS)}
    pruner = study_pruner(study)
    return {
        "count": count,
        "count_capped": capped,
        "page": page,
        "pages": pages,
        "page_size": query.page_size,
        "sort": query.sort,
        "results": [trial_row(study.pk, by_number[n], pruner) for n in numbers],
        "last_event_id": cursor,
    }


def _count(study: Study, query: TrialQuery, plan: NumberPlan, page_end: int) -> tuple[int, bool]:
    """The number of matching trials and whether it is only a lower bound.

    Without parameter filters it is exact and cheap (dense numbers, state counts).
    With them every match costs index probes, so counting stops past COUNT_CAP (or past
    the requested page, so that page and the next exist): "500+ matching"; unless a
    filter matches so few trials that it drove the query (``plan.narrow``), or the study
    is small enough for every count to be cheap.
    """
    if not plan.filtered_by_param:
        if not query.states:
            return trial_total(study), False
        counts = state_counts(study)
        return sum(counts.get(state, 0) for state in query.states), False
    if plan.narrow or trial_total(study) <= EXACT_COUNT_TRIALS:
        return plan.matching.count(), False
    limit = max(COUNT_CAP, page_end)
    count = plan.matching.values("pk")[: limit + 1].count()
    return (limit, True) if count > limit else (count, False)


def _page_numbers(plan: NumberPlan, start: int, size: int) -> list[int]:
    """The page's trial numbers: sorted ones with a value first, then those without."""
    numbers = list(plan.present[start : start + size])
    if len(numbers) == size or plan.absent is None:
        return numbers
    # Matches with a value: all before this page's end, since this page ran out of them.
    with_value = start + len(numbers) if numbers else plan.present[:start].count()
    skip = max(0, start - with_value)
    return numbers + list(plan.absent[skip : skip + size - len(numbers)])


def trial_detail(study: Study, trial: Trial) -> TrialDetail:
    row = {c: getattr(trial, c) for c in TRIAL_COLUMNS}
    curve = trial_curve(trial)
    last_step = curve[-1][0] if curve else 0
    return {
        **trial_row(study.pk, row, study_pruner(study)),
        "error": trial.error,
        "traceback": trial.traceback,
        "started_at": iso(trial.started_at),
        "finished_at": iso(trial.finished_at),
        "worker_id": trial.worker_id,
        "retries": trial.retries,
        "intermediate": curve,
        "rungs": rungs_so_far(study_pruner(study), trial.number, last_step),
        "artifacts": trial_artifacts(trial),
        "note": workbench.trial_note(study.pk, trial.number),
        "log": workbench.trial_log_summary(study.pk, trial),
    }


def rungs_so_far(pruner: dict[str, Any], number: int, last_step: int) -> list[int]:
    """The rungs a trial reached and the next one: where its curve is judged (pruners with rungs)."""
    rungs = trial_rungs(pruner, number, MAX_RUNG_STEP)
    reached = sum(1 for step in rungs if step <= last_step)
    return rungs[: reached + 1]


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
