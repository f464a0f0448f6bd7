"""Frozen snapshots of trials, as samplers and pruners see them (never a queryset)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class TrialState(str, Enum):
    WAITING = "waiting"
    RUNNING = "running"
    COMPLETED = "completed"
    PRUNED = "pruned"
    FAILED = "failed"

    @property
    def is_terminal(self) -> bool:
        return self in (TrialState.COMPLETED, TrialState.PRUNED, TrialState.FAILED)


TERMINAL_STATES = tuple(s.value for s in TrialState if s.is_terminal)


class Direction(str, Enum):
    MINIMIZE = "minimize"
    MAXIMIZE = "maximize"

    def better(self, a: float, b: float) -> bool:
        """True when ``a`` is strictly better than ``b``."""
        return a < b if self is Direction.MINIMIZE else a > b

    def best(self, values: Iterable[float]) -> float:
        return min(values) if self is Direction.MINIMIZE else max(values)


@dataclass(frozen=True)
class FrozenTrial:
    number: int
    state: TrialState
    params: Mapping[str, Any]
    value: float | None = None
    # Objective metric reported at each step (step -> value), for pruners and samplers.
    intermediate: Mapping[int, float] = field(default_factory=dict)
    pruned_step: int | None = None
    # Completed trials of a study with several objectives or constraints: every
    # objective's value (the spec's order) and the final metrics (constraint values).
    values: tuple[float, ...] | None = None
    metrics: Mapping[str, float] = field(default_factory=dict)

    @property
    def is_finished(self) -> bool:
        return self.state.is_terminal

    def last_intermediate(self) -> float | None:
        if not self.intermediate:
            return None
        return self.intermediate[max(self.intermediate)]


@dataclass(frozen=True)
class TrialOutcome:
    """How a trial ended, before it is stored: exactly one of the three kinds."""

    state: TrialState
    value: float | None = None
    metrics: Mapping[str, float] = field(default_factory=dict)
    pruned_step: int | None = None
    error: str = ""
    traceback: str = ""

    @classmethod
    def completed(cls, value: float, metrics: Mapping[str, float]) -> TrialOutcome:
        return cls(TrialState.COMPLETED, value=value, metrics=dict(metrics))

    @classmethod
    def pruned(cls, step: int | None, reason: str = "") -> TrialOutcome:
        return cls(TrialState.PRUNED, pruned_step=step, error=reason)

    @classmethod
    def failed(cls, error: str, traceback: str = "") -> TrialOutcome:
        return cls(TrialState.FAILED, error=error, traceback=traceback)
