"""Uniform random search, reproducible trial by trial."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import SpecError
from ..space import SearchSpace
from ..trials import Direction, FrozenTrial
from .base import Sampler, check_fields, parse_seed, sample_uniform


class RandomSampler(Sampler):
    def __init__(self, space: SearchSpace, direction: Direction, config: dict[str, Any]) -> None:
        super().__init__(space, direction, config)
        self.seed = config["seed"]

    @classmethod
    def parse_config(cls, raw: dict[str, Any], space: SearchSpace | None) -> dict[str, Any]:
        errors: list[tuple[str, str]] = []
        check_fields(raw, {"type", "seed"}, "random", errors)
        seed = parse_seed(raw, errors)
        if errors:
            raise SpecError(errors)
        return {"type": "random", "seed": seed}

    def suggest(self, number: int, history: Sequence[FrozenTrial]) -> dict[str, Any]:
        # Trial k's generator depends on (seed, k) only: the same configuration comes
        # out whichever worker claims k, and in whatever order trials are claimed.
        rng = np.random.default_rng([self.seed, number])
        return sample_uniform(self.space, rng)
