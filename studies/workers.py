"""Worker processes: ``run_study --workers K`` and the ``run_worker`` queue loop.

Each worker is a forked process running one ``StudyRunner`` (which forks its own
executor child). Coordination between workers, on this machine or others, is entirely
in the database (see ``services.claim_trial``); this module only starts processes,
forwards SIGINT/SIGTERM to them and waits, so every worker can fail its interrupted
trial and exit cleanly.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections.abc import Callable
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

from django.db import close_old_connections, connections

from . import selectors, services
from .core.liveness import heartbeat_interval, sweep_interval
from .execution import InProcessExecutor, TrialExecutor
from .isolation import ChildExecutor
from .models import Study
from .runner import RunSummary, StudyRunner, stop_on_signals

_FORK = multiprocessing.get_context("fork")


@dataclass
class WorkerOptions:
    """How each worker runs trials (the run_study / run_worker flags)."""

    heartbeat_grace: float = 60.0
    retry_failed: int = 0
    trial_timeout: float | None = None
    trial_memory_mb: int | None = None
    isolate: bool = True
    timeout: float | None = None

    def make_runner(
        self, study: Study, max_trials: int | None = None, on_trial_finished: Callable | None = None
    ) -> StudyRunner:
        execute: TrialExecutor
        if self.isolate:
            execute = ChildExecutor(
                trial_timeout=self.trial_timeout,
                memory_mb=self.trial_memory_mb,
                heartbeat_interval=heartbeat_interval(self.heartbeat_grace),
            )
        else:
            execute = InProcessExecutor()
        return StudyRunner(
            study,
            max_trials=max_trials,
            timeout=self.timeout,
            heartbeat_grace=self.heartbeat_grace,
            retry_failed=self.retry_failed,
            execute=execute,
            on_trial_finished=on_trial_finished,
        )


def split_budget(total: int | None, workers: int) -> list[int | None]:
    """``--n-trials N`` shared by K workers: N // K each, the remainder to the first ones."""
    if total is None:
        return [None] * workers
    share, extra = divmod(total, workers)
    return [share + (1 if i < extra else 0) for i in range(workers)]


def _worker_main(study_id: int, options: WorkerOptions, max_trials: int | None, results) -> None:
    # Until the runner installs its handlers, remember a signal instead of running
    # the parent's forwarding handler inherited through fork.
    early: list[str] = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda s, f: early.append(signal.Signals(s).name))
    study = selectors.study_get(study_id)
    if study is None:
        raise SystemExit(f"study {study_id} no longer exists")
    runner = options.make_runner(study, max_trials=max_trials)
    if early:
        runner.request_stop(early[0])
    summary = runner.run()
    if results is not None:
        results.put(summary)


def _fork(target, *args):
    # Children must open their own database connections.
    connections.close_all()
    process = _FORK.Process(target=target, args=args, name="somatize-worker")
    process.start()
    return process


@contextmanager
def forwarding_signals(processes: Callable[[], list], on_signal: Callable[[str], None] | None = None):
    """Pass SIGINT/SIGTERM on to the live worker processes (each stops on its own)."""

    def forward(name: str) -> None:
        if on_signal is not None:
            on_signal(name)
        for process in processes():
            if process.is_alive():
                with suppress(ProcessLookupError):
                    os.kill(process.pid, signal.Signals[name])

    with stop_on_signals(forward):
        yield


def merge(summaries: list[RunSummary]) -> RunSummary:
    total = RunSummary()
    for summary in summaries:
        for state, n in summary.by_state.items():
            total.finished += n
            total.by_state[state] = total.by_state.get(state, 0) + n
        total.interrupted = total.interrupted or summary.interrupted
    return total


def run_study_workers(
    study: Study, workers: int, options: WorkerOptions, max_trials: int | None = None
) -> tuple[RunSummary, list[int]]:
    """Run ``workers`` processes on one study until its budget is spent or a signal.

    Returns the merged summary and the exit codes of workers that failed.
    """
    results = _FORK.SimpleQueue()
    processes = [_fork(_worker_main, study.pk, options, share, results) for share in split_budget(max_trials, workers)]
    interrupted: list[str] = []
    with forwarding_signals(lambda: processes, interrupted.append):
        for process in processes:
            process.join()
    summaries = []
    while not results.empty():
        summaries.append(results.get())
    summary = merge(summaries)
    summary.interrupted = summary.interrupted or bool(interrupted)
    return summary, [p.exitcode for p in processes if p.exitcode]


# --- run_worker: studies queued from the admin or the dashboard ---------------------


@dataclass
class QueueWorker:
    """Keeps up to ``concurrency`` studies running, each in its own worker process.

    Queued studies are claimed atomically (queued -> running, a conditional UPDATE),
    so two ``run_worker`` processes never both start the same run; when nothing is
    queued, a running study with unclaimed trials is joined.
    """

    options: WorkerOptions
    concurrency: int = 1
    poll: float = 2.0
    log: Callable[[str], None] = print
    max_studies: int | None = None  # stop after starting this many (tests, one-shot use)
    slots: dict = field(default_factory=dict)  # study id -> worker process
    started: int = 0
    stop_reason: str | None = None
    _next_sweep: float = 0.0
    failed: set = field(default_factory=set)  # studies whose worker here exited with an error

    def stop(self, reason: str) -> None:
        self.stop_reason = self.stop_reason or reason

    def run(self) -> None:
        with forwarding_signals(lambda: list(self.slots.values()), self.stop):
            self.log(f"run_worker: waiting for queued studies (concurrency {self.concurrency}, poll {self.poll:g} s)")
            while self.stop_reason is None:
                self.reap()
                self.fill()
                if self.max_studies is not None and self.started >= self.max_studies and not self.slots:
                    break
                self.sleep(self.poll)
            for process in list(self.slots.values()):
                process.join()
            self.reap()

    def sleep(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while self.stop_reason is None and time.monotonic() < end:
            if any(not p.is_alive() for p in self.slots.values()):
                return
            time.sleep(min(0.1, max(end - time.monotonic(), 0)))

    def reap(self) -> bool:
        reaped = False
        for study_id, process in list(self.slots.items()):
            if not process.is_alive():
                process.join()
                del self.slots[study_id]
                reaped = True
                if process.exitcode:  # e.g. its executor is not installed here: leave it to other workers
                    self.failed.add(study_id)
                self.log(f"study {study_id}: worker {process.pid} finished (exit {process.exitcode})")
        return reaped

    def sweep(self) -> None:
        """Fail lost trials of every running study, even one no worker here runs.

        Otherwise a study whose last trials belonged to a dead worker would stay
        ``running`` until someone ran it again by hand.
        """
        for study in selectors.running_studies():
            services.fail_stale_trials(study, self.options.heartbeat_grace)
            if self.options.retry_failed:
                services.requeue_failed(study, self.options.retry_failed)

    def fill(self) -> None:
        close_old_connections()
        if time.monotonic() >= self._next_sweep:
            self._next_sweep = time.monotonic() + max(sweep_interval(self.options.heartbeat_grace), self.poll)
            self.sweep()
        while len(self.slots) < self.concurrency and self.stop_reason is None:
            if self.max_studies is not None and self.started >= self.max_studies:
                return
            study = services.claim_queued_study() or services.joinable_study(exclude=set(self.slots) | self.failed)
            if study is None:
                return
            self.slots[study.pk] = _fork(_worker_main, study.pk, self.options, None, None)
            self.started += 1
            self.log(f"study {study.name}: started worker {self.slots[study.pk].pid}")
