"""What an executor sees as ``trial``, and turning its return into a TrialOutcome."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from studies.core.errors import ObjectiveError
from studies.core.outcome import check_reported, objective_from_result
from studies.core.trials import TrialOutcome

from .registry import ExecutorFn, TrialPruned


class TrialContext:
    """``trial.report(step, **metrics)`` and ``trial.should_prune()`` for one trial.

    The callbacks hide where the trial runs: in-process they write to the database,
    in a child process they message the worker that owns the trial.
    """

    def __init__(
        self,
        number: int,
        params: dict[str, Any],
        on_report: Callable[[int, dict[str, float]], None],
        on_should_prune: Callable[[int], bool],
    ):
        self.number = number
        self.params = params
        self._on_report = on_report
        self._on_should_prune = on_should_prune
        self.last_step: int | None = None

    def report(self, step: int, **metrics: float) -> None:
        if not isinstance(step, int) or isinstance(step, bool) or step < 0:
            raise ValueError(f"report() step must be a non-negative integer (got {step!r})")
        clean = check_reported(metrics)
        self.last_step = step
        self._on_report(step, clean)

    def should_prune(self) -> bool:
        if self.last_step is None:
            return False
        return bool(self._on_should_prune(self.last_step))


def run_executor(fn: ExecutorFn, context: TrialContext, metric: str) -> TrialOutcome:
    """Call the executor; every way it can end becomes exactly one outcome."""
    try:
        result = fn(dict(context.params), context)
    except TrialPruned as exc:
        step = context.last_step
        return TrialOutcome.pruned(step, str(exc) or f"pruned at step {step}")
    except Exception as exc:  # any executor error fails this trial only
        return TrialOutcome.failed(f"{type(exc).__name__}: {exc}", traceback.format_exc())
    try:
        value, metrics = objective_from_result(result, metric)
    except ObjectiveError as exc:
        return TrialOutcome.failed(str(exc))
    return TrialOutcome.completed(value, metrics)
