"""Log expected improvement and its maximisation over a mixed space.

logEI (Ament et al., NeurIPS 2023) has the argmax of EI but keeps usable values and
gradients where EI underflows to zero, which is most of the space late in a run.

The maximiser: score many candidates (uniform over the space plus perturbations of
the best points seen, at log-uniform scales from 0.1% to 10% of each axis), run
L-BFGS-B on the active numeric columns from the best candidate, roulette picks of the
others and the best observed point, jointly (the starts are independent, so the
sum's gradient is theirs side by side) and in length-scale units, then try every
other choice of each categorical column on the winner and polish again.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np
from scipy.optimize import Bounds, minimize
from scipy.special import erfcx, log_ndtr

from .encoding import Encoding
from .gp import Array, GaussianProcess

LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
# Per-column (low, high) bounds of the region searched, on the unit cube.
Box = tuple[Array, Array]
SQRT_HALF_PI = math.sqrt(math.pi / 2)
# L-BFGS-B stops the joint local search when an iteration improves the summed -logEI
# of its starts by less than this fraction (about 4e-5 in absolute terms late in a
# run): on snapshots of real runs it saves a fifth of the evaluations and changes the
# best logEI found by at most 5e-4; 1e-4 saved half and lost up to 0.15.
POLISH_FTOL = 1e-6


def log_h(z: Array) -> Array:
    """log(φ(z) + zΦ(z)), stable for very negative z."""
    out = np.empty_like(z)
    log_phi = -0.5 * z * z - LOG_SQRT_2PI
    upper = z > -1.0
    zu = z[upper]
    out[upper] = np.log(np.exp(log_phi[upper]) + zu * np.exp(log_ndtr(zu)))
    mid = (z <= -1.0) & (z > -1e3)
    zm = z[mid]
    # φ(z)(1 + z·Φ(z)/φ(z)) with the Mills ratio from erfcx; no cancellation until |z| is huge.
    out[mid] = log_phi[mid] + np.log(np.maximum(1.0 + zm * SQRT_HALF_PI * erfcx(-zm / math.sqrt(2)), 1e-300))
    low = z <= -1e3
    zl = z[low]
    out[low] = log_phi[low] - 2.0 * np.log(-zl)
    return out


def log_ei(gp: GaussianProcess, xs: Array, best: float) -> Array:
    """log EI for minimisation below ``best`` at each row of ``xs``."""
    mean, var = gp.predict(xs)
    sigma = np.sqrt(var)
    return np.log(sigma) + log_h((best - mean) / sigma)


def log_ei_with_grad(gp: GaussianProcess, xs: Array, best: float) -> tuple[Array, Array]:
    """log EI and its gradient w.r.t. each row of ``xs``: (n,), (n, d)."""
    mean, var, dmean, dvar = gp.predict_with_grad(xs)
    sigma = np.sqrt(var)
    z = (best - mean) / sigma
    lh = log_h(z)
    dsigma = dvar / (2.0 * sigma[:, None])
    dz = (-dmean - z[:, None] * dsigma) / sigma[:, None]
    dlh = np.exp(log_ndtr(z) - lh)  # d log h / dz = Φ(z) / h(z)
    grad = dsigma / sigma[:, None] + dlh[:, None] * dz
    return np.log(sigma) + lh, grad


class LogEI:
    """log EI below ``best`` as an acquisition: ``acq(xs)`` and ``acq.with_grad(xs)``."""

    def __init__(self, gp: GaussianProcess, best: float) -> None:
        self.gp, self.best = gp, best
        # Length scales, for a preconditioned local search (see ``polish_acquisition``).
        self.lengths = gp.hyperparameters.lengths

    def __call__(self, xs: Array) -> Array:
        return log_ei(self.gp, xs, self.best)

    def with_grad(self, xs: Array) -> tuple[Array, Array]:
        return log_ei_with_grad(self.gp, xs, self.best)


class Acquisition(Protocol):
    def __call__(self, xs: Array) -> Array: ...

    def with_grad(self, xs: Array) -> tuple[Array, Array]: ...


def polish(gp: GaussianProcess, enc: Encoding, starts: Array, best: float, maxiter: int = 100) -> Array:
    """L-BFGS-B of log EI on the active numeric columns of every start at once."""
    acq = LogEI(gp, best)
    return polish_acquisition(acq, enc, starts, maxiter, acq.lengths)


def bounds(enc: Encoding, box: Box | None) -> Box:
    """``box``, or the whole unit cube when there is none."""
    return box if box is not None else (np.zeros(enc.width), np.ones(enc.width))


def polish_acquisition(
    acq: Acquisition,
    enc: Encoding,
    starts: Array,
    maxiter: int = 100,
    lengths: Array | None = None,
    box: Box | None = None,
) -> Array:
    """L-BFGS-B of any smooth acquisition on the active numeric columns of every start at once.

    With the model's ``lengths`` the search runs on x / l (as Optuna's does): every
    column then moves the kernel alike, so one step size suits all of them and the
    optimiser does not stall along a short length scale while a long one barely moves.
    A start is returned unchanged if the search did not improve it.
    """
    free = enc.active_numeric(starts)
    if not free.any():
        return starts
    fixed = starts.copy()
    index = np.flatnonzero(free.ravel())
    scale = np.broadcast_to(lengths if lengths is not None else 1.0, starts.shape).ravel()[index]
    low, high = bounds(enc, box)
    low = np.broadcast_to(low, starts.shape).ravel()[index]
    high = np.broadcast_to(high, starts.shape).ravel()[index]

    def objective(flat: Array) -> tuple[float, Array]:
        xs = fixed.copy().ravel()
        xs[index] = flat * scale
        values, grad = acq.with_grad(xs.reshape(starts.shape))
        return -float(values.sum()), -grad.ravel()[index] * scale

    result = minimize(
        objective,
        np.clip(fixed.ravel()[index], low, high) / scale,
        jac=True,
        method="L-BFGS-B",
        bounds=Bounds(low / scale, high / scale),
        options={"maxiter": maxiter, "ftol": POLISH_FTOL},
    )
    out = fixed.ravel().copy()
    out[index] = np.clip(result.x * scale, low, high)
    polished = out.reshape(starts.shape)
    # The starts share one line search, so one of them may end a little worse.
    worse = acq(polished) < acq(starts)
    polished[worse] = starts[worse]
    return polished


def categorical_sweep(enc: Encoding, row: Array) -> Array:
    """Every configuration one categorical change away from ``row`` (canonical rows)."""
    variants = []
    for j in np.flatnonzero(enc.is_categorical):
        for choice in range(enc.n_choices[j]):
            if choice != row[j]:
                variant = row.copy()
                variant[j] = choice
                variants.append(variant)
    if not variants:
        return np.empty((0, enc.width))
    return enc.canonical(np.array(variants))


def candidates(
    enc: Encoding, incumbents: Array, n_uniform: int, n_local: int, rng: np.random.Generator, box: Box | None = None
) -> Array:
    u = rng.random((n_uniform, enc.width))
    if box is not None:
        u = np.where(enc.is_categorical, u, box[0] + u * (box[1] - box[0]))
    uniform = enc.canonical(np.where(enc.is_categorical, np.floor(u * enc.n_choices), u))
    if len(incumbents) == 0 or n_local == 0:
        return uniform
    base = incumbents[rng.integers(len(incumbents), size=n_local)]
    step = np.exp(rng.uniform(math.log(1e-3), math.log(1e-1), size=(n_local, 1)))
    local = base + rng.normal(size=base.shape) * step
    low, high = bounds(enc, box)
    local = np.where(enc.is_categorical, local, np.clip(local, low, high))
    # Each categorical column changes with probability 1/(number of columns).
    flip = (rng.random(base.shape) < 1.0 / enc.width) & enc.is_categorical
    redraw = np.floor(rng.random(base.shape) * np.maximum(enc.n_choices, 1))
    local[:, enc.is_categorical] = np.where(flip, redraw, base)[:, enc.is_categorical]
    return np.vstack([uniform, enc.canonical(local)])


def maximise(
    gp: GaussianProcess,
    enc: Encoding,
    incumbents: Array,
    best: float,
    rng: np.random.Generator,
    n_starts: int = 8,
    box: Box | None = None,
) -> tuple[Array, Array]:
    """Canonical candidate rows and their logEI, best first (inside ``box`` if given)."""
    return maximise_acquisition(LogEI(gp, best), enc, incumbents, rng, n_starts, box)


def roulette_starts(scores: Array, n: int, rng: np.random.Generator) -> Array:
    """The best index and ``n - 1`` others drawn with probability ∝ exp(score - best).

    Starting some local searches away from the single best candidate keeps other
    promising regions in play (a second basin can hold the higher optimum) without
    wasting starts where the acquisition is negligible.
    """
    top = int(np.argmax(scores))
    weights = np.exp(scores - scores[top])
    weights[top] = 0.0
    weights[~np.isfinite(weights)] = 0.0
    k = min(n - 1, int(np.count_nonzero(weights > 0)))
    if k <= 0:
        return np.array([top])
    others = rng.choice(len(scores), size=k, replace=False, p=weights / weights.sum())
    return np.concatenate([[top], others])


def maximise_acquisition(
    acq: Acquisition,
    enc: Encoding,
    incumbents: Array,
    rng: np.random.Generator,
    n_starts: int = 8,
    box: Box | None = None,
) -> tuple[Array, Array]:
    """Canonical candidate rows and their acquisition values, best first.

    Local searches start from the best observed point, the best of the candidate pool
    and roulette picks of the pool (see ``roulette_starts``).
    """
    pool = candidates(enc, incumbents, n_uniform=2048, n_local=512, rng=rng, box=box)
    pool_scores = acq(pool)
    starts = np.vstack([pool[roulette_starts(pool_scores, n_starts, rng)], incumbents[:1]])
    lengths = getattr(acq, "lengths", None)
    found = enc.canonical(polish_acquisition(acq, enc, starts, lengths=lengths, box=box))
    if enc.is_categorical.any():
        top = found[np.argmax(acq(found))]
        swept = categorical_sweep(enc, top)
        if len(swept):
            winner = swept[np.argsort(-acq(swept))[:1]]
            polished = polish_acquisition(acq, enc, winner, lengths=lengths, box=box)
            found = np.vstack([found, enc.canonical(polished), winner])
    # The pool was scored above: score only the rows the searches added.
    values = np.concatenate([acq(found), pool_scores])
    found = np.vstack([found, pool])
    order = np.argsort(-values, kind="stable")
    return found[order], values[order]
