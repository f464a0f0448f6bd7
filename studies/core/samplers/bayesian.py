"""Bayesian optimisation: a Gaussian process and log expected improvement.

Why this method: on budgets of tens to a few hundred trials, a GP with an ARD
Matérn-5/2 kernel and MAP hyperparameters is the most sample-efficient general
method known (it is BoTorch's and Optuna GPSampler's default); TPE needs more trials
because it models each dimension separately. Categorical columns use an overlap
distance, conditional columns a fixed filler (see ``encoding``), so one model serves
every space the spec allows.

What goes in, per suggestion (all deterministic given seed, trial number, history):
- The first ``n_startup`` trials (default 2·(d+1), capped at 10) are uniform random
  points fixed by (seed, trial number); see ``encoding.startup_point`` for why not Sobol.
- Targets are turned into minimisation, standardised and Yeo-Johnson transformed (as
  HEBO does), the exponent capped so only the tail of bad values is compressed: heavy
  tails such as Rosenbrock's would otherwise dominate the fit.
- Pruned trials count as observations no better than the median of completed ones
  (they were stopped for being worse than their peers), failed ones as the worst value
  seen: both push the search away, and failed params are also never re-proposed as-is.
- Running and waiting trials are "kriging believer" fantasies: added at their
  predicted mean, which removes the model's uncertainty (hence EI) around them, so
  parallel workers spread out. An exact repeat of a running or failed configuration is
  never returned.
- Three model-based trials in four maximise logEI inside a TuRBO-style trust region
  around the incumbent, the fourth over the whole space (see ``trust_region`` and
  ``GLOBAL_EVERY``): global EI alone spends many trials on corners and faces in four
  dimensions and more, the region alone settles in the first good basin.
- Cost stays bounded: past ``MAX_POINTS`` observations the model is fitted to a trust
  region (the half of that budget nearest the incumbent), the best of the others and a
  seeded random draw of the rest (see ``subsample``), so long runs keep refining the
  optimum; BLAS is kept single-threaded, see ``BLAS``. The hyperparameter fit starts
  from the study's previous fit when this process made it (``WARM_STARTS``, see
  ``warm_start`` for what that means for determinism).

What was tried for Hartmann-6, where this sampler lagged Optuna's GPSampler (20
seeds x 60 trials, runs that end in the global basin, regret < 0.01):
- Sobol startup of 14 points (before): 7/20. Independent L-BFGS-B per start, 200
  iterations: no seed changed basin in 8. Optuna-style starts (best candidate,
  roulette picks ∝ exp(logEI), the incumbent) with length-scale preconditioning: 8/20.
- No Yeo-Johnson transform, or length scales capped at 2: the same failing seeds.
  The failures are not a bad fit (Optuna's GP fitted to our data gives the same
  length scales to two digits) but the early data: an even design has no close pairs,
  the first model fits long length scales and settles on the first basin it sees.
- 10 uniform random startup points (Optuna's default): 12-13/20, kept.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy.stats import yeojohnson
from threadpoolctl import ThreadpoolController

from ..errors import SpecError
from ..limits import shown
from ..space import SearchSpace
from ..trials import Direction, FrozenTrial, TrialState
from . import trust_region
from .acquisition import maximise
from .base import Sampler, check_fields, parse_seed, sample_uniform
from .encoding import Encoding, ParamsKey, params_key, startup_point
from .gp import Array, GaussianProcess, fit, theta_of
from .warm_start import WarmStarts, data_key, row_keys

MAX_POINTS = 128
# One model-based trial in GLOBAL_EVERY maximises expected improvement over the whole
# space, the others inside the trust region (see ``trust_region``). The region alone
# settles in the first good basin (Levy-5: median regret at 100 trials 1.35 against
# 0.05); searching globally every second trial gave up most of its gain elsewhere.
GLOBAL_EVERY = 4
# Optuna's GPSampler starts with 10 random trials whatever the dimension; more
# startup trials only delay the model (measured on Hartmann-6, see startup_point).
MAX_STARTUP = 10
# The matrices here are small (at most a few hundred rows): a multi-threaded BLAS
# spends more on waking threads than on arithmetic, ten times more on a busy machine.
BLAS = ThreadpoolController()

# The last fit of each study in this process, to start the next one from.
WARM_STARTS = WarmStarts()

# More space-filling trials than any study may run (spec.MAX_TRIALS) mean nothing.
MAX_N_STARTUP = 10_000_000


def default_n_startup(n_dims: int) -> int:
    return min(2 * (n_dims + 1), MAX_STARTUP)


class BayesianSampler(Sampler):
    uses_history = True

    def __init__(self, space: SearchSpace, direction: Direction, config: dict[str, Any]) -> None:
        super().__init__(space, direction, config)
        self.seed = config["seed"] if config.get("seed") is not None else 0
        self.n_startup = config["n_startup"]
        self.encoding = Encoding(space)
        # A study's lineage for WARM_STARTS: what makes one run's fits comparable.
        self._lineage = (repr(space.dimensions), self.seed, direction.value)

    @classmethod
    def parse_config(cls, raw: dict[str, Any], space: SearchSpace | None) -> dict[str, Any]:
        errors: list[tuple[str, str]] = []
        check_fields(raw, {"type", "seed", "n_startup"}, "bayesian", errors)
        seed = parse_seed(raw, errors)
        n_startup = raw.get("n_startup")
        if n_startup is None:
            n_startup = default_n_startup(len(space)) if space is not None else None
        elif not isinstance(n_startup, int) or isinstance(n_startup, bool) or not 1 <= n_startup <= MAX_N_STARTUP:
            errors.append(
                (
                    "n_startup",
                    f"must be a positive integer: the number of space-filling trials "
                    f"before the model is used, at most {MAX_N_STARTUP} (got {shown(n_startup)})",
                )
            )
        if errors:
            raise SpecError(errors)
        return {"type": "bayesian", "seed": seed, "n_startup": n_startup}

    def suggest(self, number: int, history: Sequence[FrozenTrial]) -> dict[str, Any]:
        rng = np.random.default_rng([self.seed, number])
        if number < self.n_startup:
            params = startup_point(self.space, self.seed, number)
            # In a small discrete space design points can coincide with a running or
            # failed trial; never hand those out again.
            avoid = {
                params_key(t.params)
                for t in history
                if t.state in (TrialState.RUNNING, TrialState.WAITING, TrialState.FAILED)
            }
            return params if params_key(params) not in avoid else self._random_unseen(rng, avoid)
        with BLAS.limit(limits=1, user_api="blas"):
            return self._suggest_by_model(rng, number, history)

    def _suggest_by_model(
        self, rng: np.random.Generator, number: int, history: Sequence[FrozenTrial]
    ) -> dict[str, Any]:
        observed, values, running, avoid = self._split(history)
        if len(observed) < 2 or np.ptp(values) == 0.0:
            return self._random_unseen(rng, avoid)
        every = np.array([self.encoding.encode(p) for p in observed])
        x, y = subsample(every, values if self.direction is Direction.MINIMIZE else -values, MAX_POINTS, rng)
        y = standardise(y)
        gp = self._fit(every, x, y)
        incumbents = x[np.argsort(y, kind="stable")[:5]]
        best = float(y.min())
        if running:
            # Kriging believer: each running trial is observed at its predicted mean.
            gp.append_running(np.array([self.encoding.encode(p) for p in running]))
        region = None
        if number % GLOBAL_EVERY != 0:
            side = trust_region.side_length(self._values_in_order(history), self.n_startup, self.encoding.width)
            region = trust_region.box(incumbents[0], gp.hyperparameters.lengths, side, ~self.encoding.is_categorical)
        rows, _ = maximise(gp, self.encoding, incumbents, best, rng, box=region)
        for row in rows:
            params = self.encoding.decode(row)
            if params_key(params) not in avoid:
                return params
        return self._random_unseen(rng, avoid)

    def _fit(self, every: Array, x: Array, y: Array) -> GaussianProcess:
        """The process for (x, y), started from this study's previous fit if there is one.

        ``every`` holds all the points observed (``x`` may be a subsample of them).
        """
        rows, data = row_keys(every), data_key(x, y)
        previous, same_data = WARM_STARTS.lookup(self._lineage, rows, data, x.shape[1])
        if previous is not None and same_data:
            gp = GaussianProcess(x, y, self.encoding.is_categorical, previous)
        else:
            start = theta_of(previous) if previous is not None else None
            gp = fit(x, y, self.encoding.is_categorical, start=start)
        WARM_STARTS.store(self._lineage, rows, data, gp.hyperparameters)
        return gp

    def _split(
        self, history: Sequence[FrozenTrial]
    ) -> tuple[list[Mapping[str, Any]], Array, list[Mapping[str, Any]], set[ParamsKey]]:
        """Observations (params, raw values), running configurations, configurations not to repeat."""
        observed: list[Mapping[str, Any]] = []
        values: list[float] = []
        for t in history:
            if t.state is TrialState.COMPLETED and t.value is not None and math.isfinite(t.value):
                observed.append(t.params)
                values.append(float(t.value))
        worst = (max(values) if self.direction is Direction.MINIMIZE else min(values)) if values else None
        median = float(np.median(values)) if values else None
        running: list[Mapping[str, Any]] = []
        avoid: set[ParamsKey] = set()
        for t in history:
            if t.state is TrialState.PRUNED and median is not None:
                last = t.last_intermediate()
                observed.append(t.params)
                if last is not None and math.isfinite(last) and self.direction.better(median, last):
                    values.append(last)
                else:
                    values.append(median)
            elif t.state is TrialState.FAILED:
                avoid.add(params_key(t.params))
                if worst is not None:
                    observed.append(t.params)
                    values.append(worst)
            elif t.state in (TrialState.RUNNING, TrialState.WAITING):
                avoid.add(params_key(t.params))
                running.append(t.params)
        return observed, np.array(values, dtype=float), running, avoid

    def _values_in_order(self, history: Sequence[FrozenTrial]) -> list[float]:
        """Completed values in trial order, as minimisation."""
        sign = 1.0 if self.direction is Direction.MINIMIZE else -1.0
        done = sorted((t for t in history if t.state is TrialState.COMPLETED), key=lambda t: t.number)
        values = [float(t.value) for t in done if t.value is not None]
        return [sign * v for v in values if math.isfinite(v)]

    def _random_unseen(self, rng: np.random.Generator, avoid: set[ParamsKey]) -> dict[str, Any]:
        for _ in range(100):
            params = sample_uniform(self.space, rng)
            if params_key(params) not in avoid:
                return params
        return params


def standardise(values: Array) -> Array:
    """Centre and scale minimisation targets; tame a heavy tail of bad (high) values.

    A Yeo-Johnson transform fitted by maximum likelihood makes the targets closer to
    Gaussian, as the GP assumes. Its exponent is capped at 1 so it only ever
    compresses the high side: the low values, where the optimum is, keep their spread.
    """
    y = (values - values.mean()) / values.std()
    if len(y) >= 3:
        lam = yeojohnson_exponent(y)
        if lam < 1.0:
            y = yeojohnson(y, lmbda=lam)
    standard: Array = (y - y.mean()) / y.std()
    return standard


def _yeojohnson_rows(y: Array, lams: Array) -> Array:
    """The Yeo-Johnson transform of ``y`` for each exponent in ``lams`` (all below 2)."""
    lam = lams[:, None]
    pos, neg = np.log1p(np.maximum(y, 0.0)), np.log1p(np.maximum(-y, 0.0))
    safe = np.where(np.abs(lam) < 1e-12, 1.0, lam)
    upper = np.where(np.abs(lam) < 1e-12, pos, np.expm1(lam * pos) / safe)
    lower = -np.expm1((2.0 - lam) * neg) / (2.0 - lam)
    rows: Array = np.where(y >= 0, upper, lower)
    return rows


def yeojohnson_exponent(y: Array) -> float:
    """The maximum-likelihood Yeo-Johnson exponent, searched on [-4, 1].

    Exponents of 1 and above would not compress anything (see ``standardise``), so the
    search stops there. A vectorised grid with one finer pass costs a fraction of a
    millisecond, where a general-purpose 1-D optimiser took about five per suggestion.
    """
    log_jacobian = np.sum(np.sign(y) * np.log1p(np.abs(y)))

    def best_of(lams: Array) -> float:
        with np.errstate(all="ignore"):
            variance = _yeojohnson_rows(y, lams).var(axis=1)
            likelihood = -0.5 * len(y) * np.log(variance) + (lams - 1.0) * log_jacobian
        likelihood[~np.isfinite(likelihood)] = -np.inf
        return float(lams[int(np.argmax(likelihood))])

    coarse = best_of(np.linspace(-4.0, 1.0, 101))
    return best_of(np.clip(np.linspace(coarse - 0.05, coarse + 0.05, 41), -4.0, 1.0))


def subsample(x: Array, y: Array, budget: int, rng: np.random.Generator) -> tuple[Array, Array]:
    """At most ``budget`` points: a local neighbourhood of the incumbent and a global sketch.

    Half the budget goes to the points nearest the best one (a trust region: the model
    stays dense where the optimum is being pinned down, so quality keeps improving on
    long runs), a quarter to the best of the others (the other promising basins) and a
    quarter to a seeded random draw of the rest (the model still knows what is bad).
    """
    if len(y) <= budget:
        return x, y
    best = int(np.argmin(y))
    local = np.argsort(np.sum((x - x[best]) ** 2, axis=1), kind="stable")[: budget // 2]
    rest = np.setdiff1d(np.arange(len(y)), local)
    by_value = rest[np.argsort(y[rest], kind="stable")]
    n_good = budget // 4
    spread = rng.choice(by_value[n_good:], size=budget - len(local) - n_good, replace=False)
    keep = np.concatenate([local, by_value[:n_good], spread])
    return x[keep], y[keep]
