"""Plot series for large studies: bounded point counts, best-so-far lines, rate and ETA."""

from __future__ import annotations

import math
from collections.abc import Iterable

from .trials import Direction

HISTORY_POINTS = 3000  # at most this many points in the optimization-history plot
SAMPLE_POINTS = 2000  # trials behind parallel coordinates, slice and importance


def bucket_width(n_rows: int, last_number: int, max_rows: int) -> int:
    """Trial numbers per bucket so that at most ``max_rows`` buckets cover 0..last_number."""
    if n_rows <= max_rows:
        return 1
    return max(1, math.ceil((last_number + 1) / max_rows))


def best_so_far(points: Iterable[tuple[float, float]], direction: Direction) -> tuple[list[float], list[float]]:
    """Step line of the best value seen up to each x, keeping only the x where it changes.

    ``points`` are (x, value) in x order; the result starts at the first point and ends
    at the last x, so the line spans the whole plot.
    """
    xs: list[float] = []
    ys: list[float] = []
    best = None
    last_x = None
    for x, value in points:
        last_x = x
        if value is None or not math.isfinite(value):
            continue
        if best is None or direction.better(value, best):
            best = value
            xs.append(x)
            ys.append(value)
    if best is not None and last_x is not None and xs[-1] != last_x:
        xs.append(last_x)
        ys.append(best)
    return xs, ys


def rate_and_eta(done_here: int, elapsed_seconds: float, remaining: int) -> tuple[float | None, float | None]:
    """Trials per second and seconds left; None when there is nothing to measure yet."""
    if done_here <= 0 or elapsed_seconds <= 0:
        return None, None
    rate = done_here / elapsed_seconds
    return rate, (remaining / rate if remaining > 0 else 0.0)
