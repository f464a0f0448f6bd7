"""Sampler registry: spec ``sampler.type`` -> class."""

from __future__ import annotations

from typing import Any

from ..errors import SpecError
from ..goals import Goals
from ..limits import shown
from ..space import SearchSpace
from ..trials import Direction
from .base import Sampler
from .bayesian import BayesianSampler
from .grid import GridSampler
from .multiobjective import GoalsBayesianSampler
from .random import RandomSampler

SAMPLERS: dict[str, type[Sampler]] = {
    "grid": GridSampler,
    "random": RandomSampler,
    "bayesian": BayesianSampler,
}


def parse_sampler(raw: Any, space: SearchSpace | None) -> dict[str, Any]:
    """Validate a sampler config; paths in errors are relative to the sampler object.

    ``space`` is None when the search space itself is invalid; options are still checked.
    """
    if not isinstance(raw, dict):
        raise SpecError([("", 'must be an object such as {"type": "random", "seed": 7}')])
    kind = raw.get("type")
    if not isinstance(kind, str) or kind not in SAMPLERS:
        raise SpecError([("type", f"must be one of {', '.join(SAMPLERS)} (got {shown(kind)})")])
    return SAMPLERS[kind].parse_config(raw, space)


def make_sampler(
    config: dict[str, Any], space: SearchSpace, direction: Direction, goals: Goals | None = None
) -> Sampler:
    """``goals`` with several objectives or constraints: the bayesian sampler models them all."""
    if config["type"] == "bayesian" and goals is not None and (goals.is_multi or goals.constraints):
        return GoalsBayesianSampler(space, direction, config, goals)
    return SAMPLERS[config["type"]](space, direction, config)
