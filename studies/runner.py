"""The trial loop of one worker: ask -> claim -> execute -> record -> publish.

State changes all go through ``studies.services`` (which appends the events); this
module only sequences them and runs the executor through a ``TrialExecutor``
(``studies.execution``), in this process or in a child process.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import close_old_connections, connection

from . import selectors, services
from .core.liveness import heartbeat_interval, sweep_interval
from .core.pruners import make_pruner
from .core.samplers import make_sampler
from .core.trials import TrialOutcome, TrialState
from .execution import InProcessExecutor, TrialExecutor
from .executors import registry
from .models import Study, StudyState, Trial
from .pruning import should_prune
from .services.artifacts import save_artifact
from .services.logs import append_log


def refresh_connection() -> None:
    """Drop a broken or expired database connection, never one inside a transaction."""
    if not connection.in_atomic_block:
        close_old_connections()


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

    def log(self, text: str) -> None:
        """Store output the executor wrote (read by ``isolation`` from its process's fds)."""
        append_log(self.trial, text)

    def save_artifact(self, name: str, source: bytes | str) -> None:
        """Store a file the executor saved (bytes, or the absolute path of a file to read)."""
        save_artifact(self.trial, name, source)

    def should_prune(self, step: int) -> bool:
        return should_prune(
            study_id=self.trial.study_id,
            number=self.trial.number,
            metric=self.metric,
            step=step,
            own=self.objective_values,
            pruner=self.pruner,
            direction=self.direction,
        )


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
def stop_on_signals(on_signal: Callable[[str], None]):
    """Call ``on_signal(name)`` on SIGINT/SIGTERM for the duration (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        on_signal(signal.Signals(signum).name)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


class StudyRunner:
    """One worker's loop over one study.

    A first SIGINT/SIGTERM stops the loop from taking new trials; if a trial is
    executing it is interrupted and stored as failed ("interrupted"), and a later
    run resumes the budget. Housekeeping that other workers depend on (failing trials
    whose worker vanished, re-queueing failed ones) runs at most every
    ``maintenance_interval`` seconds, not on every trial: its granularity is the grace
    period anyway, and skipping it keeps the per-trial cost to one transaction (finishing
    a trial and claiming the next are one commit, see ``services.finish_and_claim``).
    """

    def __init__(
        self,
        study: Study,
        worker_id: str | None = None,
        *,
        max_trials: int | None = None,
        timeout: float | None = None,
        heartbeat_grace: float = 60.0,
        retry_failed: int = 0,
        execute: TrialExecutor | None = None,
        on_trial_finished: Callable[[Study, Trial], None] | None = None,
    ):
        self.study = study
        self.worker_id = worker_id or default_worker_id()
        self.max_trials = max_trials
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.heartbeat_grace = heartbeat_grace
        self.retry_failed = retry_failed
        self.execute = execute or InProcessExecutor()
        self.on_trial_finished = on_trial_finished
        self.maintenance_interval = max(sweep_interval(heartbeat_grace), 0.25)
        self._next_maintenance = 0.0
        self.stop_reason: str | None = None
        self._executing = False
        spec = services.study_spec(study)
        self.spec = spec
        self.sampler = make_sampler(spec.sampler, spec.space, spec.direction, spec.all_goals)
        self.pruner = make_pruner(spec.pruner)

    def request_stop(self, reason: str) -> None:
        """Take no new trial; interrupt the executing one (signal handler, main thread)."""
        if self.stop_reason is not None:
            return  # a second signal (Ctrl-C reaches every process of the group) changes nothing
        self.stop_reason = reason
        if self._executing:
            raise Interrupted(reason)

    def _may_take_another(self, summary: RunSummary) -> bool:
        if self.stop_reason is not None:
            return False
        if self.max_trials is not None and summary.finished >= self.max_trials:
            return False
        return self.deadline is None or time.monotonic() < self.deadline

    def run(self) -> RunSummary:
        summary = RunSummary()
        if not self.study.executor:
            raise LookupError(
                f"study {self.study.name!r} has no executor: its trials come from remote clients "
                f"(POST /api/studies/{self.study.pk}/ask/); give it an executor in the admin to run it here"
            )
        registry.get(self.study.executor)  # LookupError naming the registered executors, before any claim
        self.execute.prepare()  # e.g. start the executor process, so a bad setting fails before any claim
        with stop_on_signals(self.request_stop):
            try:
                services.start_study(self.study)
                claim = self.claim() if self._may_take_another(summary) else None
                while claim is not None:
                    claim = self.run_claimed(claim.trial, summary)
            finally:
                self.execute.close()
                summary.interrupted = self.stop_reason is not None
                self._wind_down()
        return summary

    def maintain(self, force: bool = False) -> None:
        """Fail trials of vanished workers and re-queue failed ones, when it is time."""
        now = time.monotonic()
        if not force and now < self._next_maintenance:
            return
        self._next_maintenance = now + self.maintenance_interval
        refresh_connection()
        services.fail_stale_trials(self.study, self.heartbeat_grace)
        if self.retry_failed:
            services.requeue_failed(self.study, self.retry_failed)

    def claim(self) -> services.Claim | None:
        """The next trial for this worker, or None when nothing is left to claim."""
        self.maintain()
        claim = services.claim_trial(self.study, self.worker_id, self.sampler)
        if claim is None and self.retry_failed:
            self.maintain(force=True)  # a failed trial may be retried before we give up
            claim = services.claim_trial(self.study, self.worker_id, self.sampler)
        return claim

    def run_claimed(self, trial: Trial, summary: RunSummary) -> services.Claim | None:
        """Run a claimed trial, store its outcome and (same transaction) claim the next one."""
        outcome = self.execute_trial(trial)
        summary.count(outcome.state.value)
        claim = None
        if self._may_take_another(summary):
            self.maintain()
            claim = services.finish_and_claim(trial, outcome, self.worker_id, self.sampler)
            if claim is None and self.retry_failed:
                claim = self.claim()
        else:
            services.finish_trial(trial, outcome)
        if self.on_trial_finished:
            self.study.refresh_from_db()
            self.on_trial_finished(self.study, trial)
        if self.stop_reason is not None:
            self._release(claim, summary)
            return None
        return claim

    def _release(self, claim: services.Claim | None, summary: RunSummary) -> None:
        """A signal arrived while claiming: the new trial never ran."""
        if claim is not None:
            services.finish_trial(
                claim.trial,
                TrialOutcome.failed(
                    f"interrupted: the worker was stopped by {self.stop_reason} before the trial started"
                ),
            )
            summary.count(TrialState.FAILED.value)

    def execute_trial(self, trial: Trial) -> TrialOutcome:
        hooks = TrialHooks(trial, self.spec.metric, self.pruner, self.spec.direction)
        try:
            self._executing = True
            if self.stop_reason is not None:  # the signal came while claiming
                raise Interrupted(self.stop_reason)
            if self.execute.beats_heartbeat:
                return self.execute.run(self.study.executor, trial, hooks)
            with Heartbeat(trial, interval=heartbeat_interval(self.heartbeat_grace)):
                return self.execute.run(self.study.executor, trial, hooks)
        except Interrupted as exc:
            refresh_connection()  # a signal may have cut a query short; reconnect if so
            return TrialOutcome.failed(
                f"interrupted: the worker was stopped by {exc.args[0] if exc.args else 'a signal'}"
            )
        finally:
            self._executing = False

    def _wind_down(self) -> None:
        """Leave the study ``stopped`` when this worker quits early and nobody else runs it."""
        self.study.refresh_from_db()
        if self.study.state != StudyState.RUNNING:
            return
        if not selectors.has_running_trials(self.study):
            services.stop_study(self.study)
