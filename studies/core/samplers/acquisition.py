"""Log expected improvement and its maximisation over a mixed space.

logEI (Ament et al., NeurIPS 2023) has the argmax of EI but keeps usable values and
gradients where EI underflows to zero, which is most of the space late in a run.

The maximiser: score many candidates (uniform over the space plus perturbations of
the best points seen, at log-uniform scales from 0.1% to 10% of each axis), run
L-BFGS-B from the best few on the active numeric columns jointly (the starts are
independent, so the sum's gradient is theirs side by side), then try every other
choice of each categorical column on the winners and polish again.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np
from scipy.optimize import minimize
from scipy.special import erfcx, log_ndtr

from .encoding import Encoding
from .gp import Array, GaussianProcess

LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
SQRT_HALF_PI = math.sqrt(math.pi / 2)


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

    def __call__(self, xs: Array) -> Array:
        return log_ei(self.gp, xs, self.best)

    def with_grad(self, xs: Array) -> tuple[Array, Array]:
        return log_ei_with_grad(self.gp, xs, self.best)


class Acquisition(Protocol):
    def __call__(self, xs: Array) -> Array: ...

    def with_grad(self, xs: Array) -> tuple[Array, Array]: ...


def polish(gp: GaussianProcess, enc: Encoding, starts: Array, best: float, maxiter: int = 50) -> Array:
    """L-BFGS-B of log EI on the active numeric columns of every start at once."""
    return polish_acquisition(LogEI(gp, best), enc, starts, maxiter)


def polish_acquisition(acq: Acquisition, enc: Encoding, starts: Array, maxiter: int = 50) -> Array:
    """L-BFGS-B of any smooth acquisition on the active numeric columns of every start at once."""
    free = enc.active_numeric(starts)
    if not free.any():
        return starts
    fixed = starts.copy()
    index = np.flatnonzero(free.ravel())

    def objective(flat: Array) -> tuple[float, Array]:
        xs = fixed.copy().ravel()
        xs[index] = flat
        values, grad = acq.with_grad(xs.reshape(starts.shape))
        return -float(values.sum()), -grad.ravel()[index]

    result = minimize(
        objective,
        fixed.ravel()[index],
        jac=True,
        method="L-BFGS-B",
        bounds=[(0.0, 1.0)] * len(index),
        options={"maxiter": maxiter},
    )
    out = fixed.ravel().copy()
    out[index] = result.x
    return out.reshape(starts.shape)


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


def candidates(enc: Encoding, incumbents: Array, n_uniform: int, n_local: int, rng: np.random.Generator) -> Array:
    u = rng.random((n_uniform, enc.width))
    uniform = enc.canonical(np.where(enc.is_categorical, np.floor(u * enc.n_choices), u))
    if len(incumbents) == 0 or n_local == 0:
        return uniform
    base = incumbents[rng.integers(len(incumbents), size=n_local)]
    step = np.exp(rng.uniform(math.log(1e-3), math.log(1e-1), size=(n_local, 1)))
    local = base + rng.normal(size=base.shape) * step
    local[:, ~enc.is_categorical] = np.clip(local[:, ~enc.is_categorical], 0.0, 1.0)
    # Each categorical column changes with probability 1/(number of columns).
    flip = (rng.random(base.shape) < 1.0 / enc.width) & enc.is_categorical
    redraw = np.floor(rng.random(base.shape) * np.maximum(enc.n_choices, 1))
    local[:, enc.is_categorical] = np.where(flip, redraw, base)[:, enc.is_categorical]
    return np.vstack([uniform, enc.canonical(local)])


def maximise(
    gp: GaussianProcess, enc: Encoding, incumbents: Array, best: float, rng: np.random.Generator, n_starts: int = 4
) -> tuple[Array, Array]:
    """Canonical candidate rows and their logEI, best first."""
    return maximise_acquisition(LogEI(gp, best), enc, incumbents, rng, n_starts)


def maximise_acquisition(
    acq: Acquisition, enc: Encoding, incumbents: Array, rng: np.random.Generator, n_starts: int = 4
) -> tuple[Array, Array]:
    """Canonical candidate rows and their acquisition values, best first."""
    uniform = candidates(enc, incumbents, n_uniform=2048, n_local=0, rng=rng)
    local = candidates(enc, incumbents, n_uniform=0, n_local=512, rng=rng)[0:]
    pool = np.vstack([uniform, local])
    uniform_scores, local_scores = acq(uniform), acq(local)
    # Starts from both pools: the best far from the incumbents as well as near them.
    starts = np.vstack([uniform[np.argsort(-uniform_scores)[:n_starts]], local[np.argsort(-local_scores)[:n_starts]]])
    polished = enc.canonical(polish_acquisition(acq, enc, starts))
    found = np.vstack([polished, starts])
    if enc.is_categorical.any():
        top = found[np.argmax(acq(found))]
        swept = categorical_sweep(enc, top)
        if len(swept):
            winner = swept[np.argsort(-acq(swept))[:1]]
            found = np.vstack([found, enc.canonical(polish_acquisition(acq, enc, winner)), winner])
    # The pool was scored above: score only the rows the searches added.
    values = np.concatenate([acq(found), uniform_scores, local_scores])
    found = np.vstack([found, pool])
    order = np.argsort(-values, kind="stable")
    return found[order], values[order]
