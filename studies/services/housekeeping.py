"""Trials outside the claim/finish path: heartbeats, lost ones, retries, and held ones released.

A worker's trial can end without an outcome of its own: its worker vanished (its
heartbeat stops: ``fail_stale_trials``), it failed and may be retried
(``requeue_failed``), or it was claimed ahead and never started (``release_unstarted``).
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import DurationField, F, Value
from django.db.models.functions import Now
from django.utils import timezone

from .. import events
from ..core.trials import TrialOutcome, TrialState
from ..models import Study, Trial, TrialValue
from ..payloads import TrialRequeued
from .step import Step
from .trials import finish_trial


def heartbeat(*trials: Trial) -> bool:
    """Heartbeats are stamped and judged by the database's clock, never a worker's: a
    machine whose clock runs ahead must not take live trials elsewhere for lost.

    One statement for all of ``trials`` (a worker's running trial and the one it holds
    ahead). False when none of them is running any more (e.g. already failed as lost)."""
    running = Trial.objects.filter(pk__in=[trial.pk for trial in trials], state=TrialState.RUNNING.value)
    return bool(running.update(heartbeat_at=Now()))


def release_unstarted(trial: Trial, reason: str) -> bool:
    """Put a claimed trial that never started back as ``waiting``, with its parameters.

    A worker claims its next trial while the current one runs (``runner``); when it stops
    first, that trial was never run: the next claim of the study (this worker's or
    another's) takes it, and the budget loses nothing. False if it was no longer
    running (e.g. failed from the dashboard meanwhile).
    """
    with events.writing(trial.study_id):
        released = Trial.objects.filter(pk=trial.pk, state=TrialState.RUNNING.value).update(
            state=TrialState.WAITING.value, worker_id="", request_id="", heartbeat_at=None, started_at=None
        )
        if released:
            requeued = TrialRequeued(number=trial.number, params=trial.params, previous_error=reason)
            events.emit(trial.study_id, [requeued])
        return bool(released)


def fail_stale_trials(study: Study, grace_seconds: float) -> int:
    """Fail running trials whose heartbeat is older than the grace period ("worker lost").

    A trial its worker claimed ahead and never started (no start time) goes back as
    ``waiting`` instead: it never ran. Returns how many were failed."""
    cutoff = Now() - Value(timedelta(seconds=grace_seconds), output_field=DurationField())  # the database's clock
    stale = list(Trial.objects.filter(study=study, state=TrialState.RUNNING.value, heartbeat_at__lt=cutoff))
    lost = sum(finish_trial(trial, lost_outcome(trial, grace_seconds)) for trial in stale if trial.started_at)
    for held in (trial for trial in stale if trial.started_at is None):  # claimed ahead, never started
        release_unstarted(held, f"not started: its worker {held.worker_id} was lost")
    return lost


def lost_outcome(trial: Trial, grace_seconds: float) -> TrialOutcome:
    """How a trial whose heartbeat stopped ends, whoever ran it (worker or remote client)."""
    return TrialOutcome.failed(
        f"worker lost: no heartbeat from {trial.worker_id or 'its worker'} for over {grace_seconds:g} s"
    )


def requeue_failed(study: Study, max_retries: int) -> int:
    """Put failed trials back as ``waiting`` with their parameters, up to ``max_retries`` each."""
    with events.writing(study.pk):
        step = _requeue_failed_without_commit(study, max_retries)
        events.emit(study.pk, step.events)
        return step.result


def _requeue_failed_without_commit(study: Study, max_retries: int, number: int | None = None) -> Step[int]:
    """Re-queue failed trials (only trial ``number`` if given: a retry from the dashboard)."""
    requeued: list[TrialRequeued] = []
    failed = Trial.objects.select_for_update().filter(
        study=study, state=TrialState.FAILED.value, retries__lt=max_retries
    )
    for trial in failed if number is None else failed.filter(number=number):
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
        requeued.append(TrialRequeued(number=trial.number, params=trial.params, previous_error=trial.error))
    if requeued:
        Study.objects.filter(pk=study.pk).update(n_done=F("n_done") - len(requeued), updated_at=timezone.now())
    return Step(len(requeued), list(requeued))
