"""The event log: append a row, then publish it once its transaction commits.

Events are rows first (monotonic ids), so a client that reconnects asks for "events
after id N" and loses nothing. Writers open their transaction with ``writing()`` (or
call ``lock_log()`` first thing inside one): event-appending transactions are
serialised, so ids become visible in id order and a reader polling "id > N" can never
skip a late commit.

When events cross processes (Redis), ``writing()`` holds the lock past the commit
until the transaction's events are published, so every subscriber, fed by workers on
any machine, receives them in id order with none missing.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from .models import StudyEvent

logger = logging.getLogger(__name__)

# Arbitrary constant naming the PostgreSQL advisory lock that orders event commits.
EVENT_LOG_LOCK = 7_140_001
ALL_STUDIES_GROUP = "studies"
# What the all-studies socket carries: each study's state, progress and best value.
LIST_EVENT_TYPES = (
    "study_started",
    "study_progress",
    "study_completed",
    "study_stopped",
    "study_queued",
    "best_updated",
)


def parse_cursor(raw: str) -> int:
    """An ``after`` cursor (an event id, 0 for the start); ValueError saying what is wrong."""
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"must be a whole number (an event id), got {raw!r}") from None
    if not 0 <= value < 2**63:
        raise ValueError("must be an event id from 0 up (a 64-bit integer)")
    return value


def study_group(study_id: int) -> str:
    return f"study-{study_id}"


def lock_log() -> None:
    """Serialise event-appending transactions (SQLite already serialises writers)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [EVENT_LOG_LOCK])


@contextmanager
def writing() -> Iterator[None]:
    """A transaction that appends events: serialised with all others, published in id order."""
    if connection.in_atomic_block or _in_memory_sqlite():
        # Nested in an outer transaction, publishes wait for its commit: a lock cannot
        # be held that long safely, so cross-process order is then only best-effort.
        with transaction.atomic():
            lock_log()
            yield
        return
    if connection.vendor == "sqlite":
        with _sqlite_writer_queue(), transaction.atomic():
            yield
        return
    if not publishes_across_processes():
        with transaction.atomic():
            lock_log()  # released at commit; the web process relays rows in id order
            yield
        return
    with _postgres_lock_through_publish(), transaction.atomic():
        # on_commit callbacks (the publishes) run as the atomic block exits, inside the lock.
        yield


@contextmanager
def _postgres_lock_through_publish() -> Iterator[None]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [EVENT_LOG_LOCK])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [EVENT_LOG_LOCK])


# One open lock file per thread and process: flock excludes open file descriptions,
# so threads (and forked children) must not share one.
_lock_files = threading.local()


@contextmanager
def _sqlite_writer_queue() -> Iterator[None]:
    """Queue SQLite writers on a lock file next to the database, held through publishing.

    SQLite serialises writers itself, but a blocked writer sleeps and polls (1 to 100
    ms at a time), so a few busy workers lose most of their time waiting; a blocked
    ``flock`` wakes as soon as the lock is free. Holding it until the events are
    published also keeps them in id order across processes when Redis is in use.
    """
    path = f"{connection.settings_dict['NAME']}.writers.lock"
    key = (os.getpid(), path)
    if getattr(_lock_files, "key", None) != key:
        # Kept open for the thread's life: reopening per write would cost a syscall pair.
        _lock_files.file, _lock_files.key = open(path, "a"), key  # noqa: SIM115
    lock_file = _lock_files.file
    fcntl.flock(lock_file, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(lock_file, fcntl.LOCK_UN)


def append(study_id: int, type: str, data: dict[str, Any]) -> StudyEvent:
    """Store an event in the current transaction; publish it after commit."""
    event = StudyEvent.objects.create(study_id=study_id, type=type, data=data)
    transaction.on_commit(lambda: publish(event))
    return event


def append_many(study_id: int, items: list[tuple[str, dict[str, Any]]]) -> list[StudyEvent]:
    """Store several events of one study in one INSERT, in order; publish them after commit."""
    rows = StudyEvent.objects.bulk_create([StudyEvent(study_id=study_id, type=t, data=d) for t, d in items])
    if any(row.id is None for row in rows):  # a database that cannot return ids: reload them
        rows = list(StudyEvent.objects.filter(study_id=study_id).order_by("-id")[: len(rows)])[::-1]
    for row in rows:
        transaction.on_commit(lambda row=row: publish(row))
    return rows


def as_message(event: StudyEvent) -> dict[str, Any]:
    """The one JSON shape of an event, on websockets and in JSON endpoints."""
    return {"id": event.id, "type": event.type, "study": event.study_id, "data": event.data}


def publishes_across_processes() -> bool:
    return "InMemory" not in settings.CHANNEL_LAYERS["default"]["BACKEND"]


def publish(event: StudyEvent) -> None:
    """Push a committed event to the channel layer when it reaches other processes.

    With the in-process layer a worker process has no listeners: the web process's
    relay reads new rows instead, so nothing is sent from here.
    """
    if not publishes_across_processes():
        return
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    message = {"type": "study.event", "event": as_message(event)}

    async def send() -> None:
        await layer.group_send(study_group(event.study_id), message)
        if event.type in LIST_EVENT_TYPES:
            await layer.group_send(ALL_STUDIES_GROUP, message)

    try:
        _run(send())
    except Exception:  # the row is stored; clients catch up from it on reconnect
        logger.exception("could not publish event %s", event.id)


def _in_memory_sqlite() -> bool:
    name = str(connection.settings_dict.get("NAME", ""))
    return connection.vendor == "sqlite" and (name == ":memory:" or "mode=memory" in name)


_loops = threading.local()


def _run(coroutine) -> None:
    """Run a coroutine to completion from sync code.

    A worker publishes a few events per trial; ``async_to_sync`` would start a fresh
    event loop and Redis connection for each (~4 ms), so each thread keeps one loop
    (and channels-redis its connection pool) for its life, ~0.2 ms a publish. A forked
    process starts its own loop rather than share its parent's sockets.
    """
    loop = getattr(_loops, "loop", None)
    if loop is None or getattr(_loops, "pid", None) != os.getpid():
        loop = _loops.loop = asyncio.new_event_loop()
        _loops.pid = os.getpid()
    loop.run_until_complete(coroutine)
