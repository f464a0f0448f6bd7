"""Analytic test functions with known optima, for executors, tests and benchmarks.

Each entry gives the function (params dict -> value, to minimise), its search space
in spec form and its known minimum, so simple regret can be computed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


def branin(p: dict[str, Any]) -> float:
    x1, x2 = p["x1"], p["x2"]
    b, c, r, s, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 6.0, 10.0, 1 / (8 * math.pi)
    return float((x2 - b * x1**2 + c * x1 - r) ** 2 + s * (1 - t) * math.cos(x1) + s)


_H6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
_H6_A = np.array(
    [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
)
_H6_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)


def hartmann6(p: dict[str, Any]) -> float:
    x = np.array([p[f"x{i}"] for i in range(1, 7)])
    return float(-np.sum(_H6_ALPHA * np.exp(-np.sum(_H6_A * (x - _H6_P) ** 2, axis=1))))


def rosenbrock(p: dict[str, Any]) -> float:
    x = np.array([p[k] for k in sorted(p, key=lambda k: int(k[1:]))])
    return float(np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))


def levy(p: dict[str, Any]) -> float:
    x = np.array([p[k] for k in sorted(p, key=lambda k: int(k[1:]))])
    w = 1 + (x - 1) / 4
    head = math.sin(math.pi * w[0]) ** 2
    body = np.sum((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(math.pi * w[:-1] + 1) ** 2))
    tail = (w[-1] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[-1]) ** 2)
    return float(head + body + tail)


def _vector(p: dict[str, Any]) -> Any:
    return np.array([p[k] for k in sorted(p, key=lambda k: int(k[1:]))])


def ackley(p: dict[str, Any]) -> float:
    x = _vector(p)
    head = -20.0 * math.exp(-0.2 * math.sqrt(float(np.mean(x * x))))
    return float(head - math.exp(float(np.mean(np.cos(2 * math.pi * x)))) + 20.0 + math.e)


def rastrigin(p: dict[str, Any]) -> float:
    x = _vector(p)
    return float(10.0 * len(x) + np.sum(x * x - 10.0 * np.cos(2 * math.pi * x)))


def michalewicz(p: dict[str, Any]) -> float:
    x = _vector(p)
    i = np.arange(1, len(x) + 1)
    return float(-np.sum(np.sin(x) * np.sin(i * x * x / math.pi) ** 20))


# Branin in 20 dimensions: only x4 and x13 matter. A model must learn to ignore the
# other 18 columns (long length scales) to be as quick as on plain Branin.
BRANIN20_ACTIVE = ("x4", "x13")


def branin20(p: dict[str, Any]) -> float:
    return branin({"x1": p[BRANIN20_ACTIVE[0]], "x2": p[BRANIN20_ACTIVE[1]]})


_ACTIVATION_PENALTY = {"relu": 0.0, "tanh": 0.3, "sigmoid": 0.8}


def mixed(p: dict[str, Any]) -> float:
    """Log-float, int and categorical together; minimum 0 at lr=1e-3, layers=3, relu."""
    return float(
        (math.log10(p["lr"]) + 3.0) ** 2 / 4.0 + 0.1 * (p["layers"] - 3) ** 2 + _ACTIVATION_PENALTY[p["activation"]]
    )


def _box(prefix: str, dims: int, low: float, high: float) -> list[dict[str, Any]]:
    return [{"name": f"{prefix}{i}", "type": "float", "low": low, "high": high} for i in range(1, dims + 1)]


@dataclass(frozen=True)
class TestFunction:
    name: str
    fn: Callable[[dict[str, Any]], float]
    search_space: list[dict[str, Any]]
    optimum: float


TEST_FUNCTIONS = {
    f.name: f
    for f in (
        TestFunction(
            "branin",
            branin,
            [
                {"name": "x1", "type": "float", "low": -5.0, "high": 10.0},
                {"name": "x2", "type": "float", "low": 0.0, "high": 15.0},
            ],
            0.397887,
        ),
        TestFunction("hartmann6", hartmann6, _box("x", 6, 0.0, 1.0), -3.32237),
        TestFunction("rosenbrock4", rosenbrock, _box("x", 4, -5.0, 10.0), 0.0),
        TestFunction("levy5", levy, _box("x", 5, -10.0, 10.0), 0.0),
        TestFunction(
            "mixed",
            mixed,
            [
                {"name": "lr", "type": "float", "low": 1e-5, "high": 1.0, "scale": "log"},
                {"name": "layers", "type": "int", "low": 1, "high": 8},
                {"name": "activation", "type": "categorical", "choices": ["relu", "tanh", "sigmoid"]},
            ],
            0.0,
        ),
    )
}

# Multimodal, higher-dimensional and mostly-inactive functions for the sampler
# benchmark (bench/samplers.py). Not registered as executors.
EXTENDED_FUNCTIONS = {
    f.name: f
    for f in (
        TestFunction("ackley5", ackley, _box("x", 5, -32.768, 32.768), 0.0),
        TestFunction("rastrigin4", rastrigin, _box("x", 4, -5.12, 5.12), 0.0),
        TestFunction("michalewicz5", michalewicz, _box("x", 5, 0.0, math.pi), -4.687658),
        TestFunction("levy10", levy, _box("x", 10, -10.0, 10.0), 0.0),
        TestFunction("rosenbrock10", rosenbrock, _box("x", 10, -5.0, 10.0), 0.0),
        TestFunction(
            "branin20",
            branin20,
            [
                {"name": f"x{i}", "type": "float", "low": -5.0, "high": 10.0}
                if f"x{i}" == BRANIN20_ACTIVE[0]
                else {"name": f"x{i}", "type": "float", "low": 0.0, "high": 15.0}
                if f"x{i}" == BRANIN20_ACTIVE[1]
                else {"name": f"x{i}", "type": "float", "low": 0.0, "high": 1.0}
                for i in range(1, 21)
            ],
            0.397887,
        ),
    )
}
