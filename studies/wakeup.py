"""Wake the embedded relay the moment an event commits, instead of waiting for its poll.

Without Redis the web process learns of new event rows by reading the log. Polling
alone costs up to a poll interval of latency (and queries while idle), so every
committing writer also rings a doorbell the relay waits on:

- PostgreSQL: ``pg_notify`` inside the writing transaction. PostgreSQL delivers it
  at commit, exactly when the rows become visible, to every listening web process on
  any machine.
- SQLite (one machine by nature): a datagram to each web process's Unix socket in the
  abstract namespace (no file to clean up, no path-length limit). A relay binds the
  first free slot of SLOTS names derived from the database path, so up to SLOTS web
  processes share one database; a writer sends to every slot, and an unbound slot
  refuses at once.

The doorbell carries nothing: the relay reads the log from its cursor as before, so a
lost, late or repeated ring costs latency at worst, never an event. The relay's poll
stays as the fallback (another platform, a full socket buffer, a restarted listener).
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import os
import socket
import sys
from contextlib import suppress
from typing import Any

from django.db import connection, connections

logger = logging.getLogger(__name__)

CHANNEL = "somatize_events"
SLOTS = 8
_IS_LINUX = sys.platform.startswith("linux")
_sender: socket.socket | None = None
_sender_pid = 0


def notify_statement() -> str:
    """SQL that queues the PostgreSQL doorbell; appended to the log-lock statement."""
    return f"pg_notify('{CHANNEL}', '')"


@functools.lru_cache(maxsize=8)  # a realpath and a hash per commit add up on the hot path
def _slot_names(database: str) -> list[bytes]:
    digest = hashlib.sha256(os.path.realpath(database).encode()).hexdigest()[:16]
    return [f"\0somatize-relay-{digest}-{slot}".encode() for slot in range(SLOTS)]


def ring_sqlite() -> None:
    """After a SQLite commit: ring every relay slot of this database (non-blocking)."""
    global _sender, _sender_pid
    if not _IS_LINUX or connection.vendor != "sqlite":
        return
    if _sender is None or _sender_pid != os.getpid():  # a forked child opens its own
        _sender, _sender_pid = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM), os.getpid()
        _sender.setblocking(False)
    for name in _slot_names(str(connection.settings_dict["NAME"])):
        with suppress(OSError):  # no relay in that slot, or its buffer is full: it polls anyway
            _sender.sendto(b"", name)


class Doorbell:
    """The relay's side: ``await doorbell.wait(timeout)`` returns early when rung."""

    def __init__(self) -> None:
        self._rung = asyncio.Event()
        self._closers: list[Any] = []

    def clear(self) -> None:
        """Call before reading the log, so a ring during the read is not lost."""
        self._rung.clear()

    async def wait(self, timeout: float) -> None:
        with suppress(TimeoutError):
            await asyncio.wait_for(self._rung.wait(), timeout)

    async def start(self) -> None:
        """Listen with the database's own mechanism; on failure, polling carries on."""
        vendor = connections["default"].vendor
        try:
            if vendor == "postgresql":
                await self._listen_postgres()
            elif vendor == "sqlite" and _IS_LINUX:
                self._bind_sqlite_slot()
        except Exception:
            logger.warning("event relay: no commit doorbell (%s); polling only", vendor, exc_info=True)

    def _bind_sqlite_slot(self) -> None:
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.setblocking(False)
        for name in _slot_names(str(connections["default"].settings_dict["NAME"])):
            try:
                sock.bind(name)
                break
            except OSError:
                continue
        else:
            sock.close()
            raise OSError(f"all {SLOTS} relay slots of this database are taken")
        loop.add_reader(sock.fileno(), self._drain, sock)

        def close() -> None:
            loop.remove_reader(sock.fileno())
            sock.close()

        self._closers.append(close)

    def _drain(self, sock: socket.socket) -> None:
        with suppress(BlockingIOError):
            while True:  # drain every queued ring: one read of the log serves them all
                sock.recv(64)
        self._rung.set()

    async def _listen_postgres(self) -> None:
        import psycopg

        params = connections["default"].get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        conn = await psycopg.AsyncConnection.connect(**params, autocommit=True)
        await conn.execute(f"LISTEN {CHANNEL}")
        task = asyncio.create_task(self._pump(conn), name="somatize-relay-listen")
        self._closers.append(task.cancel)

    async def _pump(self, conn: Any) -> None:
        try:
            async for _ in conn.notifies():
                self._rung.set()
        except asyncio.CancelledError:
            raise
        except Exception:  # the connection dropped: the relay falls back to polling
            logger.warning("event relay: PostgreSQL LISTEN connection lost; polling only", exc_info=True)
        finally:
            await conn.close()

    def close(self) -> None:
        for close in self._closers:
            close()
        self._closers.clear()
