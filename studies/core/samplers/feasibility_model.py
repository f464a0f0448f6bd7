"""Probability of feasibility for the Bayesian sampler with constraints.

One GP per constrained metric (its bounds in the model's standardised units); a bound
holds with probability Φ(z), bounds treated as independent (Gardner et al., 2014).

The acquisition multiplies expected improvement by that probability (adds its log)
and, once a feasible trial is known, also charges a steep price for every bit of
predicted probability below ``FEASIBLE_ENOUGH``. Why: with the plain product a point
whose EI is e⁵ times larger wins even when it is probably infeasible, and early in a
run infeasible regions (which often hold "better" objective values, that is why they
are constrained) have the larger EI. Infeasible trials add nothing to the front, so
the sampler stays where it predicts feasibility and explores the boundary only where
the model is unsure (there Φ(z) is near 1/2 and the price small but real).

Each constraint model sees at most ``MAX_CONSTRAINT_POINTS`` trials: the half of the
budget whose values lie nearest a bound (where feasibility is decided) plus a seeded
random draw of the rest, which keeps three models within the time budget.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
from scipy.special import log_ndtr

from ..goals import Goals
from ..trials import FrozenTrial
from .encoding import Encoding
from .gp import Array, GaussianProcess, fit

FEASIBLE_ENOUGH = 0.9
SHORTFALL_WEIGHT = 25.0
MAX_CONSTRAINT_POINTS = 40
LOG_NORMAL_PDF = -0.5 * math.log(2 * math.pi)


class Acquisition(Protocol):
    def __call__(self, xs: Array) -> Array: ...

    def with_grad(self, xs: Array) -> tuple[Array, Array]: ...


@dataclass
class Bound:
    """One side of a constraint in the model's standardised units: ``value <= limit`` or ``>=``."""

    gp: GaussianProcess
    limit: float
    upper: bool

    def z(self, mean: Array, sigma: Array) -> Array:
        z: Array = (self.limit - mean) / sigma if self.upper else (mean - self.limit) / sigma
        return z


def log_feasibility(bounds: Sequence[Bound], xs: Array) -> Array:
    """Σ log P(bound holds) at each row of ``xs``."""
    total = np.zeros(len(xs))
    for b in bounds:
        mean, var = b.gp.predict(xs)
        total = total + log_ndtr(b.z(mean, np.sqrt(var)))
    return total


def log_feasibility_with_grad(bounds: Sequence[Bound], xs: Array) -> tuple[Array, Array]:
    total, grad = np.zeros(len(xs)), np.zeros(xs.shape)
    for b in bounds:
        mean, var, dmean, dvar = b.gp.predict_with_grad(xs)
        sigma = np.sqrt(var)
        z = b.z(mean, sigma)
        dsigma = dvar / (2.0 * sigma[:, None])
        sign = -1.0 if b.upper else 1.0
        dz = (sign * dmean - z[:, None] * dsigma) / sigma[:, None]
        log_cdf = log_ndtr(z)
        ratio = np.exp(LOG_NORMAL_PDF - 0.5 * z * z - log_cdf)  # d log Φ(z) / dz
        total = total + log_cdf
        grad = grad + ratio[:, None] * dz
    return total, grad


class ConstrainedAcquisition:
    """``base`` (a log acquisition, or nothing before a feasible trial) plus log P(feasible).

    With ``insist`` the log probability's shortfall below log ``FEASIBLE_ENOUGH`` is
    charged ``SHORTFALL_WEIGHT`` times over (continuous, so L-BFGS-B still applies).
    """

    def __init__(self, base: Acquisition | None, bounds: list[Bound], insist: bool) -> None:
        self.base, self.bounds, self.insist = base, bounds, insist

    def __call__(self, xs: Array) -> Array:
        total = self.base(xs) if self.base is not None else np.zeros(len(xs))
        log_p = log_feasibility(self.bounds, xs)
        out: Array = total + log_p
        if self.insist:
            out = out + SHORTFALL_WEIGHT * np.minimum(log_p - math.log(FEASIBLE_ENOUGH), 0.0)
        return out

    def with_grad(self, xs: Array) -> tuple[Array, Array]:
        if self.base is not None:
            total, grad = self.base.with_grad(xs)
        else:
            total, grad = np.zeros(len(xs)), np.zeros(xs.shape)
        log_p, dlog_p = log_feasibility_with_grad(self.bounds, xs)
        weight = np.ones(len(xs))
        if self.insist:
            short = log_p < math.log(FEASIBLE_ENOUGH)
            total = total + SHORTFALL_WEIGHT * np.where(short, log_p - math.log(FEASIBLE_ENOUGH), 0.0)
            weight = weight + SHORTFALL_WEIGHT * short
        return total + log_p, grad + weight[:, None] * dlog_p


def constraint_bounds(
    goals: Goals,
    encoding: Encoding,
    done: Sequence[FrozenTrial],
    running: Sequence[Mapping[str, Any]],
    rng: np.random.Generator,
) -> list[Bound]:
    """A GP per constrained metric that varies, with its bounds in standardised units."""
    bounds: list[Bound] = []
    for c in goals.constraints:
        seen = [(t.params, t.metrics[c.metric]) for t in done if math.isfinite(t.metrics.get(c.metric, math.nan))]
        values = np.array([v for _, v in seen], dtype=float)
        if len(seen) < 2 or np.ptp(values) == 0:
            continue  # nothing to learn: the bound holds or fails everywhere seen
        limits = [v for v in (c.min, c.max) if v is not None]
        distance = np.min([np.abs(values - v) for v in limits], axis=0)
        keep = nearest_half_and_random(distance, MAX_CONSTRAINT_POINTS, rng)
        centre, scale = values.mean(), values.std()
        x = np.array([encoding.encode(seen[i][0]) for i in keep])
        gp = fit(x, (values[keep] - centre) / scale, encoding.is_categorical)
        if running:
            gp.append_running(np.array([encoding.encode(p) for p in running]))
        if c.max is not None:
            bounds.append(Bound(gp, (c.max - centre) / scale, upper=True))
        if c.min is not None:
            bounds.append(Bound(gp, (c.min - centre) / scale, upper=False))
    return bounds


def nearest_half_and_random(key: Array, budget: int, rng: np.random.Generator) -> npt.NDArray[np.intp]:
    """At most ``budget`` indices: the lowest ``key`` half of the budget and a seeded random draw of the rest."""
    order = np.argsort(key, kind="stable")
    if len(key) <= budget:
        return order
    rest = rng.choice(order[budget // 2 :], size=budget - budget // 2, replace=False)
    index: npt.NDArray[np.intp] = np.concatenate([order[: budget // 2], rest])
    return index
