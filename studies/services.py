"""The only writer of study and trial rows: create, claim, report, finish.

Every function that changes state runs in one transaction that also appends the
matching events (``studies.events``), so the log and the rows never disagree.
Concurrency between workers is settled by the database: the study row is locked while
a trial number is claimed, and counters move with conditional UPDATEs.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from . import events
from .core.errors import SpecError
from .core.samplers import make_sampler
from .core.spec import StudySpec, parse_spec
from .core.trials import Direction, TrialOutcome, TrialState
from .executors import registry
from .models import Study, StudyState, Trial, TrialValue
from .selectors import history_snapshots

TERMINAL = [TrialState.COMPLETED.value, TrialState.PRUNED.value, TrialState.FAILED.value]


class StudyNotFound(LookupError):
    def __init__(self, name: str):
        super().__init__(f"no study named {name!r}; see list_studies")


class StudyExists(ValueError):
    def __init__(self, name: str):
        super().__init__(f"a study named {name!r} already exists; pass --replace to overwrite it or rename the spec")


class StudyLocked(ValueError):
    """A change that would make a study's existing trials meaningless (or race its workers)."""

    def __init__(self, name: str, reason: str, fields: list[str]):
        self.fields = fields
        super().__init__(f"study {name!r} cannot change {', '.join(fields)}: {reason}; "
                         f"clone it to run a changed version")


# --- studies ---------------------------------------------------------------------

def validate_spec(raw: Any) -> StudySpec:
    """Parse a spec against the executor registry; raises SpecError."""
    return parse_spec(raw, executors=registry.names())


def with_seed(spec: StudySpec) -> StudySpec:
    """Fix a seed when the spec gave none, so every study can be replayed exactly."""
    if spec.sampler.get("seed", 0) is not None:
        return spec
    sampler = {**spec.sampler, "seed": secrets.randbelow(2**31)}
    return StudySpec(**{**spec.__dict__, "sampler": sampler})


def create_study(raw: Any, replace: bool = False) -> Study:
    spec = with_seed(validate_spec(raw))
    with transaction.atomic():
        existing = Study.objects.filter(name=spec.name).first()
        if existing is not None:
            if not replace:
                raise StudyExists(spec.name)
            existing.delete()
        study = Study.objects.create(
            name=spec.name, description=spec.description, executor=spec.executor, spec=spec.to_dict(),
            metric=spec.metric, direction=spec.direction.value, n_trials=spec.n_trials,
        )
    return study


# Once a study has trials (or a worker may hold its spec), these are all that may change.
EDITABLE_WHEN_LOCKED = ("description", "n_trials")


def spec_locked_reason(study: Study) -> str | None:
    """Why the study's spec (search space, objective, sampler...) is frozen; None if it is not."""
    if study.state in (StudyState.QUEUED, StudyState.RUNNING):
        return f"it is {study.state}, so a worker may already be using its spec"
    count = Trial.objects.filter(study=study).count()
    if count:
        return (f"it has {count} trial{'s' if count != 1 else ''}, whose parameters and values "
                f"belong to the current search space and objective")
    return None


def check_spec_update(study: Study, spec: StudySpec) -> None:
    """Raise StudyLocked if ``study`` may not take ``spec`` (see ``update_study_spec``)."""
    reason = spec_locked_reason(study)
    if reason is None:
        return
    new = spec.to_dict()
    frozen = [key for key in new if key not in EDITABLE_WHEN_LOCKED and new[key] != study.spec.get(key)]
    if frozen:
        raise StudyLocked(study.name, reason, frozen)
    if spec.n_trials < study.n_trials:
        raise StudyLocked(study.name, f"{reason}; the budget can only be raised (it is {study.n_trials})",
                          ["n_trials"])


def update_study_spec(study: Study, raw: Any) -> Study:
    """Replace a study's spec, keeping its trials' meaning intact.

    A study without trials that no worker may hold can change anything (the spec is
    validated exactly as ``create_study`` does). Otherwise only the description and the
    budget may change, and the budget only upward: its trials were sampled from this
    space for this objective. Raising the budget of a completed study makes it
    ``stopped`` again, so a worker can resume it. Raises SpecError, StudyExists or StudyLocked.
    """
    spec = with_seed(validate_spec(raw))
    new = spec.to_dict()
    with transaction.atomic():
        events.lock_log()
        current = Study.objects.select_for_update().get(pk=study.pk)
        if spec.name != current.name and Study.objects.filter(name=spec.name).exists():
            raise StudyExists(spec.name)
        check_spec_update(current, spec)
        before = (current.n_trials, current.state)
        state, finished_at = current.state, current.finished_at
        if state == StudyState.COMPLETED and spec.n_trials > current.n_done:
            state, finished_at = StudyState.STOPPED, None  # more trials to run: resumable again
        Study.objects.filter(pk=current.pk).update(
            name=spec.name, description=spec.description, executor=spec.executor, spec=new,
            metric=spec.metric, direction=spec.direction.value, n_trials=spec.n_trials,
            state=state, finished_at=finished_at, updated_at=timezone.now())
        current.refresh_from_db()
        if (current.n_trials, current.state) != before:
            events.append(current.pk, "study_progress", progress_data(current))
    study.refresh_from_db()
    return study


_COPY_SUFFIX = re.compile(r"-copy(-\d+)?$")


def clone_name(name: str) -> str:
    """The first free name of ``<name>-copy``, ``<name>-copy-2``, ...; a copy's copy counts on."""
    base = _COPY_SUFFIX.sub("", name)
    taken = set(Study.objects.filter(name__startswith=f"{base[:80]}").values_list("name", flat=True))
    for n in range(1, 100_000):
        suffix = "-copy" if n == 1 else f"-copy-{n}"
        candidate = base[:100 - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
    raise StudyExists(f"{base}-copy")


def clone_study(study: Study) -> Study:
    """A new study with the same spec (seed included) under a new unique name, without trials."""
    raw = {**study.spec}
    for _ in range(5):
        raw["name"] = clone_name(study.name)
        try:
            with transaction.atomic():
                return create_study(raw)
        except (StudyExists, IntegrityError):
            continue  # another writer took the name between our look and our insert
    raise StudyExists(raw["name"])


def get_study(name: str) -> Study:
    try:
        return Study.objects.get(name=name)
    except Study.DoesNotExist:
        raise StudyNotFound(name) from None


def study_spec(study: Study) -> StudySpec:
    return parse_spec(study.spec)


def progress_data(study: Study) -> dict[str, Any]:
    return {"completed": study.n_done, "total": study.n_trials, "best_value": study.best_value,
            "best_trial": study.best_trial_number, "state": study.state}


def start_study(study: Study) -> bool:
    """Move a study to ``running``; emits study_started. False if it was already running/complete."""
    with transaction.atomic():
        events.lock_log()
        now = timezone.now()
        moved = (Study.objects.filter(pk=study.pk)
                 .exclude(state__in=[StudyState.RUNNING, StudyState.COMPLETED])
                 .update(state=StudyState.RUNNING, started_at=F("started_at") if study.started_at else now,
                         finished_at=None, updated_at=now))
        if moved:
            study.refresh_from_db()
            events.append(study.pk, "study_started", {
                "name": study.name, "total": study.n_trials, "resumed": study.n_done > 0 or study.trials.exists(),
            })
    return bool(moved)


def _transition(study: Study, from_states: list[str], to_state: str, event_type: str) -> bool:
    """Move the study between states with a conditional UPDATE; emit ``event_type`` if it moved."""
    with transaction.atomic():
        events.lock_log()
        moved = Study.objects.filter(pk=study.pk, state__in=from_states).update(
            state=to_state, updated_at=timezone.now())
        if moved:
            study.refresh_from_db()
            events.append(study.pk, event_type, progress_data(study))
    return bool(moved)


def stop_study(study: Study) -> bool:
    """Mark a running study ``stopped`` (resumable). Returns whether it changed."""
    return _transition(study, [StudyState.RUNNING], StudyState.STOPPED, "study_stopped")


def queue_study(study: Study) -> bool:
    """Queue a study for ``run_worker``; only created or stopped studies can be queued."""
    return _transition(study, [StudyState.CREATED, StudyState.STOPPED], StudyState.QUEUED, "study_queued")


def _complete_if_done(study_id: int) -> None:
    """Called inside a finishing transaction: the last terminal trial completes the study."""
    study = Study.objects.get(pk=study_id)
    if study.n_done < study.n_trials or study.state == StudyState.COMPLETED:
        return
    if Trial.objects.filter(study_id=study_id, state__in=TERMINAL).count() < study.n_trials:
        return
    now = timezone.now()
    Study.objects.filter(pk=study_id).update(state=StudyState.COMPLETED, finished_at=now, updated_at=now)
    events.append(study_id, "study_completed", {
        "best_trial": study.best_trial_number, "best_value": study.best_value,
        "completed": study.n_done, "total": study.n_trials,
    })


# --- trials ----------------------------------------------------------------------

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
    if sampler is None:
        spec = study_spec(study)
        sampler = make_sampler(spec.sampler, spec.space, spec.direction)
    try:
        with transaction.atomic():
            events.lock_log()
            locked = Study.objects.select_for_update().get(pk=study.pk)
            if locked.state != StudyState.RUNNING:
                return None
            now = timezone.now()
            trial = (Trial.objects.select_for_update()
                     .filter(study=locked, state=TrialState.WAITING.value).order_by("number").first())
            if trial is not None:
                trial.state, trial.worker_id, trial.started_at, trial.heartbeat_at = TrialState.RUNNING.value, worker_id, now, now
                trial.save(update_fields=["state", "worker_id", "started_at", "heartbeat_at"])
            else:
                number = Trial.objects.filter(study=locked).count()
                if number >= locked.n_trials:
                    return None
                history = history_snapshots(locked, locked.metric) if sampler.uses_history else []
                params = sampler.suggest(number, history)
                trial = Trial.objects.create(study=locked, number=number, state=TrialState.RUNNING.value,
                                             params=params, worker_id=worker_id, started_at=now, heartbeat_at=now)
            events.append(locked.pk, "trial_started", {"number": trial.number, "params": trial.params,
                                                        "worker": worker_id})
    except IntegrityError:
        # Another writer took this number despite the lock (possible only on a database
        # without row locks): the unique constraint refused ours, so ask again.
        if _attempt >= 5:
            raise
        return claim_trial(study, worker_id, sampler, _attempt=_attempt + 1)
    return Claim(trial=trial, params=trial.params)


def record_intermediate(trial: Trial, step: int, metrics: dict[str, float]) -> None:
    """Store values reported at ``step`` (a repeated step overwrites) and beat the heart."""
    now = timezone.now()
    with transaction.atomic():
        events.lock_log()
        TrialValue.objects.bulk_create(
            [TrialValue(trial=trial, study_id=trial.study_id, step=step, metric=name, value=value)
             for name, value in metrics.items()],
            update_conflicts=True, unique_fields=["trial", "step", "metric"], update_fields=["value"],
        )
        Trial.objects.filter(pk=trial.pk).update(heartbeat_at=now)
        events.append(trial.study_id, "trial_metric", {"number": trial.number, "step": step, "metrics": metrics})


def heartbeat(trial: Trial) -> None:
    Trial.objects.filter(pk=trial.pk, state=TrialState.RUNNING.value).update(heartbeat_at=timezone.now())


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
    now = timezone.now()
    started = trial.started_at or now
    duration_ms = max(0, int((now - started).total_seconds() * 1000))
    with transaction.atomic():
        events.lock_log()
        rows = Trial.objects.filter(pk=trial.pk)
        if only_if_running:
            rows = rows.filter(state=TrialState.RUNNING.value)
        changed = rows.update(
            state=outcome.state.value, value=outcome.value, metrics=dict(outcome.metrics), error=outcome.error,
            traceback=outcome.traceback, pruned_step=outcome.pruned_step, finished_at=now, duration_ms=duration_ms,
        )
        if not changed:
            return False
        trial.refresh_from_db()
        Study.objects.filter(pk=trial.study_id).update(n_done=F("n_done") + 1, updated_at=now)
        data = {"number": trial.number, "state": trial.state, "params": trial.params, "value": trial.value,
                "duration_ms": duration_ms}
        if outcome.state is TrialState.COMPLETED:
            data["metrics"] = dict(outcome.metrics)
        elif outcome.state is TrialState.PRUNED:
            data.update(step=outcome.pruned_step, reason=outcome.error)
        else:
            data["error"] = outcome.error
        events.append(trial.study_id, _EVENT_FOR_STATE[outcome.state], data)
        if outcome.state is TrialState.COMPLETED and _take_best(trial):
            events.append(trial.study_id, "best_updated", {"number": trial.number, "value": trial.value,
                                                            "params": trial.params})
        study = Study.objects.get(pk=trial.study_id)
        events.append(trial.study_id, "study_progress", progress_data(study))
        _complete_if_done(trial.study_id)
    return True


def _take_best(trial: Trial) -> bool:
    """Make ``trial`` the study's best if it beats the current best; a conditional UPDATE."""
    study = Study.objects.only("direction").get(pk=trial.study_id)
    beaten = Q(best_value__gt=trial.value) if study.direction == Direction.MINIMIZE.value else Q(best_value__lt=trial.value)
    return bool(Study.objects.filter(Q(pk=trial.study_id) & (Q(best_value__isnull=True) | beaten))
                .update(best_value=trial.value, best_trial_number=trial.number))


def fail_stale_trials(study: Study, grace_seconds: float) -> int:
    """Fail running trials whose heartbeat is older than the grace period ("worker lost")."""
    cutoff = timezone.now() - timedelta(seconds=grace_seconds)
    stale = list(Trial.objects.filter(study=study, state=TrialState.RUNNING.value, heartbeat_at__lt=cutoff))
    failed = 0
    for trial in stale:
        outcome = TrialOutcome.failed(f"worker lost: no heartbeat from {trial.worker_id or 'its worker'} "
                                      f"for over {grace_seconds:g} s")
        failed += finish_trial(trial, outcome)
    return failed


def requeue_failed(study: Study, max_retries: int) -> int:
    """Put failed trials back as ``waiting`` with their parameters, up to ``max_retries`` each."""
    requeued = 0
    with transaction.atomic():
        events.lock_log()
        for trial in Trial.objects.select_for_update().filter(study=study, state=TrialState.FAILED.value,
                                                              retries__lt=max_retries):
            Trial.objects.filter(pk=trial.pk).update(
                state=TrialState.WAITING.value, retries=F("retries") + 1, error="", traceback="",
                finished_at=None, duration_ms=None, worker_id="", heartbeat_at=None, started_at=None)
            TrialValue.objects.filter(trial=trial).delete()
            requeued += 1
            events.append(study.pk, "trial_requeued", {"number": trial.number, "params": trial.params,
                                                       "previous_error": trial.error})
        if requeued:
            Study.objects.filter(pk=study.pk).update(n_done=F("n_done") - requeued, updated_at=timezone.now())
    return requeued


__all__ = ["SpecError", "StudyExists", "StudyLocked", "StudyNotFound", "Claim", "create_study", "update_study_spec",
           "clone_study", "clone_name", "spec_locked_reason", "check_spec_update", "get_study", "claim_trial",
           "record_intermediate", "finish_trial", "start_study", "stop_study", "queue_study",
           "fail_stale_trials", "requeue_failed", "heartbeat", "study_spec", "progress_data", "validate_spec"]
