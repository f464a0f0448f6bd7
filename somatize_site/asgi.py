"""ASGI entry: HTTP through Django, websockets through Channels (served by Daphne)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "somatize_site.settings")
# Django must be set up before anything imports models (the routing does).
django_asgi_app = get_asgi_application()


def _pool_postgresql_connections() -> None:
    """Borrow PostgreSQL connections from a pool in the web process.

    Under ASGI each request runs its synchronous code in a thread of its own, so a
    persistent connection (CONN_MAX_AGE) is never reused: every request opened a new one
    and left it open, unowned, until it expired, and a busy API exhausted PostgreSQL's
    max_connections ("too many clients"). A pool (Django's, psycopg_pool) hands each
    request an open connection and takes it back. Only here: workers run in one thread
    and keep their persistent connection.
    """
    from django.db import connections

    for alias in connections:
        config = connections.settings[alias]
        if config["ENGINE"].endswith("postgresql"):
            config["CONN_MAX_AGE"] = 0  # Django's pool requires it: the pool keeps them open
            config["CONN_HEALTH_CHECKS"] = False
            config.setdefault("OPTIONS", {})["pool"] = {"min_size": 2, "max_size": 20, "timeout": 30}


_pool_postgresql_connections()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from studies.routing import websocket_urlpatterns  # noqa: E402
from studies.sweeper import with_sweeper  # noqa: E402
from studies.ws_origin import SameOriginValidator  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": with_sweeper(django_asgi_app),  # also fails the trials of lost remote clients
        "websocket": SameOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
