"""The event log: append a row, then publish it once its transaction commits.

Events are rows first (monotonic ids), so a client that reconnects asks for "events
after id N" and loses nothing. Writers call ``lock_log()`` at the start of any
transaction that appends events: it serialises those transactions, so ids become
visible in id order and a reader polling "id > N" can never skip a late commit.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from django.conf import settings
from django.db import connection, transaction

from .models import StudyEvent

logger = logging.getLogger(__name__)

# Arbitrary constant naming the PostgreSQL advisory lock that orders event commits.
EVENT_LOG_LOCK = 7_140_001
ALL_STUDIES_GROUP = "studies"
# What the all-studies socket carries: each study's state, progress and best value.
LIST_EVENT_TYPES = ("study_started", "study_progress", "study_completed", "study_stopped", "study_queued",
                    "best_updated")


def study_group(study_id: int) -> str:
    return f"study-{study_id}"


def lock_log() -> None:
    """Serialise event-appending transactions (SQLite already serialises writers)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [EVENT_LOG_LOCK])


def append(study_id: int, type: str, data: dict[str, Any]) -> StudyEvent:
    """Store an event in the current transaction; publish it after commit."""
    event = StudyEvent.objects.create(study_id=study_id, type=type, data=data)
    transaction.on_commit(lambda: publish(event))
    return event


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
    try:
        async_to_sync(layer.group_send)(study_group(event.study_id), message)
        if event.type in LIST_EVENT_TYPES:
            async_to_sync(layer.group_send)(ALL_STUDIES_GROUP, message)
    except Exception:  # the row is stored; clients catch up from it on reconnect
        logger.exception("could not publish event %s", event.id)
