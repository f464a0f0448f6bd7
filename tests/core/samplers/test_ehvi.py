"""Expected hypervolume improvement: boxes, values against brute force, and its gradient."""

from __future__ import annotations

import numpy as np
import pytest

from studies.core.hypervolume import hypervolume
from studies.core.samplers.ehvi import LogEHVI, domination_counts, nondominated_boxes, thin_front
from studies.core.samplers.gp import fit


def improvement(front, point, reference):
    return hypervolume(np.vstack([front, point]), reference) - hypervolume(front, reference)


@pytest.mark.parametrize("d", [2, 3])
def test_the_boxes_cover_exactly_what_the_front_leaves_undominated(d):
    rng = np.random.default_rng(d)
    for _ in range(5):
        front = rng.random((9, d))
        reference = np.full(d, 1.2)
        lower, upper = nondominated_boxes(front, reference)
        volumes = np.prod(np.maximum(upper - np.maximum(lower, 0.0), 0.0), axis=1)
        assert volumes.sum() + hypervolume(front, reference) == pytest.approx(np.prod(reference))


@pytest.mark.parametrize("d", [2, 3])
def test_with_almost_no_uncertainty_ehvi_is_the_brute_force_improvement(d):
    rng = np.random.default_rng(10 + d)
    front, reference = rng.random((7, d)), np.full(d, 1.1)
    acquisition = LogEHVI([], *nondominated_boxes(front, reference))
    points = rng.random((20, d)) * 1.2 - 0.1  # some dominated, some outside the reference box
    expected = [improvement(front, p, reference) for p in points]
    got = acquisition.expected_improvement(points, np.full_like(points, 1e-9))
    np.testing.assert_allclose(got, expected, atol=1e-7)
    assert (got > 0).any() and (got == 0).any()


def test_ehvi_is_the_mean_improvement_of_gaussian_draws():
    rng = np.random.default_rng(3)
    front, reference = rng.random((6, 2)), np.full(2, 1.1)
    mean, sigma = np.array([[0.3, 0.4]]), np.array([[0.2, 0.3]])
    acquisition = LogEHVI([], *nondominated_boxes(front, reference))
    draws = mean + sigma * rng.normal(size=(6000, 2))
    monte_carlo = np.mean([improvement(front, y, reference) for y in draws])
    assert acquisition.expected_improvement(mean, sigma)[0] == pytest.approx(monte_carlo, rel=0.03)


def test_the_gradient_of_log_ehvi_matches_finite_differences():
    rng = np.random.default_rng(1)
    x = rng.random((20, 3))
    targets = [np.sin(3 * x[:, 0]) + x[:, 1], np.cos(2 * x[:, 0]) - x[:, 2]]
    scaled = np.column_stack([(y - y.mean()) / y.std() for y in targets])
    gps = [fit(x, scaled[:, j], np.zeros(3, dtype=bool)) for j in range(2)]
    front = scaled[domination_counts(scaled) == 0]
    acquisition = LogEHVI(gps, *nondominated_boxes(front, front.max(axis=0) + 0.3))
    xs = rng.random((4, 3))
    values, grad = acquisition.with_grad(xs)
    np.testing.assert_allclose(values, acquisition(xs))
    step = 1e-6
    numeric = np.column_stack(
        [(acquisition(xs + step * e) - acquisition(xs - step * e)) / (2 * step) for e in np.eye(3)]
    )
    np.testing.assert_allclose(grad, numeric, rtol=1e-4, atol=1e-5)


def test_a_thinned_front_keeps_each_objectives_extremes():
    rng = np.random.default_rng(5)
    angles = rng.random(200) * np.pi / 2
    front = np.column_stack([np.cos(angles), np.sin(angles), np.zeros(200)])
    thinned = thin_front(front, 10, rng)
    assert len(thinned) == 10
    for j in range(2):
        assert thinned[:, j].min() == front[:, j].min() and thinned[:, j].max() == front[:, j].max()
