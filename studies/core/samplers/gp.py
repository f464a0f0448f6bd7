"""A Gaussian process over mixed numeric/categorical feature vectors.

Kernel: Matérn-5/2 with one length scale per column (ARD). Numeric columns add their
scaled squared difference to the distance; categorical columns add 1/l² when the
choices differ (the overlap distance), so choices have no false order.

Hyperparameters (length scales, signal variance, noise variance) are the maximum a
posteriori estimate under weak priors, found by L-BFGS-B with analytic gradients from
two starts (the prior's centre and short length scales, as the likelihood can have a
smooth and a rugged mode):
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
from scipy.linalg.lapack import dpotri
from scipy.optimize import minimize

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
    numeric = ~categorical
    sa, sb = a[:, numeric] / lengths[numeric], b[:, numeric] / lengths[numeric]
    r2: Array = (sa * sa).sum(1)[:, None] + (sb * sb).sum(1)[None, :] - 2.0 * sa @ sb.T
    np.maximum(r2, 0.0, out=r2)
    for j in np.flatnonzero(categorical):
        r2 += (a[:, j, None] != b[None, :, j]) / lengths[j] ** 2
    return r2


def matern52(r2: Array, signal: float) -> Array:
    r = np.sqrt(np.maximum(r2, 0.0))
    return signal * (1.0 + SQRT5 * r + (5.0 / 3.0) * r2) * np.exp(-SQRT5 * r)


def matern52_slope(r2: Array, signal: float) -> Array:
    """-dk/d(r²) · 2, the factor shared by every gradient below (finite at r = 0)."""
    r = np.sqrt(np.maximum(r2, 0.0))
    return signal * (5.0 / 3.0) * (1.0 + SQRT5 * r) * np.exp(-SQRT5 * r)


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
        self._chol, self._alpha = self._factorise()

    @property
    def hyperparameters(self) -> Hyperparameters:
        return self._params

    @property
    def n_points(self) -> int:
        return len(self._y)

    def _factorise(self) -> tuple[Array, Array]:
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
        return chol, alpha

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
        self._chol, self._alpha = self._factorise()
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
        mean = kx @ self._alpha
        v = solve_triangular(self._chol, kx.T, lower=True)
        var = np.maximum(self._params.signal - np.sum(v * v, axis=0), 1e-12)
        return mean, var

    def predict_with_grad(self, xs: Array) -> tuple[Array, Array, Array, Array]:
        """Mean, variance and their gradients w.r.t. each row of ``xs``: (n,), (n,), (n, d), (n, d)."""
        r2, kx = self._cross(xs)
        mean, var = self._moments(kx)
        p = self._params
        # d k(x, x_i) / d x_j = -slope · (x_j - x_ij) / l_j²  (numeric columns only).
        slope = matern52_slope(r2, p.signal)
        diff = (xs[:, None, :] - self._x[None, :, :]) / p.lengths**2
        dk = -slope[:, :, None] * diff
        dk[:, :, self._categorical] = 0.0
        kinv_k = cho_solve((self._chol, True), kx.T).T
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
    r2 = np.tensordot(1.0 / lengths**2, d2, axes=1)
    k = matern52(r2, signal)
    kn = k + (noise + 1e-9) * np.eye(n)
    try:
        chol: Array = cho_factor(kn, lower=True)[0]
    except np.linalg.LinAlgError:
        return 1e10, np.zeros_like(theta)
    alpha: Array = cho_solve((chol, True), y)
    log_det = 2.0 * float(np.sum(np.log(np.diag(chol))))
    mll = -0.5 * float(y @ alpha) - 0.5 * log_det
    inverse: Array = dpotri(chol, lower=1)[0]
    inverse = np.tril(inverse) + np.tril(inverse, -1).T
    w = np.outer(alpha, alpha) - inverse
    slope = matern52_slope(r2, signal)
    grad = np.empty(d + 2)
    grad[:d] = 0.5 * np.tensordot(d2, w * slope, axes=([1, 2], [0, 1])) / lengths**2
    grad[d] = 0.5 * np.sum(w * k)
    grad[d + 1] = 0.5 * noise * np.trace(w)
    lp, glp = length_prior(lengths)
    sp, gsp = lognormal_logpdf(np.array([signal]), *SIGNAL_PRIOR)
    total = mll + float(lp.sum()) + float(sp[0]) - NOISE_RATE * noise
    grad[:d] += glp
    grad[d] += gsp[0]
    grad[d + 1] -= NOISE_RATE * noise
    return -total, -grad


def fit(x: Array, y: Array, categorical: Mask) -> GaussianProcess:
    """MAP hyperparameters for standardised ``y``, and the process conditioned on (x, y)."""
    n, d = x.shape
    d2 = pair_differences(x, x, categorical)
    bounds = [LENGTH_BOUNDS] * d + [SIGNAL_BOUNDS, NOISE_BOUNDS]
    best_theta, best_value = None, math.inf
    # The likelihood's rugged mode competes with the smooth one only on little data;
    # past SECOND_START_LIMIT points one start is enough and halves the cost.
    starts = (0.0, math.log(0.2)) if n <= SECOND_START_LIMIT else (0.0,)
    for start_length in starts:
        theta0 = np.concatenate([np.full(d, start_length), [0.0, math.log(1e-2)]])
        result = minimize(
            neg_log_posterior,
            theta0,
            args=(d2, y),
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            # A relative tolerance of 1e-6 on the log posterior (about 1e-4 in absolute
            # terms here) leaves the length scales unchanged to two digits and saves a
            # fifth of the evaluations.
            options={"maxiter": 200, "ftol": 1e-6},
        )
        if best_theta is None or result.fun < best_value:
            best_theta, best_value = np.asarray(result.x, dtype=float), float(result.fun)
    assert best_theta is not None
    params = Hyperparameters(np.exp(best_theta[:d]), math.exp(best_theta[d]), math.exp(best_theta[d + 1]))
    return GaussianProcess(x, y, categorical, params)
