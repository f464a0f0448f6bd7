"""Analytic test functions as executors (each returns the value to minimise)."""

from __future__ import annotations

from studies.core.testfunctions import TEST_FUNCTIONS

from .registry import registry


def _as_executor(test_function):
    def run(params, trial):
        return test_function.fn(params)

    run.__name__ = run.__qualname__ = test_function.name
    return run


_DESCRIPTIONS = {
    "branin": "Branin, 2-D (x1 in [-5, 10], x2 in [0, 15]); minimum 0.397887",
    "hartmann6": "Hartmann, 6-D (x1..x6 in [0, 1]); minimum -3.32237",
    "rosenbrock4": "Rosenbrock, 4-D (x1..x4 in [-5, 10]); minimum 0",
    "levy5": "Levy, 5-D (x1..x5 in [-10, 10]); minimum 0",
    "mixed": "lr (log-float), layers (int), activation (categorical); minimum 0 at 1e-3, 3, relu",
}

for _fn in TEST_FUNCTIONS.values():
    registry.register(_fn.name, _as_executor(_fn), _DESCRIPTIONS[_fn.name])
