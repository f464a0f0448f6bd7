"""Log expected improvement: its values, its tail, its gradient, and its maximiser."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

from studies.core.samplers.acquisition import log_ei, log_ei_with_grad, log_h, maximise, polish
from studies.core.samplers.encoding import Encoding
from studies.core.samplers.gp import fit
from studies.core.space import parse_space

SPACE = parse_space(
    [
        {"name": "x", "type": "float", "low": 0.0, "high": 1.0},
        {"name": "lr", "type": "float", "low": 1e-4, "high": 1.0, "scale": "log"},
        {"name": "kind", "type": "categorical", "choices": ["a", "b", "c"]},
    ]
)
ENC = Encoding(SPACE)


def fitted_gp():
    rng = np.random.default_rng(0)
    x = ENC.canonical(np.column_stack([rng.random(15), rng.random(15), rng.integers(3, size=15)]))
    y = (x[:, 0] - 0.6) ** 2 + 0.5 * (x[:, 1] - 0.2) ** 2 + 0.3 * (x[:, 2] == 2)
    y = (y - y.mean()) / y.std()
    return fit(x, y, ENC.is_categorical), x, y


def test_log_h_is_log_of_phi_plus_z_cdf_where_that_can_be_computed_directly():
    z = np.linspace(-6.0, 6.0, 49)
    np.testing.assert_allclose(log_h(z), np.log(norm.pdf(z) + z * norm.cdf(z)), rtol=1e-9)


def test_log_h_is_finite_increasing_and_follows_its_asymptote_far_in_the_tail():
    z = -np.logspace(-2, 6, 200)[::-1]  # from -1e6 up to -0.01
    values = log_h(z)
    assert np.isfinite(values).all()
    assert (np.diff(values) > 0).all()
    # h(z) ~ φ(z)/z² as z → -∞.
    far = np.array([-50.0, -1e3, -1e5])
    asymptote = -0.5 * far**2 - 0.5 * math.log(2 * math.pi) - 2 * np.log(-far)
    np.testing.assert_allclose(log_h(far), asymptote, rtol=1e-6)


def test_log_ei_grows_with_the_improvement_on_offer_and_stays_finite_in_the_tail():
    gp, _, y = fitted_gp()
    xs = ENC.canonical(np.random.default_rng(1).random((30, 3)) * [1, 1, 3])
    bests = [y.min() - 1e4, y.min() - 50.0, y.min() - 5.0, y.min(), y.min() + 1.0]
    scores = np.array([log_ei(gp, xs, b) for b in bests])
    assert np.isfinite(scores).all()
    assert (np.diff(scores, axis=0) > 0).all()
    # EI itself underflows long before: the log form is what keeps a usable signal.
    assert (np.exp(scores[0]) == 0.0).all()


@pytest.mark.parametrize("offset", [0.0, -3.0, -40.0])
def test_the_log_ei_gradient_matches_finite_differences(offset):
    gp, _, y = fitted_gp()
    best = float(y.min()) + offset
    xs = ENC.canonical(np.random.default_rng(2).random((6, 3)) * [1, 1, 3])
    xs[:, :2] = np.clip(xs[:, :2], 0.05, 0.95)
    values, grad = log_ei_with_grad(gp, xs, best)
    np.testing.assert_allclose(values, log_ei(gp, xs, best), rtol=1e-12)
    eps = 1e-6
    for j in (0, 1):
        step = np.zeros(3)
        step[j] = eps
        numeric = (log_ei(gp, xs + step, best) - log_ei(gp, xs - step, best)) / (2 * eps)
        np.testing.assert_allclose(grad[:, j], numeric, rtol=1e-4, atol=1e-6)
    assert not grad[:, 2].any()


def test_polish_never_lowers_log_ei_and_moves_only_numeric_columns():
    gp, _, y = fitted_gp()
    starts = ENC.canonical(np.random.default_rng(3).random((4, 3)) * [1, 1, 3])
    polished = polish(gp, ENC, starts, float(y.min()))
    assert (log_ei(gp, polished, float(y.min())) >= log_ei(gp, starts, float(y.min())) - 1e-9).all()
    np.testing.assert_array_equal(polished[:, 2], starts[:, 2])
    assert ((polished[:, :2] >= 0) & (polished[:, :2] <= 1)).all()


def test_maximise_returns_canonical_rows_best_first_with_their_scores():
    gp, x, y = fitted_gp()
    best = float(y.min())
    rows, values = maximise(gp, ENC, x[np.argsort(y)[:3]], best, np.random.default_rng(4))
    assert (np.diff(values) <= 0).all()
    np.testing.assert_allclose(values[:10], log_ei(gp, rows[:10], best), rtol=1e-9)
    np.testing.assert_array_equal(ENC.canonical(rows[:10]), rows[:10])
    # The winner beats every one of a fresh batch of random candidates.
    random_rows = ENC.canonical(np.random.default_rng(5).random((2000, 3)) * [1, 1, 3])
    assert values[0] >= log_ei(gp, random_rows, best).max()


def test_maximise_is_reproducible_for_a_seed():
    gp, x, y = fitted_gp()
    first = maximise(gp, ENC, x[:3], float(y.min()), np.random.default_rng(9))[0][0]
    again = maximise(gp, ENC, x[:3], float(y.min()), np.random.default_rng(9))[0][0]
    np.testing.assert_array_equal(first, again)
