"""The trial table's query string: sort, state filter, parameter ranges and a page.

Parsed against the study's search space so a typo names the field and the fix
(``min.lrr: no parameter named 'lrr'; parameters are lr, layers``) instead of
silently matching nothing. No Django: the read module turns a TrialQuery into SQL.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import SpecError
from .space import AnyDimension, CategoricalDimension, SearchSpace
from .trials import TrialState

SORT_COLUMNS = ("number", "value", "duration_ms", "state")
PARAM_SORT_PREFIX = "param."
METRIC_SORT_PREFIX = "metric."  # a returned metric: no index, so bounded by the study's size (selectors)
OBJECTIVE_SORT = re.compile(r"objective\.([0-3])")
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class ParamRange:
    name: str
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class TrialQuery:
    sort: str = "number"  # a column or "param.<name>", "-" prefix for descending
    states: tuple[str, ...] = ()  # empty: every state
    ranges: tuple[ParamRange, ...] = ()
    choices: tuple[tuple[str, tuple[Any, ...]], ...] = ()  # (categorical name, allowed values)
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE

    @property
    def descending(self) -> bool:
        return self.sort.startswith("-")

    @property
    def sort_key(self) -> str:
        return self.sort.lstrip("-")

    @property
    def sort_param(self) -> str | None:
        key = self.sort_key
        return key[len(PARAM_SORT_PREFIX) :] if key.startswith(PARAM_SORT_PREFIX) else None

    @property
    def sort_metric(self) -> str | None:
        """``metric.<name>`` sorts by a metric the trials returned."""
        key = self.sort_key
        return key[len(METRIC_SORT_PREFIX) :] if key.startswith(METRIC_SORT_PREFIX) else None

    @property
    def sort_objective(self) -> int | None:
        """Several objectives: ``objective.<i>`` sorts by the i-th objective's value."""
        match = OBJECTIVE_SORT.fullmatch(self.sort_key)
        return int(match.group(1)) if match else None


def _first(raw: Mapping[str, Sequence[str]], key: str) -> str | None:
    values = raw.get(key) or []
    return values[-1] if values else None


def _positive_int(text: str | None, name: str, default: int, maximum: int, errors: list[tuple[str, str]]) -> int:
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        errors.append((name, f"must be a whole number, got {text!r}"))
        return default
    if not 1 <= value <= maximum:
        errors.append((name, f"must be between 1 and {maximum}, got {value}"))
        return default
    return value


def _number(text: str, name: str, errors: list[tuple[str, str]]) -> float | None:
    try:
        value = float(text)
    except ValueError:
        errors.append((name, f"must be a number, got {text!r}"))
        return None
    if not math.isfinite(value):
        errors.append((name, "must be a finite number"))
        return None
    return value


def _choice(dim: CategoricalDimension, text: str) -> Any:
    """A query-string value back to the choice it names (choices may be numbers or booleans)."""
    for choice in dim.choices:
        if text == str(choice) or (isinstance(choice, bool) and text == str(choice).lower()):
            return choice
    raise ValueError(text)


def parse_trial_query(raw: Mapping[str, Sequence[str]], space: SearchSpace) -> TrialQuery:
    """Read ``sort``, ``state``, ``min.<p>``, ``max.<p>``, ``in.<p>``, ``page``, ``page_size``.

    Raises SpecError listing every bad field.
    """
    errors: list[tuple[str, str]] = []
    sort = _sort(raw, space, errors)
    states = _states(raw, errors)
    bounds, choices = _param_filters(raw, space, errors)
    page = _positive_int(_first(raw, "page"), "page", 1, 10**9, errors)
    page_size = _positive_int(_first(raw, "page_size"), "page_size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, errors)
    if errors:
        raise SpecError(errors)
    return TrialQuery(
        sort=sort,
        states=tuple(states),
        ranges=tuple(ParamRange(name, b["low"], b["high"]) for name, b in bounds.items()),
        choices=tuple((name, tuple(values)) for name, values in choices.items()),
        page=page,
        page_size=page_size,
    )


def _known(space: SearchSpace) -> str:
    return ", ".join(space.names) or "(none)"


def _sort(raw: Mapping[str, Sequence[str]], space: SearchSpace, errors: list[tuple[str, str]]) -> str:
    sort = _first(raw, "sort") or "number"
    key = sort.lstrip("-")
    if key.startswith(PARAM_SORT_PREFIX):
        if key[len(PARAM_SORT_PREFIX) :] not in space.names:
            errors.append(
                ("sort", f"no parameter named {key[len(PARAM_SORT_PREFIX) :]!r}; parameters are {_known(space)}")
            )
    elif key.startswith(METRIC_SORT_PREFIX):
        if not key[len(METRIC_SORT_PREFIX) :]:
            errors.append(("sort", "metric.<name> needs a metric's name"))
    elif key not in SORT_COLUMNS and not OBJECTIVE_SORT.fullmatch(key):
        errors.append(
            (
                "sort",
                f"must be one of {', '.join(SORT_COLUMNS)}, param.<name>, metric.<name> or objective.<0-3>, "
                f"optionally with a leading '-', got {sort!r}",
            )
        )
    return sort


def _states(raw: Mapping[str, Sequence[str]], errors: list[tuple[str, str]]) -> list[str]:
    states: list[str] = []
    for value in raw.get("state", []):
        for item in filter(None, value.split(",")):
            if item not in {s.value for s in TrialState}:
                errors.append(("state", f"{item!r} is not a trial state; use {', '.join(s.value for s in TrialState)}"))
            elif item not in states:
                states.append(item)
    return states


Bounds = dict[str, dict[str, float | None]]
Choices = dict[str, list[Any]]


def _param_filters(
    raw: Mapping[str, Sequence[str]], space: SearchSpace, errors: list[tuple[str, str]]
) -> tuple[Bounds, Choices]:
    """``min.<p>``/``max.<p>`` bounds of numeric parameters, ``in.<p>`` choices of categorical ones."""
    bounds: Bounds = {}
    choices: Choices = {}
    for key in raw:
        kind, dot, name = key.partition(".")
        if not dot or kind not in ("min", "max", "in"):
            continue
        if name not in space.names:
            errors.append((key, f"no parameter named {name!r}; parameters are {_known(space)}"))
        elif kind == "in":
            _read_choices(raw, key, space[name], choices, errors)
        else:
            _read_bound(raw, key, space[name], bounds, errors)
    return bounds, choices


def _read_choices(
    raw: Mapping[str, Sequence[str]], key: str, dim: AnyDimension, choices: Choices, errors: list[tuple[str, str]]
) -> None:
    name = dim.name
    if not isinstance(dim, CategoricalDimension):
        errors.append((key, f"{name} is numeric; filter it with min.{name} and max.{name}"))
        return
    for text in raw[key]:
        try:
            choices.setdefault(name, []).append(_choice(dim, text))
        except ValueError:
            errors.append((key, f"{text!r} is not a choice of {name}; choices are {', '.join(map(str, dim.choices))}"))


def _read_bound(
    raw: Mapping[str, Sequence[str]], key: str, dim: AnyDimension, bounds: Bounds, errors: list[tuple[str, str]]
) -> None:
    name = dim.name
    if isinstance(dim, CategoricalDimension):
        errors.append((key, f"{name} is categorical; filter it with in.{name}=<choice>"))
        return
    given = _first(raw, key)
    if not given:
        return
    number = _number(given, key, errors)
    if number is not None:
        bounds.setdefault(name, {"low": None, "high": None})["low" if key.startswith("min.") else "high"] = number
