"""Turning what an executor returned into the trial's objective value and metrics."""

from __future__ import annotations

import math
from typing import Any

from .errors import ObjectiveError
from .limits import is_number


def objective_from_result(result: Any, metric: str) -> tuple[float, dict[str, float]]:
    """Return ``(objective value, final metrics)`` or raise ObjectiveError.

    An executor returns either a bare number (the objective metric) or a mapping of
    metric name to number. Non-numeric, NaN and infinite values are refused with a
    message that says which metric and what to return instead.
    """
    if is_number(result):
        metrics = {metric: float(result)}
    elif isinstance(result, dict):
        metrics = {}
        for name, value in result.items():
            if not is_number(value):
                raise ObjectiveError(f"metric {name!r} is {value!r}; executors must return numbers")
            metrics[str(name)] = float(value)
        if metric not in metrics:
            got = ", ".join(sorted(metrics)) or "nothing"
            raise ObjectiveError(
                f"objective metric {metric!r} missing from the result (got {got}); return it or fix objective.metric"
            )
    else:
        raise ObjectiveError(
            f"executor returned {type(result).__name__}; return a number or a dict of metric name to number"
        )
    for name, value in metrics.items():
        if not math.isfinite(value):
            raise ObjectiveError(f"metric {name!r} is {value}; the objective must be a finite number")
    return metrics[metric], metrics


def check_reported(metrics: dict[str, Any]) -> dict[str, float]:
    """Validate intermediate values passed to ``trial.report``."""
    if not metrics:
        raise ObjectiveError("report() needs at least one metric, e.g. trial.report(step, accuracy=0.9)")
    clean = {}
    for name, value in metrics.items():
        if not is_number(value):
            raise ObjectiveError(f"reported metric {name!r} is {value!r}; report numbers")
        if not math.isfinite(value):
            raise ObjectiveError(f"reported metric {name!r} is {value}; intermediate values must be finite")
        clean[name] = float(value)
    return clean
