"""A Gaussian process over mixed numeric/categorical feature vectors.

Kernel: Matérn-5/2 with one length scale per column (ARD). Numeric columns add their
scaled squared difference to the distance; categorical columns add 1/l² when the
choices differ (the overlap distance), so choices have no false order.

Hyperparameters (length scales, signal variance, noise variance) are the maximum a
posteriori estimate under weak priors, found by L-BFGS-B with analytic gradients from
two starts (the prior's centre and short length scales, as the likelihood can have a
smooth and a rugged mode), or from one warm start (the previous fit, see ``fit``):
- length scales: log prior -(l² + 1/l²)/10, flat around the unit cube's width and a
  soft wall against l → ∞ (a column ignored on thin evidence) and l → 0 (noise fitted);
- signal variance ~ LogNormal(0, 1) (targets are standardised);
- noise variance ~ Exponential(mean 1/30 of the target variance): small, and free to
  go to zero for a deterministic objective.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.linalg import cho_factor, cho_solve, solve_triangular
from scipy.linalg.lapack import dpotrf, dpotri, dpotrs
from scipy.optimize import Bounds, minimize

Array = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]

SQRT5 = math.sqrt(5.0)
LENGTH_BOUNDS = (math.log(1e-3), math.log(1e3))
SIGNAL_BOUNDS = (math.log(1e-2), math.log(1e2))
NOISE_BOUNDS = (math.log(1e-6), math.log(1.0))
# Exponential prior on the noise variance, mean 1/NOISE_RATE of the standardised
# targets: small noise is the expectation, but nothing stops it from going to zero
# for a deterministic objective (a log-normal prior would hold it near its median and
# blur the model just where the optimum is being pinned down).
NOISE_RATE = 30.0
SECOND_START_LIMIT = 64
# The MAP objective's value where the kernel matrix does not factorise.
FAILED = 1e10
# The relative tolerance of a warm-started search (see ``fit``).
WARM_FTOL = 1e-6
SIGNAL_PRIOR = (0.0, 1.0)
# Added to the diagonal until the factorisation succeeds: near-duplicate points with
# almost no noise can make the kernel matrix numerically singular.
JITTERS = (1e-9, 1e-7, 1e-5, 1e-3, 1e-1)


def pair_differences(a: Array, b: Array, categorical: Mask) -> Array:
    """Per-column squared differences (numeric) or mismatch indicators (categorical): (d, n, m)."""
    diff = a.T[:, :, None] - b.T[:, None, :]
    out = diff * diff
    out[categorical] = (diff[categorical] != 0).astype(float)
    return out


def scaled_sq_distances(a: Array, b: Array, lengths: Array, categorical: Mask) -> Array:
    """The kernel's r² between every row of a and of b, without a (d, n, m) temporary."""
    if categorical.any():
        numeric = ~categorical
        sa, sb = a[:, numeric] / lengths[numeric], b[:, numeric] / lengths[numeric]
    else:
        sa, sb = a / lengths, b / lengths
    r2: Array = sa @ (-2.0 * sb.T)
    r2 += np.einsum("ij,ij->i", sa, sa)[:, None]
    r2 += np.einsum("ij,ij->i", sb, sb)[None, :]
    np.maximum(r2, 0.0, out=r2)
    for j in np.flatnonzero(categorical):
        r2 += (a[:, j, None] != b[None, :, j]) / lengths[j] ** 2
    return r2


def matern52(r2: Array, signal: float) -> Array:
    """signal · (1 + √5 r + 5/3 r²) · exp(-√5 r), with as few temporaries as possible
    (on a pool of candidates this is most of the cost of scoring them)."""
    r = np.sqrt(r2)  # every r² here is a sum of non-negative terms
    r *= SQRT5  # now √5 r
    out = np.exp(-r)
    poly = r2 * (5.0 / 3.0)
    poly += r
    poly += 1.0
    out *= poly
    out *= signal
    return out


def matern52_slope(r2: Array, signal: float) -> Array:
    """-dk/d(r²) · 2, the factor shared by every gradient below (finite at r = 0)."""
    return matern52_and_slope(r2, signal)[1]


def matern52_and_slope(r2: Array, signal: float) -> tuple[Array, Array]:
    """``matern52`` and ``matern52_slope`` sharing their square root and exponential."""
    r = np.sqrt(r2)
    r *= SQRT5
    e = np.exp(-r)
    e *= signal
    slope = r + 1.0
    slope *= e
    k = r2 * (5.0 / 3.0)
    k *= e
    k += slope
    slope *= 5.0 / 3.0
    return k, slope


def length_prior(lengths: Array) -> tuple[Array, Array]:
    """Log prior -(l² + 1/l²)/10 and its gradient w.r.t. log l: flat near l = 1 (the
    cube's width), a soft wall against a length scale that ignores a column (l → ∞)
    or fits noise (l → 0)."""
    a, b = lengths**2, lengths**-2
    return -0.1 * (a + b), -0.2 * (a - b)


def lognormal_logpdf(x: Array, mu: float, sigma: float) -> tuple[Array, Array]:
    """Log density of log(x) ~ N(mu, sigma) in terms of t = log x, and its t-gradient."""
    t = np.log(x)
    return -0.5 * ((t - mu) / sigma) ** 2, -(t - mu) / sigma**2


@dataclass(frozen=True)
class Hyperparameters:
    lengths: Array  # one per column
    signal: float  # signal variance
    noise: float  # noise variance


class GaussianProcess:
    """A process conditioned on its training data, which it keeps to itself.

    The data change only through ``append_running``, so the factorisation and the
    weights always belong to the points they were computed from.
    """

    def __init__(self, x: Array, y: Array, categorical: Mask, params: Hyperparameters) -> None:
        self._x = np.array(x, dtype=float)
        self._y = np.array(y, dtype=float)
        self._categorical = categorical
        self._params = params
        self._chol, self._alpha, self._chol_inv = self._factorise()

    @property
    def hyperparameters(self) -> Hyperparameters:
        return self._params

    @property
    def n_points(self) -> int:
        return len(self._y)

    def _factorise(self) -> tuple[Array, Array, Array]:
        """The Cholesky factor L of the kernel matrix, K⁻¹y and L⁻¹.

        Predictions multiply by L⁻¹ (one matrix product) rather than solving with L
        for every batch of points: half the cost on a pool of candidates.
        """
        p = self._params
        k = matern52(scaled_sq_distances(self._x, self._x, p.lengths, self._categorical), p.signal)
        for jitter in JITTERS:
            try:
                chol: Array = cho_factor(k + (p.noise + jitter) * np.eye(len(k)), lower=True)[0]
                break
            except np.linalg.LinAlgError:
                continue
        else:
            raise np.linalg.LinAlgError("the kernel matrix is singular even with jitter")
        alpha: Array = cho_solve((chol, True), self._y)
        chol_inv: Array = solve_triangular(chol, np.eye(len(chol)), lower=True)
        return chol, alpha, chol_inv

    def append_running(self, xs: Array) -> Array:
        """Add ``xs`` as "kriging believer" fantasies, observed at their predicted mean.

        Hyperparameters are kept. The mean is unchanged everywhere while the variance
        collapses at ``xs``, so expected improvement steers clear of points already
        being evaluated. Returns the believed values.
        """
        believed, _ = self.predict(xs)
        self._x = np.vstack([self._x, xs])
        self._y = np.concatenate([self._y, believed])
        # A full refactorisation (not a rank update): it takes the same jitter path
        # as a process fitted on all the points, and these matrices are small.
        self._chol, self._alpha, self._chol_inv = self._factorise()
        return believed

    def _cross(self, xs: Array) -> tuple[Array, Array]:
        """r² and the kernel between ``xs`` and the training points: (n, m) each."""
        r2 = scaled_sq_distances(xs, self._x, self._params.lengths, self._categorical)
        return r2, matern52(r2, self._params.signal)

    def predict(self, xs: Array) -> tuple[Array, Array]:
        """Posterior mean and variance at each row of ``xs``."""
        _, kx = self._cross(xs)
        return self._moments(kx)

    def _moments(self, kx: Array) -> tuple[Array, Array]:
        mean, var, _ = self._moments_and_whitened(kx)
        return mean, var

    def _moments_and_whitened(self, kx: Array) -> tuple[Array, Array, Array]:
        """Mean, variance and L⁻¹k (one row per point)."""
        mean = kx @ self._alpha
        v = kx @ self._chol_inv.T
        var = np.maximum(self._params.signal - np.einsum("ij,ij->i", v, v), 1e-12)
        return mean, var, v

    def predict_with_grad(self, xs: Array) -> tuple[Array, Array, Array, Array]:
        """Mean, variance and their gradients w.r.t. each row of ``xs``: (n,), (n,), (n, d), (n, d)."""
        p = self._params
        r2 = scaled_sq_distances(xs, self._x, p.lengths, self._categorical)
        kx, slope = matern52_and_slope(r2, p.signal)
        mean, var, v = self._moments_and_whitened(kx)
        # d k(x, x_i) / d x_j = -slope · (x_j - x_ij) / l_j²  (numeric columns only).
        diff = (xs[:, None, :] - self._x[None, :, :]) / p.lengths**2
        dk = -slope[:, :, None] * diff
        dk[:, :, self._categorical] = 0.0
        kinv_k = v @ self._chol_inv  # K⁻¹k = L⁻ᵀL⁻¹k, one row per point
        dmean = np.einsum("nij,i->nj", dk, self._alpha)
        dvar = -2.0 * np.einsum("nij,ni->nj", dk, kinv_k)
        return mean, var, dmean, dvar


def neg_log_posterior(theta: Array, d2: Array, y: Array) -> tuple[float, Array]:
    """Minus the log posterior of θ = (log lengths, log signal, log noise), and its gradient.

    ``d2`` is ``pair_differences`` of the training points with themselves, ``y`` the
    standardised targets.
    """
    d, n = len(d2), len(y)
    lengths = np.exp(theta[:d])
    signal, noise = math.exp(theta[d]), math.exp(theta[d + 1])
    flat = d2.reshape(d, n * n)
    r2 = (lengths**-2 @ flat).reshape(n, n)
    k, slope = matern52_and_slope(r2, signal)
    kn = k.copy()
    kn.flat[:: n + 1] += noise + 1e-9
    # LAPACK directly: scipy's wrappers would check every matrix for infinities and NaNs
    # on each of the optimiser's evaluations.
    chol, info = dpotrf(kn, lower=1, clean=0, overwrite_a=1)
    if info != 0:
        return FAILED, np.zeros_like(theta)
    alpha: Array = dpotrs(chol, y, lower=1)[0]
    log_det = 2.0 * float(np.sum(np.log(np.diag(chol))))
    mll = -0.5 * float(y @ alpha) - 0.5 * log_det
    inverse: Array = np.tril(dpotri(chol, lower=1, overwrite_c=1)[0])
    inverse += np.tril(inverse, -1).T
    w = np.outer(alpha, alpha)
    w -= inverse
    grad = np.empty(d + 2)
    grad[:d] = 0.5 * (flat @ (w * slope).ravel()) / lengths**2
    grad[d] = 0.5 * np.sum(w * k)
    grad[d + 1] = 0.5 * noise * np.trace(w)
    lp, glp = length_prior(lengths)
    sp, gsp = lognormal_logpdf(np.array([signal]), *SIGNAL_PRIOR)
    total = mll + float(lp.sum()) + float(sp[0]) - NOISE_RATE * noise
    grad[:d] += glp
    grad[d] += gsp[0]
    grad[d + 1] -= NOISE_RATE * noise
    return -total, -grad


def theta_of(params: Hyperparameters) -> Array:
    """The optimiser's coordinates of ``params``: (log lengths, log signal, log noise)."""
    return np.concatenate([np.log(params.lengths), [math.log(params.signal), math.log(params.noise)]])


def hyperparameters_of(theta: Array) -> Hyperparameters:
    """The inverse of ``theta_of``."""
    d = len(theta) - 2
    return Hyperparameters(np.exp(theta[:d]), math.exp(theta[d]), math.exp(theta[d + 1]))


def _map_search(theta0: Array, d2: Array, y: Array, ftol: float) -> tuple[Array, float]:
    """One L-BFGS-B search of the MAP objective from ``theta0`` (clipped to the bounds)."""
    d = len(d2)
    bounds = [LENGTH_BOUNDS] * d + [SIGNAL_BOUNDS, NOISE_BOUNDS]
    low, high = np.array(bounds).T
    result = minimize(
        neg_log_posterior,
        np.clip(theta0, low, high),
        args=(d2, y),
        jac=True,
        method="L-BFGS-B",
        bounds=Bounds(low, high),
        options={"maxiter": 200, "ftol": ftol},
    )
    return np.asarray(result.x, dtype=float), float(result.fun)


def fit(x: Array, y: Array, categorical: Mask, start: Array | None = None) -> GaussianProcess:
    """MAP hyperparameters for standardised ``y``, and the process conditioned on (x, y).

    ``start`` (a ``theta_of`` earlier hyperparameters, e.g. the previous fit of the same
    study on a subset of these points) replaces the cold starts by one search from
    there, as Optuna's GPSampler does: the optimum moves little between suggestions, so
    a handful of evaluations reach it. A start of the wrong width, or a search from it
    that fails, falls back to the cold starts.
    """
    n, d = x.shape
    d2 = pair_differences(x, x, categorical)
    best_theta, best_value = None, math.inf
    if start is not None and len(start) == d + 2 and np.all(np.isfinite(start)):
        best_theta, best_value = _map_search(start, d2, y, WARM_FTOL)
    if not best_value < FAILED:
        best_theta, best_value = None, math.inf
        # The likelihood's rugged mode competes with the smooth one only on little data;
        # past SECOND_START_LIMIT points one start is enough and halves the cost.
        starts = (0.0, math.log(0.2)) if n <= SECOND_START_LIMIT else (0.0,)
        for start_length in starts:
            theta0 = np.concatenate([np.full(d, start_length), [0.0, math.log(1e-2)]])
            # A relative tolerance of 1e-6 on the log posterior (about 1e-4 in absolute
            # terms here) leaves the length scales unchanged to two digits and saves a
            # fifth of the evaluations.
            theta, value = _map_search(theta0, d2, y, 1e-6)
            if best_theta is None or value < best_value:
                best_theta, best_value = theta, value
    assert best_theta is not None
    return GaussianProcess(x, y, categorical, hyperparameters_of(best_theta))
