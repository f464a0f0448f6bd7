import math

import pytest

from studies.core.errors import SamplerExhausted
from studies.core.samplers import make_sampler, parse_sampler
from studies.core.space import parse_space
from studies.core.trials import Direction


def grid(space, points=3):
    space = parse_space(space)
    return make_sampler(parse_sampler({"type": "grid", "points_per_dim": points}, space), space, Direction.MINIMIZE)


def all_points(sampler):
    return [sampler.suggest(k, []) for k in range(sampler.size())]


def test_grid_of_3_points_by_2_choices_has_6_distinct_points():
    sampler = grid(
        [
            {"name": "lr", "type": "float", "low": 0.001, "high": 0.1, "scale": "log"},
            {"name": "activation", "type": "categorical", "choices": ["relu", "tanh"]},
        ]
    )
    points = all_points(sampler)
    assert sampler.size() == 6
    assert len({tuple(sorted(p.items())) for p in points}) == 6
    lrs = sorted({p["lr"] for p in points})
    assert lrs[0] == 0.001 and lrs[-1] == 0.1
    assert math.isclose(lrs[1], 0.01)  # log spacing: the geometric middle


def test_grid_deduplicates_integer_points():
    sampler = grid([{"name": "n", "type": "int", "low": 1, "high": 3}], points=10)
    assert all_points(sampler) == [{"n": 1}, {"n": 2}, {"n": 3}]


def test_grid_counts_conditional_branches_without_multiplying_inactive_children():
    sampler = grid(
        [
            {"name": "kernel", "type": "categorical", "choices": ["rbf", "poly", "linear"]},
            {"name": "degree", "type": "int", "low": 2, "high": 4, "when": {"kernel": ["poly"]}},
            {"name": "gamma", "type": "float", "low": 0.1, "high": 1, "when": {"kernel": ["rbf", "poly"]}},
        ]
    )
    points = all_points(sampler)
    # rbf: 3 gammas; poly: 3 degrees x 3 gammas; linear: 1
    assert len(points) == sampler.size() == 3 + 9 + 1
    assert len({tuple(sorted(p.items())) for p in points}) == len(points)


def test_grid_is_lazy_for_huge_products():
    sampler = grid([{"name": f"x{i}", "type": "float", "low": 0, "high": 1} for i in range(30)], points=10)
    assert sampler.size() == 10**30
    last = sampler.suggest(10**30 - 1, [])
    assert all(v == 1.0 for v in last.values())
    with pytest.raises(SamplerExhausted):
        sampler.suggest(10**30, [])


def test_random_trial_k_does_not_depend_on_claim_order():
    space = parse_space(
        [
            {"name": "x", "type": "float", "low": 0, "high": 1},
            {"name": "c", "type": "categorical", "choices": ["a", "b", "c"]},
        ]
    )
    sampler = make_sampler(parse_sampler({"type": "random", "seed": 42}, space), space, Direction.MAXIMIZE)
    forward = [sampler.suggest(k, []) for k in range(10)]
    backward = [sampler.suggest(k, []) for k in reversed(range(10))][::-1]
    assert forward == backward
