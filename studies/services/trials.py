"""Trials: claim, report, finish (the housekeeping of lost, failed and unstarted ones: ``housekeeping``).

Public functions own the transaction (``events.writing()``) and append the events;
the ``_..._without_commit`` steps change rows inside it and return a ``Step`` saying
what they did and which events they owe, so steps compose without emitting twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError
from django.db.models.functions import Now
from django.utils import timezone

from .. import events
from ..core.samplers import make_sampler
from ..core.trials import TrialOutcome, TrialState
from ..models import Study, StudyState, Trial, TrialParam, TrialValue
from ..payloads import (
    BestUpdated,
    Payload,
    StudyCompleted,
    StudyProgress,
    TrialCompleted,
    TrialFailed,
    TrialFinished,
    TrialMetric,
    TrialPruned,
    TrialStarted,
)
from ..selectors.snapshots import history_snapshots
from ..statements import (
    Statement,
    insert_statement,
    mark_saved,
    update_row_statement,
    update_statement,
    upsert_statement,
)
from . import pareto, proposals
from .proposals import PROPOSAL_ATTEMPTS, TERMINAL, Proposal, StaleProposal
from .step import Step
from .studies import study_spec
from .study_row import StudyRow, finish_and_count, lock_study_row
from .trial_params import param_rows, record_trial_params

# A claim loses a race for its number only on a database without row locks; a few
# retries are plenty there, and a persistent conflict is a bug worth raising.
CLAIM_ATTEMPTS = 6


@dataclass
class Claim:
    trial: Trial
    params: dict[str, Any]


@dataclass(frozen=True)
class Claimant:
    """Who takes a trial: a worker (or a remote ask, with its request id), now or ahead."""

    worker_id: str
    request_id: str = ""
    ahead: bool = False

    def start_time(self) -> datetime | None:
        """A trial claimed ahead starts later; the worker stamps it then (``started``)."""
        return None if self.ahead else timezone.now()


def claim_trial(
    study: Study, worker_id: str, sampler=None, request_id: str = "", *, ahead: bool = False
) -> Claim | None:
    """Atomically take the next trial for ``worker_id``, or None when the budget is spent.

    With ``request_id`` (a remote ``ask``) the trial is stamped with it, and a request
    already answered gets its trial again: the check runs under the study row's lock,
    in the claim's own transaction, so a retried request never gets a second trial.

    A trial re-queued as ``waiting`` is taken first; otherwise the next number is
    created with parameters from the sampler. The study row is locked for the claim
    itself, so concurrent workers on any machine get distinct numbers and the budget is
    never exceeded; the unique (study, number) constraint backs that up. A sampler that
    reads the history suggests BEFORE the lock, from a snapshot checked under it
    (``proposals``): workers of one study fit their models in parallel.

    ``ahead``: the worker holds the trial, to start when its current one ends. It has
    no start time until then (the worker sends it with its next write), so a sweep
    after the worker's death can tell it never ran and put it back as ``waiting``.
    """
    sampler = sampler or _sampler_of(study)
    claimant = Claimant(worker_id, request_id, ahead)
    for _ in range(PROPOSAL_ATTEMPTS):
        with proposals.proposing(study, sampler) as proposal:
            try:
                return _claim_locked(study, claimant, sampler, proposal)
            except StaleProposal:
                continue  # the history moved on during the suggestion: propose again
    # Still stale after a few proposals (a crowd of workers, or SQLite without
    # reservations): suggest under the lock, as every claim did before, so progress is sure.
    return _claim_locked(study, claimant, sampler, None)


def _claim_locked(study: Study, claimant: Claimant, sampler, proposal: Proposal | None) -> Claim | None:
    """One locked claim transaction (retried on a lost number race); StaleProposal passes through."""
    for attempt in range(CLAIM_ATTEMPTS):
        try:
            with events.writing(study.pk, lock_in_first_statement=True):
                locked = lock_study_row(study.pk, request_id=claimant.request_id, claiming=True)
                if locked.asked_trial_id is not None:
                    return _asked_before(study, locked.asked_trial_id)
                step = _claim_without_commit(study, claimant, sampler, locked, proposal)
                events.emit(study.pk, step.events, before=step.writes, last=True)
                return step.result
        except IntegrityError:
            # Another writer took this number despite the lock (possible only on a
            # database without row locks): the unique constraint refused ours, so ask again.
            if attempt == CLAIM_ATTEMPTS - 1:
                raise
    return None  # not reached: the last attempt returns or raises


def finish_and_claim(
    trial: Trial,
    outcome: TrialOutcome,
    worker_id: str,
    sampler=None,
    *,
    ahead: bool = False,
    started: Trial | None = None,
) -> Claim | None:
    """``finish_trial`` then ``claim_trial`` in one transaction: one commit per trial.

    A commit waits for the disk (about 3 ms on PostgreSQL) while the study row is
    locked, so halving the commits per trial nearly doubles a study's throughput; the
    claim also reuses the study row the finish returned. Both steps keep their own
    guarantees and events, in the same order as when called one after the other.

    A sampler that reads the history suggests outside the lock (``claim_trial``), which
    takes far longer than a commit: the outcome is committed first, so it is seen at
    once (pages, other workers' snapshots) instead of waiting for the next suggestion.

    ``ahead`` as ``claim_trial``'s; ``started`` as ``finish_trial``'s.
    """
    sampler = sampler or _sampler_of(trial.study)
    if sampler.uses_history:
        finish_trial(trial, outcome, started=started)
        return claim_trial(trial.study, worker_id, sampler, ahead=ahead)
    try:
        with events.writing(trial.study_id, lock_in_first_statement=True):
            finished = _finish_without_commit(trial, outcome, only_if_running=True, claiming=True)
            locked = finished.result or lock_study_row(trial.study_id, claiming=True)
            claimed = _claim_without_commit(trial.study, Claimant(worker_id, ahead=ahead), sampler, locked)
            writes = [*_start_statements(started), *claimed.writes]
            events.emit(trial.study_id, finished.events + claimed.events, before=writes, last=True)
            return claimed.result
    except IntegrityError:
        finish_trial(trial, outcome, started=started)
        return claim_trial(trial.study, worker_id, sampler, ahead=ahead)


def _sampler_of(study: Study):
    spec = study_spec(study)
    return make_sampler(spec.sampler, spec.space, spec.direction, spec.all_goals)


def _asked_before(study: Study, trial_id: int) -> Claim:
    """The trial already handed out for this request id (its answer was lost on the network)."""
    trial = Trial.objects.get(pk=trial_id)
    trial.study = study
    return Claim(trial=trial, params=trial.params)


def _start_statements(started: Trial | None) -> list[Statement]:
    """Stamp the start of a trial that was claimed ahead (it began since that claim)."""
    if started is None:
        return []
    running = TrialState.RUNNING.value
    return [update_row_statement(Trial, started.pk, {"started_at": started.started_at}, state=running)]


def _claim_without_commit(
    study: Study, claimant: Claimant, sampler, locked: StudyRow, proposal: Proposal | None = None
) -> Step[Claim | None]:
    """Hand the next trial to ``worker_id``; ``locked`` is the study row this transaction holds.

    With a ``proposal`` a new trial takes its params if they are still valid, else
    StaleProposal is raised (the caller's transaction rolls back; nothing was written).
    """
    if locked.state != StudyState.RUNNING:
        return Step(None)
    writes: list[Statement] = []
    trial = _take_waiting(locked, claimant) if locked.waiting else None
    if trial is None:
        if locked.claimed >= locked.n_trials:
            return Step(None)
        trial, writes = _create_next(study, locked, claimant, sampler, proposal)
    trial.study = study
    started = TrialStarted(number=trial.number, params=trial.params, worker=claimant.worker_id)
    return Step(Claim(trial=trial, params=trial.params), [started], writes)


def _take_waiting(locked: StudyRow, claimant: Claimant) -> Trial | None:
    """The lowest-numbered re-queued trial, now running for ``worker_id``; None if none is left."""
    trial = (
        Trial.objects.select_for_update()
        .filter(study_id=locked.pk, state=TrialState.WAITING.value)
        .order_by("number")
        .first()
    )
    if trial is not None:
        trial.state, trial.worker_id, trial.request_id, trial.started_at, trial.heartbeat_at = (
            TrialState.RUNNING.value,
            claimant.worker_id,
            claimant.request_id,
            claimant.start_time(),
            Now(),
        )
        trial.save(update_fields=["state", "worker_id", "request_id", "started_at", "heartbeat_at"])
    return trial


def _create_next(
    study: Study, locked: StudyRow, claimant: Claimant, sampler, proposal: Proposal | None
) -> tuple[Trial, list[Statement]]:
    """A new running trial numbered ``locked.claimed``, with the proposal's or the sampler's params.

    With an id reserved by the lock (PostgreSQL) the trial and its parameter rows are
    returned as writes still to send (with the events, in one round trip); else they
    are stored here.
    """
    number = locked.claimed
    if proposal is not None:
        params = proposals.check(proposal, locked)
    else:  # suggested under the lock: grid/random (cheap), or the last resort of a stale proposal
        params = sampler.suggest(number, history_snapshots(study, locked.metric) if sampler.uses_history else [])
    trial = Trial(
        id=locked.next_trial_id,
        study_id=locked.pk,
        number=number,
        state=TrialState.RUNNING.value,
        params=params,
        worker_id=claimant.worker_id,
        request_id=claimant.request_id,
        started_at=claimant.start_time(),
        heartbeat_at=Now(),
    )
    if trial.id is None:
        trial.save(force_insert=True)
        record_trial_params(sampler.space, [trial])
        return trial, []
    writes = [
        insert_statement(Trial, [trial], with_pk=True),
        insert_statement(TrialParam, param_rows(sampler.space, [trial])),
    ]
    mark_saved([trial])
    return trial, writes


def record_intermediate(trial: Trial, step: int, metrics: dict[str, float]) -> None:
    """Store values reported at ``step`` (a repeated step overwrites) and beat the heart.

    The values, the heartbeat and the event go to the database in one round trip.
    """
    values = [
        TrialValue(trial=trial, study_id=trial.study_id, step=step, metric=name, value=value)
        for name, value in metrics.items()
    ]
    with events.writing(trial.study_id, lock_in_first_statement=True):
        writes = [*events.study_lock_statements()]
        if values:
            writes.append(upsert_statement(TrialValue, values, unique=["trial", "step", "metric"], update=["value"]))
        writes.append(update_statement(Trial.objects.filter(pk=trial.pk), {"heartbeat_at": Now()}))
        events.emit(
            trial.study_id, [TrialMetric(number=trial.number, step=step, metrics=metrics)], before=writes, last=True
        )


def finish_trial(
    trial: Trial, outcome: TrialOutcome, only_if_running: bool = True, *, started: Trial | None = None
) -> bool:
    """Store a trial's outcome and emit its events; False if it was no longer running.

    Event order per DESIGN.md section 4: the terminal event, ``best_updated`` when
    this trial is the new best, ``study_progress``, and ``study_completed`` last.
    ``started``: a trial claimed ahead that the worker started meanwhile; its start
    time goes in the same round trip.
    """
    with events.writing(trial.study_id, lock_in_first_statement=True):
        step = _finish_without_commit(trial, outcome, only_if_running)
        events.emit(trial.study_id, step.events, before=_start_statements(started), last=True)
        return step.result is not None


def _finish_without_commit(
    trial: Trial, outcome: TrialOutcome, only_if_running: bool, claiming: bool = False
) -> Step[StudyRow | None]:
    """Store the outcome; the result is the locked study row, or None if the trial was not running.

    ``claiming``: a claim follows in the same transaction (``finish_and_claim``).
    """
    now = timezone.now()
    duration_ms = max(0, int((now - (trial.started_at or now)).total_seconds() * 1000))
    # Objective vector and feasibility (several objectives, constraints): services.pareto.
    goals = pareto.goals_of(trial.study)
    judged = pareto.judge(goals, outcome)
    outcome = judged.outcome
    stored = {
        **judged.fields(),
        "state": outcome.state.value,
        "value": outcome.value,
        "metrics": dict(outcome.metrics),
        "error": outcome.error,
        "traceback": outcome.traceback,
        "pruned_step": outcome.pruned_step,
        "finished_at": now,
        "duration_ms": duration_ms,
    }
    if trial.started_at is not None:
        # A trial claimed ahead started later than its claim: the runner set when (``runner``).
        stored["started_at"] = trial.started_at
    counts_as_best = outcome.state is TrialState.COMPLETED and pareto.counts_for_best(goals, judged)
    running = {"state": TrialState.RUNNING.value} if only_if_running else {}
    finishing = update_row_statement(Trial, trial.pk, stored, **running)
    study = finish_and_count(finishing, trial, outcome.value, counts_as_best, now, claiming=claiming)
    if study is None:
        return Step(None)
    trial.state, trial.value, trial.finished_at = outcome.state.value, outcome.value, now
    emitted: list[Payload] = [_terminal_event(trial, outcome, duration_ms)]
    if outcome.state is TrialState.COMPLETED and _holds_the_best(study, trial):
        emitted.append(BestUpdated(number=trial.number, value=trial.value, params=trial.params))
    emitted += pareto.update_front_without_commit(trial, goals, judged).events
    emitted.append(StudyProgress.of(study))
    emitted += _complete_study_without_commit(study).events
    return Step(study, emitted)


def _holds_the_best(study: StudyRow, trial: Trial) -> bool:
    """``finish_and_count`` takes the best inside its UPDATE; the row it returned says who holds it."""
    return study.best_trial_number == trial.number and study.best_value == trial.value


def _terminal_event(trial: Trial, outcome: TrialOutcome, duration_ms: int) -> TrialFinished:
    common = {
        "number": trial.number,
        "state": trial.state,
        "params": trial.params,
        "value": trial.value,
        "duration_ms": duration_ms,
    }
    if outcome.state is TrialState.COMPLETED:
        return TrialCompleted(**common, metrics=dict(outcome.metrics))
    if outcome.state is TrialState.PRUNED:
        return TrialPruned(**common, step=outcome.pruned_step, reason=outcome.error)
    return TrialFailed(**common, error=outcome.error)


def _complete_study_without_commit(study: StudyRow) -> Step[bool]:
    """The last terminal trial completes the study: ``study_completed``, if this is it.

    ``study`` was read after this trial's counters moved.
    """
    if study.n_done < study.n_trials or study.state == StudyState.COMPLETED:
        return Step(False)
    if Trial.objects.filter(study_id=study.pk, state__in=TERMINAL).count() < study.n_trials:
        return Step(False)
    now = timezone.now()
    Study.objects.filter(pk=study.pk).update(state=StudyState.COMPLETED, finished_at=now, updated_at=now)
    study.state = StudyState.COMPLETED.value
    completed = StudyCompleted(
        best_trial=study.best_trial_number, best_value=study.best_value, n_done=study.n_done, n_trials=study.n_trials
    )
    return Step(True, [completed])
