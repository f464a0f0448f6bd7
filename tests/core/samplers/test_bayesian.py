"""The Bayesian sampler, driven in memory the way a study drives it."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from studies.core.errors import SpecError
from studies.core.samplers import SAMPLERS, make_sampler, parse_sampler
from studies.core.samplers.base import sample_uniform
from studies.core.samplers.bayesian import subsample
from studies.core.samplers.encoding import params_key
from studies.core.space import parse_space
from studies.core.trials import Direction, FrozenTrial, TrialState

QUADRATIC_SPACE = [
    {"name": "x", "type": "float", "low": -2.0, "high": 2.0},
    {"name": "y", "type": "float", "low": -2.0, "high": 2.0},
]


def quadratic(p):
    return (p["x"] - 0.7) ** 2 + (p["y"] + 1.1) ** 2


def bayesian(raw_space, seed=0, direction=Direction.MINIMIZE, **options):
    space = parse_space(raw_space)
    return make_sampler(parse_sampler({"type": "bayesian", "seed": seed, **options}, space), space, direction), space


def random_points(raw_space, rng, n):
    space = parse_space(raw_space)
    return [sample_uniform(space, rng) for _ in range(n)]


def run(sampler, fn, n_trials):
    history = []
    for number in range(n_trials):
        params = sampler.suggest(number, history)
        history.append(FrozenTrial(number, TrialState.COMPLETED, params, fn(params)))
    return history


def test_it_is_registered_and_picks_n_startup_from_the_dimension_count():
    assert "bayesian" in SAMPLERS and SAMPLERS["bayesian"].uses_history
    two = parse_sampler({"type": "bayesian", "seed": 1}, parse_space(QUADRATIC_SPACE))
    six = parse_sampler(
        {"type": "bayesian", "seed": 1},
        parse_space([{"name": f"x{i}", "type": "float", "low": 0, "high": 1} for i in range(6)]),
    )
    assert two == {"type": "bayesian", "seed": 1, "n_startup": 6}
    assert six["n_startup"] == 10


@pytest.mark.parametrize(
    "raw, field",
    [
        ({"type": "bayesian", "n_startup": 0}, "n_startup"),
        ({"type": "bayesian", "n_startup": "ten"}, "n_startup"),
        ({"type": "bayesian", "n_startup": True}, "n_startup"),
        ({"type": "bayesian", "seed": -1}, "seed"),
        ({"type": "bayesian", "acquisition": "ucb"}, "acquisition"),
    ],
)
def test_bad_options_are_rejected_naming_the_field(raw, field):
    with pytest.raises(SpecError) as caught:
        parse_sampler(raw, None)
    assert [path for path, _ in caught.value.errors] == [field]


def test_options_are_checked_even_when_the_space_is_invalid():
    assert parse_sampler({"type": "bayesian", "n_startup": 5}, None)["n_startup"] == 5


def test_the_same_seed_and_history_give_the_same_suggestion():
    first, _ = bayesian(QUADRATIC_SPACE, seed=3)
    history = run(first, quadratic, 12)
    again, _ = bayesian(QUADRATIC_SPACE, seed=3)
    assert again.suggest(12, history) == first.suggest(12, history)
    other, _ = bayesian(QUADRATIC_SPACE, seed=4)
    assert [other.suggest(k, []) for k in range(3)] != [first.suggest(k, []) for k in range(3)]


def test_it_reaches_the_optimum_of_a_2d_quadratic_within_30_trials():
    for seed in (0, 1):
        sampler, _ = bayesian(QUADRATIC_SPACE, seed=seed)
        history = run(sampler, quadratic, 30)
        # Random search's median best after 30 trials here is about 0.1.
        assert min(t.value for t in history) < 1e-3


def test_it_maximises_when_the_direction_is_maximize():
    sampler, _ = bayesian(QUADRATIC_SPACE, seed=2, direction=Direction.MAXIMIZE)
    history = run(sampler, lambda p: 5.0 - quadratic(p), 30)
    assert max(t.value for t in history) > 5.0 - 1e-3


def test_it_finds_the_best_choice_of_a_mixed_space():
    space = [
        {"name": "lr", "type": "float", "low": 1e-5, "high": 1.0, "scale": "log"},
        {"name": "layers", "type": "int", "low": 1, "high": 8},
        {"name": "act", "type": "categorical", "choices": ["relu", "tanh", "sigmoid"]},
    ]
    penalty = {"relu": 0.5, "tanh": 0.0, "sigmoid": 0.8}

    def fn(p):
        return (math.log10(p["lr"]) + 2.0) ** 2 + 0.1 * (p["layers"] - 6) ** 2 + penalty[p["act"]]

    sampler, parsed = bayesian(space, seed=5)
    history = run(sampler, fn, 40)
    best = min(history, key=lambda t: t.value)
    assert all(parsed.problems(t.params) == [] for t in history)
    assert isinstance(best.params["layers"], int)
    assert (best.params["act"], best.params["layers"]) == ("tanh", 6)
    assert best.value < 0.01


CONDITIONAL_SPACE = [
    {"name": "C", "type": "float", "low": 1e-3, "high": 1e3, "scale": "log"},
    {"name": "kernel", "type": "categorical", "choices": ["rbf", "poly"]},
    {"name": "degree", "type": "int", "low": 2, "high": 5, "when": {"kernel": ["poly"]}},
    {"name": "coef", "type": "float", "low": 0.0, "high": 1.0, "when": {"kernel": ["poly"], "degree": [3, 4]}},
]


def conditional_objective(p):
    base = (math.log10(p["C"]) - 1.0) ** 2
    if p["kernel"] == "poly":
        return base + 0.1 * abs(p["degree"] - 3) + (p.get("coef", 0.5) - 0.2) ** 2
    return base + 0.3


def test_conditional_dimensions_appear_exactly_when_active():
    sampler, space = bayesian(CONDITIONAL_SPACE, seed=1)
    history = run(sampler, conditional_objective, 30)
    for trial in history:
        assert space.problems(trial.params) == [], trial.params
    kernels = {t.params["kernel"] for t in history}
    assert kernels == {"rbf", "poly"}
    assert any("coef" in t.params for t in history)
    best = min(history, key=lambda t: t.value)
    assert best.params["kernel"] == "poly" and best.params["degree"] == 3


def test_it_does_not_propose_a_duplicate_of_a_running_trial():
    sampler, _ = bayesian(QUADRATIC_SPACE, seed=0)
    history = run(sampler, quadratic, 15)
    running = []
    for number in range(15, 19):
        # Each new worker sees the previous ones running: the first would repeat
        # what it would have proposed had nothing been running.
        params = sampler.suggest(number, history + running)
        assert params_key(params) not in {params_key(t.params) for t in running}
        running.append(FrozenTrial(number, TrialState.RUNNING, params))
    # The running trials are believed at their predicted values, so the proposals
    # spread out. Ignoring them, the five proposals would agree to about 1e-7 (the
    # optimiser's tolerance); with them they sit apart by about 1e-4 or more.
    fifth = sampler.suggest(19, history + running)
    assert params_key(fifth) not in {params_key(t.params) for t in running}
    points = [(t.params["x"], t.params["y"]) for t in running] + [(fifth["x"], fifth["y"])]
    closest = min(math.dist(a, b) for a, b in itertools.combinations(points, 2))
    assert closest > 1e-5


def test_failed_trials_params_are_never_suggested_again():
    # A small discrete space whose best point always fails: the sampler must move on.
    space = [
        {"name": "a", "type": "int", "low": 0, "high": 3},
        {"name": "b", "type": "categorical", "choices": ["p", "q", "r"]},
    ]
    sampler, _ = bayesian(space, seed=0, n_startup=4)
    history = []
    failed = set()
    for number in range(12):
        params = sampler.suggest(number, history)
        assert params_key(params) not in failed
        if params["a"] <= 1:
            failed.add(params_key(params))
            history.append(FrozenTrial(number, TrialState.FAILED, params))
        else:
            history.append(FrozenTrial(number, TrialState.COMPLETED, params, float(params["a"])))


def test_pruned_trials_push_the_search_away_without_stopping_it():
    sampler, space = bayesian(QUADRATIC_SPACE, seed=0)
    history = []
    for number in range(30):
        params = sampler.suggest(number, history)
        value = quadratic(params)
        if value > 1.0:
            history.append(FrozenTrial(number, TrialState.PRUNED, params, intermediate={0: value + 1.0}, pruned_step=0))
        else:
            history.append(FrozenTrial(number, TrialState.COMPLETED, params, value))
    assert all(space.problems(t.params) == [] for t in history)
    assert min(t.value for t in history if t.value is not None) < 1e-2


@pytest.mark.parametrize(
    "direction, early_good, early_bad",
    [(Direction.MINIMIZE, 0.5, 5.0), (Direction.MAXIMIZE, 5.0, 0.5)],
)
def test_a_pruned_trial_counts_as_no_better_than_the_median_never_as_a_full_observation(
    direction, early_good, early_bad
):
    """Stopped at the first rung with a promising value, it is still only a median trial."""
    sampler, _ = bayesian(QUADRATIC_SPACE, seed=0, direction=direction)
    point = {"x": 0.0, "y": 0.0}
    completed = [FrozenTrial(n, TrialState.COMPLETED, {"x": n / 4, "y": 0.0}, float(n + 1)) for n in range(3)]
    pruned = [
        FrozenTrial(3, TrialState.PRUNED, point, intermediate={0: 9.0, 1: early_good}, pruned_step=1),
        FrozenTrial(4, TrialState.PRUNED, point, intermediate={1: early_bad}, pruned_step=1),
        FrozenTrial(5, TrialState.PRUNED, point, pruned_step=0),  # stopped before any report
    ]
    observed, values, _, _ = sampler._split([*completed, *pruned])
    assert len(observed) == 6
    # Completed 1, 2, 3: median 2. The promising early value is capped there; a worse one is kept.
    assert list(values) == [1.0, 2.0, 3.0, 2.0, early_bad, 2.0]
    # Without a completed trial there is no median to cap at: pruned trials are not modelled.
    observed, values, _, _ = sampler._split(pruned)
    assert observed == [] and len(values) == 0


def test_startup_trials_are_distinct_whatever_order_they_are_claimed_in():
    sampler, _ = bayesian(QUADRATIC_SPACE, seed=9, n_startup=8)
    forward = [sampler.suggest(k, []) for k in range(8)]
    backward = [sampler.suggest(k, []) for k in reversed(range(8))][::-1]
    assert forward == backward
    assert len({params_key(p) for p in forward}) == 8


def test_startup_trials_skip_a_design_point_that_is_running_or_failed():
    space = [
        {"name": "a", "type": "int", "low": 0, "high": 2},
        {"name": "b", "type": "categorical", "choices": ["p", "q", "r"]},
    ]
    sampler, _ = bayesian(space, seed=0, n_startup=6)
    design = sampler.suggest(3, [])
    for state in (TrialState.FAILED, TrialState.RUNNING):
        # Another trial already holds trial 3's design point (e.g. a retried one).
        history = [FrozenTrial(0, state, design)]
        assert params_key(sampler.suggest(3, history)) != params_key(design)


def test_past_the_model_budget_it_keeps_the_incumbents_whole_neighbourhood():
    rng = np.random.default_rng(5)
    x = rng.random((600, 3))
    y = np.sum((x - 0.3) ** 2, axis=1) + 0.05 * rng.random(600)
    kept_x, kept_y = subsample(x, y, 128, rng)
    assert len(kept_x) == 128 and len({tuple(r) for r in kept_x}) == 128
    best = x[np.argmin(y)]
    nearest = x[np.argsort(np.sum((x - best) ** 2, axis=1))[:64]]
    # The trust region: every one of the 64 points closest to the incumbent is modelled...
    assert {tuple(r) for r in nearest} <= {tuple(r) for r in kept_x}
    # ...and the rest of the space is still represented, far points included.
    assert np.max(np.sum((kept_x - best) ** 2, axis=1)) > 0.5
    rows = {tuple(r): v for r, v in zip(x, y, strict=True)}
    assert all(rows[tuple(r)] == v for r, v in zip(kept_x, kept_y, strict=True))


def test_a_long_run_keeps_improving_past_the_model_budget():
    space = [{"name": f"x{i}", "type": "float", "low": -2.0, "high": 2.0} for i in range(3)]
    sampler, _ = bayesian(space, seed=2)
    rng = np.random.default_rng(0)

    def bowl(p):
        return sum((p[f"x{i}"] - 0.37) ** 2 for i in range(3))

    # 300 random trials of history: the model sees only 128 of them.
    history = [FrozenTrial(k, TrialState.COMPLETED, p, bowl(p)) for k, p in enumerate(random_points(space, rng, 300))]
    best_before = min(t.value for t in history)
    for number in range(300, 315):
        params = sampler.suggest(number, history)
        history.append(FrozenTrial(number, TrialState.COMPLETED, params, bowl(params)))
    assert min(t.value for t in history) < best_before / 10
