"""Reads of the trial workbench: notes and stored log output."""

from __future__ import annotations

from django.db.models import Sum, Value
from django.db.models.functions import Length, Replace
from django.urls import reverse

# typing_extensions: pydantic (the OpenAPI schema) reads TypedDicts only from there on Python < 3.12.
from typing_extensions import TypedDict

from ..models import StudyNote, Trial, TrialLog, TrialLogChunk, TrialNote
from ..shapes import TrialLogSummary

# Chunks per log read: a page asks again from the last ``seq`` it got.
LOG_PAGE = 200
LOG_PAGE_CHARS = 1_000_000


class LogChunk(TypedDict):
    seq: int
    text: str
    tail: bool  # in the tail: output was dropped before the first such chunk when dropped_chars > 0


class LogPage(TypedDict):
    chunks: list[LogChunk]
    dropped_chars: int  # output dropped between the kept head and tail (the bound)
    next: int  # the ``after`` to ask with next; -1 before any output
    more: bool  # another page is ready now


def study_note(study_id: int) -> str:
    return StudyNote.objects.filter(study_id=study_id).values_list("text", flat=True).first() or ""


def trial_note(study_id: int, number: int) -> str:
    notes = TrialNote.objects.filter(trial__study_id=study_id, trial__number=number)
    return notes.values_list("text", flat=True).first() or ""


def trial_log_page(trial: Trial, after: int = -1, limit: int = LOG_PAGE) -> LogPage:
    """Chunks with ``seq`` > ``after`` in order (at most ``limit`` chunks or about
    ``LOG_PAGE_CHARS`` characters, at least one), and how much output was dropped."""
    rows = TrialLogChunk.objects.filter(trial=trial, seq__gt=after).order_by("seq")
    chunks: list[LogChunk] = []
    size = 0
    more = False
    for seq, text, tail in rows.values_list("seq", "text", "in_tail")[: limit + 1].iterator(chunk_size=8):
        if len(chunks) == limit or (chunks and size + len(text) > LOG_PAGE_CHARS):
            more = True
            break
        chunks.append({"seq": seq, "text": text, "tail": tail})
        size += len(text)
    dropped = TrialLog.objects.filter(trial=trial).values_list("dropped_chars", flat=True).first() or 0
    return {"chunks": chunks, "dropped_chars": dropped, "next": chunks[-1]["seq"] if chunks else after, "more": more}


def trial_log_text(trial: Trial) -> str:
    """The whole stored log as one text, with a line where output was dropped."""
    parts: list[str] = []
    dropped_said = False
    dropped = TrialLog.objects.filter(trial=trial).values_list("dropped_chars", flat=True).first() or 0
    for text, in_tail in TrialLogChunk.objects.filter(trial=trial).order_by("seq").values_list("text", "in_tail"):
        if in_tail and dropped and not dropped_said:
            parts.append(dropped_line(dropped))
            dropped_said = True
        parts.append(text)
    return "".join(parts)


def dropped_line(dropped: int) -> str:
    return f"\n[… {dropped} characters of output dropped here: the log keeps its head and its tail …]\n"


def trial_log_summary(study_id: int, trial: Trial) -> TrialLogSummary:
    """How much output is stored (counted by the database: the text is not read here)."""
    newlines = Length("text") - Length(Replace("text", Value("\n"), Value("")))
    totals = TrialLogChunk.objects.filter(trial=trial).aggregate(lines=Sum(newlines), chars=Sum(Length("text")))
    dropped = TrialLog.objects.filter(trial=trial).values_list("dropped_chars", flat=True).first() or 0
    return {
        "lines": totals["lines"] or 0,
        "chars": totals["chars"] or 0,
        "dropped_chars": dropped,
        "url": reverse("api:trial_log_text", args=[study_id, trial.number]),
    }
