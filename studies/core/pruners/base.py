"""The pruner interface, and the checks its constructors share.

A pruner sees the running trial's objective values so far and frozen snapshots of the
other trials; it never touches storage. Each pruner class names its spec ``type`` and
its options with their defaults; ``parse_config`` validates a spec section by calling
the constructor, so the constructor's checks are the only ones and a pruner built in
code is held to the same rules as one read from a spec.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from ..errors import SpecError
from ..limits import key_path, shown
from ..trials import Direction, FrozenTrial, TrialState

# The default of an option that has none: the spec must give it.
REQUIRED = object()
# Step and trial counts beyond any study's size (spec.MAX_TRIALS) mean nothing, and
# bounded integers fit every database column they reach.
MAX_PRUNER_COUNT = 10_000_000


@dataclass(frozen=True)
class PeerQuery:
    """The peers a pruning decision compares with, for the storage side to fetch.

    Each peer in ``states`` that reported the objective at ``step`` or later (and before
    ``before``, when given) comes with its first such value, by step, as ``intermediate``.
    """

    step: int
    states: frozenset[TrialState] = frozenset({TrialState.COMPLETED})
    before: int | None = None

    @property
    def exact(self) -> bool:
        return self.before == self.step + 1


class Pruner(ABC):
    # The spec's ``pruner.type`` for this class.
    kind: ClassVar[str]
    # Option name -> default (or REQUIRED), in the order the normalised config lists them.
    options: ClassVar[Mapping[str, object]] = {}

    def peer_query(
        self, step: int, intermediate: Mapping[int, float], *, number: int | None = None
    ) -> PeerQuery | None:
        """Which peers a report at ``step`` is judged against; None: no judgement, go on.

        The default: completed trials' values at exactly ``step``.
        """
        return PeerQuery(step=step, before=step + 1)

    @abstractmethod
    def should_prune(
        self,
        step: int,
        intermediate: Mapping[int, float],
        others: Sequence[FrozenTrial],
        direction: Direction,
        *,
        number: int | None = None,
    ) -> bool:
        """``intermediate``: the running trial's objective values by step, ``step`` included.

        ``others``: the peers ``peer_query`` asked for; ``number``: the judged trial's
        number (pruners whose judgement depends on the trial itself need it).
        """

    @classmethod
    def parse_config(cls, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Validate this pruner's spec section and return it with defaults filled in.

        Raises SpecError with paths relative to the pruner object (``n_warmup_steps``).
        """
        allowed = {"type", *cls.options}
        errors = [
            (key_path("", key), f"is not a field of the {cls.kind} pruner; allowed: {', '.join(sorted(allowed))}")
            for key in sorted(set(raw) - allowed)
        ]
        values = {
            name: raw.get(name, None if default is REQUIRED else default) for name, default in cls.options.items()
        }
        try:
            cls(**values)
        except SpecError as exc:
            errors.extend(exc.errors)
        if errors:
            raise SpecError(errors)
        return {"type": cls.kind, **values}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Pruner:
        """The pruner a normalised config (``parse_config``'s result) describes."""
        return cls(**{name: config[name] for name in cls.options if name in config})


class ArgumentChecks:
    """Collects constructor-argument violations; ``done()`` raises them all at once.

    SpecError is a ValueError whose paths are the argument names, so a bad argument
    in code reads ``n_warmup_steps: must be a non-negative integer (got -1)`` and a bad
    spec field gets the same message under ``pruner.n_warmup_steps``.
    """

    def __init__(self) -> None:
        self.errors: list[tuple[str, str]] = []

    def non_negative_int(self, name: str, value: object) -> None:
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_PRUNER_COUNT:
            self.errors.append(
                (name, f"must be a non-negative integer, at most {MAX_PRUNER_COUNT} (got {shown(value)})")
            )

    def int_at_least(self, name: str, value: object, low: int) -> None:
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= MAX_PRUNER_COUNT:
            self.errors.append((name, f"must be an integer from {low} to {MAX_PRUNER_COUNT} (got {shown(value)})"))

    def open_interval(self, name: str, value: object, low: float, high: float) -> None:
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not (math.isfinite(value) and low < value < high)
        ):
            self.errors.append((name, f"must be a number between {low:g} and {high:g}, exclusive (got {shown(value)})"))

    def done(self) -> None:
        if self.errors:
            raise SpecError(self.errors)
