"""Bayesian optimisation with several objectives and constraints.

Method, 2-3 objectives: one GP per objective and exact expected hypervolume
improvement (EHVI, see ``ehvi``), times a probability of feasibility (Gardner et al.,
2014; see ``feasibility_model``). With 4 objectives, or one objective with constraints:
ParEGO (Knowles, 2006) with the same constraint handling.
- EHVI: each objective's values over the fitted trials are standardised (linearly, so
  hypervolume keeps its geometry) and modelled by the single-objective sampler's GP.
  The front is that of the feasible completed trials plus the running ones at their
  predicted values; the reference point lies beyond the front's nadir (a quarter of
  the way to the worst values observed, see ``REFERENCE_REACH``). Why EHVI rather
  than random scalarisations: it values a candidate by how much of the whole front it
  may move, so it fills gaps and extends the ends where ParEGO's one random weight per
  trial explores a single direction (median hypervolume on ZDT1 after 50 trials:
  ParEGO 11.70 over 2 seeds, EHVI 11.74 over 3; bench/multiobjective.py). Its box
  count grows as (front size + 1)^(d-1), hence ParEGO for 4 objectives, and a
  thinned front (extremes kept) for the boxes in 3.
- ParEGO: each suggestion draws a weight vector from the uniform distribution on the
  simplex (seeded by the study seed and trial number), normalises every objective to
  [0, 1] over the completed trials and scalarises them with the augmented Chebyshev
  function max_j(w_j·f_j) + 0.05·Σ w_j·f_j; one GP fits that scalar and log EI picks the
  point (the incumbent is the best *feasible* scalar).
- Constraints: until a feasible trial exists the sampler maximises the probability of
  feasibility alone; after that it insists on predicted-feasible points.
- Parallel-aware as the single-objective sampler: running and waiting trials are
  kriging-believer fantasies in every model, running/failed configurations are never
  re-proposed.
- Bounded cost: each objective model sees at most ``MAX_OBJECTIVE_POINTS`` trials (the
  least dominated half of the budget plus a seeded random draw of the rest), each
  constraint model ``feasibility_model.MAX_CONSTRAINT_POINTS``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..goals import Goals
from ..pareto import to_minimise
from ..space import SearchSpace
from ..trials import Direction, FrozenTrial, TrialState
from .acquisition import LogEI, candidates, polish_acquisition
from .bayesian import BLAS, MAX_POINTS, BayesianSampler, standardise
from .ehvi import LogEHVI, box_limit, domination_counts, nondominated_boxes, thin_front
from .encoding import ParamsKey, params_key
from .feasibility_model import Acquisition, ConstrainedAcquisition, constraint_bounds, nearest_half_and_random
from .gp import Array, fit

AUGMENTATION = 0.05
MAX_OBJECTIVE_POINTS = 80
EHVI_OBJECTIVES = (2, 3)
# EHVI's reference point: a quarter of the way from the front's nadir to the worst values
# observed, plus a tenth of the observed range. At the nadir itself extending the front's
# ends is worth almost nothing (on ZDT2 the runs missed the f1 = 0 end: HV@50 11.33);
# halfway out the ends crowd out the middle of a 3-objective front (DTLZ2 HV@100 9.80).
# A quarter did better on both (11.41 and 9.91; bench/multiobjective.py, 3 seeds).
REFERENCE_REACH = 0.25
REFERENCE_MARGIN = 0.1
MAX_INCUMBENTS = 16
POOL_UNIFORM, POOL_LOCAL = 1024, 512
POLISH_STARTS, POLISH_STEPS = 4, 20


def chebyshev(minimised: Array, weights: Array) -> Array:
    """Augmented Chebyshev scalarisation of objectives normalised to [0, 1] over the rows."""
    low, high = minimised.min(axis=0), minimised.max(axis=0)
    normal = (minimised - low) / np.where(high > low, high - low, 1.0)
    weighted = normal * weights
    scalar: Array = weighted.max(axis=1) + AUGMENTATION * weighted.sum(axis=1)
    return scalar


@dataclass
class Seen:
    """The history as the models need it: completed trials encoded, minimised and judged."""

    x: Array  # encoded params of completed trials
    vectors: Array  # their objectives, minimised
    feasible: Array  # bool per completed trial
    running: list[Mapping[str, Any]]
    failed: list[Mapping[str, Any]]


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
        seen = Seen(
            np.array([self.encoding.encode(t.params) for t in done]),
            np.array([self._vector(t) for t in done], dtype=float),
            np.array([self.goals.feasible(t.metrics) for t in done], dtype=bool),
            running,
            failed,
        )
        use_ehvi = len(self.goals.objectives) in EHVI_OBJECTIVES
        base, incumbents = (self._hypervolume if use_ehvi else self._parego)(seen, rng)
        if self.goals.constraints and not seen.feasible.any():
            base = None  # nothing feasible to improve on yet: look for feasibility first
        bounds = constraint_bounds(self.goals, self.encoding, done, running, rng)
        if base is None and not bounds:
            return self._random_unseen(rng, avoid)
        acquisition = ConstrainedAcquisition(base, bounds, insist=bool(seen.feasible.any()))
        for row in self._maximise(acquisition, incumbents, rng):
            params = self.encoding.decode(row)
            if params_key(params) not in avoid:
                return params
        return self._random_unseen(rng, avoid)

    def _hypervolume(self, seen: Seen, rng: np.random.Generator) -> tuple[Acquisition | None, Array]:
        """log EHVI of one GP per objective over the feasible front (running trials included as believed)."""
        keep = nearest_half_and_random(domination_counts(seen.vectors).astype(float), MAX_OBJECTIVE_POINTS, rng)
        centre, spread = seen.vectors.mean(axis=0), seen.vectors.std(axis=0)
        spread = np.where(spread > 0, spread, 1.0)
        scaled = (seen.vectors - centre) / spread
        gps = [fit(seen.x[keep], scaled[keep, j], self.encoding.is_categorical) for j in range(scaled.shape[1])]
        front = scaled[seen.feasible]
        if seen.running:
            xs = np.array([self.encoding.encode(p) for p in seen.running])
            front = np.vstack([front, np.column_stack([gp.append_running(xs) for gp in gps])])
        front = front[domination_counts(front) == 0] if len(front) else front
        if len(front) == 0:
            return None, seen.x[:0]
        nadir, worst = front.max(axis=0), scaled.max(axis=0)
        reference = nadir + REFERENCE_REACH * (worst - nadir) + REFERENCE_MARGIN * np.ptp(scaled, axis=0)
        lower, upper = nondominated_boxes(thin_front(front, box_limit(scaled.shape[1]), rng), reference)
        on_front = seen.feasible & (domination_counts(np.where(seen.feasible[:, None], scaled, np.inf)) == 0)
        incumbents = seen.x[on_front][:MAX_INCUMBENTS]
        return LogEHVI(gps, lower, upper), incumbents

    def _parego(self, seen: Seen, rng: np.random.Generator) -> tuple[Acquisition | None, Array]:
        """log EI of one GP on a random augmented Chebyshev scalarisation (failed trials count as its worst)."""
        weights = rng.dirichlet(np.ones(seen.vectors.shape[1]))
        scalar = chebyshev(seen.vectors, weights)
        x = np.vstack([seen.x, *(self.encoding.encode(p)[None] for p in seen.failed)])
        y = np.concatenate([scalar, np.full(len(seen.failed), scalar.max())])
        ok = np.concatenate([seen.feasible, np.zeros(len(seen.failed), dtype=bool)])
        keep = nearest_half_and_random(y, MAX_POINTS, rng)
        x, y, ok = x[keep], y[keep], ok[keep]
        incumbents = x[np.argsort(np.where(ok, y, np.inf), kind="stable")[:5]]
        if np.ptp(y) == 0:
            return None, incumbents
        y = standardise(y)
        gp = fit(x, y, self.encoding.is_categorical)
        if seen.running:
            gp.append_running(np.array([self.encoding.encode(p) for p in seen.running]))
        return LogEI(gp, float(y[ok].min()) if ok.any() else float(y.min())), incumbents

    def _maximise(self, acquisition: Acquisition, incumbents: Array, rng: np.random.Generator) -> Array:
        """Candidate rows, best first: a scored pool (uniform and near the incumbents), its best few polished.

        Smaller than the single-objective maximiser's (several models to evaluate per
        point): a suggestion at 200 trials of history must stay well under 0.3 s.
        """
        pool = candidates(self.encoding, incumbents, POOL_UNIFORM, POOL_LOCAL if len(incumbents) else 0, rng)
        scores = acquisition(pool)
        starts = pool[np.argsort(-scores, kind="stable")[:POLISH_STARTS]]
        polished = self.encoding.canonical(polish_acquisition(acquisition, self.encoding, starts, POLISH_STEPS))
        rows = np.vstack([polished, pool])
        values = np.concatenate([acquisition(polished), scores])
        ordered: Array = rows[np.argsort(-values, kind="stable")]
        return ordered

    def _vector(self, t: FrozenTrial) -> tuple[float, ...] | None:
        values = t.values if t.values is not None else ((t.value,) if t.value is not None else None)
        if values is None or len(values) != len(self.goals.objectives) or not all(map(math.isfinite, values)):
            return None
        return to_minimise(values, self.goals.directions)
