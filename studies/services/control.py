"""Controlling a study from its page: stop, resume, raise the budget, enqueue, retry, fail.

Each control reuses the service that already does the work (the admin's and the API's),
inside one transaction that also appends ``control_applied`` naming the user, so the
log says who did what next to the event the change caused (``study_stopped``,
``trial_requeued``...). A control that cannot apply raises ``ControlRefused`` saying why
and which field, and changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from .. import events
from ..core.trials import TrialOutcome
from ..models import Study, StudyState, Trial
from ..payloads import ControlApplied, Payload, StudyStopped
from . import remote
from .editing import update_study_spec
from .housekeeping import _requeue_failed_without_commit
from .studies import queue_study, stop_study
from .trials import finish_trial

# A retry from the dashboard is a person's decision: the study's max_retries does not cap it.
NO_RETRY_LIMIT = 2**31 - 1
BUDGET_FIELD = "n_trials"


class ControlRefused(ValueError):
    """The control does not apply now (or its input is wrong); ``field`` names the input."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


def _applied(study: Study, action: str, user: str, detail: str, number: int | None = None) -> None:
    events.emit(study.pk, [ControlApplied(action=action, user=user, number=number, detail=detail)])


def stop(study: Study, *, user: str) -> None:
    """Stop a running study; its workers finish their trials and take no new ones."""
    with events.writing(study.pk):
        if not stop_study(study):
            raise ControlRefused(f"study {study.name!r} is {study.state}; only a running study can be stopped")
        _applied(study, "stop", user, "stopped the study")


def resume(study: Study, *, user: str) -> None:
    """Queue a created or stopped study for ``run_worker``."""
    with events.writing(study.pk):
        if not queue_study(study):
            raise ControlRefused(
                f"study {study.name!r} is {study.state}; only a created or stopped study can be resumed"
                + (" (raise its budget first)" if study.state == StudyState.COMPLETED else "")
            )
        _applied(study, "resume", user, "queued the study for run_worker")


def raise_budget(study: Study, *, user: str, n_trials: Any) -> None:
    """Raise ``n_trials``; a completed study with trials left to run becomes ``stopped``."""
    if isinstance(n_trials, bool) or not isinstance(n_trials, int):
        raise ControlRefused(f"must be a whole number, got {n_trials!r}", BUDGET_FIELD)
    if n_trials <= study.n_trials:
        raise ControlRefused(
            f"must be more than the current budget of {study.n_trials} (it can only be raised)", BUDGET_FIELD
        )
    before = study.n_trials
    with events.writing(study.pk):
        update_study_spec(study, {**study.spec, "n_trials": n_trials})  # SpecError names n_trials when too large
        _applied(study, "raise_budget", user, f"raised the budget from {before} to {n_trials} trials")


def enqueue(study: Study, *, user: str, params: Any) -> Trial:
    """Queue a configuration (checked against the space: SpecError names each field)."""
    with events.writing(study.pk):
        try:
            trial = remote.enqueue(study, params)
        except remote.Conflict as exc:
            raise ControlRefused(str(exc)) from None
        _applied(study, "enqueue", user, f"enqueued trial {trial.number}", trial.number)
    return trial


def retry(study: Study, *, user: str, number: Any) -> None:
    """Put failed trial ``number`` back as ``waiting``; a completed study becomes ``stopped``."""
    trial = _trial(study, number)
    with events.writing(study.pk):
        step = _requeue_failed_without_commit(study, NO_RETRY_LIMIT, number=trial.number)
        if not step.result:
            raise ControlRefused(f"trial {trial.number} is {_state_now(trial)}; only a failed trial can be retried")
        emitted: list[Payload] = list(step.events)
        now = timezone.now()
        if Study.objects.filter(pk=study.pk, state=StudyState.COMPLETED).update(
            state=StudyState.STOPPED, finished_at=None, updated_at=now
        ):
            study.refresh_from_db()
            emitted.append(StudyStopped.of(study))  # resumable again: its retried trial waits
        events.emit(study.pk, emitted)
        _applied(study, "retry", user, f"re-queued failed trial {trial.number}", trial.number)


def fail(study: Study, *, user: str, number: Any) -> None:
    """Fail running trial ``number``; its worker's late outcome is then ignored."""
    trial = _trial(study, number)
    with events.writing(study.pk):
        outcome = TrialOutcome.failed(f"failed by {user} from the dashboard")
        if not finish_trial(trial, outcome, only_if_running=True):
            raise ControlRefused(f"trial {trial.number} is {_state_now(trial)}; only a running trial can be failed")
        _applied(study, "fail", user, f"failed running trial {trial.number}", trial.number)


def _trial(study: Study, number: Any) -> Trial:
    if isinstance(number, bool) or not isinstance(number, int) or number < 0:
        raise ControlRefused(f"must be a trial number (0, 1, 2, ...), got {number!r}", "number")
    trial = Trial.objects.filter(study=study, number=number).first()
    if trial is None:
        raise ControlRefused(f"study {study.name!r} has no trial {number}", "number")
    trial.study = study
    return trial


def _state_now(trial: Trial) -> str:
    return Trial.objects.filter(pk=trial.pk).values_list("state", flat=True).first() or "gone"
