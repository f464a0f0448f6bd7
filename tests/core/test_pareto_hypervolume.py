"""The front and the hypervolume against brute force on random sets."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from studies.core.feasibility import Constraint, is_feasible
from studies.core.hypervolume import hypervolume, hypervolume_history, hypervolume_of
from studies.core.pareto import dominates, front_of, insert
from studies.core.trials import Direction

MIN, MAX = Direction.MINIMIZE, Direction.MAXIMIZE


def brute_front(points, directions):
    return [k for k, v in points if not any(dominates(w, v, directions) for _, w in points)]


def brute_hypervolume(points, ref):
    """Sum of the grid cells (between sorted coordinates) that some point dominates."""
    d = len(ref)
    axes = [sorted({*(p[j] for p in points if all(p < ref)), ref[j]}) for j in range(d)]
    total = 0.0
    for cell in itertools.product(*[range(len(a) - 1) for a in axes]):
        low = [axes[j][cell[j]] for j in range(d)]
        if any(all(p[j] <= low[j] for j in range(d)) for p in points):
            total += float(np.prod([axes[j][cell[j] + 1] - axes[j][cell[j]] for j in range(d)]))
    return total


def test_dominance_respects_each_direction():
    assert dominates([1.0, 5.0], [2.0, 4.0], [MIN, MAX])
    assert not dominates([1.0, 5.0], [2.0, 4.0], [MIN, MIN])
    assert not dominates([1.0, 1.0], [1.0, 1.0], [MIN, MIN])  # equal vectors: neither dominates


@pytest.mark.parametrize("seed", range(20))
def test_the_incremental_front_equals_the_brute_force_one(seed):
    rng = np.random.default_rng(seed)
    d = int(rng.integers(2, 5))
    directions = [MIN if rng.random() < 0.5 else MAX for _ in range(d)]
    # Rounded so ties and duplicates occur.
    points = [(i, tuple(np.round(rng.random(d) * 4) / 4)) for i in range(int(rng.integers(1, 60)))]
    front: list = []
    for key, values in points:
        before = [k for k, _ in front]
        front, changed = insert(front, key, values, directions)
        assert changed == (key in [k for k, _ in front])
        assert changed or before == [k for k, _ in front]
    expected = brute_front(points, directions)
    assert sorted(k for k, _ in front) == expected
    assert [k for k, _ in front_of(points, directions)] == expected


@pytest.mark.parametrize("seed", range(24))
def test_hypervolume_equals_brute_force_in_two_to_four_dimensions(seed):
    rng = np.random.default_rng(100 + seed)
    d = 2 + seed % 3
    n = int(rng.integers(1, {2: 30, 3: 12, 4: 7}[d]))
    points = np.round(rng.random((n, d)) * 10) / 10
    ref = np.full(d, 0.9)  # some points fall outside the reference box
    assert hypervolume(points, ref) == pytest.approx(brute_hypervolume(list(points), ref), abs=1e-12)


def test_hypervolume_of_maximised_objectives_uses_their_direction():
    # Maximise both, reference (0, 0): the union of [0,2]x[0,1] and [0,1]x[0,2] has area 3.
    assert hypervolume_of([[2.0, 1.0], [1.0, 2.0]], [MAX, MAX], [0.0, 0.0]) == pytest.approx(3.0)
    assert hypervolume_history([[1.0, 1.0], [0.5, 0.5], [2.0, 1.0], [1.0, 2.0]], [MAX, MAX], [0.0, 0.0]) == (
        pytest.approx([1.0, 1.0, 2.0, 3.0])
    )


def test_a_front_of_two_hundred_in_four_dimensions_is_exact_and_quick():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(200, 4))
    points = np.abs(x) / np.linalg.norm(x, axis=1, keepdims=True)  # all on a sphere: all non-dominated
    volume = hypervolume(points, [1.0] * 4)
    assert 0.0 < volume < 1.0


def test_feasibility_needs_every_constraint_metric_within_bounds():
    limits = [Constraint("memory", max=10.0), Constraint("fairness", min=0.5, max=1.0)]
    assert is_feasible({"memory": 10.0, "fairness": 0.5}, limits)
    assert not is_feasible({"memory": 10.5, "fairness": 0.7}, limits)
    assert not is_feasible({"memory": 1.0}, limits)  # not reported: not feasible
    assert is_feasible({}, [])


def test_a_bounded_hypervolume_history_agrees_where_it_recomputes_and_ends_exact():
    rng = np.random.default_rng(8)
    values = [list(v) for v in rng.random((60, 3))]
    ref = [1.0, 1.0, 1.0]
    full = hypervolume_history(values, [MIN] * 3, ref)
    bounded = hypervolume_history(values, [MIN] * 3, ref, max_evaluations=10)
    assert bounded[-1] == pytest.approx(full[-1])
    assert all(b <= f + 1e-12 for b, f in zip(bounded, full, strict=True))  # held values lag, never lead
    assert bounded[::6] == pytest.approx(full[::6])
