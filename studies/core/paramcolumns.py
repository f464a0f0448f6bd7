"""A trial's parameters as typed columns, so filters and sorts by a parameter use indexes.

Each dimension is stored in one of two columns, fixed by the search space:

- ``num``: float and int dimensions, and categorical ones whose choices are all numbers
  (sorted numerically, as the JSON values were);
- ``text``: other categorical ones; a string choice is itself, a boolean ``true`` or
  ``false``, a number its JSON text (so a mixed list of choices sorts as text).

An inactive conditional parameter has a row with both columns empty: "missing last"
sorts and counts then read the same index as the present values.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

from .space import AnyDimension, CategoricalDimension, SearchSpace

Column = Literal["num", "text"]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def column_of(dim: AnyDimension) -> Column:
    if isinstance(dim, CategoricalDimension) and not all(_is_number(c) for c in dim.choices):
        return "text"
    return "num"


def choice_text(value: Any) -> str:
    """The text column's form of a categorical value."""
    return value if isinstance(value, str) else json.dumps(value)


def column_value(dim: AnyDimension, value: Any) -> float | str | None:
    """``value`` in ``dim``'s column; None when the parameter is absent."""
    if value is None:
        return None
    if column_of(dim) == "text":
        return choice_text(value)
    return float(value) if _is_number(value) else None


def param_columns(space: SearchSpace, params: Mapping[str, Any]) -> list[tuple[str, float | None, str | None]]:
    """``(name, num_value, text_value)`` for every dimension of ``space``, absent ones included."""
    rows: list[tuple[str, float | None, str | None]] = []
    for dim in space:
        value = column_value(dim, params.get(dim.name))
        if isinstance(value, str):
            rows.append((dim.name, None, value))
        else:
            rows.append((dim.name, value, None))
    return rows
