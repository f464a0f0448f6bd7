"""Trials: claim, report, finish, and the housekeeping of lost and failed ones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError
from django.db.models import DurationField, F, Value
from django.db.models.functions import Now
from django.utils import timezone

from .. import events
from ..core.samplers import make_sampler
from ..core.trials import TrialOutcome, TrialState
from ..models import Study, StudyState, Trial, TrialValue
from ..selectors import history_snapshots
from ..study_rows import StudyRow, count_finished, lock_study_row
from .studies import progress_data, study_spec

TERMINAL = [TrialState.COMPLETED.value, TrialState.PRUNED.value, TrialState.FAILED.value]


def _completion(study: Study) -> tuple[str, dict[str, Any]] | None:
    """Inside a finishing transaction: the last terminal trial completes the study.

    ``study`` was read after this trial's counters moved. Returns the
    ``study_completed`` event to append, or None.
    """
    if study.n_done < study.n_trials or study.state == StudyState.COMPLETED:
        return None
    if Trial.objects.filter(study_id=study.pk, state__in=TERMINAL).count() < study.n_trials:
        return None
    now = timezone.now()
    Study.objects.filter(pk=study.pk).update(state=StudyState.COMPLETED, finished_at=now, updated_at=now)
    study.state = StudyState.COMPLETED.value
    return "study_completed", {
        "best_trial": study.best_trial_number,
        "best_value": study.best_value,
        "completed": study.n_done,
        "total": study.n_trials,
    }


@dataclass
class Claim:
    trial: Trial
    params: dict[str, Any]


def claim_trial(study: Study, worker_id: str, sampler=None, _attempt: int = 0) -> Claim | None:
    """Atomically take the next trial for ``worker_id``, or None when the budget is spent.

    A trial re-queued as ``waiting`` is taken first; otherwise the next number is
    created with parameters from the sampler. The study row is locked for the whole
    step, so concurrent workers on any machine get distinct numbers and the budget is
    never exceeded; the unique (study, number) constraint backs that up.
    """
    sampler = sampler or _sampler_of(study)
    try:
        with events.writing():
            return _claim(study, worker_id, sampler)
    except IntegrityError:
        # Another writer took this number despite the lock (possible only on a database
        # without row locks): the unique constraint refused ours, so ask again.
        if _attempt >= 5:
            raise
        return claim_trial(study, worker_id, sampler, _attempt=_attempt + 1)


def finish_and_claim(trial: Trial, outcome: TrialOutcome, worker_id: str, sampler=None) -> Claim | None:
    """``finish_trial`` then ``claim_trial`` in one transaction: one commit per trial.

    A commit waits for the disk (about 3 ms on PostgreSQL) while the study row is
    locked, so halving the commits per trial nearly doubles a study's throughput; the
    claim also reuses the study row the finish returned. Both steps keep their own
    guarantees and events, in the same order as when called one after the other.
    """
    sampler = sampler or _sampler_of(trial.study)
    try:
        with events.writing():
            emitted: list[tuple[str, dict[str, Any]]] = []
            row = _finish(trial, outcome, only_if_running=True, emitted=emitted)
            claim = _claim(trial.study, worker_id, sampler, locked=row, emitted=emitted)
            events.append_many(trial.study_id, emitted)
            return claim
    except IntegrityError:
        finish_trial(trial, outcome)
        return claim_trial(trial.study, worker_id, sampler)


def _sampler_of(study: Study):
    spec = study_spec(study)
    return make_sampler(spec.sampler, spec.space, spec.direction)


def _claim(
    study: Study, worker_id: str, sampler, locked: StudyRow | None = None, emitted: list | None = None
) -> Claim | None:
    locked = locked or lock_study_row(study.pk)
    if locked.state != StudyState.RUNNING:
        return None
    now = timezone.now()
    trial = None
    if locked.waiting:
        trial = (
            Trial.objects.select_for_update()
            .filter(study_id=locked.pk, state=TrialState.WAITING.value)
            .order_by("number")
            .first()
        )
    if trial is not None:
        trial.state, trial.worker_id, trial.started_at, trial.heartbeat_at = (
            TrialState.RUNNING.value,
            worker_id,
            now,
            Now(),
        )
        trial.save(update_fields=["state", "worker_id", "started_at", "heartbeat_at"])
    else:
        number = locked.claimed
        if number >= locked.n_trials:
            return None
        history = history_snapshots(study, locked.metric) if sampler.uses_history else []
        params = sampler.suggest(number, history)
        trial = Trial.objects.create(
            study_id=locked.pk,
            number=number,
            state=TrialState.RUNNING.value,
            params=params,
            worker_id=worker_id,
            started_at=now,
            heartbeat_at=Now(),
        )
    trial.study = study
    event = ("trial_started", {"number": trial.number, "params": trial.params, "worker": worker_id})
    if emitted is None:
        events.append(locked.pk, *event)
    else:
        emitted.append(event)
    return Claim(trial=trial, params=trial.params)


def record_intermediate(trial: Trial, step: int, metrics: dict[str, float]) -> None:
    """Store values reported at ``step`` (a repeated step overwrites) and beat the heart."""
    with events.writing():
        TrialValue.objects.bulk_create(
            [
                TrialValue(trial=trial, study_id=trial.study_id, step=step, metric=name, value=value)
                for name, value in metrics.items()
            ],
            update_conflicts=True,
            unique_fields=["trial", "step", "metric"],
            update_fields=["value"],
        )
        Trial.objects.filter(pk=trial.pk).update(heartbeat_at=Now())
        events.append(trial.study_id, "trial_metric", {"number": trial.number, "step": step, "metrics": metrics})


def heartbeat(trial: Trial) -> bool:
    """Heartbeats are stamped and judged by the database's clock, never a worker's: a
    machine whose clock runs ahead must not take live trials elsewhere for lost.

    False when the trial is no longer running (e.g. already failed as lost)."""
    return bool(Trial.objects.filter(pk=trial.pk, state=TrialState.RUNNING.value).update(heartbeat_at=Now()))


_EVENT_FOR_STATE = {
    TrialState.COMPLETED: "trial_completed",
    TrialState.PRUNED: "trial_pruned",
    TrialState.FAILED: "trial_failed",
}


def finish_trial(trial: Trial, outcome: TrialOutcome, only_if_running: bool = True) -> bool:
    """Store a trial's outcome and emit its events; False if it was no longer running.

    Event order per DESIGN.md section 4: the terminal event, ``best_updated`` when
    this trial is the new best, ``study_progress``, and ``study_completed`` last.
    """
    with events.writing():
        return _finish(trial, outcome, only_if_running) is not None


def _finish(trial: Trial, outcome: TrialOutcome, only_if_running: bool, emitted: list | None = None) -> StudyRow | None:
    """Store the outcome; returns the locked study row, or None if the trial was not running."""
    now = timezone.now()
    started = trial.started_at or now
    duration_ms = max(0, int((now - started).total_seconds() * 1000))
    rows = Trial.objects.filter(pk=trial.pk)
    if only_if_running:
        rows = rows.filter(state=TrialState.RUNNING.value)
    changed = rows.update(
        state=outcome.state.value,
        value=outcome.value,
        metrics=dict(outcome.metrics),
        error=outcome.error,
        traceback=outcome.traceback,
        pruned_step=outcome.pruned_step,
        finished_at=now,
        duration_ms=duration_ms,
    )
    if not changed:
        return None
    trial.state, trial.value, trial.finished_at = outcome.state.value, outcome.value, now
    study = count_finished(trial, now)
    data = {
        "number": trial.number,
        "state": trial.state,
        "params": trial.params,
        "value": trial.value,
        "duration_ms": duration_ms,
    }
    if outcome.state is TrialState.COMPLETED:
        data["metrics"] = dict(outcome.metrics)
    elif outcome.state is TrialState.PRUNED:
        data.update(step=outcome.pruned_step, reason=outcome.error)
    else:
        data["error"] = outcome.error
    items = [(_EVENT_FOR_STATE[outcome.state], data)]
    if (
        outcome.state is TrialState.COMPLETED
        and study.best_trial_number == trial.number
        and study.best_value == trial.value
    ):
        items.append(("best_updated", {"number": trial.number, "value": trial.value, "params": trial.params}))
    items.append(("study_progress", progress_data(study)))
    completed = _completion(study)
    if completed:
        items.append(completed)
    if emitted is None:
        events.append_many(trial.study_id, items)
    else:
        emitted.extend(items)
    return study


def fail_stale_trials(study: Study, grace_seconds: float) -> int:
    """Fail running trials whose heartbeat is older than the grace period ("worker lost")."""
    cutoff = Now() - Value(timedelta(seconds=grace_seconds), output_field=DurationField())  # the database's clock
    stale = list(Trial.objects.filter(study=study, state=TrialState.RUNNING.value, heartbeat_at__lt=cutoff))
    return sum(finish_trial(trial, lost_outcome(trial, grace_seconds)) for trial in stale)


def lost_outcome(trial: Trial, grace_seconds: float) -> TrialOutcome:
    """How a trial whose heartbeat stopped ends, whoever ran it (worker or remote client)."""
    return TrialOutcome.failed(
        f"worker lost: no heartbeat from {trial.worker_id or 'its worker'} for over {grace_seconds:g} s"
    )


def requeue_failed(study: Study, max_retries: int) -> int:
    """Put failed trials back as ``waiting`` with their parameters, up to ``max_retries`` each."""
    requeued = 0
    with events.writing():
        for trial in Trial.objects.select_for_update().filter(
            study=study, state=TrialState.FAILED.value, retries__lt=max_retries
        ):
            Trial.objects.filter(pk=trial.pk).update(
                state=TrialState.WAITING.value,
                retries=F("retries") + 1,
                error="",
                traceback="",
                finished_at=None,
                duration_ms=None,
                worker_id="",
                heartbeat_at=None,
                started_at=None,
            )
            TrialValue.objects.filter(trial=trial).delete()
            requeued += 1
            events.append(
                study.pk,
                "trial_requeued",
                {"number": trial.number, "params": trial.params, "previous_error": trial.error},
            )
        if requeued:
            Study.objects.filter(pk=study.pk).update(n_done=F("n_done") - requeued, updated_at=timezone.now())
    return requeued
