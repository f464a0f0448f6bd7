"""Notes on studies and trials: plain text, edited by users allowed to run studies.

A note is stored as typed and always shown escaped (pages set ``textContent``; the
template auto-escapes), with its line breaks kept by CSS, so markup in a note is text.
"""

from __future__ import annotations

from typing import Any

from .. import events
from ..models import Study, StudyNote, Trial, TrialNote
from ..payloads import NoteUpdated
from .control import ControlRefused

NOTE_LIMIT = 20_000  # characters: a page of notes, not a document store


def _clean(text: Any) -> str:
    if not isinstance(text, str):
        raise ControlRefused(f"must be text, got {type(text).__name__}", "note")
    if len(text) > NOTE_LIMIT:
        raise ControlRefused(f"is {len(text)} characters long; at most {NOTE_LIMIT} fit, shorten it", "note")
    if "\x00" in text:
        raise ControlRefused("contains a NUL character, which cannot be stored; remove it", "note")
    return text.replace("\r\n", "\n")


def set_study_note(study: Study, *, user: str, text: Any) -> str:
    """Replace the study's note; pages that show it update live (``note_updated``)."""
    clean = _clean(text)
    with events.writing(study.pk):
        StudyNote.objects.update_or_create(study=study, defaults={"text": clean, "updated_by": user})
        events.emit(study.pk, [NoteUpdated(number=None, text=clean, user=user)])
    return clean


def set_trial_note(trial: Trial, *, user: str, text: Any) -> str:
    """Replace a trial's note, as ``set_study_note``."""
    clean = _clean(text)
    with events.writing(trial.study_id):
        TrialNote.objects.update_or_create(trial=trial, defaults={"text": clean, "updated_by": user})
        events.emit(trial.study_id, [NoteUpdated(number=trial.number, text=clean, user=user)])
    return clean
