"""Pruner registry: spec ``pruner.type`` -> class.

Adding a pruner is a class (its ``kind``, ``options`` and a checked constructor) and
one entry in the tuple below; parsing, defaults and construction come from the base.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import SpecError
from ..limits import shown
from ..trials import Direction, FrozenTrial
from .base import PeerQuery, Pruner
from .halving import HyperbandPruner, RungPruner, SuccessiveHalvingPruner
from .percentile import MedianPruner, PercentilePruner

__all__ = [
    "PRUNERS",
    "PRUNER_TYPES",
    "HyperbandPruner",
    "MedianPruner",
    "NopPruner",
    "PeerQuery",
    "PercentilePruner",
    "Pruner",
    "SuccessiveHalvingPruner",
    "rung_grid",
    "trial_rungs",
]


class NopPruner(Pruner):
    """``{"type": "none"}``: never prunes."""

    kind = "none"

    def peer_query(
        self, step: int, intermediate: Mapping[int, float], *, number: int | None = None
    ) -> PeerQuery | None:
        return None

    def should_prune(
        self,
        step: int,
        intermediate: Mapping[int, float],
        others: Sequence[FrozenTrial],
        direction: Direction,
        *,
        number: int | None = None,
    ) -> bool:
        return False


PRUNERS: dict[str, type[Pruner]] = {
    cls.kind: cls for cls in (NopPruner, MedianPruner, PercentilePruner, SuccessiveHalvingPruner, HyperbandPruner)
}
PRUNER_TYPES = tuple(PRUNERS)


def parse_pruner(raw: Any) -> dict[str, Any]:
    """Validate a pruner config; paths in errors are relative to the pruner object."""
    if raw is None:
        return {"type": "none"}
    if not isinstance(raw, dict):
        raise SpecError([("", 'must be an object such as {"type": "median"}')])
    kind = raw.get("type")
    if not isinstance(kind, str) or kind not in PRUNERS:
        raise SpecError([("type", f"must be one of {', '.join(PRUNERS)} (got {shown(kind)})")])
    return PRUNERS[kind].parse_config(raw)


def make_pruner(config: Mapping[str, Any]) -> Pruner:
    return PRUNERS[config.get("type", "none")].from_config(config)


def trial_rungs(config: Mapping[str, Any], number: int, up_to: int) -> list[int]:
    """The steps up to ``up_to`` at which trial ``number`` is judged; [] for pruners without rungs."""
    pruner = make_pruner(config)
    if not isinstance(pruner, RungPruner):
        return []
    return [step for step in pruner.rungs_for(number) if step <= up_to]


def rung_grid(config: Mapping[str, Any], up_to: int) -> list[int]:
    """Every rung step of the study up to ``up_to`` (Hyperband: its brackets' rungs together)."""
    pruner = make_pruner(config)
    if isinstance(pruner, HyperbandPruner):
        steps = {step for bracket in range(pruner.n_brackets) for step in pruner.bracket_rungs(bracket)}
        return sorted(step for step in steps if step <= up_to)
    return trial_rungs(config, 0, up_to)
