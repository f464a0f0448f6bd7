"""The interface between a worker's trial loop and whatever runs the executor.

``runner.StudyRunner`` drives one ``TrialExecutor``: ``prepare()`` once before it
claims any trial (so a bad setting fails before a trial is taken), ``start()`` then
``wait()`` for each trial (``run()`` is both), ``close()`` once when it stops. An
executor whose ``start`` returns while the trial runs elsewhere (``runs_alongside``)
lets the runner claim and store in the meantime. Two implementations: ``InProcessExecutor``
(here: the executor runs in the worker itself, ``run_study --in-process``) and
``isolation.ChildExecutor`` (a long-lived child process, so a crash, an OOM or a hang
fails one trial, not the worker).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar, Protocol

from .core.trials import TrialOutcome
from .executors import TrialContext, registry, run_executor


class ExecutionHooks(Protocol):
    """What a running trial may call back into: the worker's ``runner.TrialHooks``."""

    metric: str

    def report(self, step: int, metrics: dict[str, float]) -> None: ...

    def should_prune(self, step: int) -> bool: ...

    def log(self, text: str) -> None: ...

    def heartbeat(self) -> None: ...

    def save_artifact(self, name: str, source: bytes | str) -> None: ...


class ClaimedTrial(Protocol):
    """The parts of a claimed trial an executor needs (a ``models.Trial``)."""

    number: int
    params: dict[str, Any]


class TrialExecutor(ABC):
    """Runs one claimed trial's executor and returns its outcome."""

    # True when ``run`` refreshes the trial's heartbeat itself while it waits, so the
    # runner need not start a heartbeat thread.
    beats_heartbeat: ClassVar[bool] = False

    def prepare(self) -> None:  # noqa: B027 -- an optional hook, a no-op unless overridden
        """Set up before the first claim; nothing by default."""

    def close(self) -> None:  # noqa: B027 -- an optional hook, a no-op unless overridden
        """Release what ``prepare`` or ``run`` acquired; nothing by default."""

    # True when ``start`` returns while the trial runs (in another process), so the
    # runner's database work until ``wait`` overlaps the trial instead of delaying the next.
    runs_alongside: ClassVar[bool] = False

    _started: tuple[str, ClaimedTrial, ExecutionHooks] | None = None

    @abstractmethod
    def run(self, executor_name: str, trial: ClaimedTrial, hooks: ExecutionHooks) -> TrialOutcome:
        """Run ``trial`` with the registered executor ``executor_name``."""

    def start(self, executor_name: str, trial: ClaimedTrial, hooks: ExecutionHooks) -> None:
        """Begin ``trial``; by default nothing happens until ``wait`` runs it."""
        self._started = (executor_name, trial, hooks)

    def wait(self) -> TrialOutcome:
        """The outcome of the trial ``start`` began."""
        assert self._started is not None, "wait() without start()"
        started, self._started = self._started, None
        return self.run(*started)

    def cancel(self) -> None:
        """Abandon the trial ``start`` began (a signal arrived before ``wait``)."""
        self._started = None


class InProcessExecutor(TrialExecutor):
    """Runs the executor in the worker's own process and thread."""

    def run(self, executor_name: str, trial: ClaimedTrial, hooks: ExecutionHooks) -> TrialOutcome:
        fn = registry.get(executor_name).fn
        context = TrialContext(trial.number, trial.params, hooks.report, hooks.should_prune, hooks.save_artifact)
        return run_executor(fn, context, hooks.metric)
