"""A sampler used only by tests: the real Bayesian sampler, made slow to suggest.

``slow_bayesian`` suggests exactly what ``bayesian`` does, after sleeping ``delay``
seconds first: a stand-in for an expensive model fit, so a test can see whether the
fits of one study's workers overlap (they run outside the study lock) or queue.
Registered by ``tests.support.executors`` (so worker subprocesses have it) by its import
path: like ``bayesian``, it is imported only when a spec asks for it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from studies.core.errors import SpecError
from studies.core.samplers.bayesian import BayesianSampler
from studies.core.space import SearchSpace
from studies.core.trials import FrozenTrial


class SlowBayesianSampler(BayesianSampler):
    @classmethod
    def parse_config(cls, raw: dict[str, Any], space: SearchSpace | None) -> dict[str, Any]:
        delay = raw.get("delay", 0.5)
        if not isinstance(delay, (int, float)) or isinstance(delay, bool) or not 0 <= delay <= 10:
            raise SpecError([("delay", f"must be a number of seconds from 0 to 10 (got {delay!r})")])
        rest = {key: value for key, value in raw.items() if key != "delay"}
        config = super().parse_config(rest | {"type": "bayesian"}, space)
        return config | {"type": "slow_bayesian", "delay": float(delay)}

    def suggest(self, number: int, history: Sequence[FrozenTrial]) -> dict[str, Any]:
        time.sleep(self.config["delay"])
        return super().suggest(number, history)
