"""The sampler interface.

A sampler turns a trial number and read-only snapshots of the study's other trials
into a configuration. Samplers never touch storage, so any worker process holding the
same snapshots produces the same trial ``k``, and every sampler is tested in memory.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..limits import key_path, shown
from ..space import CategoricalDimension, SearchSpace
from ..trials import Direction, FrozenTrial

# Seeds are stored in a JSON field and must fit a signed 64-bit integer everywhere.
MAX_SEED = 2**63


class Sampler(ABC):
    # Whether suggest() reads ``history``. Samplers that do not (grid, random) spare
    # the caller from loading every trial of a large study on each claim.
    uses_history = False

    def __init__(self, space: SearchSpace, direction: Direction, config: dict[str, Any]) -> None:
        self.space = space
        self.direction = direction
        self.config = config

    @classmethod
    @abstractmethod
    def parse_config(cls, raw: dict[str, Any], space: SearchSpace | None) -> dict[str, Any]:
        """Validate this sampler's options and return them with defaults filled in.

        Raises SpecError with paths relative to the sampler object (``seed``).
        ``space`` is None when the search space itself is invalid.
        """

    @abstractmethod
    def suggest(self, number: int, history: Sequence[FrozenTrial]) -> dict[str, Any]:
        """The configuration for trial ``number``.

        ``history`` holds the study's other trials: finished ones and those still
        running or waiting (their params are known), never trial ``number`` itself.
        """

    def size(self) -> int | None:
        """How many distinct configurations exist, when that is finite (grid)."""
        return None


def sample_uniform(space: SearchSpace, rng: np.random.Generator) -> dict[str, Any]:
    """One configuration drawn uniformly (on each dimension's own scale)."""
    params: dict[str, Any] = {}
    for dim in space:
        if not space.is_active(dim, params):
            continue
        if isinstance(dim, CategoricalDimension):
            params[dim.name] = dim.choices[int(rng.integers(len(dim.choices)))]
        else:
            params[dim.name] = dim.from_unit(float(rng.random()))
    return params


def parse_seed(raw: dict[str, Any], errors: list[tuple[str, str]]) -> int | None:
    seed = raw.get("seed")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < MAX_SEED):
        errors.append(("seed", f"must be a non-negative integer below 2**63 (got {shown(seed)})"))
    return seed


def check_fields(raw: dict[str, Any], allowed: set[str], kind: str, errors: list[tuple[str, str]]) -> None:
    for key in sorted(set(raw) - allowed):
        errors.append(
            (key_path("", key), f"is not an option of the {kind} sampler; allowed: {', '.join(sorted(allowed))}")
        )
