"""Executors: the public API for writing one, and the built-in ones.

    from studies.executors import executor, TrialPruned

    @executor("my_model", description="...")
    def my_model(params, trial):
        trial.report(step, accuracy=...)
        if trial.should_prune():
            raise TrialPruned()
        return {"accuracy": ...}
"""

from .context import TrialContext, run_executor
from .registry import ExecutorInfo, TrialPruned, executor, registry

# Built-ins register on import; Django's autodiscovery imports this package.
from . import analytic, sklearn_demos  # noqa: E402,F401

__all__ = ["executor", "registry", "TrialPruned", "TrialContext", "run_executor", "ExecutorInfo"]
