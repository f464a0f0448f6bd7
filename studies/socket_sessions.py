"""Logging out closes the websockets that session opened.

Each socket joins a channel-layer group named after (a hash of) its session key; the
logout signal rings that group and the consumers close. With REDIS_URL this reaches
sockets held by any web process; without it, the only web process is this one.
"""

from __future__ import annotations

import hashlib

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

SESSION_ENDED = "session.ended"


def session_group(session_key: str) -> str:
    # Hashed: group names are visible in Redis, session keys are credentials.
    return "session-" + hashlib.sha256(session_key.encode()).hexdigest()[:40]


def close_sockets_on_logout(sender, request, user, **kwargs) -> None:
    """``user_logged_out`` receiver; runs before the session is flushed, so its key is known."""
    key = getattr(getattr(request, "session", None), "session_key", None)
    layer = get_channel_layer()
    if key and layer is not None:
        async_to_sync(layer.group_send)(session_group(key), {"type": SESSION_ENDED})
