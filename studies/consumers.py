"""Websockets: authenticate, join a group, replay from a cursor, forward events.

``/ws/studies/<id>/`` carries one study's events; ``/ws/studies/`` every study's state
and progress. On connect a client gets a ``snapshot`` frame (no ``?after``) or the
stored events after its cursor (``?after=N``), then live events only. Live messages
from the channel layer are doorbells: the consumer reads the log from its own cursor,
so frames go out in id order, never twice, and none is skipped even when publishes
from several worker processes reach Redis out of order.

The list socket reads every study's events below the safe horizon
(``selectors.cursor``). A doorbell for an event still held behind another study's open
transaction finds nothing new yet; the socket then rings itself again after a short
pause (doubling from RECHECK_FIRST_WAIT), since that transaction's own commit may ring
only its study's group.
"""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs

from channels.generic.websocket import AsyncJsonWebsocketConsumer, AsyncWebsocketConsumer

from . import events, selectors
from .live_db import live_db
from .payloads import CLOSE_BAD_CURSOR, CLOSE_NOT_LOGGED_IN, CLOSE_UNKNOWN_STUDY, SNAPSHOT
from .relay import relay
from .socket_sessions import session_group

# More missed events than this and the client is sent a fresh snapshot instead.
REPLAY_LIMIT = 5000
CATCH_UP_BATCH = 1000
RECHECK_FIRST_WAIT = 0.002  # seconds; an open writer usually commits within milliseconds
RECHECK_LONGEST_WAIT = 0.25
RECHECK = "log.recheck"


study_exists = live_db(selectors.study_exists)
study_snapshot = live_db(selectors.study_snapshot)
list_snapshot = live_db(selectors.list_snapshot)
issued_event_id = live_db(selectors.issued_event_id)


@live_db
def stored_events(after: int, study_id: int | None, limit: int) -> selectors.LogRead:
    types = None if study_id is not None else events.LIST_EVENT_TYPES
    return selectors.read_log(after, study_id=study_id, limit=limit, types=types)


def cursor_from(query_string: bytes) -> int | None:
    """``?after=N``: None when absent; ValueError when not a non-negative integer."""
    values = parse_qs(query_string.decode("latin-1")).get("after")
    return events.parse_cursor(values[-1]) if values else None


class EventStreamConsumer(AsyncJsonWebsocketConsumer):
    """Shared protocol; subclasses name the group, the snapshot and the study filter."""

    study_id: int | None = None
    cursor = 0
    subscribed = False
    session_group: str | None = None
    recheck: asyncio.Task | None = None
    recheck_wait = RECHECK_FIRST_WAIT

    def group(self) -> str:
        raise NotImplementedError

    async def snapshot(self):
        raise NotImplementedError

    async def connect(self):
        # Accept, then close with a code: a socket closed during the handshake reaches
        # the browser as 1006 with no code, and the page would retry forever.
        await self.accept()
        if not self.scope["user"].is_authenticated:
            await self.close(code=CLOSE_NOT_LOGGED_IN)
            return
        try:
            after = cursor_from(self.scope["query_string"])
        except ValueError:
            await self.close(code=CLOSE_BAD_CURSOR)
            return
        if not await self.allowed():
            await self.close(code=CLOSE_UNKNOWN_STUDY)
            return
        session_key = self.scope["session"].session_key
        if session_key:  # logging out rings this group (socket_sessions)
            self.session_group = session_group(session_key)
            await self.channel_layer.group_add(self.session_group, self.channel_name)
        # Join first, read the log second: an event committed in between is both
        # replayed and rung, and the cursor drops the second copy.
        await self.channel_layer.group_add(self.group(), self.channel_name)
        await relay.subscribe()
        self.subscribed = True
        if after is None or not await self.replay(after):
            await self.send_snapshot()

    async def allowed(self) -> bool:
        return True

    async def disconnect(self, code):
        if self.recheck is not None:
            self.recheck.cancel()
        if self.session_group:
            await self.channel_layer.group_discard(self.session_group, self.channel_name)
            self.session_group = None
        if self.subscribed:
            self.subscribed = False
            relay.unsubscribe()
            await self.channel_layer.group_discard(self.group(), self.channel_name)

    async def send_snapshot(self) -> None:
        cursor, data = await self.snapshot()
        self.cursor = cursor
        await self.send_json({"id": cursor, "type": SNAPSHOT, "study": self.study_id, "data": data})

    async def replay(self, after: int) -> bool:
        """Send the stored events after ``after``; False when a snapshot serves better."""
        if after > await issued_event_id():
            return False  # a cursor from another database (or a reset one)
        read = await stored_events(after, self.study_id, REPLAY_LIMIT + 1)
        if len(read.events) > REPLAY_LIMIT:
            return False
        self.cursor = after
        await self.forward(read.events)
        self.cursor = max(self.cursor, read.cursor)  # a short read: final up to there
        self.recheck_if_held_back(read)
        return True

    async def forward(self, messages) -> None:
        for message in messages:
            if message["id"] > self.cursor:
                self.cursor = message["id"]
                await self.send_json(message)

    async def study_event(self, message):
        """Channel-layer message ``study.event``: send what follows our cursor.

        From the events the ring carries when they start at or before our cursor (the
        embedded relay's, ``relay.Covered``), else read from the log.
        """
        if message["event"]["id"] <= self.cursor:
            return
        covered = message.get("covered")
        if covered is not None and covered["after"] <= self.cursor:
            await self.forward(covered["events"])
            self.cursor = max(self.cursor, covered.get("upto", self.cursor))
            if message["event"]["id"] <= self.cursor:
                return
        await self.catch_up()

    async def catch_up(self) -> None:
        while True:
            read = await stored_events(self.cursor, self.study_id, CATCH_UP_BATCH)
            await self.forward(read.events)
            self.cursor = max(self.cursor, read.cursor)
            if len(read.events) < CATCH_UP_BATCH:
                break
        self.recheck_if_held_back(read)

    def recheck_if_held_back(self, read: selectors.LogRead) -> None:
        if not read.held_back:
            self.recheck_wait = RECHECK_FIRST_WAIT
        elif self.recheck is None or self.recheck.done():
            self.recheck = asyncio.create_task(self._ring_myself(self.recheck_wait))
            self.recheck_wait = min(2 * self.recheck_wait, RECHECK_LONGEST_WAIT)

    async def _ring_myself(self, wait: float) -> None:
        """Through the channel layer, so the read runs in turn with the other messages."""
        await asyncio.sleep(wait)
        await self.channel_layer.send(self.channel_name, {"type": RECHECK})

    async def log_recheck(self, message):
        """Channel-layer message ``log.recheck``: an event was held behind the horizon."""
        await self.catch_up()

    async def session_ended(self, message):
        """Channel-layer message ``session.ended``: this socket's session logged out."""
        await self.close(code=CLOSE_NOT_LOGGED_IN)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        """Clients only listen; whatever they send (JSON or not, text or binary) is ignored."""


class StudyListConsumer(EventStreamConsumer):
    def group(self) -> str:
        return events.ALL_STUDIES_GROUP

    async def snapshot(self):
        return await list_snapshot()


class StudyConsumer(EventStreamConsumer):
    async def connect(self):
        self.study_id = int(self.scope["url_route"]["kwargs"]["study_id"])
        await super().connect()

    def group(self) -> str:
        assert self.study_id is not None  # set first thing in connect()
        return events.study_group(self.study_id)

    async def allowed(self) -> bool:
        return await study_exists(self.study_id)

    async def snapshot(self):
        return await study_snapshot(self.study_id)


class UnknownPathConsumer(AsyncWebsocketConsumer):
    """Any other websocket path: accepted and closed with 4404, not a server error."""

    async def connect(self):
        await self.accept()
        await self.close(code=CLOSE_UNKNOWN_STUDY)
