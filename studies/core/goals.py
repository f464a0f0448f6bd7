"""What a study optimises: one objective or 2-4 of them, and constraints (DESIGN.md section 9).

``objective`` (one) and ``objectives`` (2-4) are alternatives; ``constraints`` go with
either. Every violation is collected with its path, as the rest of the spec parser does.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .feasibility import Constraint, is_feasible
from .limits import MAX_METRIC_LENGTH, key_path, shown, text_problem
from .space import is_number
from .trials import Direction

MIN_OBJECTIVES, MAX_OBJECTIVES = 2, 4
MAX_CONSTRAINTS = 20
Errors = list[tuple[str, str]]


@dataclass(frozen=True)
class Objective:
    metric: str
    direction: Direction

    def to_dict(self) -> dict[str, str]:
        return {"metric": self.metric, "direction": self.direction.value}


@dataclass(frozen=True)
class Goals:
    objectives: tuple[Objective, ...]
    constraints: tuple[Constraint, ...] = ()

    @property
    def is_multi(self) -> bool:
        return len(self.objectives) > 1

    @property
    def directions(self) -> tuple[Direction, ...]:
        return tuple(o.direction for o in self.objectives)

    @property
    def metrics(self) -> tuple[str, ...]:
        return tuple(o.metric for o in self.objectives)

    def values_of(self, metrics: Mapping[str, float]) -> list[float] | None:
        """The objective vector from a completed trial's metrics; None if one is missing."""
        if any(m not in metrics for m in self.metrics):
            return None
        return [float(metrics[m]) for m in self.metrics]

    def feasible(self, metrics: Mapping[str, float]) -> bool:
        return is_feasible(metrics, self.constraints)

    def to_spec(self) -> dict[str, Any]:
        out: dict[str, Any] = (
            {"objectives": [o.to_dict() for o in self.objectives]}
            if self.is_multi
            else {"objective": self.objectives[0].to_dict()}
        )
        if self.constraints:
            out["constraints"] = [c.to_dict() for c in self.constraints]
        return out


def parse_goals(raw: Mapping[str, Any], pruner: Mapping[str, Any] | None, errors: Errors) -> Goals | None:
    """Objectives and constraints of a raw spec; ``pruner`` the parsed pruner, if it parsed."""
    has_one, has_many = "objective" in raw, "objectives" in raw
    if has_one and has_many:
        errors.append(("objectives", "give either objective (one) or objectives (2-4), not both"))
        return None
    if has_many:
        objectives = _parse_objectives(raw["objectives"], errors)
        if objectives is not None and pruner is not None and pruner.get("type", "none") != "none":
            errors.append(("pruner", "pruners apply to single-objective studies only; remove it or use one objective"))
    else:
        one = parse_objective(raw.get("objective"), "objective", errors)
        objectives = None if one is None else (one,)
    constraints = _parse_constraints(raw.get("constraints", []), errors)
    if objectives is None or constraints is None:
        return None
    goals = Goals(objectives, constraints)
    return goals if _check_overlaps(goals, "objectives" if has_many else "objective", errors) else None


def parse_objective(raw: Any, path: str, errors: Errors) -> Objective | None:
    if not isinstance(raw, dict):
        errors.append((path, 'must be an object like {"metric": "accuracy", "direction": "maximize"}'))
        return None
    for key in sorted(set(raw) - {"metric", "direction"}):
        errors.append((key_path(path, key), "is not an objective field; allowed: direction, metric"))
    metric = _parse_metric(raw.get("metric"), f"{path}.metric", errors)
    try:
        direction = Direction(raw.get("direction")) if isinstance(raw.get("direction"), str) else None
    except ValueError:
        direction = None
    if direction is None:
        errors.append((f"{path}.direction", f"must be 'minimize' or 'maximize' (got {shown(raw.get('direction'))})"))
    if metric is None or direction is None:
        return None
    return Objective(metric, direction)


def _parse_metric(raw: Any, path: str, errors: Errors, role: str = "optimise") -> str | None:
    if not isinstance(raw, str) or not raw.strip():
        errors.append((path, f"must be the name of the metric to {role}"))
        return None
    if problem := text_problem(raw, MAX_METRIC_LENGTH):
        errors.append((path, problem))
        return None
    return raw


def _parse_objectives(raw: Any, errors: Errors) -> tuple[Objective, ...] | None:
    if not isinstance(raw, list) or not MIN_OBJECTIVES <= len(raw) <= MAX_OBJECTIVES:
        errors.append(
            (
                "objectives",
                f"must be a list of {MIN_OBJECTIVES} to {MAX_OBJECTIVES} objects like "
                '{"metric": "accuracy", "direction": "maximize"}; for one, use objective',
            )
        )
        return None
    parsed = [parse_objective(item, f"objectives[{i}]", errors) for i, item in enumerate(raw)]
    if any(o is None for o in parsed):
        return None
    return tuple(o for o in parsed if o is not None)


def _parse_constraints(raw: Any, errors: Errors) -> tuple[Constraint, ...] | None:
    if not isinstance(raw, list) or len(raw) > MAX_CONSTRAINTS:
        errors.append(
            (
                "constraints",
                f'must be a list of at most {MAX_CONSTRAINTS} objects like {{"metric": "memory", "max": 2}}',
            )
        )
        return None
    parsed = [_parse_constraint(item, f"constraints[{i}]", errors) for i, item in enumerate(raw)]
    if any(c is None for c in parsed):
        return None
    return tuple(c for c in parsed if c is not None)


def _parse_constraint(raw: Any, path: str, errors: Errors) -> Constraint | None:
    if not isinstance(raw, dict):
        errors.append((path, 'must be an object like {"metric": "memory", "max": 2}'))
        return None
    before = len(errors)
    for key in sorted(set(raw) - {"metric", "min", "max"}):
        errors.append((key_path(path, key), "is not a constraint field; allowed: max, metric, min"))
    metric = _parse_metric(raw.get("metric"), f"{path}.metric", errors, role="constrain")
    bounds: dict[str, float | None] = {}
    for side in ("min", "max"):
        value = raw.get(side)
        if value is not None and not (is_number(value) and math.isfinite(value)):
            errors.append((f"{path}.{side}", f"must be a finite number (got {shown(value)})"))
            value = None
        bounds[side] = None if value is None else float(value)
    low, high = bounds["min"], bounds["max"]
    if "min" not in raw and "max" not in raw:
        errors.append((path, "needs a bound: min, max or both"))
    elif low is not None and high is not None and low > high:
        errors.append((f"{path}.min", f"is {low:g}, above max {high:g}; no value could satisfy it"))
    if len(errors) > before or metric is None:
        return None
    return Constraint(metric, low, high)


def _check_overlaps(goals: Goals, objective_path: str, errors: Errors) -> bool:
    before = len(errors)
    seen: set[str] = set()
    for i, metric in enumerate(goals.metrics):
        if metric in seen:
            errors.append((f"{objective_path}[{i}].metric", f"repeats {shown(metric)}; each objective once"))
        seen.add(metric)
    constrained: set[str] = set()
    for i, c in enumerate(goals.constraints):
        if c.metric in seen:
            errors.append(
                (f"constraints[{i}].metric", f"{shown(c.metric)} is an objective; constrain other metrics only")
            )
        if c.metric in constrained:
            errors.append(
                (f"constraints[{i}].metric", f"repeats {shown(c.metric)}; give both bounds in one constraint")
            )
        constrained.add(c.metric)
    return len(errors) == before


def goals_from_stored(spec: Mapping[str, Any]) -> Goals:
    """The goals of a normalised spec read back from the database (validated when stored).

    Cheaper than ``parse_spec``: the finishing transaction needs only these fields.
    """
    raw = spec.get("objectives") or [spec["objective"]]
    objectives = tuple(Objective(o["metric"], Direction(o["direction"])) for o in raw)
    constraints = tuple(Constraint(c["metric"], c.get("min"), c.get("max")) for c in spec.get("constraints", []))
    return Goals(objectives, constraints)
