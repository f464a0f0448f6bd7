"""Search spaces: parse, validate and map dimensions to and from the unit interval.

A space is an ordered list of dimensions. Numeric dimensions map to [0, 1] (on a log
axis for ``scale: log``) so samplers can work in one normalised cube; categorical
dimensions map to choice indices. A dimension with ``when`` is active only while each
named parent is active and holds one of the listed values; dimensions are kept in an
order where parents come before their children.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .conditions import has_cycle, parents_first
from .errors import SpecError
from .limits import (
    DIMENSION_NAME_RULE,
    MAX_CHOICES,
    MAX_DIMENSIONS,
    check_choices,
    is_dimension_name,
    key_path,
    number_problem,
    scalar_problem,
    shown,
)

SCALAR_TYPES = (str, int, float, bool, type(None))


def json_equal(a: Any, b: Any) -> bool:
    """Equality as JSON sees it: ``True`` is not ``1``, but ``1`` is ``1.0``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return bool(a == b)


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass(frozen=True)
class Dimension:
    name: str
    # ((parent name, (allowed values...)), ...); empty when unconditional.
    when: tuple[tuple[str, tuple[Any, ...]], ...] = field(default=(), kw_only=True)

    type = "abstract"

    def contains(self, value: Any) -> bool:
        raise NotImplementedError

    def spec_fields(self) -> dict[str, Any]:
        raise NotImplementedError

    def to_spec(self) -> dict[str, Any]:
        spec = {"name": self.name, "type": self.type, **self.spec_fields()}
        if self.when:
            spec["when"] = {parent: list(values) for parent, values in self.when}
        return spec


@dataclass(frozen=True)
class NumericDimension(Dimension):
    low: float
    high: float
    log: bool = False

    def _axis(self) -> tuple[float, float]:
        """The interval that [0, 1] maps onto linearly (in log space on a log scale)."""
        raise NotImplementedError

    def axis(self) -> tuple[float, float]:
        """The interval that [0, 1] maps onto linearly, for vectorised ``to_unit``."""
        return self._axis()

    def _value_at(self, u: float) -> float:
        lo, hi = self._axis()
        x = lo + u * (hi - lo)
        return math.exp(x) if self.log else x

    def from_unit(self, u: float) -> float:
        raise NotImplementedError

    def to_unit(self, value: float) -> float:
        lo, hi = self._axis()
        x = math.log(value) if self.log else value
        return (x - lo) / (hi - lo)

    def spec_fields(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high, "scale": "log" if self.log else "linear"}


@dataclass(frozen=True)
class FloatDimension(NumericDimension):
    type = "float"

    def _axis(self) -> tuple[float, float]:
        if self.log:
            return math.log(self.low), math.log(self.high)
        return self.low, self.high

    def from_unit(self, u: float) -> float:
        # The ends map exactly: exp(log(low)) can miss low by an ulp.
        if u <= 0.0:
            return self.low
        if u >= 1.0:
            return self.high
        return min(max(self._value_at(u), self.low), self.high)

    def contains(self, value: Any) -> bool:
        return is_number(value) and math.isfinite(value) and self.low <= value <= self.high


@dataclass(frozen=True)
class IntDimension(NumericDimension):
    type = "int"

    def _axis(self) -> tuple[float, float]:
        # Each integer owns an equal-width bucket on the (log) axis, so a uniform u
        # picks integers uniformly on that axis and to_unit(v) is its bucket's centre.
        lo, hi = self.low - 0.5, self.high + 0.5
        if self.log:
            return math.log(lo), math.log(hi)
        return lo, hi

    def from_unit(self, u: float) -> int:
        value = round(self._value_at(min(max(u, 0.0), 1.0)))
        return int(min(max(value, self.low), self.high))

    def contains(self, value: Any) -> bool:
        return is_number(value) and float(value).is_integer() and self.low <= value <= self.high


@dataclass(frozen=True)
class CategoricalDimension(Dimension):
    choices: tuple[Any, ...]

    type = "categorical"

    def index(self, value: Any) -> int:
        for i, choice in enumerate(self.choices):
            if json_equal(choice, value):
                return i
        raise ValueError(f"{value!r} is not a choice of {self.name}")

    def contains(self, value: Any) -> bool:
        return any(json_equal(choice, value) for choice in self.choices)

    def spec_fields(self) -> dict[str, Any]:
        return {"choices": list(self.choices)}


# Every concrete dimension: code that handles each kind is checked for all of them.
AnyDimension = FloatDimension | IntDimension | CategoricalDimension


class SearchSpace:
    """An ordered, validated set of dimensions (parents before children)."""

    def __init__(self, dimensions: Iterable[AnyDimension]):
        self.dimensions: tuple[AnyDimension, ...] = tuple(dimensions)
        self._by_name = {d.name: d for d in self.dimensions}

    def __iter__(self) -> Iterator[AnyDimension]:
        return iter(self.dimensions)

    def __len__(self) -> int:
        return len(self.dimensions)

    def __getitem__(self, name: str) -> AnyDimension:
        return self._by_name[name]

    @property
    def names(self) -> list[str]:
        return [d.name for d in self.dimensions]

    @property
    def is_conditional(self) -> bool:
        return any(d.when for d in self.dimensions)

    def is_active(self, dim: Dimension, params: Mapping[str, Any]) -> bool:
        """True when every parent named in ``dim.when`` is set to an allowed value.

        Parents come first in the space's order, so when building a configuration
        dimension by dimension an inactive parent is already absent from ``params``.
        """
        for parent, allowed in dim.when:
            if parent not in params:
                return False
            if not any(json_equal(params[parent], v) for v in allowed):
                return False
        return True

    def problems(self, params: Mapping[str, Any]) -> list[str]:
        """What is wrong with a configuration; empty when it is valid for this space."""
        found = []
        for dim in self.dimensions:
            active = self.is_active(dim, params)
            if active and dim.name not in params:
                found.append(f"{dim.name} is active but missing")
            elif not active and dim.name in params:
                found.append(f"{dim.name} is set but its condition does not hold")
            elif active and not dim.contains(params[dim.name]):
                found.append(f"{dim.name}={params[dim.name]!r} is outside the dimension")
        for name in params:
            if name not in self._by_name:
                found.append(f"{name} is not a dimension of the space")
        return found

    def to_spec(self) -> list[dict[str, Any]]:
        return [d.to_spec() for d in self.dimensions]


# --- parsing ---------------------------------------------------------------------

_COMMON_FIELDS = {"name", "type", "when"}
_FIELDS = {
    "float": _COMMON_FIELDS | {"low", "high", "scale"},
    "int": _COMMON_FIELDS | {"low", "high", "scale"},
    "categorical": _COMMON_FIELDS | {"choices"},
}


def parse_space(raw: Any, stored: bool = False) -> SearchSpace:
    """Build a SearchSpace from its JSON form, or raise SpecError naming every problem.

    Paths in the errors are relative (``[2].low``); the caller prefixes them.
    ``stored``: a space read back from a saved study. It passed the rules of its day;
    the name and size rules added since are not applied again, so an older study
    still opens (its names are shown as text anyway).
    """
    if not isinstance(raw, list) or not raw:
        raise SpecError([("", "must be a non-empty list of dimensions")])
    if len(raw) > MAX_DIMENSIONS and not stored:
        raise SpecError([("", f"has {len(raw)} dimensions; at most {MAX_DIMENSIONS} are allowed")])
    errors: list[tuple[str, str]] = []
    dims: list[AnyDimension] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(raw):
        dim = _parse_dimension(item, f"[{i}]", errors, stored)
        if dim is None:
            continue
        if dim.name in seen:
            errors.append(
                (f"[{i}].name", f"duplicate name {dim.name!r} (also at [{seen[dim.name]}]); names must be unique")
            )
            continue
        seen[dim.name] = i
        dims.append(dim)
    if not errors:
        _check_conditions(dims, seen, errors)
    if errors:
        raise SpecError(errors)
    return SearchSpace(parents_first(dims))


def _parse_dimension(item: Any, path: str, errors: list[tuple[str, str]], stored: bool = False) -> AnyDimension | None:
    if not isinstance(item, dict):
        errors.append((path, "must be an object with name and type"))
        return None
    before = len(errors)
    name: Any = item.get("name")
    if not (is_dimension_name(name) or (stored and isinstance(name, str) and name)):
        errors.append((f"{path}.name", f"{DIMENSION_NAME_RULE} (got {shown(name)})"))
    kind = item.get("type")
    if not isinstance(kind, str) or kind not in _FIELDS:
        errors.append((f"{path}.type", f"must be one of float, int, categorical (got {shown(kind)})"))
        return None
    for key in sorted(set(item) - _FIELDS[kind]):
        errors.append(
            (key_path(path, key), f"is not a field of a {kind} dimension; allowed: {', '.join(sorted(_FIELDS[kind]))}")
        )
    when = _parse_when(item.get("when"), f"{path}.when", errors, stored)
    if kind == "categorical":
        check_choices(item.get("choices"), f"{path}.choices", errors, stored)
        if len(errors) > before:
            return None
        return CategoricalDimension(name, tuple(item["choices"]), when=when)
    return _parse_numeric(item, kind, name, when, path, errors, before)


def _parse_numeric(
    item: dict[str, Any],
    kind: str,
    name: str,
    when: tuple[tuple[str, tuple[Any, ...]], ...],
    path: str,
    errors: list[tuple[str, str]],
    before: int,
) -> AnyDimension | None:
    low: Any = item.get("low")
    high: Any = item.get("high")
    for key, value in (("low", low), ("high", high)):
        if value is None:
            errors.append((f"{path}.{key}", f"is required for a {kind} dimension"))
        elif not is_number(value):
            errors.append((f"{path}.{key}", f"must be a finite number (got {shown(value)})"))
        elif (problem := number_problem(value)) is not None:
            errors.append((f"{path}.{key}", problem))
        elif kind == "int" and not float(value).is_integer():
            errors.append((f"{path}.{key}", f"must be an integer for an int dimension (got {shown(value)})"))
    scale = item.get("scale", "linear")
    if scale not in ("linear", "log"):
        errors.append((f"{path}.scale", f"must be 'linear' or 'log' (got {shown(scale)})"))
    if len(errors) > before:
        return None
    if low >= high:
        errors.append((f"{path}.low", f"must be less than high (got low={low}, high={high})"))
    elif not math.isfinite(float(high) - float(low)):
        # Samplers interpolate between the bounds; an infinite width would make NaN values.
        errors.append((f"{path}.high", f"high - low must be a finite number (got low={low}, high={high})"))
    elif scale == "log" and low <= 0:
        errors.append(
            (f"{path}.low", f"must be greater than 0 on a log scale (got {low}); use scale 'linear' or a positive low")
        )
    if len(errors) > before:
        return None
    if kind == "int":
        return IntDimension(name, int(low), int(high), log=scale == "log", when=when)
    return FloatDimension(name, float(low), float(high), log=scale == "log", when=when)


def _parse_when(
    raw: Any, path: str, errors: list[tuple[str, str]], stored: bool = False
) -> tuple[tuple[str, tuple[Any, ...]], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict) or not raw:
        errors.append((path, "must be an object mapping a parent dimension to its allowed values"))
        return ()
    when = []
    for parent, values in raw.items():
        if not (is_dimension_name(parent) or (stored and parent)):
            errors.append(
                (key_path(path, parent), f"names no possible dimension: a parent's name {DIMENSION_NAME_RULE}")
            )
            continue
        if not isinstance(values, list):
            values = [values]
        if not values or len(values) > MAX_CHOICES:
            errors.append((f"{path}.{parent}", f"must be a list of 1 to {MAX_CHOICES} of the parent's values"))
            continue
        problems = [(j, p) for j, p in ((j, scalar_problem(v)) for j, v in enumerate(values)) if p is not None]
        for j, problem in problems:
            errors.append((f"{path}.{parent}[{j}]", problem))
        if not problems:
            when.append((parent, tuple(values)))
    return tuple(when)


def _check_conditions(dims: list[AnyDimension], index: dict[str, int], errors: list[tuple[str, str]]) -> None:
    by_name = {d.name: d for d in dims}
    for dim in dims:
        path = f"[{index[dim.name]}].when"
        for parent_name, values in dim.when:
            parent = by_name.get(parent_name)
            if parent is None:
                errors.append(
                    (f"{path}.{parent_name}", f"names a missing dimension {parent_name!r}; declare it in search_space")
                )
            elif parent is dim:
                errors.append((f"{path}.{parent_name}", "a dimension cannot depend on itself"))
            elif isinstance(parent, FloatDimension):
                errors.append((f"{path}.{parent_name}", "a condition may only name a categorical or int dimension"))
            else:
                for v in values:
                    if not parent.contains(v):
                        errors.append((f"{path}.{parent_name}", f"{shown(v)} is not a value of {parent_name}"))
    if not errors and has_cycle(dims):
        errors.append(("", "conditions form a cycle; a dimension's parents must not depend on it"))
