"""Bayesian optimisation with several objectives and constraints.

Method: ParEGO (Knowles, 2006) with a constrained acquisition (Gardner et al., 2014).
- Each suggestion draws its own weight vector from the uniform distribution on the
  simplex (seeded by the study seed and trial number), normalises every objective to
  [0, 1] over the completed trials and scalarises them with the augmented Chebyshev
  function max_j(w_j·f_j) + 0.05·Σ w_j·f_j. Every Pareto-optimal point is the optimum of
  some weight vector (the max term reaches non-convex fronts, which a weighted sum
  cannot), so successive trials spread along the front.
- One GP (the single-objective sampler's model, target transform and logEI maximiser)
  fits that scalar. Why this rather than one GP per objective with expected
  hypervolume improvement: it costs one model fit per suggestion whatever the number
  of objectives, EHVI's cost grows with the front and with 3-4 objectives, and the
  parallel handling stays the single-objective one.
- Constraints: a GP per constrained metric; the acquisition is log EI plus the log
  probability that every bound holds (bounds of one metric treated independently). EI's
  incumbent is the best *feasible* scalar; until a feasible trial exists, the sampler
  maximises the probability of feasibility alone.
- Parallel-aware as the single-objective sampler: running and waiting trials are
  kriging-believer fantasies in every model, running/failed configurations are never
  re-proposed, failed ones count as the worst scalar.
- Bounded cost: each model sees at most ``MAX_POINTS`` trials (the best half of the
  budget by scalar, plus a seeded random draw of the rest).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..goals import Goals
from ..pareto import to_minimise
from ..space import SearchSpace
from ..trials import Direction, FrozenTrial, TrialState
from .acquisition import LogEI, maximise_acquisition
from .bayesian import BLAS, MAX_POINTS, BayesianSampler, standardise
from .encoding import ParamsKey, params_key
from .feasibility_model import ConstrainedAcquisition, constraint_bounds, nearest_half_and_random
from .gp import Array, fit

AUGMENTATION = 0.05


def chebyshev(minimised: Array, weights: Array) -> Array:
    """Augmented Chebyshev scalarisation of objectives normalised to [0, 1] over the rows."""
    low, high = minimised.min(axis=0), minimised.max(axis=0)
    normal = (minimised - low) / np.where(high > low, high - low, 1.0)
    weighted = normal * weights
    scalar: Array = weighted.max(axis=1) + AUGMENTATION * weighted.sum(axis=1)
    return scalar


class GoalsBayesianSampler(BayesianSampler):
    """``bayesian`` for studies with several objectives or with constraints."""

    def __init__(self, space: SearchSpace, direction: Direction, config: dict[str, Any], goals: Goals) -> None:
        super().__init__(space, direction, config)
        self.goals = goals

    def suggest(self, number: int, history: Sequence[FrozenTrial]) -> dict[str, Any]:
        if number < self.n_startup:
            return super().suggest(number, history)
        rng = np.random.default_rng([self.seed, number])
        with BLAS.limit(limits=1, user_api="blas"):
            return self._suggest_by_goals(rng, history)

    def _suggest_by_goals(self, rng: np.random.Generator, history: Sequence[FrozenTrial]) -> dict[str, Any]:
        done = [t for t in history if t.state is TrialState.COMPLETED and self._vector(t) is not None]
        running = [t.params for t in history if t.state in (TrialState.RUNNING, TrialState.WAITING)]
        failed = [t.params for t in history if t.state is TrialState.FAILED]
        avoid: set[ParamsKey] = {params_key(p) for p in [*running, *failed]}
        if len(done) < 2:
            return self._random_unseen(rng, avoid)
        weights = rng.dirichlet(np.ones(len(self.goals.objectives)))
        scalar = chebyshev(np.array([self._vector(t) for t in done]), weights)
        feasible = np.array([self.goals.feasible(t.metrics) for t in done])
        x = np.array([self.encoding.encode(p) for p in [*(t.params for t in done), *failed]])
        y = np.concatenate([scalar, np.full(len(failed), scalar.max())])
        ok = np.concatenate([feasible, np.zeros(len(failed), dtype=bool)])
        keep = nearest_half_and_random(y, MAX_POINTS, rng)
        x, y, ok = x[keep], y[keep], ok[keep]
        base = None
        if np.ptp(y) > 0:
            y = standardise(y)
            gp = fit(x, y, self.encoding.is_categorical)
            if running:
                gp.append_running(np.array([self.encoding.encode(p) for p in running]))
            base = LogEI(gp, float(y[ok].min())) if ok.any() or not self.goals.constraints else None
        bounds = constraint_bounds(self.goals, self.encoding, done, running, rng)
        if base is None and not bounds:
            return self._random_unseen(rng, avoid)
        incumbents = x[np.argsort(np.where(ok, y, np.inf), kind="stable")[:5]]
        acquisition = ConstrainedAcquisition(base, bounds, insist=bool(ok.any()))
        rows, _ = maximise_acquisition(acquisition, self.encoding, incumbents, rng)
        for row in rows:
            params = self.encoding.decode(row)
            if params_key(params) not in avoid:
                return params
        return self._random_unseen(rng, avoid)

    def _vector(self, t: FrozenTrial) -> tuple[float, ...] | None:
        values = t.values if t.values is not None else ((t.value,) if t.value is not None else None)
        if values is None or len(values) != len(self.goals.objectives) or not all(map(math.isfinite, values)):
            return None
        return to_minimise(values, self.goals.directions)
