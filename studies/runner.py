"""The trial loop of one worker: ask -> claim -> execute -> record -> publish.

State changes all go through ``studies.services`` (which appends the events); this
module only sequences them and runs the executor. ``execute`` is pluggable so the
same loop drives an executor in this process or in a child process.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable

from django.db import close_old_connections, connection

from . import services
from .core.pruners import make_pruner
from .core.samplers import make_sampler
from .core.trials import TrialOutcome, TrialState
from .executors import TrialContext, registry, run_executor
from .models import Study, StudyState, Trial
from .selectors import peers_at_step


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived while a trial ran (BaseException: executors can't swallow it)."""


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class RunSummary:
    finished: int = 0
    by_state: dict[str, int] = field(default_factory=dict)
    interrupted: bool = False

    def count(self, state: str) -> None:
        self.finished += 1
        self.by_state[state] = self.by_state.get(state, 0) + 1


class TrialHooks:
    """Executor callbacks for one trial: store reports, ask the pruner."""

    def __init__(self, trial: Trial, metric: str, pruner, direction):
        self.trial, self.metric, self.pruner, self.direction = trial, metric, pruner, direction
        self.objective_values: dict[int, float] = {}

    def report(self, step: int, metrics: dict[str, float]) -> None:
        services.record_intermediate(self.trial, step, metrics)
        if self.metric in metrics:
            self.objective_values[step] = metrics[self.metric]

    def should_prune(self, step: int) -> bool:
        if step not in self.objective_values:
            return False
        peers = peers_at_step(self.trial.study_id, self.metric, step)
        peers = [p for p in peers if p.number != self.trial.number]
        return self.pruner.should_prune(step, self.objective_values, peers, self.direction)


def execute_in_process(executor_name: str, trial: Trial, hooks: TrialHooks) -> TrialOutcome:
    fn = registry.get(executor_name).fn
    context = TrialContext(trial.number, trial.params, hooks.report, hooks.should_prune)
    return run_executor(fn, context, hooks.metric)


class Heartbeat:
    """Refreshes a running trial's heartbeat from a background thread."""

    def __init__(self, trial: Trial, interval: float):
        self.trial, self.interval = trial, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True)

    def _beat(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                services.heartbeat(self.trial)
        finally:
            connection.close()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


@contextmanager
def interrupt_on_signals():
    """Turn SIGINT/SIGTERM into ``Interrupted`` for the duration (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise Interrupted(signal.Signals(signum).name)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


class StudyRunner:
    def __init__(self, study: Study, worker_id: str | None = None, *, max_trials: int | None = None,
                 timeout: float | None = None, heartbeat_grace: float = 60.0,
                 execute: Callable[[str, Trial, TrialHooks], TrialOutcome] = execute_in_process,
                 on_trial_finished: Callable[[Study, Trial], None] | None = None):
        self.study = study
        self.worker_id = worker_id or default_worker_id()
        self.max_trials = max_trials
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.heartbeat_grace = heartbeat_grace
        self.execute = execute
        self.on_trial_finished = on_trial_finished
        spec = services.study_spec(study)
        self.spec = spec
        self.sampler = make_sampler(spec.sampler, spec.space, spec.direction)
        self.pruner = make_pruner(spec.pruner)

    def _may_take_another(self, summary: RunSummary) -> bool:
        if self.max_trials is not None and summary.finished >= self.max_trials:
            return False
        return self.deadline is None or time.monotonic() < self.deadline

    def run(self) -> RunSummary:
        summary = RunSummary()
        services.start_study(self.study)
        with interrupt_on_signals():
            try:
                while self._may_take_another(summary) and self.run_one(summary):
                    pass
            except Interrupted:
                summary.interrupted = True
        self._wind_down()
        return summary

    def run_one(self, summary: RunSummary) -> bool:
        """Claim and run one trial; False when there is nothing left to claim."""
        close_old_connections()
        services.fail_stale_trials(self.study, self.heartbeat_grace)
        claim = services.claim_trial(self.study, self.worker_id, self.sampler)
        if claim is None:
            return False
        trial = claim.trial
        hooks = TrialHooks(trial, self.spec.metric, self.pruner, self.spec.direction)
        try:
            with Heartbeat(trial, interval=max(self.heartbeat_grace / 4, 0.5)):
                outcome = self.execute(self.study.executor, trial, hooks)
        except Interrupted:
            services.finish_trial(trial, TrialOutcome.failed("interrupted: the worker was stopped by a signal"))
            summary.count(TrialState.FAILED.value)
            raise
        services.finish_trial(trial, outcome)
        summary.count(outcome.state.value)
        if self.on_trial_finished:
            self.study.refresh_from_db()
            self.on_trial_finished(self.study, trial)
        return True

    def _wind_down(self) -> None:
        """Leave the study ``stopped`` when this worker quits early and nobody else runs it."""
        self.study.refresh_from_db()
        if self.study.state != StudyState.RUNNING:
            return
        others_running = Trial.objects.filter(study=self.study, state=TrialState.RUNNING.value).exists()
        if not others_running:
            services.stop_study(self.study)
