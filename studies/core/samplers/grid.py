"""Grid search, lazy by index: trial k is decoded from k; the product is never built.

Numeric dimensions get ``points_per_dim`` points evenly spaced on their own scale
(log dimensions on a log axis), integers rounded and deduplicated; categoricals use
every choice. With conditional dimensions the grid is the set of distinct active
configurations: an inactive child does not multiply its parent's branch.
Earlier dimensions vary slowest, like nested loops in declaration order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import SamplerExhausted, SpecError
from ..limits import MAX_POINTS_PER_DIM, shown
from ..space import AnyDimension, CategoricalDimension, SearchSpace
from ..trials import Direction, FrozenTrial
from .base import Sampler, check_fields

DEFAULT_POINTS_PER_DIM = 5
# Counting a conditional grid visits each distinct choice of parent values once; when
# many parents stay relevant together that number explodes, so it is bounded (well under a
# second of work) and such a space is refused at validation rather than hanging.
MAX_COUNT_STEPS = 10_000


def grid_values(dim: AnyDimension, points: int) -> list[Any]:
    if isinstance(dim, CategoricalDimension):
        return list(dim.choices)
    units = [0.5] if points == 1 else np.linspace(0.0, 1.0, points)
    # dict keys keep the order and drop the integers rounding made equal, in O(n).
    return list(dict.fromkeys(dim.from_unit(float(u)) for u in units))


class GridSampler(Sampler):
    def __init__(self, space: SearchSpace, direction: Direction, config: dict[str, Any]) -> None:
        super().__init__(space, direction, config)
        points = config["points_per_dim"]
        self._dims = list(space)
        self._values = [grid_values(d, points) for d in self._dims]
        self._parents = {p for d in self._dims for p, _ in d.when}
        self._position = {d.name: i for i, d in enumerate(self._dims)}
        # _needed[i]: parents that dimensions i.. still test. Forgetting the others
        # keeps the memo small: branches that no later dimension tells apart share a count.
        self._needed = [{p for d in self._dims[i:] for p, _ in d.when} for i in range(len(self._dims) + 1)]
        self._memo: dict[tuple[int, tuple[tuple[str, int], ...]], int] = {}
        self._steps = 0
        self._size = self._count(0, ())

    @classmethod
    def parse_config(cls, raw: dict[str, Any], space: SearchSpace | None) -> dict[str, Any]:
        errors: list[tuple[str, str]] = []
        check_fields(raw, {"type", "points_per_dim"}, "grid", errors)
        points = raw.get("points_per_dim", DEFAULT_POINTS_PER_DIM)
        if not isinstance(points, int) or isinstance(points, bool) or not 1 <= points <= MAX_POINTS_PER_DIM:
            errors.append(
                ("points_per_dim", f"must be a positive integer, at most {MAX_POINTS_PER_DIM} (got {shown(points)})")
            )
        if errors:
            raise SpecError(errors)
        return {"type": "grid", "points_per_dim": points}

    def size(self) -> int:
        return self._size

    def suggest(self, number: int, history: Sequence[FrozenTrial]) -> dict[str, Any]:
        if not 0 <= number < self._size:
            raise SamplerExhausted(f"the grid has {self._size} points; trial {number} has none")
        return self._decode(number)

    # The state passed around is the tuple of (parent name, value index) chosen so
    # far: only parents decide which later dimensions are active.

    def _params_of(self, state: tuple[tuple[str, int], ...]) -> dict[str, Any]:
        return {name: self._values[self._position[name]][vi] for name, vi in state}

    def _count(self, i: int, state: tuple[tuple[str, int], ...]) -> int:
        # Recursion depth is the number of dimensions, which the spec caps at MAX_DIMENSIONS.
        if i == len(self._dims):
            return 1
        state = tuple(item for item in state if item[0] in self._needed[i])
        key = (i, state)
        if key in self._memo:
            return self._memo[key]
        self._steps += 1
        if self._steps > MAX_COUNT_STEPS:
            raise SpecError(
                [("", "the conditions (when) combine too many parent values to lay out as a grid; use fewer parents")]
            )
        dim = self._dims[i]
        if not self.space.is_active(dim, self._params_of(state)):
            total = self._count(i + 1, state)
        elif dim.name not in self._parents:
            total = len(self._values[i]) * self._count(i + 1, state)
        else:
            total = sum(self._count(i + 1, (*state, (dim.name, vi))) for vi in range(len(self._values[i])))
        self._memo[key] = total
        return total

    def _decode(self, k: int) -> dict[str, Any]:
        params: dict[str, Any] = {}
        state: tuple[tuple[str, int], ...] = ()
        for i, dim in enumerate(self._dims):
            if not self.space.is_active(dim, params):
                continue
            values = self._values[i]
            if dim.name not in self._parents:
                vi, k = divmod(k, self._count(i + 1, state))
            else:
                for vi in range(len(values)):
                    branch = self._count(i + 1, (*state, (dim.name, vi)))
                    if k < branch:
                        break
                    k -= branch
                state = (*state, (dim.name, vi))
            params[dim.name] = values[vi]
        return params
