"""The bayesian sampler with several objectives and constraints: behaviour a user would see."""

from __future__ import annotations

import math

import numpy as np

from studies.core.feasibility import Constraint
from studies.core.goals import Goals, Objective
from studies.core.hypervolume import hypervolume_of
from studies.core.samplers import make_sampler, parse_sampler
from studies.core.space import parse_space
from studies.core.trials import Direction, FrozenTrial, TrialState

MIN, MAX = Direction.MINIMIZE, Direction.MAXIMIZE
PLANE = parse_space(
    [{"name": "x", "type": "float", "low": 0, "high": 1}, {"name": "y", "type": "float", "low": 0, "high": 1}]
)
CORNER = Goals((Objective("f", MIN), Objective("g", MIN)), (Constraint("c", max=0.6),))
PAIR = Goals((Objective("f", MIN), Objective("g", MIN)))
FOUR = Goals(tuple(Objective(f"f{i}", MIN) for i in range(4)))


def corner(p):
    """Objectives pull towards (1, 1); only the corner x + y <= 0.6 (18% of the square) is feasible."""
    return {"f": 1.0 - p["x"] + 0.2 * p["y"], "g": 1.0 - p["y"] + 0.2 * p["x"], "c": p["x"] + p["y"]}


def zdt1(p):
    g = 1.0 + 9.0 * p["y"]
    return {"f": p["x"], "g": g * (1.0 - math.sqrt(p["x"] / g))}


def run(kind, goals, evaluate, n, seed, space=PLANE):
    raw = {"type": kind, "seed": seed} | ({"n_startup": 6} if kind == "bayesian" else {})
    sampler = make_sampler(parse_sampler(raw, space), space, MIN, goals)
    history: list[FrozenTrial] = []
    for number in range(n):
        params = sampler.suggest(number, list(history))
        metrics = evaluate(params)
        values = tuple(metrics[m] for m in goals.metrics)
        history.append(FrozenTrial(number, TrialState.COMPLETED, params, values[0], values=values, metrics=metrics))
    return history


def test_once_a_feasible_trial_exists_most_suggestions_are_feasible():
    """The objectives reward leaving the feasible corner; the sampler should mostly stay inside it anyway."""
    for seed in (1, 2):
        history = run("bayesian", CORNER, corner, 30, seed)
        first = next(t.number for t in history if CORNER.feasible(t.metrics))
        after = [CORNER.feasible(t.metrics) for t in history if t.number > max(first, 9)]
        assert len(after) >= 15 and np.mean(after) >= 0.75, (seed, first, np.mean(after))
    random_share = np.mean([CORNER.feasible(t.metrics) for t in run("random", CORNER, corner, 30, 1)])
    assert random_share < 0.5


def test_ehvi_spreads_trials_along_the_front_for_a_larger_hypervolume_than_random():
    def volume(kind, seed):
        history = run(kind, PAIR, zdt1, 30, seed)
        return hypervolume_of([t.values for t in history], PAIR.directions, [1.1, 11.0])

    for seed in (1, 2):
        ours, theirs = volume("bayesian", seed), volume("random", seed)
        # The best front reaches 12.1 - 1/3 = 11.77; random leaves a visible gap below it.
        assert ours > theirs and ours > 11.6, (seed, ours, theirs)


def test_running_trials_are_believed_so_parallel_suggestions_differ():
    history = run("bayesian", PAIR, zdt1, 14, seed=3)
    sampler = make_sampler(parse_sampler({"type": "bayesian", "seed": 3, "n_startup": 6}, PLANE), PLANE, MIN, PAIR)
    first = sampler.suggest(14, history)
    second = sampler.suggest(15, [*history, FrozenTrial(14, TrialState.RUNNING, first)])
    assert math.dist((first["x"], first["y"]), (second["x"], second["y"])) > 1e-3


def test_four_objectives_are_handled_by_random_scalarisations():
    space = parse_space([{"name": f"x{i}", "type": "float", "low": 0, "high": 1} for i in range(3)])

    def spread(p):
        return {f"f{i}": (p[f"x{i % 3}"] - i / 4) ** 2 + 0.1 * p["x0"] for i in range(4)}

    first = run("bayesian", FOUR, spread, 12, seed=5, space=space)
    again = run("bayesian", FOUR, spread, 12, seed=5, space=space)
    assert [t.params for t in first] == [t.params for t in again]
    assert all(space.problems(t.params) == [] for t in first)
    assert len({tuple(t.params.values()) for t in first}) == 12
