"""The graph of ``when`` conditions: cycle detection and a parents-first order.

Both are iterative on purpose: a long chain of conditions listed children-first must
not exhaust the stack (the spec caps a space at MAX_DIMENSIONS dimensions).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, TypeVar


class Conditional(Protocol):
    """What the graph needs of a dimension: its name and its parents' conditions."""

    @property
    def name(self) -> str: ...

    @property
    def when(self) -> tuple[tuple[str, tuple[Any, ...]], ...]: ...


D = TypeVar("D", bound=Conditional)


def has_cycle(dims: Sequence[Conditional]) -> bool:
    """Kahn's algorithm: a cycle is whatever never loses all its parents.

    Iterative on purpose: a long chain listed children-first must not exhaust the stack.
    """
    waiting = {d.name: len(d.when) for d in dims}
    children: dict[str, list[str]] = {d.name: [] for d in dims}
    for d in dims:
        for parent, _ in d.when:
            children[parent].append(d.name)
    ready = [name for name, count in waiting.items() if count == 0]
    placed = 0
    while ready:
        name = ready.pop()
        placed += 1
        for child in children[name]:
            waiting[child] -= 1
            if waiting[child] == 0:
                ready.append(child)
    return placed < len(dims)


def parents_first(dims: Sequence[D]) -> list[D]:
    """Stable topological order: declared order, except a child waits for its parents."""
    placed: set[str] = set()
    ordered: list[D] = []
    pending = list(dims)
    while pending:
        for dim in pending:
            if all(p in placed for p, _ in dim.when):
                ordered.append(dim)
                placed.add(dim.name)
                pending.remove(dim)
                break
    return ordered
