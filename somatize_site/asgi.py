"""ASGI entry: HTTP through Django, websockets through Channels (served by Daphne)."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "somatize_site.settings")
# Django must be set up before anything imports models (the routing does).
django.setup(set_prefix=False)

# HTTP requests run on this many long-lived threads (somatize_site.http_pool): enough that
# a slow page does not hold up the API, few enough that their connections (one each on
# SQLite, borrowed from the pool of 20 on PostgreSQL) stay within bounds.
HTTP_THREADS = 8


def _reuse_connections() -> None:
    """Keep database connections open across requests in the web process.

    PostgreSQL: borrowed from a pool (Django's, psycopg_pool) per request and given back
    at its end, so however many threads serve requests and relay events, the process
    holds at most the pool's connections (an unpooled thread-per-request server once
    exhausted max_connections). SQLite: persistent, one per long-lived thread of the
    HTTP pool and the live path; opening one per request (pragmas, functions, and a
    WAL checkpoint at close) cost more than an API request's own work. Only here:
    workers run in one thread and have their own settings.
    """
    from django.db import connections

    for alias in connections:
        config = connections.settings[alias]
        if config["ENGINE"].endswith("postgresql"):
            config["CONN_MAX_AGE"] = 0  # Django's pool requires it: the pool keeps them open
            config["CONN_HEALTH_CHECKS"] = False
            config.setdefault("OPTIONS", {})["pool"] = {"min_size": 2, "max_size": 20, "timeout": 30}
        elif config["ENGINE"].endswith("sqlite3"):
            config["CONN_MAX_AGE"] = None  # never obsolete: closed only when broken


_reuse_connections()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from studies.routing import websocket_urlpatterns  # noqa: E402
from studies.sweeper import with_sweeper  # noqa: E402
from studies.ws_origin import SameOriginValidator  # noqa: E402

from .http_pool import ThreadPoolASGIHandler  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": with_sweeper(ThreadPoolASGIHandler(HTTP_THREADS)),  # also fails the trials of lost remote clients
        "websocket": SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
