"""Specs shared by tests."""

from __future__ import annotations

from typing import Any

# DESIGN.md section 2, verbatim.
DESIGN_SPEC = {
    "name": "svm-digits",
    "executor": "svm_digits",
    "objective": {"metric": "accuracy", "direction": "maximize"},
    "sampler": {"type": "bayesian", "seed": 7, "n_startup": 10},
    "n_trials": 40,
    "pruner": {"type": "median", "n_warmup_steps": 2, "n_min_trials": 5},
    "search_space": [
        {"name": "C", "type": "float", "low": 0.001, "high": 1000, "scale": "log"},
        {"name": "kernel", "type": "categorical", "choices": ["rbf", "poly"]},
        {"name": "degree", "type": "int", "low": 2, "high": 5, "when": {"kernel": ["poly"]}},
    ],
}


def quadratic_spec(name: str, n_trials: int = 6, executor: str = "quadratic", seed: int = 5, **extra: Any) -> dict:
    """A small random-search study over x in [0, 1], y in [-1, 1], minimising ``value``."""
    return {
        "name": name,
        "executor": executor,
        "objective": {"metric": "value", "direction": "minimize"},
        "sampler": {"type": "random", "seed": seed},
        "n_trials": n_trials,
        "search_space": [
            {"name": "x", "type": "float", "low": 0, "high": 1},
            {"name": "y", "type": "float", "low": -1, "high": 1},
        ],
        **extra,
    }


def remote_spec(name: str = "remote", n_trials: int = 6, seed: int = 5, **extra: Any) -> dict:
    """The quadratic study without an executor: only remote clients run it."""
    spec = quadratic_spec(name, n_trials=n_trials, seed=seed, **extra)
    del spec["executor"]
    return spec
