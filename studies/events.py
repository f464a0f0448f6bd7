"""The event log: append a row, then publish it once its transaction commits.

Events are rows first (monotonic ids), so a client that reconnects asks for "events
after id N" and loses nothing. Writers open their transaction with ``writing()`` and
append through ``emit``/``append_many``; nothing serialises the writers of different
studies. Two orders are kept instead:

**Per study.** A service opens ``writing(study_id)``: on PostgreSQL that first takes
the study's advisory lock (before the transaction's first snapshot, so each writer
sees its predecessor's rows; on the hot paths it travels as the first statement of
the first round trip, still before the snapshots of the statements after it, as read
committed takes one per statement), and before it takes ids for study S's events, a
transaction also locks S's row (``FOR NO KEY UPDATE``, in case it named no study).
Either lock lasts until the commit, so the ids of one study become visible in id
order, and a reader of one study's events ("id > N and study = S") never skips a late
commit. With Redis the outermost ``writing()`` holds the study lock as a session lock
until its events are published, so a study's messages reach Redis in id order too.

**Across studies: a safe horizon** (PostgreSQL). Readers of every study's events (the
list socket, the embedded relay, pages' cursors) must not pass an id that a still-open
transaction of another study may yet commit. Before its first id, each writer
*registers*: it reads the id sequence's next value L (a lower bound of every id it will
take, the sequence being monotonic) and takes a shared transaction-level advisory lock
keyed by L in a reserved key range; PostgreSQL releases it after the commit (or
rollback) is visible. A reader reads the sequence's next value V, *then* the lowest
registered L among held locks; the horizon H = min(V, L_min), and it reads ids < H only.

Why no id below H can still appear: take any id i < H whose transaction T is not yet
visible. If T took i after the reader read V, then i >= V >= H: impossible. So T took i
before, and T registered before taking i, hence before the reader read the registry;
T is still open, so its lock was held then, and L_min <= L_T <= i: i >= H, impossible.
So every id < H is committed (and visible to the reader's next statement) or never
will be; reading ids in (cursor, H) in id order misses none, repeats none, keeps order.
A transaction id horizon (``pg_snapshot_xmin``) was the other candidate: it says which
*transactions* are over, but transaction ids are not ordered like event ids (a later
transaction may take a lower event id), so clients' "after id N" cursors would need to
become (xid, id) pairs. SQLite has one writer at a time: every stored id is final and
the horizon is simply past the newest.

**Publishing with Redis.** One ring per transaction and study carries its events and
the id of the study's event before them (read inside the INSERT, under the study's
lock): a study's socket whose cursor is at or past that id forwards them at once,
without reading the log (``consumers``, the relay's ``covered``); any other socket
reads the log from its cursor as before.
"""

from __future__ import annotations

import asyncio
import fcntl
import functools
import logging
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from . import wakeup
from .models import Study, StudyEvent
from .payloads import LIST_EVENT_TYPES, Payload
from .shapes import EventMessage
from .statements import Statement, mark_saved, returning_insert_statement, run_together

__all__ = ["LIST_EVENT_TYPES", "append", "append_many", "emit", "writing"]

logger = logging.getLogger(__name__)

ALL_STUDIES_GROUP = "studies"

# Advisory-lock keys (single bigint keys: pg_locks shows the high half as classid, the
# low half as objid, objsubid 1; two-int keys such as the proposals' have objsubid 2).
# Registrations: REGISTRY_NAMESPACE in the top 16 bits, the registered id below.
REGISTRY_NAMESPACE = 0x5EB7
REGISTRY_BASE = REGISTRY_NAMESPACE << 48
MAX_REGISTERED_ID = (1 << 48) - 1
RING_CARRIES_AT_MOST = 200  # events a Redis ring carries; a larger batch is read from the log
# A study's writers, in turn (held through publishing with Redis): STUDY_LOCK_CLASS, then the study id.
STUDY_LOCK_CLASS = 0x5EB8_0000
STUDY_LOCK_BASE = STUDY_LOCK_CLASS << 32


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


# The studies whose publish locks the current outermost ``writing()`` holds (Redis only).
_publishing = threading.local()


@contextmanager
def writing(study_id: int | None = None, lock_in_first_statement: bool = False) -> Iterator[None]:
    """A transaction that appends events; they are published after it commits.

    With ``study_id`` (PostgreSQL) it first takes that study's lock, before its first
    snapshot: the study's writers queue one after the other and each sees the previous
    one's rows, while other studies' writers pass freely. ``lock_in_first_statement``:
    the block promises that its first statement sends ``study_lock_statements()`` ahead
    of itself (``lock_study_row`` does), which saves the lock its own round trip.
    """
    if connection.in_atomic_block or _in_memory_sqlite():
        # Nested in an outer transaction, publishes wait for its commit: a session lock
        # cannot be released safely then, so a study's Redis order is best-effort there.
        with transaction.atomic(), _study_lock(study_id, "pg_advisory_xact_lock", lock_in_first_statement):
            yield
        return
    if connection.vendor == "sqlite":
        with _sqlite_writer_queue(), transaction.atomic():
            yield
        return
    if not publishes_across_processes():
        with transaction.atomic(), _study_lock(study_id, "pg_advisory_xact_lock", lock_in_first_statement):
            yield
        return
    with _publish_locks_released_after_publishing():
        if study_id is not None:
            _publishing.studies.add(study_id)
        # A session lock: held past the commit until the events are published. The
        # on_commit callbacks (the publishes) run as the atomic block exits, inside it.
        with transaction.atomic(), _study_lock(study_id, "pg_advisory_lock", lock_in_first_statement):
            yield


# The study lock a ``writing(lock_in_first_statement=True)`` block has yet to send.
_deferred = threading.local()


@contextmanager
def _study_lock(study_id: int | None, function: str, in_first_statement: bool) -> Iterator[None]:
    if study_id is None or connection.vendor != "postgresql":
        yield
        return
    statement: Statement = (f"SELECT {function}(%s)", [STUDY_LOCK_BASE + study_id])
    if not in_first_statement:
        run_together([statement])
        yield
        return
    _deferred.statement = statement
    try:
        yield
        if _deferred.statement is not None:  # a bug in the caller: its writes ran without the lock
            raise RuntimeError("writing(lock_in_first_statement=True) but the block never took the study lock")
    finally:
        _deferred.statement = None


def study_lock_statements() -> list[Statement]:
    """The study lock owed by the enclosing ``writing(lock_in_first_statement=True)``, once; else nothing."""
    statement = getattr(_deferred, "statement", None)
    _deferred.statement = None
    return [statement] if statement is not None else []


@contextmanager
def _publish_locks_released_after_publishing() -> Iterator[None]:
    """Collect the studies whose publish locks ``order_events_of`` takes; release them at the end."""
    _publishing.studies = held = set[int]()
    try:
        yield
    finally:
        _publishing.studies = None
        if held:
            try:
                with connection.cursor() as cursor:
                    statements = "; ".join("SELECT pg_advisory_unlock(%s)" for _ in held)
                    cursor.execute(statements, [STUDY_LOCK_BASE + study_id for study_id in held])
            except Exception:  # a lost connection releases its session locks itself
                logger.exception("could not release the publish locks of studies %s", sorted(held))


def order_events_of(study_id: int) -> None:
    """Before taking ids for ``study_id``'s events: lock its row and register (PostgreSQL).

    Idempotent within a transaction (a held row lock is re-taken at no cost; a second
    registration only repeats a higher bound), so every append runs it. One round trip:
    the row lock (which may wait for the study's previous writer), then its publish lock,
    then the registration, in that order (see the module docstring). Without Redis the
    same statement queues the relay's doorbell, delivered at commit (``studies.wakeup``).
    """
    run_together(_ordering_statements(study_id))


def _ordering_statements(study_id: int) -> list[Statement]:
    if connection.vendor != "postgresql":
        return []  # SQLite: one writer at a time, ids become visible in id order
    study_table = connection.ops.quote_name(Study._meta.db_table)
    statements: list[Statement] = [(f"SELECT 1 FROM {study_table} WHERE id = %s FOR NO KEY UPDATE", [study_id])]
    held = getattr(_publishing, "studies", None)
    if held is not None and study_id not in held:
        held.add(study_id)
        statements.append(("SELECT pg_advisory_lock(%s)", [STUDY_LOCK_BASE + study_id]))
    doorbell = "" if publishes_across_processes() else f", {wakeup.notify_statement()}"
    register = f"SELECT pg_advisory_xact_lock_shared(%s + LEAST(({next_id_sql()}), %s)){doorbell}"
    statements.append((register, [REGISTRY_BASE, MAX_REGISTERED_ID]))
    return statements


def next_id_sql() -> str:
    """SQL for the next id the event sequence will hand out (PostgreSQL)."""
    return (
        f"SELECT last_value + is_called::int FROM {_event_sequence(connection.alias, connection.settings_dict['NAME'])}"
    )


@functools.lru_cache(maxsize=8)
def _event_sequence(alias: str, database: str) -> str:
    table = StudyEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        (name,) = cursor.fetchone()
    return name


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
    return append_many(study_id, [(type, data)])[0]


def emit(
    study_id: int, payloads: list[Payload], before: Sequence[Statement] = (), last: bool = False
) -> list[StudyEvent]:
    """Store typed events (``studies.payloads``) of one study, in order; publish them after commit.

    ``last``: the caller's transaction writes nothing after these (its COMMIT may travel
    with them: ``statements.run_together``)."""
    return append_many(study_id, [(payload.type, payload.to_data()) for payload in payloads], before, last)


def append_many(
    study_id: int, items: list[tuple[str, dict[str, Any]]], before: Sequence[Statement] = (), last: bool = False
) -> list[StudyEvent]:
    """Store several events of one study in one INSERT, in order; publish them after commit.

    ``before``: writes of the same transaction that wait for no answer (a new trial's
    rows), sent ahead of the events in the same round trip. ``last``: as ``emit``'s.
    """
    if not connection.in_atomic_block:  # the locks taken for the ids must last until the commit
        with transaction.atomic():
            return append_many(study_id, items, before)
    if not items:
        run_together(before, then_commit=last)
        return []
    rows = [StudyEvent(study_id=study_id, type=t, data=d) for t, d in items]
    insert = _returning_previous_id(returning_insert_statement(StudyEvent, rows), study_id)
    answer = run_together([*before, *_ordering_statements(study_id), insert], then_commit=last).rows or []
    for row, (row_id, _) in zip(rows, answer, strict=True):
        row.id = row_id
    mark_saved(rows)
    transaction.on_commit(functools.partial(publish, rows, previous=answer[0][1] or 0))
    return rows


def _returning_previous_id(insert: Statement, study_id: int) -> Statement:
    """``insert`` also returning, per row, the id of the study's event before it.

    The first row's is the study's previous event: the study's writers take turns
    (its row lock is taken in the same round trip, before this statement).
    """
    table = connection.ops.quote_name(StudyEvent._meta.db_table)
    sql, params = insert
    earlier = f"(SELECT MAX(e.id) FROM {table} e WHERE e.study_id = %s AND e.id < {table}.id)"
    return f"{sql}, {earlier}", [*params, study_id]


def as_message(event: StudyEvent) -> EventMessage:
    """The one JSON shape of an event, on websockets and in JSON endpoints."""
    return {"id": event.id, "type": event.type, "study": event.study_id, "data": event.data}


def publishes_across_processes() -> bool:
    return "InMemory" not in settings.CHANNEL_LAYERS["default"]["BACKEND"]


def publish(rows: list[StudyEvent], previous: int) -> None:
    """Push a transaction's committed events of one study to the channel layer when it
    reaches other processes; ``previous`` is the study's event id before them (0: none).

    With the in-process layer a worker process has no listeners: the web process's
    relay reads new rows instead, so only its doorbell is rung from here.
    """
    if not publishes_across_processes():
        wakeup.ring_sqlite()
        return
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    messages = [as_message(row) for row in rows]
    ring: dict[str, Any] = {"type": "study.event", "event": messages[-1]}
    if len(messages) <= RING_CARRIES_AT_MOST:
        ring["covered"] = {"after": previous, "events": messages}
    listed = [message for message in messages if message["type"] in LIST_EVENT_TYPES]

    async def send() -> None:
        sends = [layer.group_send(study_group(rows[0].study_id), ring)]
        if listed:  # the list socket reads the log itself from its cursor
            sends.append(layer.group_send(ALL_STUDIES_GROUP, {"type": "study.event", "event": listed[-1]}))
        await asyncio.gather(*sends)  # different groups: no order between them to keep, one round trip

    try:
        _run(send())
    except Exception:  # the rows are stored; clients catch up from them on reconnect
        logger.exception("could not publish events %s", [row.id for row in rows])


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
