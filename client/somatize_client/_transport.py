"""HTTP with a keep-alive connection per thread, JSON bodies and retries of transient errors.

Why ``http.client`` and not ``urllib.request``: urllib opens a new TCP connection for every
request, which costs more than a trial's whole ask/tell on a local network. Each thread
keeps its own connection, because an ``HTTPConnection`` must not be shared between threads.
"""

from __future__ import annotations

import http.client
import json
import logging
import random
import socket
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from . import __version__
from .errors import ConfigurationError, ServerUnreachable, error_for

log = logging.getLogger("somatize_client")

RETRY_STATUSES = frozenset({502, 503, 504})  # a proxy or a restarting server: try again
# Errors that mean "no answer"; the request may or may not have been applied.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionError,  # refused, reset, aborted, broken pipe
    http.client.RemoteDisconnected,
    http.client.IncompleteRead,
    http.client.BadStatusLine,
    socket.timeout,
    TimeoutError,
    OSError,  # e.g. "network is unreachable", name resolution failures
)


class Transport:
    """Sends JSON requests to one server with one token; safe to use from many threads."""

    def __init__(self, url: str, token: str, *, timeout: float, retry_for: float):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigurationError(f"the server URL must look like http://host:port, not {url!r}")
        self.url = url.rstrip("/")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")
        self._headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "Content-Type": "application/json",
            "User-Agent": f"somatize-client/{__version__}",
        }
        self.timeout = timeout
        self.retry_for = retry_for
        self._local = threading.local()

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        idempotent: bool = True,
        retry_for: float | None = None,
    ) -> Any:
        """The decoded JSON answer (``None`` for 204); typed ``SomatizeError`` on 4xx/5xx.

        ``body`` is sent as JSON; ``raw`` (instead) as the bytes themselves (a file upload).

        Transient failures are retried with exponential backoff for up to ``retry_for``
        seconds. A request that is not ``idempotent`` is retried only when it surely never
        reached the server (connection refused), so it is never applied twice.
        """
        payload = raw if raw is not None else None if body is None else json.dumps(body, allow_nan=False).encode()
        content_type = "application/octet-stream" if raw is not None else "application/json"
        deadline = time.monotonic() + (self.retry_for if retry_for is None else retry_for)
        for attempt in range(1_000_000):  # bounded by the deadline below
            try:
                status, answer = self._send(method, path, payload, content_type)
            except TRANSIENT_ERRORS as exc:
                if not idempotent and not isinstance(exc, ConnectionRefusedError):
                    raise ServerUnreachable(
                        f"{method} {path}: {exc!r} (not retried: it may have been applied)"
                    ) from exc
                problem = f"{exc!r}"
            else:
                if status not in RETRY_STATUSES or (not idempotent and status != 503):
                    if status >= 400:
                        raise error_for(status, answer)
                    return answer
                problem = f"HTTP {status}"
            delay = min(5.0, 0.1 * 2**attempt) * random.uniform(0.5, 1.0)  # jitter: clients don't retry in step
            if time.monotonic() + delay > deadline:
                raise ServerUnreachable(f"{method} {self.url}{path}: {problem}, still failing after retries")
            log.warning("somatize: %s %s failed (%s); retrying in %.1fs", method, path, problem, delay)
            time.sleep(delay)
        raise AssertionError("unreachable")

    def _send(self, method: str, path: str, payload: bytes | None, content_type: str) -> tuple[int, Any]:
        reused = getattr(self._local, "connection", None) is not None
        try:
            return self._exchange(method, path, payload, content_type)
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            self.close()
            if not reused:
                raise
        except BaseException:
            self.close()  # a half-read answer would poison the next request on this connection
            raise
        # The server closed an idle keep-alive connection before reading this request:
        # send it once more on a fresh connection, as browsers do.
        try:
            return self._exchange(method, path, payload, content_type)
        except BaseException:
            self.close()
            raise

    def _exchange(self, method: str, path: str, payload: bytes | None, content_type: str) -> tuple[int, Any]:
        connection = self._connection()
        headers = {**self._headers, "Content-Type": content_type}
        connection.request(method, self._prefix + path, body=payload, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        if response.will_close:
            self.close()
        return response.status, _decode(raw, response.getheader("Content-Type", ""))

    def _connection(self) -> http.client.HTTPConnection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            connection = kind(self._host, self._port, timeout=self.timeout)
            self._local.connection = connection
        return connection

    def close(self) -> None:
        """Close this thread's connection (the next request opens a new one)."""
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            connection.close()


def _decode(raw: bytes, content_type: str) -> Any:
    if not raw:
        return None
    text = raw.decode("utf-8", errors="replace")
    if "json" in content_type:
        try:
            return json.loads(text)
        except ValueError:
            pass
    return text.strip()[:500]
