"""Remote trials: what the HTTP ask/tell API does, on top of the workers' own services.

A remote client's trial is claimed, reported, finished and swept for loss by the same
functions as a worker's (``claim_trial``, ``record_intermediate``, ``finish_trial``,
``heartbeat``), so events, the dashboard, the export and the pruners cannot tell them
apart, and both kinds can share one study. What is added here is what a client on a
flaky network needs: idempotent ``ask`` (``request_id``) and ``tell`` (a repeat of the
same outcome is answered, not refused), and failing the trials of a client that
stopped heartbeating.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, DurationField, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Now
from django.utils import timezone

from .. import events
from ..core.errors import ObjectiveError
from ..core.outcome import check_reported, objective_from_result
from ..core.params import check_params
from ..core.pruners import NopPruner, make_pruner
from ..core.trials import TrialOutcome, TrialState
from ..models import Study, StudyState, Trial
from ..payloads import TrialEnqueued
from ..pruning import should_prune
from ..selectors import reported_values
from . import pareto
from .errors import StudyExists
from .housekeeping import heartbeat, lost_outcome, requeue_failed
from .studies import create_study, start_study, study_spec
from .study_row import lock_study_row
from .trial_params import record_trial_params
from .trials import claim_trial, finish_trial, record_intermediate

# Remote trials' worker ids start with this, so the web process's sweep (which judges
# by SOMATIZE_HEARTBEAT_GRACE) never fails a worker's trial that runs on its own grace.
REMOTE_PREFIX = "remote:"
STARTABLE = [StudyState.CREATED, StudyState.STOPPED, StudyState.QUEUED]


class UnknownStudy(LookupError):
    def __init__(self, study_id: int):
        super().__init__(f"no study with id {study_id}; GET /api/studies/ lists them")


class UnknownTrial(LookupError):
    def __init__(self, study: Study, number: int):
        super().__init__(f"study {study.name!r} has no trial {number}; ask for one with POST .../ask/")


class Conflict(ValueError):
    """The request is well-formed but the study or trial is in a state that refuses it."""


class NameTaken(Conflict):
    def __init__(self, name: str, study_id: int):
        self.study_id = study_id
        super().__init__(f"a study named {name!r} already exists (id {study_id}); use it or rename the spec")


def create(raw: Any) -> Study:
    """``create_study`` for the API: a taken name is a Conflict that says which study has it."""
    try:
        return create_study(raw)
    except StudyExists:
        existing = Study.objects.filter(name=raw["name"]).first()
        raise NameTaken(raw["name"], existing.pk if existing else 0) from None


# Lookups by unique keys use get(), which drops the models' default ordering: first()
# would sort a trial lookup by its study's created_at, a join on every request.


def get_study(study_id: int, *, with_lost_check: bool = False) -> Study:
    """The study; ``with_lost_check`` also says (``has_lost_trials``) whether ``ask`` must sweep.

    The ask's check for lost clients rides on this read instead of its own statement.
    """
    studies = Study.objects.all()
    if with_lost_check:
        studies = studies.annotate(has_lost_trials=_lost_hint(heartbeat_grace()))
    try:
        return studies.get(pk=study_id)
    except Study.DoesNotExist:
        raise UnknownStudy(study_id) from None


def get_trial(study_id: int, number: int) -> Trial:
    """Trial ``number`` of the study, read with its study (``trial.study``) in one statement."""
    try:
        return Trial.objects.select_related("study").get(study_id=study_id, number=number)
    except Trial.DoesNotExist:
        raise UnknownTrial(get_study(study_id), number) from None


def _not_running(trial: Trial) -> Conflict:
    if trial.state == TrialState.WAITING.value:
        why = "waiting: it was failed (e.g. its client was lost) and re-queued; ask for a trial again"
    else:
        why = f"{trial.state}" + (f" ({trial.error})" if trial.error else "")
        why += "; it no longer takes reports or heartbeats, ask for a new trial"
    return Conflict(f"trial {trial.number} is not running: it is {why}")


def heartbeat_grace() -> float:
    return settings.SOMATIZE_HEARTBEAT_GRACE


def ask(study: Study, *, worker: str = "", request_id: str = "") -> Trial:
    """Hand out the next trial of ``study`` (starting it if needed), or raise Conflict.

    With ``request_id`` the same request asked again (its answer was lost on the
    network) gets the same trial, never a second one: ``claim_trial`` checks it under
    the study row's lock, in the claim's own transaction.
    """
    if getattr(study, "has_lost_trials", True):  # unknown unless read by get_study(with_lost_check=True)
        _fail_lost(study, heartbeat_grace())
    _requeue(study)
    if study.state in STARTABLE:
        start_study(study, from_states=STARTABLE)
    claim = claim_trial(study, REMOTE_PREFIX + (worker or "client"), request_id=request_id)
    if claim is None:
        raise _nothing_to_hand_out(study)
    return claim.trial


def _nothing_to_hand_out(study: Study) -> Conflict:
    study.refresh_from_db()
    if study.state == StudyState.COMPLETED:
        return Conflict(f"study {study.name!r} is completed ({study.n_done}/{study.n_trials} trials)")
    if study.state != StudyState.RUNNING:
        return Conflict(f"study {study.name!r} is {study.state}; it hands out no trials now")
    running = Trial.objects.filter(study=study, state=TrialState.RUNNING.value).count()
    return Conflict(
        f"every trial of study {study.name!r}'s budget of {study.n_trials} is handed out ({running} still "
        "running); ask again later (a lost or failed trial may be re-queued) or raise n_trials"
    )


def report(trial: Trial, *, step: int, metrics: dict[str, Any]) -> bool:
    """Store intermediate values (beats the heartbeat); True when the pruner says stop."""
    clean = check_reported(metrics)
    study, number = trial.study, trial.number
    if trial.state != TrialState.RUNNING.value:
        raise _not_running(trial)
    record_intermediate(trial, step, clean)
    spec = study_spec(study)
    pruner = make_pruner(spec.pruner)
    if isinstance(pruner, NopPruner):
        return False  # no pruner: nothing to read
    return should_prune(
        study_id=study.pk,
        number=number,
        metric=spec.metric,
        step=step,
        own=reported_values(trial.pk, spec.metric),
        pruner=pruner,
        direction=spec.direction,
    )


def beat(trial: Trial) -> None:
    if not heartbeat(trial):
        trial.refresh_from_db()
        raise _not_running(trial)


def outcome_of(study: Study, state: str, **given: Any) -> TrialOutcome:
    """The outcome a ``tell`` describes; ObjectiveError as for an executor's result."""
    if state == TrialState.COMPLETED.value:
        metrics = dict(given.get("metrics") or {})
        value = given.get("value")
        if value is not None:
            if study.metric in metrics and metrics[study.metric] != value:
                raise Conflict(f"value {value} and metrics.{study.metric} {metrics[study.metric]} disagree; give one")
            metrics[study.metric] = value
        value, metrics = objective_from_result(metrics, study.metric)
        judged = pareto.judge(pareto.goals_of(study), TrialOutcome.completed(value, metrics))
        if judged.outcome.state is not TrialState.COMPLETED:  # several objectives: one is missing
            raise ObjectiveError(judged.outcome.error)
        return judged.outcome
    if state == TrialState.PRUNED.value:
        return TrialOutcome.pruned(given.get("step"), "pruned by the remote client")
    return TrialOutcome.failed(given.get("error") or "failed by the remote client", given.get("traceback") or "")


def tell(trial: Trial, outcome: TrialOutcome) -> Trial:
    """Finish a running trial; a repeat of its stored outcome is a no-op, another one a Conflict."""
    if trial.state == TrialState.RUNNING.value and finish_trial(trial, outcome):
        return trial
    trial.refresh_from_db()
    if _same_outcome(trial, outcome):
        return trial
    if trial.state == TrialState.WAITING.value:
        raise _not_running(trial)
    raise Conflict(
        f"trial {trial.number} already ended {trial.state}"
        + (f" ({trial.error})" if trial.error else f" with value {trial.value}")
        + f"; it cannot be told {outcome.state.value} now"
    )


def _same_outcome(trial: Trial, outcome: TrialOutcome) -> bool:
    if trial.state != outcome.state.value:
        return False
    if outcome.state is TrialState.COMPLETED:
        stored, told = trial.metrics or {}, outcome.metrics
        return (
            _close(trial.value, outcome.value)
            and stored.keys() == told.keys()
            and all(_close(stored[k], told[k]) for k in told)
        )
    if outcome.state is TrialState.PRUNED:
        return trial.pruned_step == outcome.pruned_step
    return trial.error == outcome.error


def _close(a: float | None, b: float | None) -> bool:
    # Stored floats may come back through a database's float type: equal to 1 ulp-ish.
    return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0)


def enqueue(study: Study, params: Any) -> Trial:
    """Add a ``waiting`` trial with ``params`` (checked against the space); claimed first."""
    space = study_spec(study).space
    clean = check_params(space, params)
    with events.writing(study.pk):
        locked = lock_study_row(study.pk)
        if locked.state == StudyState.COMPLETED:
            raise Conflict(f"study {study.name!r} is completed; raise its n_trials first to enqueue more")
        if locked.claimed >= locked.n_trials:
            raise Conflict(
                f"every trial of study {study.name!r}'s budget of {locked.n_trials} is numbered; "
                "raise n_trials to enqueue more"
            )
        trial = Trial.objects.create(
            study_id=study.pk, number=locked.claimed, state=TrialState.WAITING.value, params=clean
        )
        record_trial_params(space, [trial])
        events.emit(study.pk, [TrialEnqueued(number=trial.number, params=clean)])
    return trial


def _stale_remote(grace: float):
    cutoff = Now() - Value(timedelta(seconds=grace), output_field=DurationField())  # the database's clock
    return Trial.objects.filter(
        state=TrialState.RUNNING.value, worker_id__startswith=REMOTE_PREFIX, heartbeat_at__lt=cutoff
    ).order_by()  # unordered: the default (study, number) ordering would join every study row


def _lost_hint(grace: float) -> RawSQL:
    """Whether the study has a running remote trial whose heartbeat is older than ``grace``.

    Only a hint that the ask should sweep; the sweep itself judges by the database's
    clock. Plain SQL, because building the ORM's ``Exists`` cost each ask about 1 ms of
    CPU; the web server's clock, because a hint late by a clock skew is caught by the
    web process's periodic sweep (``sweep_all``).
    """
    trials, studies = (connection.ops.quote_name(model._meta.db_table) for model in (Trial, Study))
    sql = (
        f"EXISTS (SELECT 1 FROM {trials} t WHERE t.study_id = {studies}.id AND t.state = %s "
        "AND t.worker_id LIKE %s AND t.heartbeat_at < %s)"
    )
    cutoff = connection.ops.adapt_datetimefield_value(timezone.now() - timedelta(seconds=grace))
    return RawSQL(sql, (TrialState.RUNNING.value, REMOTE_PREFIX + "%", cutoff), output_field=BooleanField())


def _fail_lost(study: Study, grace: float) -> int:
    """Fail ``study``'s remote trials whose client stopped heartbeating; how many."""
    return sum(finish_trial(t, lost_outcome(t, grace)) for t in _stale_remote(grace).filter(study=study))


def sweep_all(grace: float) -> int:
    """The web process's periodic sweep: every study's lost remote trials (one indexed query)."""
    failed = 0
    studies: dict[int, Study] = {}
    for trial in _stale_remote(grace).select_related("study"):
        failed += finish_trial(trial, lost_outcome(trial, grace))
        studies[trial.study_id] = trial.study
    for study in studies.values():
        _requeue(study)
    return failed


def _requeue(study: Study) -> None:
    retries = study.spec.get("max_retries", 0)
    # Checked first without a lock: most asks find nothing to re-queue.
    if retries and Trial.objects.filter(study=study, state=TrialState.FAILED.value, retries__lt=retries).exists():
        requeue_failed(study, retries)
