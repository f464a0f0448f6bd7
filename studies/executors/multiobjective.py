"""Two-objective test problems as executors: each returns every objective (and more) by name."""

from __future__ import annotations

import math
from typing import Any

from .registry import registry


def zdt1(params: dict[str, Any], trial) -> dict[str, float]:
    """ZDT1 (Zitzler, Deb and Thiele, 2000) on x1..xn in [0, 1]: minimise f1 and f2.

    The Pareto front is f2 = 1 - sqrt(f1), reached when every x beyond the first is 0.
    ``distance`` (the x's beyond the first, summed) is there to constrain.
    """
    xs = [float(params[name]) for name in sorted(params, key=lambda n: int(n[1:]))]
    rest = xs[1:]
    g = 1.0 + 9.0 * sum(rest) / max(len(rest), 1)
    f1 = xs[0]
    return {"f1": f1, "f2": g * (1.0 - math.sqrt(f1 / g)), "distance": sum(rest)}


registry.register("zdt1", zdt1, "ZDT1, two objectives f1 and f2 to minimise (x1..xn in [0, 1]); also reports distance")
