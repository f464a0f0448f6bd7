"""Which browser pages may open our websockets: the same origin as the socket, in full.

Channels' AllowedHostsOriginValidator compares the Origin's host name with
ALLOWED_HOSTS only, so a page on ``http://localhost:9999`` (any other program on the
machine) could open a socket with the user's cookies. Here the Origin must equal the
socket's own scheme, host and port (the Host header, checked against ALLOWED_HOSTS), or
be listed in CSRF_TRUSTED_ORIGINS, the same rule Django's CSRF check applies to forms.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

DEFAULT_PORTS = {"http": "80", "https": "443"}


def normalised(scheme: str, netloc: str) -> str | None:
    """``scheme://host:port`` with the default port written out; None when unreadable."""
    host, port = split_domain_port(netloc.lower())
    if not host or scheme not in DEFAULT_PORTS:
        return None
    return f"{scheme}://{host}:{port or DEFAULT_PORTS[scheme]}"


def origin_allowed(origin: str | None, host: str | None, secure: bool) -> bool:
    """True when a page at ``origin`` may use a socket reached at ``host`` (over TLS when ``secure``)."""
    if not origin or not host:
        return False
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    claimed = normalised(parts.scheme, parts.netloc)
    if claimed is None:
        return False
    trusted = {normalised(*t.split("://", 1)) for t in settings.CSRF_TRUSTED_ORIGINS if "://" in t}
    if claimed in trusted:
        return True
    domain, _ = split_domain_port(host.lower())
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return False
    return claimed == normalised("https" if secure else "http", host)


def is_secure(scope: dict, headers: dict[bytes, str]) -> bool:
    """A wss socket, or one a TLS proxy forwarded as such (SECURE_PROXY_SSL_HEADER)."""
    if scope.get("scheme") == "wss":
        return True
    proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if not proxy:
        return False
    # Django names it as a META key (HTTP_X_FORWARDED_PROTO); the header is x-forwarded-proto.
    name = proxy[0].removeprefix("HTTP_").replace("_", "-").lower().encode()
    return headers.get(name, "").split(",")[0].strip() == proxy[1]


class SameOriginValidator:
    """ASGI middleware: refuse the websocket handshake unless the Origin is this site's own."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        headers = {name: value.decode("latin-1") for name, value in scope.get("headers", [])}
        if origin_allowed(headers.get(b"origin"), headers.get(b"host"), is_secure(scope, headers)):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)
