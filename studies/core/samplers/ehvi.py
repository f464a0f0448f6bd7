"""Expected hypervolume improvement of independent Gaussian predictions: exact, with gradient.

The region below the reference point that no front point dominates is cut into
disjoint boxes: a grid on the first d-1 objectives (the front's own coordinates) and,
in each grid column, one box from -∞ up to the lowest last coordinate among the
points dominating the column's lower corner. A new point y improves the hypervolume
by the part of each box it dominates, a product over objectives of
(u_j - max(l_j, y_j))⁺; with independent Y_j ~ N(μ_j, s_j²) the expectation of that
product is the product of expectations, each s·(h(b) - h(a)) with a, b the box's
ends in standard units and h(z) = φ(z) + zΦ(z) (the cell-wise formula of Yang et al.,
2019). EHVI is the sum over boxes; its gradient follows from h' = Φ.

Boxes grow as (front size + 1)^(d-1): callers keep d ≤ 3 and the front small enough
(``MAX_BOXES``) by thinning it.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy.special import erfcx, ndtr

from .gp import Array, GaussianProcess

MAX_BOXES = 512
SCORE_CHUNK = 256  # candidate rows per pass: keeps the (rows, boxes, d) temporaries small
LOG_FLOOR = 1e-300
SQRT_HALF_PI = math.sqrt(math.pi / 2)
INV_SQRT_2PI = 1.0 / math.sqrt(2 * math.pi)


def nondominated_boxes(front: Array, reference: Array) -> tuple[Array, Array]:
    """Lower and upper corners (boxes, d) of disjoint boxes covering what ``front`` leaves undominated."""
    d = len(reference)
    front = front[np.all(front < reference, axis=1)]
    grids = [np.concatenate([[-np.inf], np.unique(front[:, j]), [reference[j]]]) for j in range(d - 1)]
    lows = np.stack(np.meshgrid(*[g[:-1] for g in grids], indexing="ij"), axis=-1).reshape(-1, d - 1)
    highs = np.stack(np.meshgrid(*[g[1:] for g in grids], indexing="ij"), axis=-1).reshape(-1, d - 1)
    covers = np.all(front[None, :, :-1] <= lows[:, None, :], axis=2)  # [column, point]
    top = np.min(np.where(covers, front[None, :, -1], reference[-1]), axis=1, initial=reference[-1])
    lower = np.column_stack([lows, np.full(len(lows), -np.inf)])
    upper = np.column_stack([highs, top])
    return lower, upper


def thin_front(front: Array, limit: int, rng: np.random.Generator) -> Array:
    """At most ``limit`` front points: the extremes of each objective and an even draw of the rest."""
    if len(front) <= limit:
        return front
    extremes = np.unique(np.concatenate([front.argmin(axis=0), front.argmax(axis=0)]))[:limit]
    rest = np.setdiff1d(np.arange(len(front)), extremes)
    chosen = rng.choice(rest, size=limit - len(extremes), replace=False)
    thinned: Array = front[np.concatenate([extremes, chosen])]
    return thinned


def box_limit(d: int) -> int:
    """The largest front whose box count stays within ``MAX_BOXES``."""
    return max(1, int(MAX_BOXES ** (1.0 / (d - 1))) - 1)


def h(z: Array) -> Array:
    """φ(z) + zΦ(z) (0 at -∞), without cancellation for negative z (Mills ratio via erfcx)."""
    phi = INV_SQRT_2PI * np.exp(-0.5 * np.square(np.where(np.isfinite(z), z, 0.0)))
    below = np.minimum(np.where(np.isfinite(z), z, 0.0), 0.0)  # the branch np.where discards stays finite
    negative = phi * (1.0 + below * SQRT_HALF_PI * erfcx(-below / math.sqrt(2)))
    with np.errstate(invalid="ignore"):
        out: Array = np.where(z >= 0, phi + z * ndtr(z), np.maximum(negative, 0.0))
    return np.where(np.isneginf(z), 0.0, out)


def _pdf(z: Array) -> Array:
    finite = np.isfinite(z)
    out: Array = INV_SQRT_2PI * np.exp(-0.5 * np.square(np.where(finite, z, 0.0))) * finite
    return out


class LogEHVI:
    """log EHVI of independent per-objective GPs (standardised units) as an acquisition.

    Box corners take few distinct values per objective (the front's coordinates), so
    the normal-distribution terms are computed once per (row, distinct corner) and
    gathered into boxes: far cheaper than once per (row, box, objective).
    """

    def __init__(self, gps: list[GaussianProcess], lower: Array, upper: Array) -> None:
        self.gps = gps
        self.grids = [np.unique(np.concatenate([lower[:, j], upper[:, j]])) for j in range(lower.shape[1])]
        self.low_index = [np.searchsorted(g, lower[:, j]) for j, g in enumerate(self.grids)]
        self.high_index = [np.searchsorted(g, upper[:, j]) for j, g in enumerate(self.grids)]

    def _terms(self, mean: Array, sigma: Array, grad: bool) -> tuple[Array, Array, Array]:
        """Per row, box and objective: the expected dominated length (and its mean and sd derivatives)."""
        shape = (len(mean), len(self.low_index[0]), len(self.grids))
        psi, dmu, dsigma = np.empty(shape), np.empty(shape), np.empty(shape)
        for j, grid in enumerate(self.grids):
            z = (grid[None, :] - mean[:, j, None]) / sigma[:, j, None]
            lo, hi = self.low_index[j], self.high_index[j]
            hz = h(z)
            psi[:, :, j] = sigma[:, j, None] * (hz[:, hi] - hz[:, lo])
            if grad:
                cdf, pdf = np.where(np.isneginf(z), 0.0, ndtr(z)), _pdf(z)
                dmu[:, :, j] = -(cdf[:, hi] - cdf[:, lo])
                dsigma[:, :, j] = pdf[:, hi] - pdf[:, lo]
        return psi, dmu, dsigma

    def _moments(self, xs: Array) -> tuple[Array, Array]:
        preds = [gp.predict(xs) for gp in self.gps]
        return np.column_stack([m for m, _ in preds]), np.sqrt(np.column_stack([v for _, v in preds]))

    def expected_improvement(self, mean: Array, sigma: Array) -> Array:
        """EHVI of independent Gaussian predictions (rows of means and standard deviations)."""
        psi, _, _ = self._terms(mean, sigma, grad=False)
        ehvi: Array = psi.prod(axis=2).sum(axis=1)
        return ehvi

    def __call__(self, xs: Array) -> Array:
        out = np.empty(len(xs))
        for start in range(0, len(xs), SCORE_CHUNK):
            mean, sigma = self._moments(xs[start : start + SCORE_CHUNK])
            out[start : start + SCORE_CHUNK] = np.log(np.maximum(self.expected_improvement(mean, sigma), LOG_FLOOR))
        return out

    def with_grad(self, xs: Array) -> tuple[Array, Array]:
        preds = [gp.predict_with_grad(xs) for gp in self.gps]
        mean = np.column_stack([p[0] for p in preds])
        sigma = np.sqrt(np.column_stack([p[1] for p in preds]))
        psi, dmu, dsigma = self._terms(mean, sigma, grad=True)
        value = psi.prod(axis=2).sum(axis=1)
        grad = np.zeros(xs.shape)
        for j, (_, _, dmean, dvar) in enumerate(preds):
            others = np.prod(np.delete(psi, j, axis=2), axis=2)  # (rows, boxes)
            de_dmu = (others * dmu[:, :, j]).sum(axis=1)
            de_dsigma = (others * dsigma[:, :, j]).sum(axis=1)
            grad += de_dmu[:, None] * dmean + (de_dsigma / (2.0 * sigma[:, j]))[:, None] * dvar
        safe = np.maximum(value, LOG_FLOOR)
        return np.log(safe), grad / safe[:, None] * (value > LOG_FLOOR)[:, None]


def domination_counts(points: Array) -> npt.NDArray[np.intp]:
    """How many rows dominate each row (0 on the front), minimisation."""
    no_worse = np.all(points[:, None, :] <= points[None, :, :], axis=2)
    better = np.any(points[:, None, :] < points[None, :, :], axis=2)
    counts: npt.NDArray[np.intp] = np.sum(no_worse & better, axis=0)
    return counts
