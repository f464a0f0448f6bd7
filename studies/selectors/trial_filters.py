"""A TrialQuery as index-driven queries of trial numbers.

Parameters are read from ``TrialParam`` rows (``studies.core.paramcolumns``), never from
every trial's JSON. The work per page is bounded by construction, not left to the
planner's row estimates (which are poor for "this name AND this value" rows):

- the rows are walked in the sort's index order (a parameter sort walks
  (study, name, value, number)) and every other condition is a scalar subquery, one
  probe of a unique index per row: a nested loop that stops at the page's LIMIT;
- a filter that matches few trials (at most NARROW) drives instead: its matches are
  read from its index, checked, then sorted;
- missing values sort last: the trials that have a sort value in order, then, past
  them, those without, by number; each part follows one index.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import FloatField, Q, QuerySet, Subquery
from django.db.models.expressions import OuterRef
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast

from ..core.paramcolumns import column_of, column_value
from ..core.space import SearchSpace
from ..core.trialquery import TrialQuery
from ..models import Study, Trial, TrialParam

NULLABLE_COLUMNS = ("value", "duration_ms")
NARROW = 500  # a filter matching at most this many trials drives the query (and is counted exactly)


@dataclass
class NumberPlan:
    """Querysets of trial numbers: ``present`` (sorted) then ``absent`` (by number)."""

    present: QuerySet
    absent: QuerySet | None
    matching: QuerySet  # every match, unordered: what a count reads
    filtered_by_param: bool
    narrow: bool  # driven by a filter's few matches: counting them all is cheap


def _column(space: SearchSpace, name: str) -> str:
    return "num_value" if column_of(space[name]) == "num" else "text_value"


def _condition(query: TrialQuery, space: SearchSpace, name: str, column: str) -> Q:
    """``query``'s conditions on parameter ``name``, as lookups on ``column``."""
    condition = Q()
    for r in query.ranges:
        if r.name == name and r.low is not None:
            condition &= Q(**{f"{column}__gte": r.low})
        if r.name == name and r.high is not None:
            condition &= Q(**{f"{column}__lte": r.high})
    for choice_name, allowed in query.choices:
        if choice_name == name:
            condition &= Q(**{f"{column}__in": [column_value(space[name], v) for v in allowed]})
    return condition


def _filtered_names(query: TrialQuery) -> list[str]:
    return list(dict.fromkeys([r.name for r in query.ranges] + [name for name, _ in query.choices]))


def _probed(rows: QuerySet, query: TrialQuery, space: SearchSpace, trial_ref: str, skip: str | None) -> QuerySet:
    """``rows`` kept where each filtered parameter (but ``skip``) passes: one probe each."""
    for i, name in enumerate(n for n in _filtered_names(query) if n != skip):
        alias = f"_param{i}"
        column = _column(space, name)
        value = TrialParam.objects.filter(trial_id=OuterRef(trial_ref), name=name).order_by().values(column)[:1]
        rows = rows.alias(**{alias: Subquery(value)}).filter(_condition(query, space, name, alias))
    return rows


def _narrowest(study: Study, query: TrialQuery, space: SearchSpace) -> QuerySet | None:
    """The trial ids of the filter with the fewest matches, if it has at most NARROW."""
    best, fewest = None, NARROW + 1
    for name in _filtered_names(query):
        column = _column(space, name)
        hits = TrialParam.objects.filter(_condition(query, space, name, column), study=study, name=name).order_by()
        n = hits.values("pk")[:fewest].count()  # an index-only range scan of at most NARROW + 1 entries
        if n < fewest:
            best, fewest = hits.values("trial_id"), n
    return best


def number_plan(study: Study, query: TrialQuery, space: SearchSpace) -> NumberPlan:
    names = _filtered_names(query)
    candidates = _narrowest(study, query, space) if names else None
    if query.sort_param is not None:
        return _by_param(study, query, space, query.sort_param, candidates)
    rows = _probed(Trial.objects.filter(study=study), query, space, "id", None)
    if candidates is not None:
        rows = rows.filter(id__in=candidates)
    if query.states:
        rows = rows.filter(state__in=query.states)
    key = query.sort_key
    narrow = candidates is not None
    if query.sort_objective is not None:
        # Several objectives: the i-th value of the stored list (no index; such studies are small).
        rows = rows.alias(objective=Cast(KeyTransform(str(query.sort_objective), "objective_values"), FloatField()))
        key = "objective"
    if query.sort_metric is not None:
        # A returned metric (no index: selectors.trials allows it for small studies only).
        rows = rows.alias(objective=Cast(KeyTextTransform(query.sort_metric, "metrics"), FloatField()))
        key = "objective"
    order = [f"-{key}" if query.descending else key] + ([] if key == "number" else ["number"])
    if key not in (*NULLABLE_COLUMNS, "objective"):
        return NumberPlan(_numbers(rows.order_by(*order)), None, rows.order_by(), bool(names), narrow)
    present = rows.filter(**{f"{key}__isnull": False}).order_by(*order)
    absent = rows.filter(**{f"{key}__isnull": True}).order_by("number")
    return NumberPlan(_numbers(present), _numbers(absent), rows.order_by(), bool(names), narrow)


def _by_param(
    study: Study, query: TrialQuery, space: SearchSpace, name: str, candidates: QuerySet | None
) -> NumberPlan:
    column = _column(space, name)
    rows = TrialParam.objects.filter(_condition(query, space, name, column), study=study, name=name)
    rows = _probed(rows, query, space, "trial_id", name)
    if candidates is not None:
        rows = rows.filter(trial_id__in=candidates)
    if query.states:
        state = Trial.objects.filter(pk=OuterRef("trial_id")).order_by().values("state")[:1]
        rows = rows.alias(trial_state=Subquery(state)).filter(trial_state__in=query.states)
    ordered = f"-{column}" if query.descending else column
    present = rows.filter(**{f"{column}__isnull": False}).order_by(ordered, "number")
    absent = rows.filter(**{f"{column}__isnull": True}).order_by("number")
    filtered = bool(_filtered_names(query))
    return NumberPlan(_numbers(present), _numbers(absent), rows.order_by(), filtered, candidates is not None)


def _numbers(rows: QuerySet) -> QuerySet:
    return rows.values_list("number", flat=True)
