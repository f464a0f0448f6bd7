"""Configurations: checking one given by a user (``enqueue``) against a search space, and
telling two apart (``params_key``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import SpecError
from .space import AnyDimension, IntDimension, SearchSpace


def check_params(space: SearchSpace, raw: Any, path: str = "params") -> dict[str, Any]:
    """The configuration, normalised (integers as ``int``), or SpecError naming each field.

    The same rules as a sampled configuration: every active dimension set and inside
    its range or choices, no inactive or unknown names.
    """
    if not isinstance(raw, dict):
        raise SpecError([(path, 'must be an object of dimension name to value, like {"x": 0.5}')])
    errors = []
    for dim in space:
        field = f"{path}.{dim.name}"
        active = space.is_active(dim, raw)
        if active and dim.name not in raw:
            errors.append((field, "is missing; this dimension is active, give it a value"))
        elif not active and dim.name in raw:
            conditions = "; ".join(f"{parent} in {list(values)}" for parent, values in dim.when)
            errors.append((field, f"is set but inactive here (it needs {conditions}); remove it"))
        elif active and not dim.contains(raw[dim.name]):
            errors.append((field, f"is {raw[dim.name]!r}; expected {_expected(dim)}"))
    for name in raw:
        if name not in space.names:
            errors.append((f"{path}.{name}", f"is not a dimension of the space; dimensions: {', '.join(space.names)}"))
    if errors:
        raise SpecError(errors)
    return {
        name: int(value) if isinstance(space[name], IntDimension) else value
        for name, value in raw.items()
        if name in space.names
    }


def _expected(dim: AnyDimension) -> str:
    spec = dim.to_spec()
    if spec["type"] == "categorical":
        return f"one of {spec['choices']}"
    kind = "an integer" if spec["type"] == "int" else "a finite number"
    return f"{kind} from {spec['low']} to {spec['high']}"


ParamsKey = tuple[tuple[str, str, Any], ...]


def params_key(params: Mapping[str, Any]) -> ParamsKey:
    """A hashable identity of a configuration (type-aware, so True is not 1)."""
    return tuple(sorted((k, type(v).__name__ if isinstance(v, bool) else "", v) for k, v in params.items()))
