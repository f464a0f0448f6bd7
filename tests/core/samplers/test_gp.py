"""The Gaussian process: its MAP objective, its posterior and the running-trial update."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from studies.core.samplers.gp import (
    GaussianProcess,
    Hyperparameters,
    fit,
    matern52,
    neg_log_posterior,
    pair_differences,
    scaled_sq_distances,
    theta_of,
)

CATEGORICAL = np.array([False, False, True])


def training_data(n: int = 14, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two numeric columns in [0, 1] and a three-level categorical one; standardised targets."""
    rng = np.random.default_rng(seed)
    x = np.column_stack([rng.random(n), rng.random(n), rng.integers(3, size=n).astype(float)])
    y = np.sin(3.0 * x[:, 0]) + (x[:, 1] - 0.3) ** 2 + 0.4 * (x[:, 2] == 1)
    return x, (y - y.mean()) / y.std()


def queries(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.random(n), rng.random(n), rng.integers(3, size=n).astype(float)])


def finite_difference(f, point: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    grad = np.empty_like(point)
    for j in range(len(point)):
        step = np.zeros_like(point)
        step[j] = eps
        grad[j] = (f(point + step) - f(point - step)) / (2 * eps)
    return grad


@pytest.mark.parametrize(
    "theta", [[0.0, 0.0, 0.0, 0.0, -4.6], [-1.2, 0.7, 0.3, 0.5, -9.0], [1.5, -0.4, -1.0, -0.8, -2.0]]
)
def test_the_map_objective_gradient_matches_finite_differences(theta):
    x, y = training_data()
    d2 = pair_differences(x, x, CATEGORICAL)
    theta = np.array(theta)
    _, grad = neg_log_posterior(theta, d2, y)
    numeric = finite_difference(lambda t: neg_log_posterior(t, d2, y)[0], theta)
    np.testing.assert_allclose(grad, numeric, rtol=1e-4, atol=1e-5)


def test_the_posterior_gradients_match_finite_differences_on_numeric_columns():
    x, y = training_data()
    gp = fit(x, y, CATEGORICAL)
    xs = queries(5, seed=1)
    _, _, dmean, dvar = gp.predict_with_grad(xs)
    for i, row in enumerate(xs):
        for j in (0, 1):

            def moved(t: np.ndarray, j: int = j, row: np.ndarray = row) -> np.ndarray:
                shifted = row.copy()
                shifted[j] = t[0]
                return np.concatenate(gp.predict(shifted[None, :]))

            numeric = finite_difference(lambda t, moved=moved: moved(t)[0], row[j : j + 1])
            numeric_var = finite_difference(lambda t, moved=moved: moved(t)[1], row[j : j + 1])
            assert dmean[i, j] == pytest.approx(numeric[0], rel=1e-4, abs=1e-6)
            assert dvar[i, j] == pytest.approx(numeric_var[0], rel=1e-4, abs=1e-6)
    # A categorical column has no gradient: the optimiser never moves it.
    assert not dmean[:, 2].any() and not dvar[:, 2].any()


def test_with_tiny_noise_the_mean_interpolates_and_the_variance_vanishes_at_the_data():
    x, y = training_data()
    gp = GaussianProcess(x, y, CATEGORICAL, Hyperparameters(np.array([0.4, 0.4, 1.0]), signal=1.0, noise=1e-8))
    mean, var = gp.predict(x)
    np.testing.assert_allclose(mean, y, atol=1e-4)
    assert var.max() < 1e-5
    _, var_elsewhere = gp.predict(queries(200, seed=2))
    assert var_elsewhere.min() >= 0.0 and var_elsewhere.max() <= 1.0 + 1e-9
    assert np.median(var_elsewhere) > 100 * var.max()


def test_the_variance_shrinks_as_a_point_approaches_the_data():
    x, y = training_data()
    gp = fit(x, y, CATEGORICAL)
    direction = np.array([1.0, -1.0, 0.0]) / np.sqrt(2)
    distances = [0.3, 0.1, 0.03, 0.0]
    variances = [gp.predict((x[3] + d * direction)[None, :])[1][0] for d in distances]
    assert all(a > b for a, b in itertools.pairwise(variances))
    assert variances[-1] <= gp.hyperparameters.noise * 2 + 1e-6


def test_a_fitted_process_predicts_a_smooth_function_it_has_not_seen():
    rng = np.random.default_rng(3)
    x = rng.random((25, 1))
    y = np.sin(6.0 * x[:, 0])
    gp = fit(x, y, np.array([False]))
    held_out = np.linspace(0.05, 0.95, 19)[:, None]
    mean, _ = gp.predict(held_out)
    assert np.abs(mean - np.sin(6.0 * held_out[:, 0])).max() < 0.05
    assert gp.hyperparameters.noise < 1e-3  # a deterministic function: almost no noise fitted


def test_append_running_believes_the_predicted_mean_and_removes_the_uncertainty_there():
    x, y = training_data()
    gp = fit(x, y, CATEGORICAL)
    fantasies = queries(3, seed=4)
    elsewhere = queries(50, seed=5)
    mean_before, var_before = gp.predict(fantasies)
    mean_elsewhere_before, _ = gp.predict(elsewhere)

    believed = gp.append_running(fantasies)

    np.testing.assert_array_equal(believed, mean_before)
    mean_after, var_after = gp.predict(fantasies)
    np.testing.assert_allclose(mean_after, believed, atol=1e-6)
    assert (var_after < 0.2 * var_before).all()
    assert gp.n_points == len(y) + 3
    # Observing a point at its predicted mean moves the mean nowhere else either.
    np.testing.assert_allclose(gp.predict(elsewhere)[0], mean_elsewhere_before, atol=1e-6)


def test_append_running_is_the_same_process_as_one_built_on_all_the_points():
    x, y = training_data()
    gp = fit(x, y, CATEGORICAL)
    fantasies = queries(2, seed=6)
    believed = gp.append_running(fantasies)
    rebuilt = GaussianProcess(np.vstack([x, fantasies]), np.concatenate([y, believed]), CATEGORICAL, gp.hyperparameters)
    xs = queries(20, seed=7)
    for a, b in zip(gp.predict(xs), rebuilt.predict(xs), strict=True):
        np.testing.assert_array_equal(a, b)


def test_duplicated_points_with_no_noise_still_factorise():
    x, y = training_data(6)
    doubled = np.vstack([x, x])
    gp = GaussianProcess(
        doubled, np.concatenate([y, y]), CATEGORICAL, Hyperparameters(np.ones(3), signal=1.0, noise=1e-12)
    )
    mean, var = gp.predict(x)
    np.testing.assert_allclose(mean, y, atol=1e-3)
    assert (var >= 0).all()


@pytest.mark.parametrize("n", [12, 30, 80])
def test_a_fit_warm_started_from_fewer_points_reaches_the_cold_fits_posterior(n):
    x, y = training_data(n + 1, seed=3)
    earlier = fit(x[:n], (y[:n] - y[:n].mean()) / y[:n].std(), CATEGORICAL)
    cold = fit(x, y, CATEGORICAL)
    warm = fit(x, y, CATEGORICAL, start=theta_of(earlier.hyperparameters))
    d2 = pair_differences(x, x, CATEGORICAL)
    cold_value = neg_log_posterior(theta_of(cold.hyperparameters), d2, y)[0]
    warm_value = neg_log_posterior(theta_of(warm.hyperparameters), d2, y)[0]
    assert warm_value <= cold_value + 1e-3 * max(1.0, abs(cold_value))
    xs = queries(20, seed=4)
    np.testing.assert_allclose(warm.predict(xs)[0], cold.predict(xs)[0], atol=0.02)


def test_a_start_of_the_wrong_width_or_out_of_bounds_falls_back_or_is_clipped():
    x, y = training_data()
    cold = fit(x, y, CATEGORICAL)
    wrong_width = fit(x, y, CATEGORICAL, start=np.zeros(7))
    assert theta_of(wrong_width.hyperparameters) == pytest.approx(theta_of(cold.hyperparameters))
    not_finite = fit(x, y, CATEGORICAL, start=np.full(5, np.nan))
    assert theta_of(not_finite.hyperparameters) == pytest.approx(theta_of(cold.hyperparameters))
    far = fit(x, y, CATEGORICAL, start=np.full(5, 50.0))
    assert np.all(np.isfinite(theta_of(far.hyperparameters)))


def test_predictions_through_the_inverse_factor_match_a_direct_solve():
    x, y = training_data()
    gp = fit(x, y, CATEGORICAL)
    p = gp.hyperparameters
    xs = queries(30, seed=5)
    k = matern52(scaled_sq_distances(x, x, p.lengths, CATEGORICAL), p.signal) + p.noise * np.eye(len(x))
    kx = matern52(scaled_sq_distances(xs, x, p.lengths, CATEGORICAL), p.signal)
    solved = np.linalg.solve(k, kx.T)
    mean, var = gp.predict(xs)
    np.testing.assert_allclose(mean, kx @ np.linalg.solve(k, y), atol=1e-6)
    np.testing.assert_allclose(var, np.maximum(p.signal - np.sum(kx.T * solved, axis=0), 1e-12), atol=1e-6)
