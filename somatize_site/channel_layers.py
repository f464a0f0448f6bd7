"""The channel-layer configurations: Redis across processes, or in-process only."""

from __future__ import annotations

from typing import Any

# channels-redis waits for messages with a 5 s blocking pop, and redis-py 8 times out a
# socket read after 5 s by default: the two race, and an idle receiver (a dashboard
# page with nothing new for 5 s) dies with TimeoutError. Reads may take this long.
REDIS_SOCKET_TIMEOUT = 30.0


def redis_layer(url: str, prefix: str) -> dict[str, Any]:
    """Redis Pub/Sub: a group message is one PUBLISH, pushed at once to the processes
    subscribed to the group. The list layer (``channels_redis.core``) spent two to four
    round trips a group message (expiry sweeps, a member listing, a Lua script) and its
    receivers pop each process's queue. Pub/Sub keeps nothing for a process that is
    not subscribed, which costs nothing here: events are rows first, and a socket whose
    cursor falls behind a message's ``covered.after`` reads the log (``consumers``)."""
    return {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [{"address": url, "socket_timeout": REDIS_SOCKET_TIMEOUT}], "prefix": prefix},
    }


IN_PROCESS_LAYER: dict[str, Any] = {"BACKEND": "channels.layers.InMemoryChannelLayer"}
