"""The interface between a worker's trial loop and whatever runs the executor.

``runner.StudyRunner`` drives one ``TrialExecutor``: ``prepare()`` once before it
claims any trial (so a bad setting fails before a trial is taken), ``run()`` for each
trial, ``close()`` once when it stops. Two implementations: ``InProcessExecutor``
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

    @abstractmethod
    def run(self, executor_name: str, trial: ClaimedTrial, hooks: ExecutionHooks) -> TrialOutcome:
        """Run ``trial`` with the registered executor ``executor_name``."""


class InProcessExecutor(TrialExecutor):
    """Runs the executor in the worker's own process and thread."""

    def run(self, executor_name: str, trial: ClaimedTrial, hooks: ExecutionHooks) -> TrialOutcome:
        fn = registry.get(executor_name).fn
        context = TrialContext(trial.number, trial.params, hooks.report, hooks.should_prune, hooks.save_artifact)
        return run_executor(fn, context, hooks.metric)
