"""A trial's stdout/stderr, stored in ordered chunks and bounded per trial.

``SOMATIZE_TRIAL_LOG_LIMIT`` characters are kept per trial: the first half as written
(the head: how the trial started) and the most recent half (the tail: how it ended).
Output between them is dropped, oldest first, and ``TrialLog.dropped_chars`` says how
much, so readers can say so where it was. Workers (``capture``) and remote clients
(the API) append through ``append_log``; each append is one transaction that locks the
trial's ``TrialLog`` row, so concurrent appends keep their order and the bound.
"""

from __future__ import annotations

from django.conf import settings

from .. import events
from ..models import Trial, TrialLog, TrialLogChunk
from ..payloads import TrialLogAppended


def log_limit() -> int:
    return int(settings.SOMATIZE_TRIAL_LOG_LIMIT)


def append_log(trial: Trial, text: str) -> int | None:
    """Store ``text`` as the trial's next chunk(s); the last ``seq`` stored, None for no text.

    NUL characters (no database text type stores them) become U+FFFD.
    """
    clean = text.replace("\x00", "\ufffd")
    if not clean:
        return None
    head_limit = log_limit() // 2
    tail_limit = log_limit() - head_limit
    with events.writing(trial.study_id):
        log, _ = TrialLog.objects.select_for_update().get_or_create(trial=trial)
        chunks: list[TrialLogChunk] = []
        room = head_limit - log.head_chars
        if room > 0:
            head, clean = clean[:room], clean[room:]
            chunks.append(TrialLogChunk(trial=trial, seq=log.next_seq, text=head, in_tail=False))
            log.head_chars += len(head)
            log.next_seq += 1
        if clean:
            if len(clean) > tail_limit:  # more in one go than the tail holds: keep its end
                log.dropped_chars += len(clean) - tail_limit
                clean = clean[-tail_limit:]
            chunks.append(TrialLogChunk(trial=trial, seq=log.next_seq, text=clean, in_tail=True))
            log.tail_chars += len(clean)
            log.next_seq += 1
        TrialLogChunk.objects.bulk_create(chunks)
        if log.tail_chars > tail_limit:
            _drop_oldest_tail(trial, log, log.tail_chars - tail_limit, keep_seq=log.next_seq - 1)
        log.save()
        appended = TrialLogAppended(number=trial.number, seq=log.next_seq - 1, dropped_chars=log.dropped_chars)
        events.emit(trial.study_id, [appended])
    return log.next_seq - 1


def _drop_oldest_tail(trial: Trial, log: TrialLog, excess: int, keep_seq: int) -> None:
    """Drop ``excess`` characters from the oldest tail chunks (never the newest, ``keep_seq``)."""
    for chunk in TrialLogChunk.objects.filter(trial=trial, in_tail=True, seq__lt=keep_seq).order_by("seq"):
        if excess <= 0:
            break
        if len(chunk.text) <= excess:
            chunk.delete()
            cut = len(chunk.text)
        else:
            cut = excess
            TrialLogChunk.objects.filter(pk=chunk.pk).update(text=chunk.text[cut:])
        excess -= cut
        log.tail_chars -= cut
        log.dropped_chars += cut
