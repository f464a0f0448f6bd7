"""Plot series for the study page, bounded whatever the study's size.

- history: every completed trial up to HISTORY_POINTS, else the low and high value of
  each bucket of trial numbers (one GROUP BY) with the best-so-far line over them;
- sample: up to SAMPLE_POINTS completed trials (every k-th number plus the best ones)
  behind the parallel-coordinates and slice plots and the importance estimate;
- intermediate: the objective's curves of the most recent trials that reported any;
- history_all: every completed trial's number and value, for the page's WebGL history
  plot, which draws every point as optuna-dashboard does (read from the covering index
  trial_study_state_number_value, never from the wide rows). Sent as base64 of
  little-endian int32 numbers and float64 values: exact, and encoded in about a
  millisecond where JSON's float formatting took longer than the query.
"""

from __future__ import annotations

import base64

import numpy as np
from django.db import connection
from django.db.models import Count, F, Max, Min
from django.db.models.functions import Mod

from ..core.importance import param_importance
from ..core.pruners import rung_grid
from ..core.series import HISTORY_POINTS, SAMPLE_POINTS, Bucket, best_so_far, bucket_best, bucket_width, history_points
from ..core.trials import Direction, TrialState
from ..models import Study, Trial, TrialValue
from ..shapes import CurveSeries, HistoryPoints, HistorySeries, PlotData, SampleSeries
from .cursor import read_at_cursor
from .studies import study_space

CURVE_TRIALS = 60  # most recent trials drawn in the intermediate-values plot
CURVE_POINTS = 20_000  # at most this many intermediate values read
BEST_IN_SAMPLE = 100  # the best trials always join the sample


def _completed(study: Study):
    return Trial.objects.filter(study=study, state=TrialState.COMPLETED.value, value__isnull=False)


def history_series(study: Study, n_completed: int, last_number: int) -> HistorySeries:
    direction = Direction(study.direction)
    width = bucket_width(n_completed, last_number, HISTORY_POINTS // 2)
    if width == 1:
        rows = list(_completed(study).order_by("number").values_list("number", "value"))
        xs = [float(n) for n, _ in rows]
        ys = [v for _, v in rows]
        best_x, best_y = best_so_far(zip(xs, ys, strict=False), direction)
    else:
        buckets = [
            Bucket(r["first"], r["last"], r["low"], r["high"])
            for r in (
                _completed(study)
                .annotate(bucket=F("number") / width)
                .values("bucket")
                .annotate(first=Min("number"), last=Max("number"), low=Min("value"), high=Max("value"))
                .order_by("bucket")
            )
        ]
        xs, ys = history_points(buckets)
        best_x, best_y = best_so_far(bucket_best(buckets, direction), direction)
    return {"x": xs, "y": ys, "best_x": best_x, "best_y": best_y, "bucket": width, "n_completed": n_completed}


def sample_series(study: Study, names: list[str], n_completed: int, last_number: int) -> SampleSeries:
    rows = _completed(study)
    width = bucket_width(n_completed, last_number, SAMPLE_POINTS - BEST_IN_SAMPLE)
    if width > 1:
        best_first = "value" if study.direction == Direction.MINIMIZE.value else "-value"
        best = list(rows.order_by(best_first).values_list("number", flat=True)[:BEST_IN_SAMPLE])
        strided = rows.annotate(_m=Mod("number", width)).filter(_m=0)
        picked = list(strided.order_by("number").values_list("number", "params", "value")) + list(
            rows.filter(number__in=best).order_by("number").values_list("number", "params", "value")
        )
        picked = sorted({n: (n, p, v) for n, p, v in picked}.values())
    else:
        picked = list(rows.order_by("number").values_list("number", "params", "value"))
    return {
        "numbers": [n for n, _, _ in picked],
        "values": [v for _, _, v in picked],
        "params": {name: [p.get(name) for _, p, _ in picked] for name in names},
        "n_completed": n_completed,
    }


def intermediate_series(study: Study) -> list[CurveSeries]:
    recent = list(
        Trial.objects.filter(study=study)
        .exclude(state=TrialState.WAITING.value)
        .order_by("-number")
        .values_list("id", "number", "state")[:CURVE_TRIALS]
    )
    by_id: dict[int, CurveSeries] = {
        pk: {"number": number, "state": state, "steps": [], "values": []} for pk, number, state in recent
    }
    for trial_id, step, value in (
        TrialValue.objects.filter(trial_id__in=list(by_id), metric=study.metric)
        .order_by("trial_id", "step")
        .values_list("trial_id", "step", "value")[:CURVE_POINTS]
    ):
        by_id[trial_id]["steps"].append(step)
        by_id[trial_id]["values"].append(value)
    return sorted((c for c in by_id.values() if c["steps"]), key=lambda c: c["number"])


def history_all(study: Study) -> HistoryPoints:
    return read_at_cursor(lambda cursor: _history_all_at(study, cursor))[1]


def _history_all_at(study: Study, cursor: int) -> HistoryPoints:
    # The queryset's own SQL run on a plain cursor: the ORM's per-row work would be
    # most of the time at 100,000 points, and these are two bare numbers a row.
    sql, params = _completed(study).order_by("number").values_list("number", "value").query.sql_with_params()
    with connection.cursor() as db:
        db.execute(sql, params)
        rows = db.fetchall()
    table = np.array(rows, dtype="<f8").reshape(-1, 2)
    return {
        "count": len(rows),
        "numbers": base64.b64encode(table[:, 0].astype("<i4").tobytes()).decode(),
        "values": base64.b64encode(np.ascontiguousarray(table[:, 1]).tobytes()).decode(),
        "last_event_id": cursor,
    }


def plot_data(study: Study) -> PlotData:
    return read_at_cursor(lambda cursor: _plot_data_at(study, cursor))[1]


def _plot_data_at(study: Study, cursor: int) -> PlotData:
    space = study_space(study)
    stats = _completed(study).aggregate(n=Count("id"), last=Max("number"))
    n_completed, last_number = stats["n"], stats["last"] or 0
    sample = sample_series(study, space.names, n_completed, last_number)
    rows = [{name: sample["params"][name][i] for name in space.names} for i in range(len(sample["numbers"]))]
    curves = intermediate_series(study)
    last_step = max((max(c["steps"]) for c in curves if c["steps"]), default=0)
    return {
        "metric": study.metric,
        "direction": study.direction,
        "history": history_series(study, n_completed, last_number),
        "intermediate": curves,
        "rungs": rung_grid(study.spec.get("pruner") or {"type": "none"}, last_step),
        "sample": sample,
        "importance": param_importance(space, rows, sample["values"]),
        "last_event_id": cursor,
    }
