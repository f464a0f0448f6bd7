"""Pareto dominance and the incremental front (DESIGN.md section 9).

Objectives come with their directions; every comparison here first turns a vector into
minimisation form (``to_minimise``), so "smaller is better" holds for each coordinate.
The front is kept as a list of ``(key, values)`` pairs in the caller's own keys (trial
numbers), so the service that stores it can change only the rows that moved.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TypeVar

from .trials import Direction

K = TypeVar("K", bound=Hashable)
Point = tuple[float, ...]


def to_minimise(values: Sequence[float], directions: Sequence[Direction]) -> Point:
    """``values`` with each maximised coordinate negated: smaller is better throughout."""
    return tuple(v if d is Direction.MINIMIZE else -v for v, d in zip(values, directions, strict=True))


def dominates(a: Sequence[float], b: Sequence[float], directions: Sequence[Direction]) -> bool:
    """True when ``a`` is no worse than ``b`` in every objective and better in one."""
    ma, mb = to_minimise(a, directions), to_minimise(b, directions)
    return all(x <= y for x, y in zip(ma, mb, strict=True)) and ma != mb


def insert(
    front: Sequence[tuple[K, Sequence[float]]], key: K, values: Sequence[float], directions: Sequence[Direction]
) -> tuple[list[tuple[K, Sequence[float]]], bool]:
    """Add one point to a front: ``(new front, whether it changed)``.

    A point dominated by a member leaves the front as it was; otherwise it joins and the
    members it dominates leave. Equal vectors do not dominate each other, so both stay:
    two trials with the same values are both Pareto-optimal. O(front size).
    """
    if any(dominates(other, values, directions) for _, other in front):
        return list(front), False
    kept = [(k, v) for k, v in front if not dominates(values, v, directions)]
    kept.append((key, values))
    return kept, True


def front_of(
    points: Sequence[tuple[K, Sequence[float]]], directions: Sequence[Direction]
) -> list[tuple[K, Sequence[float]]]:
    """The non-dominated points, in their given order (by successive ``insert``)."""
    front: list[tuple[K, Sequence[float]]] = []
    for key, values in points:
        front, _ = insert(front, key, values, directions)
    order = {key: i for i, (key, _) in enumerate(points)}
    return sorted(front, key=lambda item: order[item[0]])
