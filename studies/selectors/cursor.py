"""The event cursor and the log: the one place that reads the cursor before a snapshot.

A page, a JSON resource or a websocket snapshot says which event it is current to
(``last_event_id``); a client then follows the log from there and misses nothing.
That holds only if the cursor is read BEFORE the snapshot: an event committed in
between is then both in the snapshot and replayed (clients drop the second copy by
id), never in neither. ``read_at_cursor`` is that order, so no caller repeats it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from django.db.models import Max

from .. import events
from ..models import StudyEvent
from ..shapes import EventMessage, EventPage

T = TypeVar("T")

EVENT_PAGE = 1000  # events per page of the JSON event endpoints


def last_event_id() -> int:
    """The id of the newest stored event (0 when there is none)."""
    return StudyEvent.objects.aggregate(last=Max("id"))["last"] or 0


def read_at_cursor(read: Callable[[int], T]) -> tuple[int, T]:
    """``(cursor, read(cursor))``: the cursor first, then the snapshot it vouches for."""
    cursor = last_event_id()
    return cursor, read(cursor)


def events_after(
    after: int, study_id: int | None = None, limit: int = 1000, types: Iterable[str] | None = None
) -> list[EventMessage]:
    """Stored events with id > ``after`` in id order: one study's, or (``types``) the list's."""
    rows = StudyEvent.objects.filter(id__gt=after)
    if study_id is not None:
        rows = rows.filter(study_id=study_id)
    if types is not None:
        rows = rows.filter(type__in=list(types))
    return [events.as_message(e) for e in rows.order_by("id")[:limit]]


def event_page(after: int, study_id: int | None = None, types: Iterable[str] | None = None) -> EventPage:
    """Up to EVENT_PAGE events after ``after``; ``last_event_id`` is where to resume from."""
    # Everything up to the cursor is visible once it is read, so an empty or short
    # page may resume from it rather than from its last event.
    cursor, page = read_at_cursor(lambda _: events_after(after, study_id, limit=EVENT_PAGE + 1, types=types))
    more = len(page) > EVENT_PAGE
    page = page[:EVENT_PAGE]
    resume = page[-1]["id"] if more else max([cursor, after] + [e["id"] for e in page[-1:]])
    return {"events": page, "more": more, "last_event_id": resume}
