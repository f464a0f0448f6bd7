"""The per-process cache of each study's last GP fit, and the sampler's use of it."""

from __future__ import annotations

import numpy as np

from studies.core.samplers import bayesian as bayesian_module
from studies.core.samplers import make_sampler, parse_sampler
from studies.core.samplers.gp import Hyperparameters
from studies.core.samplers.warm_start import WarmStarts, data_key, row_keys
from studies.core.space import parse_space
from studies.core.trials import Direction, FrozenTrial, TrialState

PARAMS = Hyperparameters(np.array([0.5, 2.0]), 1.3, 1e-3)
SPACE = [
    {"name": "x", "type": "float", "low": -2.0, "high": 2.0},
    {"name": "y", "type": "float", "low": -2.0, "high": 2.0},
]


def points(n: int, seed: int = 0, width: int = 2) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.random((n, width)), rng.normal(size=n)


def test_an_earlier_fit_of_a_subset_of_the_points_is_a_start():
    cache = WarmStarts()
    x, y = points(8)
    cache.store("study", row_keys(x[:6]), data_key(x[:6], y[:6]), PARAMS)
    assert cache.lookup("study", row_keys(x), data_key(x, y), 2) == (PARAMS, False)


def test_the_same_data_again_reuses_the_fit_as_it_is():
    cache = WarmStarts()
    x, y = points(8)
    cache.store("study", row_keys(x), data_key(x, y), PARAMS)
    assert cache.lookup("study", row_keys(x), data_key(x, y), 2) == (PARAMS, True)
    # Same points, other targets (a pruned trial's stand-in moved): a start, not the fit.
    assert cache.lookup("study", row_keys(x), data_key(x, y + 1.0), 2) == (PARAMS, False)


def test_no_start_for_another_study_another_run_or_another_space():
    cache = WarmStarts()
    x, y = points(8)
    cache.store("study", row_keys(x), data_key(x, y), PARAMS)
    assert cache.lookup("other", row_keys(x), data_key(x, y), 2) == (None, False)
    # A second run of the same study: its first points are not the first run's.
    x2, y2 = points(8, seed=1)
    assert cache.lookup("study", row_keys(x2), data_key(x2, y2), 2) == (None, False)
    # The space gained a dimension: a fit of two columns cannot start one of three.
    x3, y3 = points(8, width=3)
    assert cache.lookup("study", row_keys(x3), data_key(x3, y3), 3) == (None, False)


def test_the_cache_keeps_the_most_recently_used_studies():
    cache = WarmStarts(size=2)
    x, y = points(4)
    rows, data = row_keys(x), data_key(x, y)
    for key in ("a", "b"):
        cache.store(key, rows, data, PARAMS)
    cache.lookup("a", rows, data, 2)
    cache.store("c", rows, data, PARAMS)
    assert cache.lookup("b", rows, data, 2) == (None, False)
    assert cache.lookup("a", rows, data, 2)[0] is PARAMS


def run(seed: int, n_trials: int) -> list[dict]:
    space = parse_space(SPACE)
    sampler = make_sampler(parse_sampler({"type": "bayesian", "seed": seed}, space), space, Direction.MINIMIZE)
    history: list[FrozenTrial] = []
    for number in range(n_trials):
        params = sampler.suggest(number, history)
        value = (params["x"] - 0.7) ** 2 + (params["y"] + 1.1) ** 2
        history.append(FrozenTrial(number, TrialState.COMPLETED, params, value))
    return [t.params for t in history]


def test_a_run_replayed_in_the_same_process_or_a_fresh_one_gives_the_same_suggestions():
    first = run(seed=5, n_trials=16)
    # The cache now holds the end of the first run: a replay must not start from it.
    assert run(seed=5, n_trials=16) == first
    bayesian_module.WARM_STARTS.clear()  # as in a fresh process
    assert run(seed=5, n_trials=16) == first


def test_a_suggestion_warm_started_or_cold_is_close():
    space = parse_space(SPACE)
    history = [
        FrozenTrial(k, TrialState.COMPLETED, params, (params["x"] - 0.7) ** 2 + (params["y"] + 1.1) ** 2)
        for k, params in enumerate(run(seed=6, n_trials=20))
    ]
    sampler = make_sampler(parse_sampler({"type": "bayesian", "seed": 6}, space), space, Direction.MINIMIZE)
    warm = sampler.suggest(20, history)  # the run above left its fit of 19 points
    bayesian_module.WARM_STARTS.clear()
    cold = sampler.suggest(20, history)
    assert abs(warm["x"] - cold["x"]) < 0.05 and abs(warm["y"] - cold["y"]) < 0.05
