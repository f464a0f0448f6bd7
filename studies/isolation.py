"""Run executors in a long-lived child process, so a crash, an OOM or a hang fails one trial.

One child per worker (DESIGN.md section 5): it is forked once, runs trial after trial,
and is replaced only after it dies or is killed for overrunning ``--trial-timeout``.
The child never touches the database. Its ``trial.report()`` and
``trial.should_prune()`` are messages over a pipe; the parent (the worker) records the
values and asks the pruner through ``runner.TrialHooks``, and it beats the trial's
heartbeat while it waits, so no heartbeat thread is needed.

Messages, child -> parent: ``("report", step, metrics)``, ``("prune?", step)`` (the
parent answers a bool), ``("artifact", name, bytes or absolute path)`` (the parent
stores it, then answers None or ``(field, reason)`` for an ArtifactError: the
executor's ``save_artifact`` returns only once the file is stored, so a crash after it
loses nothing), ``("done", outcome)``, ``("ready", None)`` / ``("refused", reason)``
once at start. Parent -> child: ``(executor_name, number, params, metric)``.

The child's stdout and stderr (fds 1 and 2, so C code and subprocesses too) are a
second pipe, which the parent reads while it serves the trial and stores as the trial's
log through ``hooks.log`` (``capture``).
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import signal
import time
from multiprocessing.connection import wait as wait_for_any
from typing import Any

from django.db import connections

from . import capture
from .core.artifacts import ArtifactError
from .core.trials import TrialOutcome
from .execution import TrialExecutor
from .executors import TrialContext, registry, run_executor

_FORK = multiprocessing.get_context("fork")
MB = 1024 * 1024


class ExecutorProcessError(RuntimeError):
    """The executor process could not be started as configured (e.g. too small a memory cap)."""


def _address_space_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _die_with_parent() -> None:
    """Ask Linux to kill this process when the worker dies (even by SIGKILL)."""
    try:
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: an orphan ends at its next pipe write
        pass


def _child_main(conn, memory_mb: int | None, parent_pid: int, log_fds: tuple[int, int]) -> None:
    # The parent decides what a signal means (Ctrl-C reaches the whole process group);
    # it kills this process when the trial must end.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent()
    if os.getppid() != parent_pid:  # the worker died before the request took effect
        return
    if memory_mb is not None:
        in_use = _address_space_bytes()
        if memory_mb * MB <= in_use + 16 * MB:
            conn.send(
                (
                    "refused",
                    f"--trial-memory {memory_mb} is below what the executor process needs at start "
                    f"({in_use // MB} MB of address space); use at least {in_use // MB + 64}",
                )
            )
            return
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb * MB, memory_mb * MB))
    os.close(log_fds[0])  # the parent's end
    capture.redirect_output_to(log_fds[1])
    conn.send(("ready", None))
    while True:
        try:
            executor_name, number, params, metric = conn.recv()
        except EOFError:
            return

        context = _child_context(conn, number, params)
        try:
            fn = registry.get(executor_name).fn
        except LookupError as exc:
            conn.send(("done", TrialOutcome.failed(str(exc))))
            continue
        outcome = run_executor(fn, context, metric)
        if memory_mb is not None and outcome.error.startswith("MemoryError"):
            outcome = TrialOutcome.failed(
                f"MemoryError: the executor ran out of memory (capped at --trial-memory {memory_mb} MB)",
                outcome.traceback,
            )
        capture.flush_output()  # before the outcome: the parent reads the log up to it
        conn.send(("done", outcome))


def _child_context(conn, number: int, params: dict[str, Any]) -> TrialContext:
    """The executor's ``trial`` in the child: each call is a message to the worker."""

    def report(step: int, metrics: dict[str, float]) -> None:
        conn.send(("report", step, metrics))

    def should_prune(step: int) -> bool:
        conn.send(("prune?", step))
        return bool(conn.recv())

    def save_artifact(name: str, source: bytes | str) -> None:
        conn.send(("artifact", name, source))
        refused = conn.recv()
        if refused is not None:
            raise ArtifactError(refused[1], refused[0])

    return TrialContext(number, params, report, should_prune, save_artifact)


def _death_reason(exitcode: int | None) -> str:
    if exitcode is None:
        return "the executor process stopped answering"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        hint = " (killed: out of memory?)" if name == "SIGKILL" else ""
        return f"the executor process died from {name}{hint}"
    return f"the executor process exited with status {exitcode}"


def _store_artifact(hooks, name: str, source: bytes | str) -> tuple[str, str] | None:
    """Store the child's artifact; None when stored, else the field and reason it was refused for."""
    try:
        hooks.save_artifact(name, source)
    except ArtifactError as exc:
        return exc.field, exc.reason
    return None


class ChildExecutor(TrialExecutor):
    """Runs each trial in the worker's long-lived child process (forked at ``prepare``)."""

    beats_heartbeat = True  # ``_serve`` beats while it waits for the child
    runs_alongside = True  # the child runs the trial; ``start`` only sends it

    def __init__(
        self, trial_timeout: float | None = None, memory_mb: int | None = None, heartbeat_interval: float = 15.0
    ):
        self.trial_timeout = trial_timeout
        self.memory_mb = memory_mb
        self.heartbeat_interval = heartbeat_interval
        # The child and our end of its pipe: set together, cleared together.
        self._process: Any = None
        self._conn: Any = None
        self._log_fd: int | None = None  # our end of the child's stdout/stderr pipe
        self.started = 0  # how many child processes were forked (1 unless some died)

    # --- the child's life --------------------------------------------------------

    def _ensure_child(self) -> None:
        if self._process is not None and self._process.is_alive():
            return
        self._discard_child()
        # The child must not share the parent's database sockets.
        connections.close_all()
        parent_end, child_end = _FORK.Pipe()
        log_fds = capture.open_pipe()
        process = _FORK.Process(
            target=_child_main,
            args=(child_end, self.memory_mb, os.getpid(), log_fds),
            daemon=True,
            name="somatize-executor",
        )
        process.start()
        child_end.close()  # so the parent sees EOF when the child dies
        os.close(log_fds[1])
        self._process, self._conn, self._log_fd = process, parent_end, log_fds[0]
        self.started += 1
        kind, detail = self._receive_start()
        if kind != "ready":
            self._discard_child()
            raise ExecutorProcessError(detail)

    def _receive_start(self):
        if not self._conn.poll(30):
            return "refused", "the executor process did not start within 30 s"
        try:
            return self._conn.recv()
        except EOFError:
            self._process.join(1)
            return "refused", _death_reason(self._process.exitcode)

    def _discard_child(self) -> int | None:
        """Kill the child (if any) and forget it; returns its exit code."""
        process, conn, log_fd = self._process, self._conn, self._log_fd
        self._process = self._conn = self._log_fd = None
        if conn is not None:
            conn.close()
        if log_fd is not None:
            os.close(log_fd)
        if process is None:
            return None
        if process.is_alive():
            process.kill()
        process.join(5)
        return process.exitcode

    def prepare(self) -> None:
        self._ensure_child()

    def close(self) -> None:
        self._discard_child()

    # --- one trial -----------------------------------------------------------------

    def run(self, executor_name: str, trial, hooks) -> TrialOutcome:
        self.start(executor_name, trial, hooks)
        return self.wait()

    def start(self, executor_name: str, trial, hooks) -> None:
        """Send ``trial`` to the child; it runs while this process does other work until ``wait``."""
        request = (executor_name, trial.number, dict(trial.params), hooks.metric)
        self._ensure_child()
        try:
            self._conn.send(request)
        except OSError:  # it died since the last trial: the trial has not begun, use a fresh one
            self._discard_child()
            self._ensure_child()
            self._conn.send(request)
        self._started = (executor_name, trial, hooks)

    def wait(self) -> TrialOutcome:
        assert self._started is not None, "wait() without start()"
        (_, _, hooks), self._started = self._started, None
        try:
            return self._serve(hooks)
        except BaseException:
            # Interrupted (a signal) or a database error: the child is mid-trial, and
            # only a fresh one can take the next trial.
            self._discard_child()
            raise

    def cancel(self) -> None:
        """The started trial will not be waited for: only a fresh child can take the next one."""
        if self._started is not None:
            self._started = None
            self._discard_child()

    def _serve(self, hooks) -> TrialOutcome:
        """Answer the child's messages until its outcome arrives, it dies, or time runs out.

        Meanwhile its output is read and stored in batches; what it wrote before its
        outcome (or its death) is stored before this returns.
        """
        batch = capture.LogBatch(hooks.log)
        try:
            return self._serve_until_outcome(hooks, batch)
        finally:
            batch.flush(final=True)

    def _serve_until_outcome(self, hooks, batch: capture.LogBatch) -> TrialOutcome:
        now = time.monotonic()
        deadline = None if self.trial_timeout is None else now + self.trial_timeout
        next_beat = now + self.heartbeat_interval
        log_open = True
        while True:
            now = time.monotonic()
            wait = next_beat - now if deadline is None else min(next_beat, deadline) - now
            flush_in = batch.seconds_to_flush()
            ready = wait_for_any(
                [self._conn, self._log_fd] if log_open and self._log_fd is not None else [self._conn],
                max(min(wait, flush_in) if flush_in is not None else wait, 0),
            )
            if self._log_fd in ready:
                log_open = batch.read_from(self._log_fd)  # EOF: the child (and its children) closed it
            batch.flush_if_due()
            if self._conn in ready:
                outcome = self._receive(hooks, batch)
                if outcome is not None:
                    return outcome
                continue
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                self._collect_output(batch)
                self._discard_child()
                return TrialOutcome.failed(
                    f"timeout: the trial ran longer than --trial-timeout {self.trial_timeout:g} s "
                    "and its executor process was killed"
                )
            if now >= next_beat:
                hooks.heartbeat()
                next_beat = now + self.heartbeat_interval

    def _receive(self, hooks, batch: capture.LogBatch) -> TrialOutcome | None:
        """Handle one message from the child; its outcome (or its death's) ends the trial."""
        try:
            message = self._conn.recv()
        except (EOFError, OSError):
            self._collect_output(batch)
            return TrialOutcome.failed(_death_reason(self._discard_child()))
        outcome = self._handle(message, hooks)
        if outcome is not None:
            self._collect_output(batch)
        return outcome

    def _collect_output(self, batch: capture.LogBatch) -> None:
        """Everything the child wrote so far is in the pipe already: read it all."""
        if self._log_fd is not None:
            batch.read_from(self._log_fd)

    def _handle(self, message: tuple[Any, ...], hooks) -> TrialOutcome | None:
        kind = message[0]
        if kind == "report":
            hooks.report(message[1], message[2])
        elif kind == "prune?":
            self._conn.send(hooks.should_prune(message[1]))
        elif kind == "artifact":
            self._conn.send(_store_artifact(hooks, message[1], message[2]))
        elif kind == "done":
            return message[1]
        return None
