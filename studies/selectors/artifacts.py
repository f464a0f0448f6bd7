"""Reads of trial artifacts: a trial's list (page, API) and one artifact (download)."""

from __future__ import annotations

from django.urls import reverse

from ..core.artifacts import shown_inline
from ..models import Trial, TrialArtifact
from ..shapes import ArtifactRow
from .studies import iso

__all__ = ["ArtifactRow", "artifact_get", "artifact_row", "artifact_url", "trial_artifacts"]


def artifact_url(study_id: int, number: int, name: str) -> str:
    return reverse("studies:artifact", args=[study_id, number, name])


def artifact_row(study_id: int, number: int, artifact: TrialArtifact) -> ArtifactRow:
    return {
        "id": artifact.pk,
        "name": artifact.name,
        "size": artifact.size,
        "content_type": artifact.content_type,
        "inline": shown_inline(artifact.content_type),
        "url": artifact_url(study_id, number, artifact.name),
        "created_at": iso(artifact.created_at),
    }


def trial_artifacts(trial: Trial) -> list[ArtifactRow]:
    """The trial's artifacts by name."""
    rows = TrialArtifact.objects.filter(trial=trial).order_by("name")
    return [artifact_row(trial.study_id, trial.number, artifact) for artifact in rows]


def artifact_get(study_id: int, number: int, name: str) -> TrialArtifact | None:
    found = TrialArtifact.objects.filter(trial__study_id=study_id, trial__number=number, name=name)
    return found.first()
