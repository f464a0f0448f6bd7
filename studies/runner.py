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
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone

from . import selectors, services
from .core.liveness import heartbeat_interval, sweep_interval
from .core.pruners import make_pruner
from .core.samplers import make_sampler
from .core.trials import TrialOutcome
from .execution import InProcessExecutor, TrialExecutor
from .executors import registry
from .models import Study, StudyState, Trial
from .pruning import should_prune
from .services.artifacts import save_artifact
from .services.logs import append_log

# Claim the next trial while the current one runs only when trials take less than this
# (seconds): a transaction's few milliseconds then matter, and the held trial waits little.
# (And only when a trial takes at least as long as storing one: a trial shorter than the
# transaction hides little of it, and holding costs a statement.)
HOLD_AHEAD_BELOW = 1.0


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

    def __init__(self, trial: Trial, metric: str, pruner, direction, beat: Callable[[], None]):
        self.trial, self.metric, self.pruner, self.direction = trial, metric, pruner, direction
        self.objective_values: dict[int, float] = {}
        self._beat = beat

    def heartbeat(self) -> None:
        """Beat this trial's heartbeat (and the worker's trial held ahead, when it has one)."""
        self._beat()

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

    def __init__(self, beat: Callable[[], None], interval: float):
        self.beat, self.interval = beat, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True)

    def _beat(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                self.beat()
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
        self._held: services.Claim | None = None  # claimed ahead, to start when the running trial ends
        self._running_since = 0.0  # time.monotonic() when the running trial started
        self._store_seconds = 0.0  # how long storing the last outcome took
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

    def _may_take_another(self, summary: RunSummary, in_flight: int = 0) -> bool:
        """May this worker claim one more trial, ``in_flight`` trials being already claimed or running?"""
        if self.stop_reason is not None:
            return False
        if self.max_trials is not None and summary.finished + in_flight >= self.max_trials:
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
                running = self._start(claim.trial) if claim is not None else None
                while running is not None:
                    running = self.run_started(running, summary)
            finally:
                self._release_held()
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

    def claim(self, ahead: bool = False) -> services.Claim | None:
        """The next trial for this worker (to hold ``ahead``), or None when nothing is left to claim."""
        self.maintain()
        claim = services.claim_trial(self.study, self.worker_id, self.sampler, ahead=ahead)
        if claim is None and self.retry_failed:
            self.maintain(force=True)  # a failed trial may be retried before we give up
            claim = services.claim_trial(self.study, self.worker_id, self.sampler, ahead=ahead)
        return claim

    def run_started(self, trial: Trial, summary: RunSummary) -> Trial | None:
        """Wait for a started trial, start the next, store the outcome; the trial now running.

        With a trial held ahead, the next one starts the moment this one ends, and the
        transaction that stores this outcome (and claims the one after) runs beside it:
        off the path between two trials. Holding ahead pays only for short trials (see
        ``HOLD_AHEAD_BELOW``); otherwise the next trial is claimed in the same transaction
        as this outcome is stored, and starts after it.
        """
        outcome = self.wait_for(trial)
        took = time.monotonic() - self._running_since
        summary.count(outcome.state.value)
        follower = self._start_held(summary)
        hold = self._worth_holding(took, summary)
        take_next = hold if follower is not None else self._may_take_another(summary)
        storing = time.monotonic()
        claim = self._store(trial, outcome, take_next, ahead=follower is not None, started=follower)
        self._store_seconds = time.monotonic() - storing
        if self.stop_reason is not None:
            self._release(claim, f"the worker was stopped by {self.stop_reason}")
            claim = None
        if follower is not None:
            self._held = claim
            return follower
        if claim is None:
            return None
        running = self._start(claim.trial)
        if hold:
            self._held = self.claim(ahead=True)  # beside the trial just started: the pipeline fills up
        return running

    def _store(
        self, trial: Trial, outcome: TrialOutcome, take_next: bool, ahead: bool, started: Trial | None
    ) -> services.Claim | None:
        """Store ``outcome``; with ``take_next`` claim the next trial (held ``ahead``) in the
        same transaction, which also stamps the start of the trial ``started`` meanwhile."""
        claim = None
        if take_next:
            self.maintain()
            claim = services.finish_and_claim(
                trial, outcome, self.worker_id, self.sampler, ahead=ahead, started=started
            )
            if claim is None and self.retry_failed:
                claim = self.claim(ahead=ahead)
        else:
            services.finish_trial(trial, outcome, started=started)
        if self.on_trial_finished:
            self.study.refresh_from_db()
            self.on_trial_finished(self.study, trial)
        return claim

    def _worth_holding(self, last_seconds: float, summary: RunSummary) -> bool:
        """Claim a trial ahead only when the executor runs beside us and trials are short.

        A held trial shows as running before it starts and is suggested without the
        result of the trial before it: worth it when the few milliseconds of a
        transaction are a real share of a trial, not for a trial of minutes; and when
        the trial lasts long enough to hide the transaction behind it.
        """
        return (
            self.execute.runs_alongside
            and self._store_seconds <= last_seconds < HOLD_AHEAD_BELOW
            and self._may_take_another(summary, in_flight=1)
        )

    def _start_held(self, summary: RunSummary) -> Trial | None:
        """Start the trial held ahead at once, if this worker may take another; else release it."""
        held, self._held = self._held, None
        if held is None:
            return None
        if not self._may_take_another(summary):
            why = f"stopped by {self.stop_reason}" if self.stop_reason else "at its --n-trials or --timeout"
            self._release(held, f"the worker was {why}")
            return None
        return self._start(held.trial)

    def _release_held(self) -> None:
        """On the way out (a signal or an error): the held trial goes back to the study."""
        held, self._held = self._held, None
        if held is not None:
            with suppress(DatabaseError):  # else it stays running and is failed as lost after the grace period
                self._release(held, f"the worker stopped ({self.stop_reason or 'an error'})")

    @staticmethod
    def _release(claim: services.Claim | None, why: str) -> None:
        """A trial claimed but never started goes back to ``waiting`` for the next claim."""
        if claim is not None:
            services.release_unstarted(claim.trial, f"not started: {why}")

    def _start(self, trial: Trial) -> Trial:
        """Hand ``trial`` to the executor; its start time is now, whenever it was claimed."""
        trial.started_at = timezone.now()
        self._running_since = time.monotonic()
        hooks = TrialHooks(trial, self.spec.metric, self.pruner, self.spec.direction, beat=self._beat_for(trial))
        self.execute.start(self.study.executor, trial, hooks)
        return trial

    def _beat_for(self, trial: Trial) -> Callable[[], None]:
        def beat() -> None:
            held = self._held
            services.heartbeat(trial, *([held.trial] if held is not None else []))

        return beat

    def wait_for(self, trial: Trial) -> TrialOutcome:
        """The started trial's outcome (failed "interrupted" on a signal)."""
        try:
            self._executing = True
            if self.stop_reason is not None:  # the signal came while claiming or storing
                raise Interrupted(self.stop_reason)
            if self.execute.beats_heartbeat:
                outcome = self.execute.wait()
            else:
                with Heartbeat(self._beat_for(trial), heartbeat_interval(self.heartbeat_grace)):
                    outcome = self.execute.wait()
        except Interrupted as exc:
            self.execute.cancel()
            refresh_connection()  # a signal may have cut a query short; reconnect if so
            outcome = TrialOutcome.failed(
                f"interrupted: the worker was stopped by {exc.args[0] if exc.args else 'a signal'}"
            )
        finally:
            self._executing = False
        return outcome

    def _wind_down(self) -> None:
        """Leave the study ``stopped`` when this worker quits early and nobody else runs it."""
        self.study.refresh_from_db()
        if self.study.state != StudyState.RUNNING:
            return
        if not selectors.has_running_trials(self.study):
            services.stop_study(self.study)
