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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.special import log_ndtr

from ..goals import Goals
from ..pareto import to_minimise
from ..space import SearchSpace
from ..trials import Direction, FrozenTrial, TrialState
from .acquisition import LogEI, maximise_acquisition
from .bayesian import BLAS, MAX_POINTS, BayesianSampler, standardise
from .encoding import ParamsKey, params_key
from .gp import Array, GaussianProcess, fit

AUGMENTATION = 0.05
LOG_NORMAL_PDF = -0.5 * math.log(2 * math.pi)


@dataclass
class Bound:
    """One side of a constraint in the model's standardised units: ``value <= limit`` or ``>=``."""

    gp: GaussianProcess
    limit: float
    upper: bool


class ConstrainedLogEI:
    """log EI (or nothing, before a feasible trial) plus Σ log P(bound holds)."""

    def __init__(self, base: LogEI | None, bounds: list[Bound]) -> None:
        self.base, self.bounds = base, bounds

    def __call__(self, xs: Array) -> Array:
        total = self.base(xs) if self.base is not None else np.zeros(len(xs))
        for b in self.bounds:
            mean, var = b.gp.predict(xs)
            total = total + log_ndtr(self._z(b, mean, np.sqrt(var)))
        return total

    @staticmethod
    def _z(b: Bound, mean: Array, sigma: Array) -> Array:
        z: Array = (b.limit - mean) / sigma if b.upper else (mean - b.limit) / sigma
        return z

    def with_grad(self, xs: Array) -> tuple[Array, Array]:
        if self.base is not None:
            total, grad = self.base.with_grad(xs)
        else:
            total, grad = np.zeros(len(xs)), np.zeros(xs.shape)
        for b in self.bounds:
            mean, var, dmean, dvar = b.gp.predict_with_grad(xs)
            sigma = np.sqrt(var)
            z = self._z(b, mean, sigma)
            dsigma = dvar / (2.0 * sigma[:, None])
            sign = -1.0 if b.upper else 1.0
            dz = (sign * dmean - z[:, None] * dsigma) / sigma[:, None]
            log_cdf = log_ndtr(z)
            ratio = np.exp(LOG_NORMAL_PDF - 0.5 * z * z - log_cdf)  # d log Φ(z) / dz
            total = total + log_cdf
            grad = grad + ratio[:, None] * dz
        return total, grad


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
        keep = _subsample_index(y, MAX_POINTS, rng)
        x, y, ok = x[keep], y[keep], ok[keep]
        base = None
        if np.ptp(y) > 0:
            y = standardise(y)
            gp = fit(x, y, self.encoding.is_categorical)
            if running:
                gp.append_running(np.array([self.encoding.encode(p) for p in running]))
            base = LogEI(gp, float(y[ok].min())) if ok.any() or not self.goals.constraints else None
        bounds = self._constraint_bounds(done, running, rng)
        if base is None and not bounds:
            return self._random_unseen(rng, avoid)
        incumbents = x[np.argsort(np.where(ok, y, np.inf), kind="stable")[:5]]
        rows, _ = maximise_acquisition(ConstrainedLogEI(base, bounds), self.encoding, incumbents, rng)
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

    def _constraint_bounds(
        self, done: Sequence[FrozenTrial], running: Sequence[Mapping[str, Any]], rng: np.random.Generator
    ) -> list[Bound]:
        """A GP per constrained metric that varies, with its bounds in standardised units."""
        bounds: list[Bound] = []
        for c in self.goals.constraints:
            seen = [(t.params, t.metrics[c.metric]) for t in done if math.isfinite(t.metrics.get(c.metric, math.nan))]
            values = np.array([v for _, v in seen], dtype=float)
            if len(seen) < 2 or np.ptp(values) == 0:
                continue  # nothing to learn: the bound holds or fails everywhere seen
            keep = _subsample_index(values, MAX_POINTS, rng)
            centre, scale = values.mean(), values.std()
            x = np.array([self.encoding.encode(seen[i][0]) for i in keep])
            gp = fit(x, (values[keep] - centre) / scale, self.encoding.is_categorical)
            if running:
                gp.append_running(np.array([self.encoding.encode(p) for p in running]))
            if c.max is not None:
                bounds.append(Bound(gp, (c.max - centre) / scale, upper=True))
            if c.min is not None:
                bounds.append(Bound(gp, (c.min - centre) / scale, upper=False))
        return bounds


def _subsample_index(y: Array, budget: int, rng: np.random.Generator) -> npt.NDArray[np.intp]:
    """At most ``budget`` indices: the lowest half of the budget and a seeded random draw of the rest."""
    order = np.argsort(y, kind="stable")
    if len(y) <= budget:
        return order
    rest = rng.choice(order[budget // 2 :], size=budget - budget // 2, replace=False)
    index: npt.NDArray[np.intp] = np.concatenate([order[: budget // 2], rest])
    return index
