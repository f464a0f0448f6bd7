"""Percentile and median pruning (Optuna's percentile rule).

The trial's best value so far is compared with the chosen percentile of completed
trials' values at the same step, the percentile mirrored for maximisation: with
``percentile=25`` only trials in the best quarter at that step go on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

import numpy as np

from ..trials import Direction, FrozenTrial, TrialState
from .base import REQUIRED, ArgumentChecks, PeerQuery, Pruner


class PercentilePruner(Pruner):
    kind = "percentile"
    options: ClassVar[Mapping[str, object]] = {"n_warmup_steps": 0, "n_min_trials": 1, "percentile": REQUIRED}

    def __init__(self, percentile: float, n_warmup_steps: int = 0, n_min_trials: int = 1) -> None:
        checks = ArgumentChecks()
        checks.open_interval("percentile", percentile, 0.0, 100.0)
        checks.non_negative_int("n_warmup_steps", n_warmup_steps)
        # 0 is accepted (and means 1) because stored specs may say so.
        checks.non_negative_int("n_min_trials", n_min_trials)
        checks.done()
        self._percentile = float(percentile)
        self._n_warmup_steps = n_warmup_steps
        self._n_min_trials = max(n_min_trials, 1)

    def peer_query(
        self, step: int, intermediate: Mapping[int, float], *, number: int | None = None
    ) -> PeerQuery | None:
        if step < self._n_warmup_steps or not intermediate:
            return None
        return super().peer_query(step, intermediate)

    def should_prune(
        self,
        step: int,
        intermediate: Mapping[int, float],
        others: Sequence[FrozenTrial],
        direction: Direction,
        *,
        number: int | None = None,
    ) -> bool:
        if step < self._n_warmup_steps or not intermediate:
            return False
        peers = [t.intermediate[step] for t in others if t.state is TrialState.COMPLETED and step in t.intermediate]
        if len(peers) < self._n_min_trials:
            return False
        own_best = direction.best(intermediate.values())
        if direction is Direction.MINIMIZE:
            return own_best > float(np.percentile(peers, self._percentile))
        return own_best < float(np.percentile(peers, 100.0 - self._percentile))


class MedianPruner(PercentilePruner):
    kind = "median"
    options: ClassVar[Mapping[str, object]] = {"n_warmup_steps": 0, "n_min_trials": 1}

    def __init__(self, n_warmup_steps: int = 0, n_min_trials: int = 1) -> None:
        super().__init__(50.0, n_warmup_steps, n_min_trials)
