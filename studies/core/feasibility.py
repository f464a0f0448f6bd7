"""Constraints on reported metrics: ``{"metric", "min"?, "max"?}`` (DESIGN.md section 9)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Constraint:
    metric: str
    min: float | None = None
    max: float | None = None

    def holds(self, value: float | None) -> bool:
        if value is None:
            return False  # a constraint metric not reported cannot be trusted to hold
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)

    def violation(self, value: float) -> float:
        """How far ``value`` lies outside the bounds (0 inside): for plots and ranking."""
        below = self.min - value if self.min is not None else 0.0
        above = value - self.max if self.max is not None else 0.0
        return max(below, above, 0.0)

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {"metric": self.metric}
        if self.min is not None:
            out["min"] = self.min
        if self.max is not None:
            out["max"] = self.max
        return out


def is_feasible(metrics: Mapping[str, float], constraints: Sequence[Constraint]) -> bool:
    """Every constraint metric is reported and within its bounds."""
    return all(c.holds(metrics.get(c.metric)) for c in constraints)
