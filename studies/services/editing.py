"""Editing a study's spec after creation (the admin), and cloning it."""

from __future__ import annotations

import re
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from .. import events
from ..core.spec import StudySpec
from ..models import Study, StudyState, Trial
from ..payloads import StudyProgress
from .errors import StudyExists, StudyLocked
from .studies import create_study, validate_spec, with_seed

# Once a study has trials (or a worker may hold its spec), these are all that may change.
EDITABLE_WHEN_LOCKED = ("description", "n_trials")


def spec_locked_reason(study: Study) -> str | None:
    """Why the study's spec (search space, objective, sampler...) is frozen; None if it is not."""
    if study.state in (StudyState.QUEUED, StudyState.RUNNING):
        return f"it is {study.state}, so a worker may already be using its spec"
    count = Trial.objects.filter(study=study).count()
    if count:
        return (
            f"it has {count} trial{'s' if count != 1 else ''}, whose parameters and values "
            f"belong to the current search space and objective"
        )
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
        raise StudyLocked(study.name, f"{reason}; the budget can only be raised (it is {study.n_trials})", ["n_trials"])


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
    with events.writing(study.pk):
        current = Study.objects.select_for_update().get(pk=study.pk)
        if spec.name != current.name and Study.objects.filter(name=spec.name).exists():
            raise StudyExists(spec.name)
        check_spec_update(current, spec)
        before = (current.n_trials, current.state)
        state, finished_at = current.state, current.finished_at
        if state == StudyState.COMPLETED and spec.n_trials > current.n_done:
            state, finished_at = StudyState.STOPPED, None  # more trials to run: resumable again
        Study.objects.filter(pk=current.pk).update(
            name=spec.name,
            description=spec.description,
            executor=spec.executor,
            spec=new,
            metric=spec.metric,
            direction=spec.direction.value,
            n_trials=spec.n_trials,
            state=state,
            finished_at=finished_at,
            updated_at=timezone.now(),
        )
        current.refresh_from_db()
        if (current.n_trials, current.state) != before:
            events.emit(current.pk, [StudyProgress.of(current)])
    study.refresh_from_db()
    return study


_COPY_SUFFIX = re.compile(r"-copy(-\d+)?$")


def clone_name(name: str) -> str:
    """The first free name of ``<name>-copy``, ``<name>-copy-2``, ...; a copy's copy counts on."""
    base = _COPY_SUFFIX.sub("", name)
    taken = set(Study.objects.filter(name__startswith=f"{base[:80]}").values_list("name", flat=True))
    for n in range(1, 100_000):
        suffix = "-copy" if n == 1 else f"-copy-{n}"
        candidate = base[: 100 - len(suffix)] + suffix
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
