"""Capturing what an executor writes to stdout/stderr, at the file-descriptor level.

The executor process (``isolation``) points its fds 1 and 2 at a pipe the worker reads,
so Python's ``print`` and ``logging``, a C extension's ``write(1, ...)`` and every
subprocess it starts (they inherit the fds) all land in the trial's log. The worker
batches what it reads (``LogBatch``) and stores a chunk a few times a second, so a
trial printing as fast as it can costs a handful of transactions per second, not one
per line.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import os
import sys
import time
from collections.abc import Callable

# How often, and past how many characters, the worker stores what it has read.
FLUSH_SECONDS = 0.25
FLUSH_CHARS = 256 * 1024
READ_BYTES = 1024 * 1024


def redirect_output_to(write_fd: int) -> None:
    """In the executor process: fds 1 and 2 become the pipe; Python's streams flush by line.

    Line buffering keeps a slow trial's output live on its page (a block-buffered
    stream would hold 8 KB back); the worker batches it anyway.
    """
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os.dup2(write_fd, 1)
    os.dup2(write_fd, 2)
    os.close(write_fd)
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):  # not when a test or an embedder replaced it
            stream.reconfigure(line_buffering=True)


def flush_output() -> None:
    """In the executor process, before its outcome is sent: nothing buffered is left behind."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # closed or broken by the executor: nothing to keep
            stream.flush()


class LogBatch:
    """Bytes read from the pipe, decoded as UTF-8 (bad bytes replaced), stored in batches."""

    def __init__(self, store: Callable[[str], None]):
        self.store = store
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending: list[str] = []
        self._pending_chars = 0
        self._since: float | None = None  # when the oldest pending text arrived

    def read_from(self, fd: int) -> bool:
        """Read what the pipe holds now (non-blocking fd); False at end of file."""
        while True:
            try:
                data = os.read(fd, READ_BYTES)
            except BlockingIOError:
                return True
            except OSError:
                return False
            if not data:
                return False
            self.add(self._decoder.decode(data))
            if len(data) < READ_BYTES:
                return True

    def add(self, text: str) -> None:
        if not text:
            return
        self._pending.append(text)
        self._pending_chars += len(text)
        if self._since is None:
            self._since = time.monotonic()
        if self._pending_chars >= FLUSH_CHARS:
            self.flush()

    def seconds_to_flush(self) -> float | None:
        """How long until pending text is due to be stored; None when nothing is pending."""
        if self._since is None:
            return None
        return max(0.0, self._since + FLUSH_SECONDS - time.monotonic())

    def flush_if_due(self) -> None:
        wait = self.seconds_to_flush()
        if wait is not None and wait <= 0:
            self.flush()

    def flush(self, final: bool = False) -> None:
        if final:
            self.add(self._decoder.decode(b"", final=True))
        if self._pending:
            text = "".join(self._pending)
            self._pending, self._pending_chars, self._since = [], 0, None
            self.store(text)


def open_pipe() -> tuple[int, int]:
    """A (read, write) pipe for one executor process; the worker's end never blocks."""
    read_fd, write_fd = os.pipe()
    os.set_blocking(read_fd, False)
    return read_fd, write_fd
