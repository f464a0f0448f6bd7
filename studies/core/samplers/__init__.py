"""Sampler registry: spec ``sampler.type`` -> class.

The Bayesian samplers' modules import SciPy, which costs every process about a second
at start-up; most processes (the web server, a grid or random study's workers, every
``manage.py`` command) never suggest with them. So the registry names a class by its
import path and imports it when a spec first asks for it.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import Any

from ..errors import SpecError
from ..goals import Goals
from ..limits import shown
from ..space import SearchSpace
from ..trials import Direction
from .base import Sampler
from .grid import GridSampler
from .random import RandomSampler


class SamplerRegistry(Mapping[str, type[Sampler]]):
    """Names to sampler classes, each given as a class or as ``"module:Class"`` (imported on first use)."""

    def __init__(self, entries: dict[str, type[Sampler] | str]):
        self._entries = dict(entries)

    def register(self, name: str, sampler: type[Sampler] | str) -> None:
        """Add a sampler (a plug-in or a test's); an existing name keeps its class."""
        self._entries.setdefault(name, sampler)

    def __getitem__(self, name: str) -> type[Sampler]:
        entry = self._entries[name]
        if isinstance(entry, str):
            module, _, attribute = entry.partition(":")
            entry = self._entries[name] = getattr(importlib.import_module(module, __name__), attribute)
        return entry

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


SAMPLERS = SamplerRegistry(
    {
        "grid": GridSampler,
        "random": RandomSampler,
        "bayesian": ".bayesian:BayesianSampler",
    }
)


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
        from .multiobjective import GoalsBayesianSampler  # SciPy: only when such a study suggests

        return GoalsBayesianSampler(space, direction, config, goals)
    return SAMPLERS[config["type"]](space, direction, config)
