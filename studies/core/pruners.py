"""Pruners: decide from intermediate values whether a running trial should stop early.

A pruner sees the running trial's objective values so far and frozen snapshots of the
other trials; it never touches storage. Comparison follows Optuna's percentile rule:
the trial's best value so far against the chosen percentile of completed trials'
values at the same step, with the percentile mirrored for maximisation.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .errors import SpecError
from .limits import key_path, shown
from .trials import Direction, FrozenTrial, TrialState


class Pruner(ABC):
    @abstractmethod
    def should_prune(
        self, step: int, intermediate: Mapping[int, float], others: Sequence[FrozenTrial], direction: Direction
    ) -> bool:
        """``intermediate``: the running trial's objective values by step, ``step`` included."""


class NopPruner(Pruner):
    def should_prune(self, step, intermediate, others, direction) -> bool:
        return False


class PercentilePruner(Pruner):
    def __init__(self, percentile: float, n_warmup_steps: int = 0, n_min_trials: int = 1):
        self.percentile = percentile
        self.n_warmup_steps = n_warmup_steps
        self.n_min_trials = n_min_trials

    def should_prune(self, step, intermediate, others, direction) -> bool:
        if step < self.n_warmup_steps or not intermediate:
            return False
        peers = [t.intermediate[step] for t in others if t.state is TrialState.COMPLETED and step in t.intermediate]
        if len(peers) < max(self.n_min_trials, 1):
            return False
        own_best = direction.best(intermediate.values())
        if direction is Direction.MINIMIZE:
            return own_best > float(np.percentile(peers, self.percentile))
        return own_best < float(np.percentile(peers, 100.0 - self.percentile))


class MedianPruner(PercentilePruner):
    def __init__(self, n_warmup_steps: int = 0, n_min_trials: int = 1):
        super().__init__(50.0, n_warmup_steps, n_min_trials)


PRUNER_TYPES = ("none", "median", "percentile")
# Step and trial counts beyond any study's size (spec.MAX_TRIALS) mean nothing, and
# bounded integers fit every database column they reach.
MAX_PRUNER_COUNT = 10_000_000
_PRUNER_FIELDS = {
    "none": {"type"},
    "median": {"type", "n_warmup_steps", "n_min_trials"},
    "percentile": {"type", "n_warmup_steps", "n_min_trials", "percentile"},
}


def parse_pruner(raw: Any) -> dict:
    """Validate a pruner config and return it with defaults filled in."""
    if raw is None:
        return {"type": "none"}
    if not isinstance(raw, dict):
        raise SpecError([("", 'must be an object such as {"type": "median"}')])
    kind = raw.get("type")
    if kind not in PRUNER_TYPES:
        raise SpecError([("type", f"must be one of {', '.join(PRUNER_TYPES)} (got {shown(kind)})")])
    errors = [
        (key_path("", key), f"is not a field of the {kind} pruner; allowed: {', '.join(sorted(_PRUNER_FIELDS[kind]))}")
        for key in sorted(set(raw) - _PRUNER_FIELDS[kind])
    ]
    config = {"type": kind}
    if kind != "none":
        for key, default in (("n_warmup_steps", 0), ("n_min_trials", 1)):
            value = raw.get(key, default)
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_PRUNER_COUNT:
                errors.append((key, f"must be a non-negative integer, at most {MAX_PRUNER_COUNT} (got {shown(value)})"))
            config[key] = value
    if kind == "percentile":
        value = raw.get("percentile")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 100:
            errors.append(("percentile", f"must be a number between 0 and 100, exclusive (got {shown(value)})"))
        config["percentile"] = value
    if errors:
        raise SpecError(errors)
    return config


def make_pruner(config: Mapping[str, Any]) -> Pruner:
    kind = config.get("type", "none")
    if kind == "median":
        return MedianPruner(config.get("n_warmup_steps", 0), config.get("n_min_trials", 1))
    if kind == "percentile":
        return PercentilePruner(config["percentile"], config.get("n_warmup_steps", 0), config.get("n_min_trials", 1))
    return NopPruner()
