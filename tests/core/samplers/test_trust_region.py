"""The trust region: its side replayed from the values, and its box on the unit cube."""

from __future__ import annotations

import numpy as np
import pytest

from studies.core.samplers import trust_region
from studies.core.samplers.trust_region import INITIAL, LARGEST, side_length


def test_it_starts_at_the_initial_side_whatever_the_startup_trials_did():
    assert side_length([5.0, 3.0, 4.0], n_startup=3, n_dims=2) == INITIAL
    assert side_length([], n_startup=10, n_dims=2) == INITIAL


def test_three_improvements_in_a_row_double_the_side_up_to_the_largest():
    # Startup best 10; then 9, 8, 7 (three successes): 0.8 -> 1.6; three more stay at 1.6.
    values = [10.0, 20.0, 9.0, 8.0, 7.0]
    assert side_length(values, n_startup=2, n_dims=2) == pytest.approx(2 * INITIAL)
    assert side_length([*values, 6.0, 5.0, 4.0], n_startup=2, n_dims=2) == LARGEST


def test_max_4_d_failures_in_a_row_halve_the_side():
    # Two dimensions: four failures halve; six dimensions: six are needed.
    assert side_length([1.0, 2.0] + [3.0] * 4, n_startup=2, n_dims=2) == pytest.approx(INITIAL / 2)
    assert side_length([1.0, 2.0] + [3.0] * 5, n_startup=2, n_dims=6) == INITIAL
    assert side_length([1.0, 2.0] + [3.0] * 6, n_startup=2, n_dims=6) == pytest.approx(INITIAL / 2)


def test_an_improvement_resets_the_failure_count_and_a_tiny_one_is_a_failure():
    # Spread 100: an improvement under 0.1 does not count as progress.
    failures = [100.0, 0.0, 1.0, 1.0, 1.0, -0.05]
    assert side_length(failures, n_startup=2, n_dims=2) == pytest.approx(INITIAL / 2)
    reset = [100.0, 0.0, 1.0, 1.0, 1.0, -5.0, 1.0, 1.0, 1.0]
    assert side_length(reset, n_startup=2, n_dims=2) == INITIAL


def test_a_collapsed_region_starts_over_at_the_initial_side():
    halvings = 7  # 0.8 / 2**7 is below the smallest side, 0.5**7
    values = [0.0, 1.0] + [1.0] * (4 * halvings)
    assert side_length(values, n_startup=2, n_dims=2) == INITIAL
    assert side_length(values[:-1], n_startup=2, n_dims=2) == pytest.approx(INITIAL / 2**6)


def test_the_box_is_centred_stretched_along_long_length_scales_and_clipped():
    numeric = np.array([True, True, False])
    low, high = trust_region.box(np.array([0.5, 0.9, 2.0]), np.array([0.2, 0.8, 1.0]), 0.4, numeric)
    # Weights l / geometric mean(0.2, 0.8) = 0.5 and 2: sides 0.2 and 0.8.
    np.testing.assert_allclose(low[:2], [0.4, 0.5])
    np.testing.assert_allclose(high[:2], [0.6, 1.0])
    # A categorical column is not restricted.
    assert (low[2], high[2]) == (0.0, 1.0)


def test_an_ignored_column_does_not_squeeze_the_box_along_the_others():
    numeric = np.ones(3, dtype=bool)
    low, high = trust_region.box(np.full(3, 0.5), np.array([0.5, 1e3, 1e3]), 0.8, numeric)
    assert high[0] - low[0] > 0.2
