"""Plot series for the study page, bounded whatever the study's size.

- sample: up to SAMPLE_POINTS completed trials (every k-th number plus the best ones,
  read by index probes) behind the parallel-coordinates and slice plots and the
  importance estimate; the page says how many of how many;
- history: the same sample as a history series with its best-so-far line, for API
  clients (the page draws every trial from history_all);
- intermediate: one metric's curves (the objective's by default) of the most recent
  trials that reported any;
- history_all: every completed trial's number and value, for the page's WebGL history
  plot, which draws every point as optuna-dashboard does (read from the covering index
  trial_study_state_number_value, never from the wide rows), in chunks of
  HISTORY_CHUNK points so no response grows without bound. Sent as base64 of
  little-endian int32 numbers and float64 values: exact, and encoded in about a
  millisecond where JSON's float formatting took longer than the query. Another metric
  than the objective (``?metric=``) is read from each completed trial's returned
  ``metrics`` (JSON: its rows, not an index, but the same chunks bound each response).
"""

from __future__ import annotations

import base64
import json

import numpy as np
import psycopg
from django.db import connection
from django.db.models import FloatField, TextField
from django.db.models.expressions import RawSQL
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from ..core.importance import column_importance
from ..core.pruners import rung_grid
from ..core.series import SAMPLE_POINTS, best_so_far, bucket_width
from ..core.trials import Direction, TrialState
from ..models import Study, Trial, TrialValue
from ..shapes import CurveSeries, HistoryPoints, HistorySeries, PlotData, SampleSeries
from .counts import state_counts, trial_total
from .cursor import read_at_cursor
from .metrics import metric_direction, metric_names
from .studies import study_space

CURVE_TRIALS = 60  # most recent trials drawn in the intermediate-values plot
CURVE_POINTS = 20_000  # at most this many intermediate values read
BEST_IN_SAMPLE = 100  # the best trials always join the sample
HISTORY_CHUNK = 100_000  # points per history response; the page asks for the next chunk after it


def _completed(study: Study):
    return Trial.objects.filter(study=study, state=TrialState.COMPLETED.value, value__isnull=False)


def history_series(study: Study, sample: SampleSeries, width: int) -> HistorySeries:
    """The history as the sample has it: every completed trial when the sample is all of
    them (``bucket`` 1), else every ``bucket``-th trial number plus the best trials, so
    the best-so-far line ends at the exact best. The page draws every trial from
    ``history_all``; this bounded series is for API clients."""
    xs = [float(n) for n in sample["numbers"]]
    ys = sample["values"]
    best_x, best_y = best_so_far(zip(xs, ys, strict=True), Direction(study.direction))
    return {"x": xs, "y": ys, "best_x": best_x, "best_y": best_y, "bucket": width, "n_completed": sample["n_completed"]}


def sample_series(study: Study, names: list[str], n_completed: int, last_number: int) -> tuple[SampleSeries, int]:
    """Completed trials whose number is a multiple of the stride, plus the best ones, and
    the stride. Deterministic, and read by index probes: the numbers are dense, so the
    strided ones are known without scanning the study."""
    rows = _completed(study)
    width = bucket_width(n_completed, last_number, SAMPLE_POINTS - BEST_IN_SAMPLE)
    if width > 1:
        best_first = "value" if study.direction == Direction.MINIMIZE.value else "-value"
        best = list(rows.order_by(best_first).values_list("number", flat=True)[:BEST_IN_SAMPLE])
        wanted = sorted(set(range(0, last_number + 1, width)) | set(best))
        rows = rows.filter(number__in=_numbers_in(wanted))
    # The params as JSON text, decoded in one call: the JSON field's decoding row by row
    # was a third of the request at 100,000 trials.
    picked = list(rows.order_by("number").values_list("number", Cast("params", TextField()), "value"))
    params = json.loads("[" + ",".join(text for _, text, _ in picked) + "]")
    sample: SampleSeries = {
        "numbers": [n for n, _, _ in picked],
        "values": [v for _, _, v in picked],
        "params": {name: [p.get(name) for p in params] for name in names},
        "n_completed": n_completed,
    }
    return sample, width


def _numbers_in(numbers: list[int]) -> list[int] | RawSQL:
    """``numbers`` for an IN: on PostgreSQL one array literal, since psycopg spends longer
    binding a couple of thousand separate parameters (or dumping a list) than the query
    takes."""
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::integer[])", ("{" + ",".join(map(str, numbers)) + "}",))
    return numbers


def intermediate_series(study: Study, metric: str) -> list[CurveSeries]:
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
        TrialValue.objects.filter(trial_id__in=list(by_id), metric=metric)
        .order_by("trial_id", "step")
        .values_list("trial_id", "step", "value")[:CURVE_POINTS]
    ):
        by_id[trial_id]["steps"].append(step)
        by_id[trial_id]["values"].append(value)
    return sorted((c for c in by_id.values() if c["steps"]), key=lambda c: c["number"])


def history_all(study: Study, after: int = -1, metric: str | None = None) -> HistoryPoints:
    """Completed trials numbered above ``after``, in number order, up to HISTORY_CHUNK of
    them, with their value of ``metric`` (a checked name: ``selectors.check_metric``; the
    objective when None). Trials that did not return the metric are left out."""
    name = metric or study.metric
    return read_at_cursor(lambda cursor: _history_all_at(study, after, name, cursor))[1]


def _metric_rows(study: Study, after: int, metric: str):
    """(number, value) rows of ``metric`` in number order: the objective from the covering
    index, any other metric from the trials' returned metrics."""
    rows = _completed(study).filter(number__gt=after).order_by("number")
    if metric == study.metric:
        return rows.values_list("number", "value")
    picked = Cast(KeyTextTransform(metric, "metrics"), FloatField())
    return rows.filter(metrics__has_key=metric).annotate(picked=picked).values_list("number", "picked")


def _history_all_at(study: Study, after: int, metric: str, cursor: int) -> HistoryPoints:
    rows = _metric_rows(study, after, metric)[: HISTORY_CHUNK + 1]
    if connection.vendor == "postgresql":
        numbers, values = _history_arrays_postgres(rows)
    else:
        numbers, values = _history_arrays(rows)
    more = len(numbers) > HISTORY_CHUNK
    numbers, values = numbers[:HISTORY_CHUNK], values[:HISTORY_CHUNK]
    return {
        "count": len(numbers),
        "numbers": base64.b64encode(numbers.astype("<i4").tobytes()).decode(),
        "values": base64.b64encode(values.astype("<f8").tobytes()).decode(),
        "more": more,
        "last_number": int(numbers[-1]) if len(numbers) else after,
        "metric": metric,
        "direction": metric_direction(study, metric),
        "last_event_id": cursor,
    }


def _history_arrays(rows) -> tuple[np.ndarray, np.ndarray]:
    # The queryset's own SQL run on a plain cursor: the ORM's per-row work would be
    # most of the time at 100,000 points, and these are two bare numbers a row.
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as db:
        db.execute(sql, params)
        table = np.array(db.fetchall(), dtype="<f8").reshape(-1, 2)
    return table[:, 0].astype("<i4"), np.ascontiguousarray(table[:, 1])


def _history_arrays_postgres(rows) -> tuple[np.ndarray, np.ndarray]:
    """PostgreSQL packs the columns itself (int4send/float8send: big-endian bytes), two
    values in all instead of a Python tuple per trial: about 5 times faster at 10^5 rows."""
    sql, params = rows.query.sql_with_params()
    packed = (
        "SELECT string_agg(int4send(t.number::int4), ''::bytea), string_agg(float8send(t.value), ''::bytea) "
        f"FROM ({sql}) AS t(number, value)"
    )
    connection.ensure_connection()
    # A server-side-binding cursor, to receive the bytea in binary: Django's own cursors
    # bind client-side, which receives text, a hex string twice the size to decode.
    with psycopg.Cursor(connection.connection) as db:
        db.execute(packed, params, binary=True)
        number_bytes, value_bytes = db.fetchone() or (None, None)  # an aggregate: always one row
    numbers = np.frombuffer(number_bytes or b"", dtype=">i4")
    values = np.frombuffer(value_bytes or b"", dtype=">f8")
    if len(numbers) > 1 and not bool(np.all(numbers[1:] > numbers[:-1])):
        # An aggregate keeps its ordered subquery's order in practice, not by promise.
        order = np.argsort(numbers, kind="stable")
        numbers, values = numbers[order], values[order]
    return numbers, values


def plot_data(study: Study, metric: str | None = None) -> PlotData:
    """The bounded series; ``metric`` (a checked name, the objective when None) picks the
    intermediate values' metric. The history sample, the sample and the importance are
    always the objective's."""
    name = metric or study.metric
    return read_at_cursor(lambda cursor: _plot_data_at(study, name, cursor))[1]


def _plot_data_at(study: Study, metric: str, cursor: int) -> PlotData:
    space = study_space(study)
    n_completed = state_counts(study).get(TrialState.COMPLETED.value, 0)
    sample, width = sample_series(study, space.names, n_completed, max(0, trial_total(study) - 1))
    curves = intermediate_series(study, metric)
    last_step = max((max(c["steps"]) for c in curves if c["steps"]), default=0)
    return {
        "metric": metric,
        "direction": study.direction,
        "metric_direction": metric_direction(study, metric),
        "metrics": metric_names(study),
        "history": history_series(study, sample, width),
        "intermediate": curves,
        "rungs": rung_grid(study.spec.get("pruner") or {"type": "none"}, last_step),
        "sample": sample,
        "importance": column_importance(space, sample["params"], sample["values"]),
        "last_event_id": cursor,
    }
