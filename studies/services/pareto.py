"""Several objectives and constraints in the finishing transaction (DESIGN.md section 9).

``services.trials`` calls these steps while it finishes a trial: ``judge`` turns the
outcome into the stored objective vector and feasibility, ``update_front_without_commit``
keeps the study's Pareto front of feasible completed trials (``Trial.on_front``) up to
date. The front changes incrementally: the new trial is compared with the current front
only (a handful of rows, read through a partial index), and only the trials that leave
it are written. It runs after ``finish_and_count`` has updated, hence locked, the study
row, so two finishing workers never merge into a stale front.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..core.goals import Goals, goals_from_stored
from ..core.pareto import insert
from ..core.trials import TrialOutcome, TrialState
from ..models import Study, Trial
from ..payloads import ParetoUpdated
from .step import Step


@dataclass(frozen=True)
class Judged:
    """A trial's outcome as stored: the objective vector and feasibility (None unless completed)."""

    outcome: TrialOutcome
    values: list[float] | None = None
    feasible: bool | None = None

    def fields(self) -> dict[str, Any]:
        return {"objective_values": self.values, "feasible": self.feasible}


def goals_of(study: Study) -> Goals:
    return goals_from_stored(study.spec)


def judge(goals: Goals, outcome: TrialOutcome) -> Judged:
    """Objective values and feasibility of a completed outcome; a missing objective fails it."""
    if outcome.state is not TrialState.COMPLETED:
        return Judged(outcome)
    metrics = dict(outcome.metrics)
    if not goals.is_multi and outcome.value is not None:
        # One objective: the outcome's value is that objective (a bare value told or set in code).
        metrics.setdefault(goals.metrics[0], outcome.value)
    values = goals.values_of(metrics)
    if values is None:
        missing = ", ".join(m for m in goals.metrics if m not in metrics)
        got = ", ".join(sorted(metrics)) or "nothing"
        return Judged(
            TrialOutcome.failed(f"objective metric(s) {missing} missing from the result (got {got}); return every one")
        )
    return Judged(outcome, values, goals.feasible(metrics))


def counts_for_best(goals: Goals, judged: Judged) -> bool:
    """A single-objective trial may become the best only when feasible; several objectives have a front instead."""
    return not goals.is_multi and judged.feasible is True


def update_front_without_commit(trial: Trial, goals: Goals, judged: Judged) -> Step[bool]:
    """Insert a feasible completed trial into its study's front; ``pareto_updated`` if it joined."""
    if not goals.is_multi or not judged.feasible or judged.values is None:
        return Step(False)
    members = Trial.objects.filter(study_id=trial.study_id, on_front=True)
    front: list[tuple[int, list[float]]] = [(n, v or []) for n, v in members.values_list("number", "objective_values")]
    new_front, changed = insert(front, trial.number, judged.values, goals.directions)
    if not changed:
        return Step(False)
    kept = {number for number, _ in new_front}
    removed = sorted(number for number, _ in front if number not in kept)
    if removed:
        members.filter(number__in=removed).update(on_front=False)
    Trial.objects.filter(pk=trial.pk).update(on_front=True)
    Study.objects.filter(pk=trial.study_id).update(front_size=len(new_front))
    joined = ParetoUpdated(
        number=trial.number, values=judged.values, params=trial.params, removed=removed, front_size=len(new_front)
    )
    return Step(True, [joined])
