"""A study's metric names, for the plots' metric selectors and ``?metric=`` of the plot API.

A metric is any name a trial reported at a step (``TrialValue``) or returned at the end
(``Trial.metrics``). Both reads are bounded whatever the study's size:

- reported names: a loose index scan of ``value_study_metric_step`` (one index probe per
  distinct name, a recursive query), never a scan of every reported value;
- returned names: the keys of the RECENT_TRIALS most recent completed trials' metrics
  (executors return the same names every trial: a name that only trials older than those
  returned is not listed, and ``?metric=`` refuses it, rather than scan every trial's JSON).
"""

from __future__ import annotations

from django.db import connection

from ..core.errors import SpecError
from ..core.trials import TrialState
from ..models import Study, Trial, TrialValue

RECENT_TRIALS = 1000  # completed trials whose returned metric names are listed
MAX_NAMES = 200  # distinct reported names read at most (a study with more lists the first 200)


def objectives(study: Study) -> list[dict[str, str]]:
    """Every objective (``metric``, ``direction``) in the spec's order."""
    return list(study.spec.get("objectives") or [study.spec["objective"]])


def metric_direction(study: Study, metric: str) -> str | None:
    """The direction of ``metric`` when it is an objective; None for any other metric
    (the page then draws raw values without a best-so-far line)."""
    return next((o["direction"] for o in objectives(study) if o["metric"] == metric), None)


def metric_names(study: Study) -> list[str]:
    """The objectives first (in the spec's order), then every other metric by name."""
    first = [o["metric"] for o in objectives(study)]
    others = (_reported_names(study) | _returned_names(study)) - set(first)
    return first + sorted(others)


def check_metric(study: Study, raw: str | None) -> str:
    """``?metric=`` as a metric of ``study``: the objective when absent or empty; an
    unknown name is a SpecError naming the field ``metric`` and the known names."""
    if raw is None or raw == "":
        return study.metric
    known = metric_names(study)
    if raw in known:
        return raw
    listed = ", ".join(repr(name) for name in known)
    raise SpecError([("metric", f"study {study.name!r} has no metric named {raw!r}; its metrics are {listed}")])


def _reported_names(study: Study) -> set[str]:
    # Each step takes the next name after the last one from the (study, metric, step)
    # index: as many probes as there are names, however many values were reported.
    table = TrialValue._meta.db_table
    sql = (
        f"WITH RECURSIVE names(metric) AS ("
        f" SELECT MIN(metric) FROM {table} WHERE study_id = %s"
        f" UNION ALL"
        f" SELECT (SELECT MIN(v.metric) FROM {table} v WHERE v.study_id = %s AND v.metric > names.metric)"
        f" FROM names WHERE names.metric IS NOT NULL"
        f") SELECT metric FROM names WHERE metric IS NOT NULL LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [study.pk, study.pk, MAX_NAMES])
        return {name for (name,) in cursor.fetchall()}


def _completed(study: Study):
    return Trial.objects.filter(study=study, state=TrialState.COMPLETED.value, value__isnull=False)


# The distinct keys of the recent trials' metrics objects, listed by the database: decoding
# a thousand JSON documents in Python cost a study's plots several milliseconds.
_KEYS_OF_OBJECTS = {  # (before, after) the subquery of recent metrics
    "postgresql": (
        "SELECT DISTINCT jsonb_object_keys(t.metrics) FROM (",
        ") AS t WHERE jsonb_typeof(t.metrics) = 'object'",
    ),
    "sqlite": (
        "SELECT DISTINCT j.key FROM (",
        ") AS t, json_each(t.metrics) AS j WHERE json_type(t.metrics) = 'object'",
    ),
}


def _returned_names(study: Study) -> set[str]:
    recent = _completed(study).order_by("-number").values_list("metrics", flat=True)[:RECENT_TRIALS]
    sql, params = recent.query.sql_with_params()
    with connection.cursor() as cursor:
        before, after = _KEYS_OF_OBJECTS[connection.vendor]
        cursor.execute(before + sql + after, params)
        return {name for (name,) in cursor.fetchall()}
