"""Studies as pages, sockets, commands and workers read them.

A study list reads only study rows (their counters are denormalised); a study's
detail adds one GROUP BY over its trials. Whatever carries ``last_event_id`` is read
through ``read_at_cursor``.
"""

from __future__ import annotations

from typing import Any, TypedDict

from django.db.models.query import QuerySet
from django.urls import reverse
from django.utils import timezone

from ..core.series import rate_and_eta
from ..core.space import SearchSpace, parse_space
from ..core.trials import TrialState
from ..models import Study, StudyState, Trial
from ..shapes import StudyDetail, StudyList, StudySummary
from .counts import state_counts
from .cursor import read_at_cursor


class StudyPage(TypedDict):
    """What the study page renders first: the detail and its parameter names."""

    study: StudyDetail
    params: list[str]


def study_get(study_id: int) -> Study | None:
    return Study.objects.filter(pk=study_id).first()


def study_exists(study_id: int) -> bool:
    return Study.objects.filter(pk=study_id).exists()


def study_name_taken(name: str, exclude_pk: int | None = None) -> bool:
    """Whether another study (not ``exclude_pk``) already has this name."""
    others = Study.objects.filter(name=name)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    return others.exists()


def studies_by_name() -> QuerySet[Study]:
    return Study.objects.order_by("name")


def running_studies() -> QuerySet[Study]:
    return Study.objects.filter(state=StudyState.RUNNING)


def has_running_trials(study: Study) -> bool:
    return Trial.objects.filter(study=study, state=TrialState.RUNNING.value).exists()


def study_space(study: Study) -> SearchSpace:
    return parse_space(study.spec["search_space"], stored=True)


def iso(when) -> str | None:
    return when.isoformat() if when else None


def progress_percent(done: int, total: int) -> float:
    return round(100.0 * done / total, 1) if total else 100.0


def study_summary(study: Study) -> StudySummary:
    return {
        "id": study.pk,
        "name": study.name,
        "description": study.description,
        "executor": study.executor,
        "metric": study.metric,
        "direction": study.direction,
        "sampler": study.spec["sampler"]["type"],
        "state": study.state,
        "n_done": study.n_done,
        "n_trials": study.n_trials,
        "progress": progress_percent(study.n_done, study.n_trials),
        "best_value": study.best_value,
        "best_trial": study.best_trial_number,
        "started_at": iso(study.started_at),
        "finished_at": iso(study.finished_at),
        "url": reverse("studies:study", args=[study.pk]),
        "objectives": study.spec.get("objectives") or [study.spec["objective"]],
        "front_size": study.front_size,
    }


def list_snapshot() -> tuple[int, StudyList]:
    """Every study's summary, newest first, and the cursor it is current to."""
    return read_at_cursor(
        lambda cursor: {
            "studies": [study_summary(s) for s in Study.objects.order_by("-created_at")],
            "last_event_id": cursor,
        }
    )


def study_list() -> StudyList:
    return list_snapshot()[1]


def study_snapshot(study_id: int) -> tuple[int, StudyDetail] | None:
    """The study's detail and the cursor it is current to; None if there is no such study."""
    cursor, detail = read_at_cursor(lambda cursor: _detail_or_none(study_get(study_id), cursor))
    return None if detail is None else (cursor, detail)


def study_detail(study_id: int) -> StudyDetail | None:
    snapshot = study_snapshot(study_id)
    return None if snapshot is None else snapshot[1]


def study_page(study_id: int) -> StudyPage | None:
    detail = study_detail(study_id)
    if detail is None:
        return None
    return {"study": detail, "params": parse_space(detail["search_space"], stored=True).names}


def _detail_or_none(study: Study | None, cursor: int) -> StudyDetail | None:
    if study is None:
        return None
    counts = state_counts(study)
    rate, eta = _rate_and_eta(study)
    return {
        **study_summary(study),
        "best_params": _best_params(study),
        "counts": counts,
        "search_space": study.spec["search_space"],
        "rate": rate,
        "eta_seconds": eta,
        "last_event_id": cursor,
    }


def _best_params(study: Study) -> dict[str, Any] | None:
    if study.best_trial_number is None:
        return None
    return Trial.objects.filter(study=study, number=study.best_trial_number).values_list("params", flat=True).first()


def _rate_and_eta(study: Study) -> tuple[float | None, float | None]:
    """Trials per second since the study (re)started, and seconds left while it runs."""
    elapsed = (timezone.now() - study.started_at).total_seconds() if study.started_at else 0.0
    if study.finished_at and study.started_at:
        elapsed = (study.finished_at - study.started_at).total_seconds()
    rate, eta = rate_and_eta(study.n_done, elapsed, study.n_trials - study.n_done)
    return rate, (eta if study.state == "running" else None)
