"""Executors: the public API for writing one, and the built-in ones.

from studies.executors import executor, TrialPruned

@executor("my_model", description="...")
def my_model(params, trial):
    trial.report(step, accuracy=...)
    if trial.should_prune():
        raise TrialPruned()
    return {"accuracy": ...}
"""

# Built-ins register on import; Django's autodiscovery imports this package.
from . import analytic, multiobjective, sklearn_demos  # noqa: F401
from .context import TrialContext, run_executor
from .registry import ExecutorInfo, TrialPruned, executor, registry

__all__ = ["ExecutorInfo", "TrialContext", "TrialPruned", "executor", "registry", "run_executor"]
