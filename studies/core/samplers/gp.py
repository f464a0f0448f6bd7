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
from scipy.linalg import cho_factor, cho_solve, solve_triangular
from scipy.linalg.lapack import dpotri
from scipy.optimize import minimize

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


def pair_differences(a: np.ndarray, b: np.ndarray, categorical: np.ndarray) -> np.ndarray:
    """Per-column squared differences (numeric) or mismatch indicators (categorical): (d, n, m)."""
    diff = a.T[:, :, None] - b.T[:, None, :]
    out = diff * diff
    out[categorical] = (diff[categorical] != 0).astype(float)
    return out


def scaled_sq_distances(a: np.ndarray, b: np.ndarray, lengths: np.ndarray, categorical: np.ndarray) -> np.ndarray:
    """The kernel's r² between every row of a and of b, without a (d, n, m) temporary."""
    numeric = ~categorical
    sa, sb = a[:, numeric] / lengths[numeric], b[:, numeric] / lengths[numeric]
    r2 = (sa * sa).sum(1)[:, None] + (sb * sb).sum(1)[None, :] - 2.0 * sa @ sb.T
    np.maximum(r2, 0.0, out=r2)
    for j in np.flatnonzero(categorical):
        r2 += (a[:, j, None] != b[None, :, j]) / lengths[j] ** 2
    return r2


def matern52(r2: np.ndarray, signal: float) -> np.ndarray:
    r = np.sqrt(np.maximum(r2, 0.0))
    return signal * (1.0 + SQRT5 * r + (5.0 / 3.0) * r2) * np.exp(-SQRT5 * r)


def matern52_slope(r2: np.ndarray, signal: float) -> np.ndarray:
    """-dk/d(r²) · 2, the factor shared by every gradient below (finite at r = 0)."""
    r = np.sqrt(np.maximum(r2, 0.0))
    return signal * (5.0 / 3.0) * (1.0 + SQRT5 * r) * np.exp(-SQRT5 * r)


def length_prior(lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Log prior -(l² + 1/l²)/10 and its gradient w.r.t. log l: flat near l = 1 (the
    cube's width), a soft wall against a length scale that ignores a column (l → ∞)
    or fits noise (l → 0)."""
    a, b = lengths**2, lengths**-2
    return -0.1 * (a + b), -0.2 * (a - b)


def lognormal_logpdf(x: np.ndarray, mu: float, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Log density of log(x) ~ N(mu, sigma) in terms of t = log x, and its t-gradient."""
    t = np.log(x)
    return -0.5 * ((t - mu) / sigma) ** 2, -(t - mu) / sigma**2


@dataclass
class GaussianProcess:
    x: np.ndarray
    categorical: np.ndarray
    lengths: np.ndarray
    signal: float
    noise: float
    chol: tuple | None = None
    alpha: np.ndarray | None = None

    def condition(self, y: np.ndarray) -> GaussianProcess:
        k = matern52(scaled_sq_distances(self.x, self.x, self.lengths, self.categorical), self.signal)
        # Near-duplicate points with almost no noise can make k numerically singular:
        # add jitter until the factorisation succeeds.
        for jitter in (1e-9, 1e-7, 1e-5, 1e-3, 1e-1):
            try:
                self.chol = cho_factor(k + (self.noise + jitter) * np.eye(len(k)), lower=True)
                break
            except np.linalg.LinAlgError:
                continue
        else:
            raise np.linalg.LinAlgError("the kernel matrix is singular even with jitter")
        self.alpha = cho_solve(self.chol, y)
        return self

    def predict(self, xs: np.ndarray, with_grad: bool = False):
        """Posterior mean and variance at ``xs``; with gradients w.r.t. xs if asked."""
        r2 = scaled_sq_distances(xs, self.x, self.lengths, self.categorical)
        kx = matern52(r2, self.signal)
        mean = kx @ self.alpha
        v = solve_triangular(self.chol[0], kx.T, lower=True)
        var = np.maximum(self.signal - np.sum(v * v, axis=0), 1e-12)
        if not with_grad:
            return mean, var
        # d k(x, x_i) / d x_j = -slope · (x_j - x_ij) / l_j²  (numeric columns only).
        slope = matern52_slope(r2, self.signal)
        diff = (xs[:, None, :] - self.x[None, :, :]) / self.lengths**2
        dk = -slope[:, :, None] * diff
        dk[:, :, self.categorical] = 0.0
        kinv_k = cho_solve(self.chol, kx.T).T
        dmean = np.einsum("nij,i->nj", dk, self.alpha)
        dvar = -2.0 * np.einsum("nij,ni->nj", dk, kinv_k)
        return mean, var, dmean, dvar


def fit(x: np.ndarray, y: np.ndarray, categorical: np.ndarray) -> GaussianProcess:
    """MAP hyperparameters for standardised ``y``, then the conditioned process."""
    n, d = x.shape
    d2 = pair_differences(x, x, categorical)

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        lengths = np.exp(theta[:d])
        signal, noise = math.exp(theta[d]), math.exp(theta[d + 1])
        r2 = np.tensordot(1.0 / lengths**2, d2, axes=1)
        k = matern52(r2, signal)
        kn = k + (noise + 1e-9) * np.eye(n)
        try:
            chol = cho_factor(kn, lower=True)
        except np.linalg.LinAlgError:
            return 1e10, np.zeros_like(theta)
        alpha = cho_solve(chol, y)
        log_det = 2.0 * np.sum(np.log(np.diag(chol[0])))
        mll = -0.5 * y @ alpha - 0.5 * log_det
        inverse, _ = dpotri(chol[0], lower=1)
        inverse = np.tril(inverse) + np.tril(inverse, -1).T
        w = np.outer(alpha, alpha) - inverse
        slope = matern52_slope(r2, signal)
        grad = np.empty(d + 2)
        grad[:d] = 0.5 * np.tensordot(d2, w * slope, axes=([1, 2], [0, 1])) / lengths**2
        grad[d] = 0.5 * np.sum(w * k)
        grad[d + 1] = 0.5 * noise * np.trace(w)
        lp, glp = length_prior(lengths)
        sp, gsp = lognormal_logpdf(np.array([signal]), *SIGNAL_PRIOR)
        total = mll + lp.sum() + sp[0] - NOISE_RATE * noise
        grad[:d] += glp
        grad[d] += gsp[0]
        grad[d + 1] -= NOISE_RATE * noise
        return -total, -grad

    bounds = [LENGTH_BOUNDS] * d + [SIGNAL_BOUNDS, NOISE_BOUNDS]
    best = None
    # The likelihood's rugged mode competes with the smooth one only on little data;
    # past SECOND_START_LIMIT points one start is enough and halves the cost.
    starts = (0.0, math.log(0.2)) if n <= SECOND_START_LIMIT else (0.0,)
    for start_length in starts:
        theta0 = np.concatenate([np.full(d, start_length), [0.0, math.log(1e-2)]])
        result = minimize(objective, theta0, jac=True, method="L-BFGS-B", bounds=bounds, options={"maxiter": 200})
        if best is None or result.fun < best.fun:
            best = result
    theta = best.x
    return GaussianProcess(x, categorical, np.exp(theta[:d]), math.exp(theta[d]), math.exp(theta[d + 1]))
