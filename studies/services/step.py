"""What an internal write step did: its result and the events it owes the log.

Internal steps (``_..._without_commit``) change rows inside a transaction their caller
owns and return a ``Step``; the public service that opened the transaction appends
the events of all its steps at once, in order. A step never appends, so two steps run
in one transaction (``finish_and_claim``) emit exactly what they would alone.

A step may also leave ``writes``: statements whose answer nothing waits for (a new
trial's rows), which the public service sends with the events in one round trip.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from ..payloads import Payload
from ..statements import Statement

T = TypeVar("T")


@dataclass(frozen=True)
class Step(Generic[T]):
    result: T
    events: list[Payload] = field(default_factory=list)
    writes: list[Statement] = field(default_factory=list)
