"""The embedded deployment's event relay: new event rows -> the in-process channel layer.

Without Redis, a ``run_study`` process cannot reach the web process's channel layer,
so the web process reads the event log instead: one task reads ``StudyEvent.id > last``
whenever a committing writer rings its doorbell (``studies.wakeup``), and at least every
``SOMATIZE_RELAY_POLL_SECONDS`` while any websocket is connected, and rings each affected study's group
(and the list group) once per batch. It rings a study's group as soon as an event of
it is visible, but its cursor stops at the safe horizon (``selectors.cursor``), so a
later commit of a lower id is read (and rung) too; the events it rang above the cursor
are remembered and not rung twice. While something waits behind an open transaction
it reads again after a short pause (doubling from HELD_BACK_FIRST_WAIT). (A transaction
held open while more than BATCH events commit after it would stall the tail's rings
until it ends; every writer's transaction is milliseconds long.)
The consumers read the events themselves from their own cursor, so a doorbell that
arrives late or twice is harmless. Each ring also carries what the relay read
(``covered``): a socket whose cursor is not behind the relay's read takes its events
from there instead of reading the log again, so a commit reaches N open pages with one
read of the log, not N + 1.
"""

from __future__ import annotations

import asyncio
import logging

from channels.layers import get_channel_layer
from django.conf import settings

from . import events
from .live_db import live_db
from .selectors import LogRead, last_event_id, read_tail
from .wakeup import Doorbell

logger = logging.getLogger(__name__)

BATCH = 1000
COVERED_MOST = 200  # events carried with one ring; a larger batch is read by each socket
HELD_BACK_FIRST_WAIT = 0.001  # seconds; an open writer usually commits within milliseconds


@live_db
def _latest() -> int:
    return last_event_id()


@live_db
def _after(cursor: int):
    return read_tail(cursor, limit=BATCH)


class EventRelay:
    """Started lazily by the first consumer, stopped when the last one leaves."""

    def __init__(self):
        self.subscribers = 0
        self.task: asyncio.Task | None = None
        self.ready: asyncio.Event | None = None

    def needed(self) -> bool:
        return not events.publishes_across_processes()

    async def subscribe(self) -> None:
        if not self.needed():
            return
        self.subscribers += 1
        running = self.task is not None and not self.task.done()
        if running and self.task is not None and self.task.get_loop() is not asyncio.get_running_loop():
            running = False  # a new event loop (tests): the old task cannot run here
            self.subscribers = 1
        if not running:  # created before any await, so concurrent connects start one task
            self.ready = asyncio.Event()
            self.task = asyncio.create_task(self._run(self.ready), name="somatize-event-relay")
        # The relay's starting cursor must precede the caller's own read of the log, or
        # an event committed in between would be neither replayed nor rung.
        assert self.ready is not None  # set above whenever the task was started
        await self.ready.wait()

    def unsubscribe(self) -> None:
        if not self.needed():
            return
        self.subscribers = max(0, self.subscribers - 1)
        if self.subscribers == 0 and self.task is not None:
            self.task.cancel()
            self.task = None

    async def _run(self, ready: asyncio.Event) -> None:
        doorbell = Doorbell()
        # Listening starts before the first cursor is read: a commit after that read rings.
        await doorbell.start()
        try:
            cursor = await self._first_cursor()
            ready.set()
            await self._relay_from(cursor, doorbell)
        finally:
            doorbell.close()

    @staticmethod
    async def _first_cursor() -> int:
        while True:
            try:
                return await _latest()
            except Exception:  # the database is not reachable yet: connects wait for it
                logger.exception("event relay could not read the latest event id")
                await asyncio.sleep(1.0)

    async def _relay_from(self, cursor: int, doorbell: Doorbell) -> None:
        layer = get_channel_layer()
        held_back_wait = HELD_BACK_FIRST_WAIT
        rung: set[int] = set()  # ids above the cursor already rung (they wait behind the horizon)
        while True:
            doorbell.clear()  # before the read: a ring during it makes the next wait return at once
            try:
                read = await _after(cursor)
            except Exception:  # the database was busy or restarting: try again shortly
                logger.exception("event relay could not read the log after id %s", cursor)
                await asyncio.sleep(1.0)
                continue
            after, cursor = cursor, read.cursor
            fresh = [message for message in read.events if message["id"] not in rung]
            rung = {message["id"] for message in read.events if message["id"] > cursor}
            if fresh:
                await self._ring(layer, fresh, Covered(read, after))
            if len(read.events) == BATCH and fresh:
                continue
            poll = settings.SOMATIZE_RELAY_POLL_SECONDS
            if read.held_back:  # its elders' commits ring too, but their locks may outlive the ring
                await doorbell.wait(min(held_back_wait, poll))
                held_back_wait *= 2
            else:
                held_back_wait = HELD_BACK_FIRST_WAIT
                await doorbell.wait(poll)

    @staticmethod
    async def _ring(layer, batch, covered: Covered) -> None:
        latest_by_study = {}
        latest_for_list = None
        for message in batch:
            latest_by_study[message["study"]] = message
            if message["type"] in events.LIST_EVENT_TYPES:
                latest_for_list = message
        for study_id, message in latest_by_study.items():
            ring = {"type": "study.event", "event": message} | covered.for_study(study_id)
            await layer.group_send(events.study_group(study_id), ring)
        if latest_for_list is not None:
            ring = {"type": "study.event", "event": latest_for_list} | covered.for_list()
            await layer.group_send(events.ALL_STUDIES_GROUP, ring)


class Covered:
    """What one read of the log told, per socket kind, for the rings to carry.

    A study's socket reads every visible event of its study (a study's events become
    visible in id order), so it may take the read's events of its study after ``after``.
    The list socket reads only up to the horizon, so it takes the list events up to the
    read's cursor, and only from a read that held nothing back (else it keeps rechecking
    the log itself until the held-back events are final).
    """

    def __init__(self, read: LogRead, after: int):
        self.read, self.after = read, after

    def for_study(self, study_id: int) -> dict:
        mine = [message for message in self.read.events if message["study"] == study_id]
        return {"covered": {"after": self.after, "events": mine}} if len(mine) <= COVERED_MOST else {}

    def for_list(self) -> dict:
        if self.read.held_back:
            return {}
        listed = [m for m in self.read.events if m["type"] in events.LIST_EVENT_TYPES and m["id"] <= self.read.cursor]
        if len(listed) > COVERED_MOST:
            return {}
        return {"covered": {"after": self.after, "upto": self.read.cursor, "events": listed}}


relay = EventRelay()
