"""Study lifecycle: create, look up, start, stop, queue, and the queue worker's picks."""

from __future__ import annotations

import secrets
from collections.abc import Collection, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from .. import events
from ..core.spec import StudySpec, parse_spec
from ..core.trials import TrialState
from ..executors import registry
from ..models import Study, StudyState
from ..payloads import StudyProgress, StudyQueued, StudyStarted, StudyStopped
from .errors import StudyExists, StudyNotFound


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
            name=spec.name,
            description=spec.description,
            executor=spec.executor,
            spec=spec.to_dict(),
            metric=spec.metric,
            direction=spec.direction.value,
            n_trials=spec.n_trials,
        )
    return study


def get_study(name: str) -> Study:
    try:
        return Study.objects.get(name=name)
    except Study.DoesNotExist:
        raise StudyNotFound(name) from None


def study_spec(study: Study) -> StudySpec:
    return parse_spec(study.spec, stored=True)


def progress_data(study: Study) -> dict[str, Any]:
    """The ``study_progress`` data of the study as it is now (see ``payloads.StudyProgress``)."""
    return StudyProgress.of(study).to_data()


def start_study(study: Study, from_states: Sequence[str] | None = None) -> bool:
    """Move a study to ``running``; emits study_started. False if it was already running/complete.

    ``from_states`` narrows which states may move (``run_worker`` takes only queued ones).
    """
    with events.writing(study.pk):
        now = timezone.now()
        rows = Study.objects.filter(pk=study.pk).exclude(state__in=[StudyState.RUNNING, StudyState.COMPLETED])
        if from_states is not None:
            rows = rows.filter(state__in=from_states)
        moved = rows.update(
            state=StudyState.RUNNING,
            started_at=F("started_at") if study.started_at else now,
            finished_at=None,
            updated_at=now,
        )
        if moved:
            study.refresh_from_db()
            resumed = study.n_done > 0 or study.trials.exists()
            events.emit(study.pk, [StudyStarted(name=study.name, n_trials=study.n_trials, resumed=resumed)])
    return bool(moved)


def claim_queued_study() -> Study | None:
    """Start the longest-queued study for this worker; a conditional UPDATE decides who wins.

    Two ``run_worker`` processes polling together never both start one study: only
    one UPDATE finds it still ``queued``.
    """
    queued = Study.objects.filter(state=StudyState.QUEUED).exclude(executor="")  # "": remote clients only
    for study in queued.order_by("updated_at", "pk")[:20]:
        if start_study(study, from_states=[StudyState.QUEUED]):
            return study
    return None


def joinable_study(exclude: Collection[int] = frozenset()) -> Study | None:
    """A running study with trials nobody has claimed yet (unnumbered or re-queued)."""
    claimed = Count("trials")
    waiting = Count("trials", filter=Q(trials__state=TrialState.WAITING.value))
    return (
        Study.objects.filter(state=StudyState.RUNNING)
        .exclude(pk__in=exclude)
        .exclude(executor="")  # trials of remote-only studies come from remote clients
        .annotate(claimed=claimed, waiting=waiting)
        .filter(Q(claimed__lt=F("n_trials")) | Q(waiting__gt=0))
        .order_by("started_at", "pk")
        .first()
    )


def _transition(study: Study, from_states: list[str], to_state: str, event: type[StudyProgress]) -> bool:
    """Move the study between states with a conditional UPDATE; emit ``event`` if it moved."""
    with events.writing(study.pk):
        moved = Study.objects.filter(pk=study.pk, state__in=from_states).update(
            state=to_state, updated_at=timezone.now()
        )
        if moved:
            study.refresh_from_db()
            events.emit(study.pk, [event.of(study)])
    return bool(moved)


def stop_study(study: Study) -> bool:
    """Mark a running study ``stopped`` (resumable). Returns whether it changed."""
    return _transition(study, [StudyState.RUNNING], StudyState.STOPPED, StudyStopped)


def queue_study(study: Study) -> bool:
    """Queue a study for ``run_worker``; only created or stopped studies can be queued."""
    return _transition(study, [StudyState.CREATED, StudyState.STOPPED], StudyState.QUEUED, StudyQueued)
