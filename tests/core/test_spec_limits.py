"""Limits that keep validation and the grid fast, and what stays allowed under them."""

from __future__ import annotations

import time

import pytest

from studies.core.errors import SpecError
from studies.core.limits import MAX_CHOICES, MAX_DIMENSIONS, MAX_POINTS_PER_DIM
from studies.core.samplers import make_sampler
from studies.core.spec import MAX_TRIALS, parse_spec
from studies.core.trials import Direction
from tests.support.malformed_specs import cat, dim, dims, grid, spec


def errors_of(raw) -> dict[str, str]:
    with pytest.raises(SpecError) as refused:
        parse_spec(raw, executors={"quadratic"})
    return dict(refused.value.errors)


def test_a_huge_grid_with_an_explicit_budget_is_accepted_and_stays_lazy():
    started = time.monotonic()
    parsed = parse_spec(grid(MAX_POINTS_PER_DIM, n_trials=1000, n_dims=MAX_DIMENSIONS), executors={"quadratic"})
    sampler = make_sampler(parsed.sampler, parsed.space, Direction.MINIMIZE)
    assert sampler.size() == MAX_POINTS_PER_DIM**MAX_DIMENSIONS
    assert len(sampler.suggest(999, [])) == MAX_DIMENSIONS
    assert time.monotonic() - started < 2


def test_without_a_budget_a_grid_over_the_trial_cap_asks_for_one():
    message = errors_of(grid(1000, n_trials=..., n_dims=3))["n_trials"]
    assert "is required: the grid has 1000000000 points" in message and str(MAX_TRIALS) in message
    assert "about 10^225" in errors_of(grid(MAX_POINTS_PER_DIM, n_trials=..., n_dims=75))["n_trials"]


def test_a_grid_at_the_cap_without_a_budget_takes_the_grid_size():
    assert parse_spec(grid(10, n_trials=..., n_dims=7), executors={"quadratic"}).n_trials == MAX_TRIALS


def test_conditions_that_stop_mattering_do_not_blow_up_the_grid_count():
    parents = [cat(f"p{i}", list(range(10))) for i in range(3)]
    child = dim(name="child", when={"p0": [1], "p1": [2], "p2": [3]})
    rest = [dim(name=f"x{i}") for i in range(90)]
    raw = dims(*parents, child, *rest, sampler={"type": "grid", "points_per_dim": 2}, n_trials=10)
    started = time.monotonic()
    parsed = parse_spec(raw, executors={"quadratic"})
    assert time.monotonic() - started < 1
    assert make_sampler(parsed.sampler, parsed.space, Direction.MINIMIZE).size() == (1000 - 1 + 2) * 2**90


def test_the_caps_are_reported_on_their_fields_with_the_limit():
    assert (
        str(MAX_DIMENSIONS) in errors_of(dims(*[dim(name=f"x{i}") for i in range(MAX_DIMENSIONS + 1)]))["search_space"]
    )
    assert str(MAX_CHOICES) in errors_of(dims(cat(choices=list(range(MAX_CHOICES + 1)))))["search_space[0].choices"]
    assert str(MAX_POINTS_PER_DIM) in errors_of(grid(MAX_POINTS_PER_DIM + 1))["sampler.points_per_dim"]


def test_a_thousand_choices_validate_quickly():
    started = time.monotonic()
    parse_spec(dims(cat(choices=[f"c{i}" for i in range(MAX_CHOICES)])), executors={"quadratic"})
    assert time.monotonic() - started < 0.5


@pytest.mark.parametrize("name", ["x", "learning_rate", "layer.0.units", "n-estimators", "_private", "A" * 64])
def test_dimension_names_may_use_letters_digits_and_underscore_dot_dash(name):
    parse_spec(dims(dim(name=name)), executors={"quadratic"})


def test_a_stored_spec_from_before_the_name_rule_still_loads():
    old = spec(search_space=[dim(name="learning rate (log)")])
    assert "search_space[0].name" in errors_of(old)
    assert parse_spec(old, stored=True).space.names == ["learning rate (log)"]
