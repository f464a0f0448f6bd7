"""``Study.optimize``: the ask → run → tell loop, on one thread or several."""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import time
from typing import TYPE_CHECKING, Any

from .errors import Conflict, NoTrialAvailable, ServerUnreachable, ValidationError
from .trial import INTERRUPT_TELL_SECONDS, Trial

if TYPE_CHECKING:
    from .client import Objective, Study

log = logging.getLogger("somatize_client")


class _Run:
    """The state shared by the threads of one ``optimize`` call: budget, stop flag, first error."""

    def __init__(self, study: Study, objective: Objective, n_trials: int | None, timeout: float | None):
        self.study, self.objective = study, objective
        self.remaining = math.inf if n_trials is None else n_trials
        self.deadline = math.inf if timeout is None else time.monotonic() + timeout
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.running: set[Trial] = set()
        self.trials: list[Trial] = []
        self.error: BaseException | None = None

    def take(self) -> bool:
        """Claim one trial of this call's budget; False when it is time to stop."""
        with self.lock:
            if self.stop.is_set() or self.remaining <= 0 or time.monotonic() >= self.deadline:
                return False
            self.remaining -= 1
            return True

    def work(self) -> None:
        """One thread's loop. Errors other than the objective's own stop every thread."""
        try:
            while self.take():
                try:
                    trial = self.study.ask()
                except NoTrialAvailable:
                    self.stop.set()  # the budget is used up or everything left is running
                    return
                self.run_one(trial)
        except BaseException as exc:
            with self.lock:
                self.error = self.error or exc
            self.stop.set()
            raise

    def run_one(self, trial: Trial) -> None:
        with self.lock:
            self.running.add(trial)
            self.trials.append(trial)
        try:
            with trial:  # tells pruned / failed (with the traceback) / interrupted
                outcome = self.objective(trial)
                tell_outcome(trial, outcome)
        except ServerUnreachable:
            raise  # retried for long already: stop, rather than fail trial after trial
        except Exception as exc:
            log.warning("somatize: trial %d failed: %s: %s", trial.number, type(exc).__name__, exc)
        finally:
            with self.lock:
                self.running.discard(trial)

    def interrupt(self) -> None:
        """Ctrl-C while threads run trials: fail each running trial "interrupted", from here."""
        self.stop.set()
        with self.lock:
            running = list(self.running)
        for trial in running:
            try:
                trial.tell_failed("interrupted", retry_for=INTERRUPT_TELL_SECONDS)
            except Exception as exc:  # going down anyway: say so, don't mask the Ctrl-C
                log.warning("somatize: could not tell trial %d interrupted: %s", trial.number, exc)


def tell_outcome(trial: Trial, outcome: Any) -> None:
    """Tell what the objective returned; a result the server refuses fails the trial instead."""
    try:
        if isinstance(outcome, dict):
            trial.tell(metrics=outcome)
        elif isinstance(outcome, (int, float)) and not isinstance(outcome, bool):
            trial.tell(outcome)
        else:
            raise TypeError(f"the objective returned {outcome!r}: return a number or a dict of metrics")
    except Conflict:
        raise  # the server ended the trial meanwhile (declared lost): nothing left to tell
    except (ValueError, TypeError, ValidationError) as exc:
        trial.tell_failed(f"bad result: {exc}")
        log.warning("somatize: trial %d failed: bad result: %s", trial.number, exc)


def optimize(
    study: Study, objective: Objective, *, n_trials: int | None, n_jobs: int, timeout: float | None
) -> list[Trial]:
    if n_jobs < 1:
        raise ValueError(f"n_jobs must be at least 1, not {n_jobs}")
    run = _Run(study, objective, n_trials, timeout)
    if n_jobs == 1:
        run.work()  # in this thread, so Ctrl-C interrupts the objective itself
        return run.trials
    # Daemon threads: after Ctrl-C their trials are told "interrupted" from here and the
    # process may exit without waiting for objectives that cannot be interrupted.
    threads = [threading.Thread(target=_quiet(run.work), daemon=True, name=f"somatize-{i}") for i in range(n_jobs)]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(0.2)  # short joins keep the main thread responsive to Ctrl-C
    except KeyboardInterrupt:
        run.interrupt()
        raise
    if run.error is not None:
        raise run.error
    return run.trials


def _quiet(work: Any) -> Any:
    """The thread's target: its error is re-raised by the main thread, not printed twice."""

    def target() -> None:
        with contextlib.suppress(BaseException):
            work()

    return target
