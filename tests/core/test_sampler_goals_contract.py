"""The sampler contract with several objectives and constraints, for every registered sampler."""

from __future__ import annotations

import math

import numpy as np
import pytest

from studies.core.feasibility import Constraint
from studies.core.goals import Goals, Objective
from studies.core.hypervolume import hypervolume_of
from studies.core.samplers import SAMPLERS, make_sampler, parse_sampler
from studies.core.space import parse_space
from studies.core.trials import Direction, FrozenTrial, TrialState
from tests.core.test_sampler_contract import SPACES, objective

MIN, MAX = Direction.MINIMIZE, Direction.MAXIMIZE
TWO_LIMITED = Goals((Objective("f", MIN), Objective("g", MAX)), (Constraint("c", max=0.5),))
THREE = Goals((Objective("f", MIN), Objective("g", MAX), Objective("h", MIN)), (Constraint("c", min=0.1, max=0.9),))
PLANE = parse_space(
    [{"name": "x", "type": "float", "low": 0, "high": 1}, {"name": "y", "type": "float", "low": 0, "high": 1}]
)


def make(kind, space, goals, seed=3, n_startup=None):
    raw = {"type": kind, "seed": seed} if kind != "grid" else {"type": "grid", "points_per_dim": 3}
    if kind == "bayesian" and n_startup is not None:
        raw["n_startup"] = n_startup
    return make_sampler(parse_sampler(raw, space), space, goals.objectives[0].direction, goals)


def metrics_of(params, goals):
    """Deterministic metrics for any configuration: an objective value each, and the constraint's."""
    base = objective(params)
    out = {o.metric: math.sin(3.0 * base + i) for i, o in enumerate(goals.objectives)}
    out["c"] = (base * 0.37) % 1.0
    return out


def completed(number, params, metrics, goals):
    values = tuple(metrics[m] for m in goals.metrics)
    return FrozenTrial(number, TrialState.COMPLETED, params, value=values[0], values=values, metrics=metrics)


def run(kind, space, goals, n, evaluate, seed=3, n_startup=None):
    sampler = make(kind, space, goals, seed, n_startup)
    history: list[FrozenTrial] = []
    for number in range(n if sampler.size() is None else min(n, sampler.size())):
        params = sampler.suggest(number, list(history))
        history.append(completed(number, params, evaluate(params), goals))
    return history


@pytest.fixture(params=sorted(k for k in SAMPLERS if not k.startswith("slow_")))
def kind(request):
    return request.param


@pytest.mark.parametrize("goals", [TWO_LIMITED, THREE], ids=["two-limited", "three"])
@pytest.mark.parametrize("space_name", sorted(SPACES))
def test_every_suggestion_is_valid_and_the_same_seed_repeats_it(kind, goals, space_name):
    space = parse_space(SPACES[space_name])
    first = run(kind, space, goals, 10, lambda p: metrics_of(p, goals), n_startup=4)
    again = run(kind, space, goals, 10, lambda p: metrics_of(p, goals), n_startup=4)
    assert first and all(space.problems(t.params) == [] for t in first)
    assert [t.params for t in first] == [t.params for t in again]


def test_running_and_failed_configurations_are_not_handed_out_again(kind):
    space = parse_space(SPACES["mixed"])
    history = run(kind, space, TWO_LIMITED, 8, lambda p: metrics_of(p, TWO_LIMITED), n_startup=4)
    sampler = make(kind, space, TWO_LIMITED, n_startup=4)
    busy = [FrozenTrial(8, TrialState.RUNNING, history[0].params), FrozenTrial(9, TrialState.FAILED, history[1].params)]
    for number in range(10, 13):
        params = sampler.suggest(number, [*history[2:], *busy])
        assert params not in (history[0].params, history[1].params)
        busy.append(FrozenTrial(number, TrialState.RUNNING, params))


def zdt1(params):
    x = [params["x"], params["y"]]
    g = 1.0 + 9.0 * x[1]
    f1 = x[0]
    return {"f": f1, "g": -(g * (1.0 - math.sqrt(f1 / g))), "c": (x[0] - 0.5) ** 2 + (x[1] - 0.2) ** 2}


def test_the_bayesian_sampler_beats_random_on_a_constrained_two_objective_problem():
    """ZDT1 (g maximised as its negative) under a disc-shaped constraint: more feasible trials, a larger front."""

    def score(kind, seed):
        history = run(kind, PLANE, TWO_LIMITED, 30, zdt1, seed=seed, n_startup=6)
        feasible = [t.values for t in history if TWO_LIMITED.feasible(t.metrics)]
        volume = hypervolume_of(feasible, TWO_LIMITED.directions, [1.1, -11.0])
        return len(feasible), volume

    bayes = [score("bayesian", seed) for seed in (1, 2)]
    rand = [score("random", seed) for seed in (1, 2)]
    assert np.mean([b[0] for b in bayes]) > np.mean([r[0] for r in rand])
    assert np.mean([b[1] for b in bayes]) > np.mean([r[1] for r in rand])
