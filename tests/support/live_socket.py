"""A minimal websocket client for tests against a live Daphne (RFC 6455, text frames only).

Enough for the event streams: one handshake with the session cookie and an Origin,
then unfragmented JSON text frames from the server. The test suite has no websocket
client dependency; Chromium is heavier than these tests need.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import struct
import time
from typing import Any
from urllib.parse import urlsplit


class LiveSocket:
    """``LiveSocket(url, path, session_key)``; ``frame(timeout)`` -> the next JSON frame."""

    def __init__(self, base_url: str, path: str, session_key: str, timeout: float = 10.0):
        parts = urlsplit(base_url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: {base_url}\r\n"
            f"Cookie: sessionid={session_key}\r\n\r\n"
        )
        self.sock.sendall(request.encode())
        self.buffer = b""
        head = self._read_until(b"\r\n\r\n", time.monotonic() + timeout)
        assert head.startswith(b"HTTP/1.1 101"), head[:200]

    def _read_until(self, marker: bytes, deadline: float) -> bytes:
        while marker not in self.buffer:
            self._fill(deadline)
        head, self.buffer = self.buffer.split(marker, 1)
        return head

    def _read(self, n: int, deadline: float) -> bytes:
        while len(self.buffer) < n:
            self._fill(deadline)
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def _fill(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no websocket frame in time")
        self.sock.settimeout(remaining)
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buffer += chunk

    def frame(self, timeout: float = 10.0) -> dict[str, Any]:
        """The next text frame as JSON (pings answered on the way); TimeoutError if none in time."""
        deadline = time.monotonic() + timeout
        while True:
            opcode, payload = self._next(deadline)
            if opcode == 0x9:  # Daphne's keep-alive ping: answer it, as a browser does
                self._send(0xA, payload)
                continue
            if opcode == 0x8:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None
                raise ConnectionError(f"the server closed the socket with code {code}")
            assert opcode == 0x1, f"unexpected frame opcode {opcode}"
            return json.loads(payload)

    def _next(self, deadline: float) -> tuple[int, bytes]:
        first, second = self._read(2, deadline)
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", self._read(2, deadline))
        elif length == 127:
            (length,) = struct.unpack("!Q", self._read(8, deadline))
        return first & 0x0F, self._read(length, deadline)

    def _send(self, opcode: int, payload: bytes) -> None:
        """A short client frame; clients must mask theirs."""
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked)

    def frames_until(self, done, timeout: float = 60.0) -> list[dict[str, Any]]:
        """Frames until ``done(frames)`` is true."""
        deadline = time.monotonic() + timeout
        frames: list[dict[str, Any]] = []
        while not done(frames):
            frames.append(self.frame(max(0.01, deadline - time.monotonic())))
        return frames

    def close(self) -> None:
        self.sock.close()


def session_for(project, username: str = "watcher") -> str:
    """A logged-in session of a new user of ``project``, made through its manage.py."""
    code = (
        "from django.contrib.auth import get_user_model\n"
        "from django.contrib.sessions.backends.db import SessionStore\n"
        f"user = get_user_model().objects.create_user({username!r}, password='x' * 12)\n"
        "session = SessionStore()\n"
        "session['_auth_user_id'] = str(user.pk)\n"
        "session['_auth_user_backend'] = 'django.contrib.auth.backends.ModelBackend'\n"
        "session['_auth_user_hash'] = user.get_session_auth_hash()\n"
        "session.create()\n"
        "print(session.session_key)\n"
    )
    return project.run("shell", "-c", code).stdout.strip().splitlines()[-1]
