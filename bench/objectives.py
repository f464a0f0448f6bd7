"""The benchmark's objectives as plain functions, shared by both systems (no imports)."""

import time


def trivial_objective(x: float, y: float) -> float:
    return x * x + y


def sleeping_objective(x: float) -> float:
    time.sleep(0.2)
    return x


def short_objective(x: float) -> float:
    time.sleep(0.02)
    return x
