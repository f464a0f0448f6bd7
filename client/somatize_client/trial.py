"""One remote trial: its parameters, reports, the tell, and the heartbeats that keep it alive."""

from __future__ import annotations

import logging
import math
import os
import threading
import time
import traceback
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ._transport import Transport
from .errors import Conflict, SomatizeError

if TYPE_CHECKING:
    from .client import Study

log = logging.getLogger("somatize_client")

INTERRUPT_TELL_SECONDS = 5.0  # after Ctrl-C, don't keep the user waiting on a dead server


class TrialPruned(Exception):
    """Raise from an objective (or a ``with trial:`` block) to stop a trial early: it is told pruned."""


class Trial:
    """A configuration handed out by ``Study.ask()``; tell its result exactly once.

    From the ask until the tell, a background thread sends its heartbeats, so the server
    knows this process is alive; if the process dies, the server fails the trial
    ("worker lost") after its grace period and the budget stays exact.
    """

    def __init__(self, study: Study, answer: dict[str, Any]):
        self.study = study
        self.number: int = answer["number"]
        self.params: dict[str, Any] = answer["params"]
        self.heartbeat_interval = float(answer.get("heartbeat_interval") or 15.0)
        self.heartbeat_grace = float(answer.get("heartbeat_grace") or 60.0)
        self.state: str | None = None  # "completed", "pruned" or "failed" once told
        self.value: float | None = None
        self.metrics: dict[str, float] | None = None
        self.last_step: int | None = None
        self._should_prune = False
        self._path = f"/api/studies/{study.id}/trials/{self.number}/"

    def __repr__(self) -> str:
        return f"<Trial {self.number} of {self.study.name!r} {self.state or 'running'} params={self.params}>"

    @property
    def _transport(self) -> Transport:
        return self.study.client.transport

    def report(self, step: int, **metrics: float) -> bool:
        """Store intermediate metrics at ``step`` (e.g. an epoch); returns ``should_prune()``.

        The study's pruner compares them with other trials at the same step.
        """
        for name, value in metrics.items():
            _check_finite(name, value)
        answer = self._transport.request("POST", self._path + "report/", {"step": step, "metrics": metrics})
        self.last_step = step
        self._should_prune = bool(answer and answer.get("should_prune"))
        return self._should_prune

    def log(self, *lines: str) -> None:
        """Add lines to the trial's log on the server, shown live on its page (one request).

        Each line gets a newline unless it ends with one; the server keeps the head and
        the tail of a long log (``SOMATIZE_TRIAL_LOG_LIMIT``) and says what it dropped.
        """
        text = "".join(line if line.endswith("\n") else line + "\n" for line in lines)
        if text:
            self._transport.request("POST", self._path + "log/", {"text": text})

    def save_artifact(self, name: str, path_or_bytes: bytes | str | os.PathLike[str]) -> dict[str, Any]:
        """Store a file for this trial on the server: listed (images shown) on its page.

        ``path_or_bytes``: the file's content, or the path of a file to send. ``name`` is a
        file name (no path separators); saving a name again replaces its file. Returns the
        server's description (``name``, ``size``, ``content_type``, ``url``). Refused as
        ``ValidationError`` (400 for a bad name, 413 past the server's
        ``SOMATIZE_ARTIFACT_MAX_BYTES``), ``Conflict`` for a trial not yet started.
        """
        if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
            data = bytes(path_or_bytes)
        elif isinstance(path_or_bytes, (str, os.PathLike)):
            data = Path(path_or_bytes).read_bytes()
        else:
            raise TypeError(f"save_artifact() takes bytes or a path, not {type(path_or_bytes).__name__}")
        # Saving replaces by name, so a retried upload cannot store the file twice.
        answer: dict[str, Any] = self._transport.request(
            "POST", f"{self._path}artifacts/?name={quote(name, safe='')}", raw=data
        )
        return answer

    def should_prune(self) -> bool:
        """Whether the study's pruner advised stopping, as of the last ``report``."""
        return self._should_prune

    def tell(self, value: float | None = None, *, metrics: dict[str, float] | None = None) -> None:
        """Complete the trial with its objective ``value`` and/or a dict of ``metrics``.

        With only ``metrics``, the study's objective metric is taken from them. Telling the
        same result twice is harmless; a different one after the end raises ``Conflict``.
        """
        if value is None and not metrics:
            raise ValueError("tell() needs a value or metrics (use tell_pruned/tell_failed for the other ends)")
        body: dict[str, Any] = {"state": "completed"}
        if value is not None:
            _check_finite("value", value)
            body["value"] = float(value)
        if metrics:
            for name, metric in metrics.items():
                _check_finite(name, metric)
            body["metrics"] = dict(metrics)
        self._tell(body)
        self.value, self.metrics = body.get("value"), body.get("metrics")

    def tell_pruned(self, step: int | None = None) -> None:
        """End the trial as pruned, at ``step`` (default: the last reported step)."""
        step = self.last_step if step is None else step
        self._tell({"state": "pruned"} if step is None else {"state": "pruned", "step": step})

    def tell_failed(self, error: str = "", traceback: str | None = None, *, retry_for: float | None = None) -> None:
        """End the trial as failed, with a one-line ``error`` and an optional ``traceback``."""
        body = {"state": "failed", "error": error[:1000]}
        if traceback:
            body["traceback"] = traceback[-100_000:]  # the end of a long traceback says the most
        self._tell(body, retry_for=retry_for)

    def _tell(self, body: dict[str, Any], retry_for: float | None = None) -> None:
        heartbeats = self.study.client.heartbeats
        heartbeats.remove(self)  # first, so no beat races the tell and reads as "declared lost"
        try:
            self._transport.request("POST", self._path + "tell/", body, retry_for=retry_for)
        except Conflict:
            raise  # the server ended it already: nothing to keep alive
        except SomatizeError:
            heartbeats.add(self)  # refused (e.g. a bad metric): still running, the script may tell again
            raise
        self.state = body["state"]

    def __enter__(self) -> Trial:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> bool:
        """Tell what happened in the block, unless the block told already.

        ``TrialPruned`` → pruned (and swallowed); ``KeyboardInterrupt`` → failed
        "interrupted"; any other exception → failed with its traceback; a block that ends
        without telling → failed, so the trial does not wait for the grace period.
        """
        if self.state is not None or (kind is not None and issubclass(kind, Conflict)):
            return False  # told already, or the server ended the trial (e.g. declared it lost)
        if kind is None:
            self.tell_failed("the trial's block ended without a tell")
        elif issubclass(kind, TrialPruned):
            self.tell_pruned()
            return True
        elif issubclass(kind, KeyboardInterrupt):
            text = "".join(traceback.format_exception(kind, error, tb))
            self.tell_failed("interrupted", text, retry_for=INTERRUPT_TELL_SECONDS)
        elif issubclass(kind, Exception):
            text = "".join(traceback.format_exception(kind, error, tb))
            self.tell_failed(f"{kind.__name__}: {error}", text)
        return False


def _check_finite(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, not {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} is {value}: only finite numbers can be stored")


class Heartbeats:
    """One daemon thread per client that beats every asked trial until it is told.

    A daemon, so a killed or exiting process stops beating and the server notices.
    """

    def __init__(self, transport: Transport):
        self._transport = transport
        self._due: dict[Trial, float] = {}
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def add(self, trial: Trial) -> None:
        with self._changed:
            self._due[trial] = time.monotonic() + trial.heartbeat_interval
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="somatize-heartbeats", daemon=True)
                self._thread.start()
            self._changed.notify()

    def remove(self, trial: Trial) -> None:
        with self._changed:
            self._due.pop(trial, None)

    def _run(self) -> None:
        while True:
            for trial in self._wait_for_due():
                self._beat(trial)

    def _wait_for_due(self) -> list[Trial]:
        with self._changed:
            while True:
                now = time.monotonic()
                due = [trial for trial, at in self._due.items() if at <= now]
                if due:
                    for trial in due:
                        self._due[trial] = now + trial.heartbeat_interval
                    return due
                self._changed.wait(min(self._due.values(), default=now + 60.0) - now)

    def _beat(self, trial: Trial) -> None:
        try:
            # Retried until the next beat is due: one lost beat is fine, the grace has four.
            self._transport.request("POST", trial._path + "heartbeat/", retry_for=trial.heartbeat_interval)
        except Conflict:
            with self._changed:
                beating = self._due.pop(trial, None) is not None
            if beating:  # else it was being told meanwhile: the tell explains the 409
                log.warning("somatize: trial %d is no longer running on the server (declared lost?)", trial.number)
        except SomatizeError as exc:
            log.warning("somatize: heartbeat of trial %d failed: %s", trial.number, exc)
