"""The event cursor and the log: the one place that reads the cursor before a snapshot.

A page, a JSON resource or a websocket snapshot says which event it is current to
(``last_event_id``); a client then follows the log from there and misses nothing.
That holds only if the cursor is read BEFORE the snapshot: an event committed in
between is then both in the snapshot and replayed (clients drop the second copy by
id), never in neither. ``read_at_cursor`` is that order, so no caller repeats it.

Writers of different studies commit in any order, so an id may become visible after
a higher one (``studies.events``). The cursor is therefore the *safe horizon* minus
one: every event with an id up to it is committed or never will be. A reader of one
study's events needs no horizon (a study's ids become visible in id order); a reader
of every study's events (``read_log`` without a study) reads below the horizon only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from django.db import connection
from django.db.models import Max

from .. import events
from ..models import StudyEvent
from ..shapes import EventMessage, EventPage

T = TypeVar("T")

EVENT_PAGE = 1000  # events per page of the JSON event endpoints

# The lowest id a still-open writer registered (``events.order_events_of``), in this database.
_LOWEST_REGISTERED = (
    "SELECT min(((classid::bigint << 32) | objid::bigint) - %s) FROM pg_locks "
    "WHERE locktype = 'advisory' AND objsubid = 1 AND granted "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "AND classid >= %s AND classid < %s"
)


@dataclass(frozen=True)
class Horizon:
    safe: int  # every event id <= safe is committed or never will be
    issued: int  # the highest id handed out so far; a cursor above it is from another database
    held_back: bool  # some visible event is above ``safe``: read again once its elders commit


@dataclass(frozen=True)
class LogRead:
    events: list[EventMessage]
    cursor: int  # where the next read resumes: every event up to it has been read or never will be
    held_back: bool


def horizon() -> Horizon:
    """The safe horizon: the sequence's next id, THEN the registrations (order matters)."""
    if connection.vendor != "postgresql":  # one writer at a time: every stored id is final
        newest = _newest_visible()
        return Horizon(newest, newest, False)
    registry = [events.REGISTRY_BASE, events.REGISTRY_NAMESPACE << 16, (events.REGISTRY_NAMESPACE + 1) << 16]
    with connection.cursor() as cursor:
        # Separate statements of one round trip run in order, each with a fresh snapshot.
        table = connection.ops.quote_name(StudyEvent._meta.db_table)
        cursor.execute(f"{events.next_id_sql()}; {_LOWEST_REGISTERED}; SELECT max(id) FROM {table}", registry)
        (next_id,) = cursor.fetchone()
        cursor.nextset()
        (lowest_registered,) = cursor.fetchone()
        cursor.nextset()
        (newest,) = cursor.fetchone()
    end = next_id if lowest_registered is None else min(next_id, lowest_registered)
    return Horizon(safe=end - 1, issued=next_id - 1, held_back=(newest or 0) >= end)


def _newest_visible() -> int:
    return StudyEvent.objects.aggregate(last=Max("id"))["last"] or 0


def last_event_id() -> int:
    """The cursor a snapshot read now is current to: every event up to it is final."""
    return horizon().safe


def issued_event_id() -> int:
    """The highest event id handed out so far: a client's cursor above it is not ours."""
    return horizon().issued


def read_at_cursor(read: Callable[[int], T]) -> tuple[int, T]:
    """``(cursor, read(cursor))``: the cursor first, then the snapshot it vouches for."""
    cursor = last_event_id()
    return cursor, read(cursor)


def events_after(
    after: int, study_id: int | None = None, limit: int = 1000, types: Iterable[str] | None = None
) -> list[EventMessage]:
    """Stored events with id > ``after`` in id order: one study's, or (``types``) the list's.

    Without a study, only events below the safe horizon: none can appear later between them.
    """
    return read_log(after, study_id, limit, types).events


def read_log(after: int, study_id: int | None = None, limit: int = 1000, types: Iterable[str] | None = None) -> LogRead:
    """Up to ``limit`` events after ``after`` (one study's, or every study's below the horizon)."""
    rows = StudyEvent.objects.filter(id__gt=after)
    if study_id is not None:
        found = _messages(rows.filter(study_id=study_id), limit)
        return LogRead(found, found[-1]["id"] if found else after, False)
    seen = horizon()
    rows = rows.filter(id__lte=seen.safe)
    if types is not None:
        rows = rows.filter(type__in=list(types))
    found = _messages(rows, limit)
    # A full batch may have more behind it; a short one read everything up to the horizon.
    cursor = found[-1]["id"] if len(found) == limit else max(after, seen.safe)
    held_back = seen.held_back and (types is None or _any_above(seen.safe, types))
    return LogRead(found, cursor, held_back)


def read_tail(after: int, limit: int = 1000) -> LogRead:
    """Every visible event after ``after``, also above the horizon (the embedded relay's read).

    The relay rings each study's group for any new event, as soon as it is visible (a
    study's socket needs no horizon); ``cursor`` stops at the horizon, so an event that
    commits later below the others is read again then.
    """
    seen = horizon()
    found = _messages(StudyEvent.objects.filter(id__gt=after), limit)
    end = found[-1]["id"] if len(found) == limit else seen.safe
    return LogRead(found, max(after, min(end, seen.safe)), bool(found) and found[-1]["id"] > seen.safe)


def _any_above(safe: int, types: Iterable[str]) -> bool:
    """Is an event of these types visible above the horizon (a few ids: the in-flight window)?"""
    return StudyEvent.objects.filter(id__gt=safe, type__in=list(types)).exists()


def _messages(rows, limit: int) -> list[EventMessage]:
    return [events.as_message(e) for e in rows.order_by("id")[:limit]]


def event_page(after: int, study_id: int | None = None, types: Iterable[str] | None = None) -> EventPage:
    """Up to EVENT_PAGE events after ``after``; ``last_event_id`` is where to resume from."""
    # Read the cursor first: everything up to it is final then, so an empty or short
    # page may resume from it rather than from its last event.
    cursor, read = read_at_cursor(lambda _: read_log(after, study_id, limit=EVENT_PAGE + 1, types=types))
    page = read.events[:EVENT_PAGE]
    more = len(read.events) > EVENT_PAGE
    resume = page[-1]["id"] if more else max([cursor, read.cursor] + [e["id"] for e in page[-1:]])
    return {"events": page, "more": more, "last_event_id": resume}
