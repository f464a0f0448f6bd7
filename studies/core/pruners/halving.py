"""Asynchronous successive halving (ASHA) and Hyperband: trials stopped at rungs.

Steps are the resource. Rung ``k`` of a successive-halving pruner sits at step
``min_resource * reduction_factor ** (min_early_stopping_rate + k)``. A trial is judged
once per rung, at the first step it reports at or after the rung (and before the next
rung): its value there is ranked among every trial's value at that rung, whatever those
trials' states now (running, completed or stopped: ASHA's rungs remember everyone who
reached them), and it goes on only if it is in the best ``1 / reduction_factor`` of
them, equal values ranked by trial number, lower first (a trial must beat a place-holder,
not match it). Judging only when a trial reaches a rung is what makes the scheme
asynchronous: no trial waits for a rung to fill, and a promotion is never taken back by
trials that arrive later (Li et al., "A System for Massively Parallel Hyperparameter
Tuning", 2020).

Until a rung holds ``reduction_factor`` values its best ``1 / reduction_factor`` is
empty; like Optuna's pruner, a trial then goes on only if it is the best so far there
(ASHA would pause it, and our trials cannot be paused). Unlike Optuna's, and Ray Tune's
ASHA, a tie does not count as a win: with accuracy on a finite validation set many
trials tie, and a rung that lets ties through promotes far more than its share.

Hyperband runs several successive-halving brackets of different aggressiveness at once
(Li et al., JMLR 2018). A trial's bracket is a pure function of its number, weighted by
each bracket's share of Hyperband's budget and spread evenly over consecutive numbers,
so every worker and every remote client agrees on it without storing anything; each
trial competes only with its own bracket.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import ClassVar

from ..trials import Direction, FrozenTrial, TrialState
from .base import REQUIRED, ArgumentChecks, PeerQuery, Pruner

# 1 / golden ratio: the most evenly spread sequence (n * GOLDEN_FRACTION) mod 1.
GOLDEN_FRACTION = (5**0.5 - 1) / 2
# Every state a trial that reached a rung can be in now.
RUNG_STATES = frozenset({TrialState.RUNNING, TrialState.COMPLETED, TrialState.PRUNED, TrialState.FAILED})


def rung_steps(min_resource: int, reduction_factor: int, first_rung: int, below: int | None = None) -> list[int]:
    """The rungs' steps from ``first_rung`` on, ascending, stopping before ``below``.

    Without ``below`` the list ends past any reachable step (spec.MAX_STEP-like bound).
    """
    limit = below if below is not None else 2**62
    rungs: list[int] = []
    step = min_resource * reduction_factor**first_rung
    while step < limit:
        rungs.append(step)
        step *= reduction_factor
    return rungs


def rung_to_judge(rungs: Sequence[int], step: int, reported: Mapping[int, float]) -> tuple[int, int | None] | None:
    """The rung ``(step, next rung's step)`` a report at ``step`` is judged at, if any.

    A trial is judged at a rung by its first report at or after the rung and before the
    next one; any later report in that interval has been judged already.
    """
    if step not in reported:
        return None
    for index, rung in enumerate(rungs):
        upto = rungs[index + 1] if index + 1 < len(rungs) else None
        if rung <= step and (upto is None or step < upto):
            first = min(s for s in reported if s >= rung)
            return (rung, upto) if first == step else None
    return None


def is_promoted(
    own: float, rung_values: Sequence[float], reduction_factor: int, direction: Direction, *, ties_behind: int = 0
) -> bool:
    """Whether ``own`` is among the best ``len // reduction_factor`` (at least 1) values.

    ``rung_values`` includes ``own``. A value equal to ``own`` ranks ahead of it, except
    ``ties_behind`` of them: a trial must beat a place-holder, not match it, to take its
    place. Metrics such as accuracy on a finite validation set take few distinct values,
    and letting every tie through sent far more than ``1 / reduction_factor`` of a rung
    on (sgd_digits in bench/early_stopping.py: Hyperband spent 41.8 % of no pruning's
    steps, 37.7 % with ties ranked, at the same best value).
    """
    if math.isnan(own):
        return False  # a diverged trial goes no further
    keep = max(len(rung_values) // reduction_factor, 1)
    # Values as good as own or better, less own itself; a NaN peer holds no place.
    ahead = sum(1 for value in rung_values if value == own or direction.better(value, own)) - 1 - ties_behind
    return ahead < keep


class RungPruner(Pruner):
    """What both pruners share: judge a report at a rung among the trials of its group."""

    _reduction_factor: int

    def rungs_for(self, number: int | None) -> list[int]:
        raise NotImplementedError

    def same_group(self, number: int | None, other: int) -> bool:
        return True

    def peer_query(
        self, step: int, intermediate: Mapping[int, float], *, number: int | None = None
    ) -> PeerQuery | None:
        judged = rung_to_judge(self.rungs_for(number), step, intermediate)
        if judged is None:
            return None
        rung, upto = judged
        return PeerQuery(step=rung, before=upto, states=RUNG_STATES)

    def should_prune(
        self,
        step: int,
        intermediate: Mapping[int, float],
        others: Sequence[FrozenTrial],
        direction: Direction,
        *,
        number: int | None = None,
    ) -> bool:
        if self.peer_query(step, intermediate, number=number) is None:
            return False
        own = intermediate[step]
        mates = [(first_value(t), t.number) for t in others if self.same_group(number, t.number)]
        # Equal values rank by trial number, lower first: run one trial at a time, that is
        # the order they reached the rung; with parallel workers, two trials reporting the
        # same value at once settle it the same way, so one goes on, not neither.
        behind = sum(1 for value, other in mates if value == own and number is not None and other > number)
        values = [own, *(value for value, _ in mates)]
        return not is_promoted(own, values, self._reduction_factor, direction, ties_behind=behind)


def first_value(trial: FrozenTrial) -> float:
    """A peer's value at the rung: its first report there (the selector gives only those)."""
    return trial.intermediate[min(trial.intermediate)]


class SuccessiveHalvingPruner(RungPruner):
    kind = "successive_halving"
    options: ClassVar[Mapping[str, object]] = {
        "min_resource": 1,
        "reduction_factor": 3,
        "min_early_stopping_rate": 0,
    }

    def __init__(self, min_resource: int = 1, reduction_factor: int = 3, min_early_stopping_rate: int = 0) -> None:
        checks = ArgumentChecks()
        checks.int_at_least("min_resource", min_resource, 1)
        checks.int_at_least("reduction_factor", reduction_factor, 2)
        checks.non_negative_int("min_early_stopping_rate", min_early_stopping_rate)
        checks.done()
        self._reduction_factor = reduction_factor
        self._rungs = rung_steps(min_resource, reduction_factor, min_early_stopping_rate)

    @property
    def rungs(self) -> list[int]:
        return list(self._rungs)

    def rungs_for(self, number: int | None) -> list[int]:
        return self._rungs


class HyperbandPruner(RungPruner):
    kind = "hyperband"
    options: ClassVar[Mapping[str, object]] = {"min_resource": 1, "max_resource": REQUIRED, "reduction_factor": 3}

    def __init__(self, max_resource: int, min_resource: int = 1, reduction_factor: int = 3) -> None:
        checks = ArgumentChecks()
        checks.int_at_least("min_resource", min_resource, 1)
        checks.int_at_least("max_resource", max_resource, 1)
        checks.int_at_least("reduction_factor", reduction_factor, 2)
        checks.done()
        if max_resource <= min_resource:
            checks.errors.append(("max_resource", f"must be greater than min_resource ({min_resource})"))
        checks.done()
        self._min_resource, self._max_resource = min_resource, max_resource
        self._reduction_factor = reduction_factor
        self._brackets = bracket_count(min_resource, max_resource, reduction_factor)
        self._weights = bracket_weights(self._brackets, reduction_factor)

    @property
    def n_brackets(self) -> int:
        return self._brackets

    def bracket_of(self, number: int) -> int:
        """Bracket 0 stops earliest (its first rung is min_resource); the last never stops
        (bracket_count).

        Trial numbers walk the golden-ratio (Weyl) sequence over the brackets' budgets:
        any run of consecutive trials splits between the brackets in proportion to their
        budgets, within a trial or two (a hash would leave a 40-trial study with
        brackets several trials over or under their share).
        """
        point = ((number + 1) * GOLDEN_FRACTION) % 1.0 * sum(self._weights)
        for bracket, weight in enumerate(self._weights):
            if point < weight:
                return bracket
            point -= weight
        raise AssertionError("unreachable: point < sum(weights)")

    def rungs_of(self, number: int) -> list[int]:
        return self.bracket_rungs(self.bracket_of(number))

    def bracket_rungs(self, bracket: int) -> list[int]:
        return rung_steps(self._min_resource, self._reduction_factor, bracket, self._max_resource)

    def rungs_for(self, number: int | None) -> list[int]:
        return self.rungs_of(needs_number(number))

    def same_group(self, number: int | None, other: int) -> bool:
        return self.bracket_of(needs_number(number)) == self.bracket_of(other)


def needs_number(number: int | None) -> int:
    if number is None:
        raise TypeError("Hyperband judges a trial within its bracket, which its number decides: pass number=")
    return number


def bracket_count(min_resource: int, max_resource: int, reduction_factor: int) -> int:
    """1 + the number of rungs below max_resource counted from min_resource.

    Bracket b's rungs start at ``min_resource * eta**b``, so the last bracket has none:
    it is Hyperband's bracket s = 0, every configuration run to max_resource, the hedge
    for problems where early values mislead. Li et al. and Optuna count
    ``1 + floor(log_eta(max / min))`` brackets: the same when max_resource is min_resource
    times a power of eta (27, 81 with 1 and 3). Otherwise that count, with rungs counted
    up from min_resource (here and in Optuna; Li et al. count down from max_resource),
    leaves the last bracket a rung (27 for max_resource 80) where it stops trials, and a
    max_resource given as the last step (26 for 27 epochs reported 0-26) would lose a
    bracket that the step count (27) keeps.
    """
    return len(rung_steps(min_resource, reduction_factor, 0, max_resource)) + 1


def bracket_weights(n_brackets: int, reduction_factor: int) -> list[int]:
    """Hyperband's number of configurations per bracket, bracket 0 (most aggressive) first.

    The bracket with ``s`` rungs above its first starts ceil((s_max + 1) / (s + 1) * eta**s)
    configurations (Li et al. 2018, algorithm 1), so each bracket gets about the same budget.
    """
    s_max = n_brackets - 1
    weights = []
    for bracket in range(n_brackets):
        s = s_max - bracket
        weights.append(-(-(s_max + 1) * reduction_factor**s // (s + 1)))
    return weights
