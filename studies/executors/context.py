"""What an executor sees as ``trial``, and turning its return into a TrialOutcome."""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable
from typing import Any

from studies.core.artifacts import check_name
from studies.core.errors import ObjectiveError
from studies.core.outcome import check_reported, objective_from_result
from studies.core.trials import TrialOutcome

from .registry import ExecutorFn, TrialPruned

# An artifact as the worker receives it: the bytes, or the absolute path of a file to read.
SaveArtifact = Callable[[str, bytes | str], None]


class TrialContext:
    """``trial.report(step, **metrics)``, ``trial.should_prune()`` and
    ``trial.save_artifact(name, path_or_bytes)`` for one trial.

    The callbacks hide where the trial runs: in-process they write to the database,
    in a child process they message the worker that owns the trial.
    """

    def __init__(
        self,
        number: int,
        params: dict[str, Any],
        on_report: Callable[[int, dict[str, float]], None],
        on_should_prune: Callable[[int], bool],
        on_save_artifact: SaveArtifact | None = None,
    ):
        self.number = number
        self.params = params
        self._on_report = on_report
        self._on_should_prune = on_should_prune
        self._on_save_artifact = on_save_artifact
        self.last_step: int | None = None

    def report(self, step: int, **metrics: float) -> None:
        if not isinstance(step, int) or isinstance(step, bool) or step < 0:
            raise ValueError(f"report() step must be a non-negative integer (got {step!r})")
        clean = check_reported(metrics)
        self.last_step = step
        self._on_report(step, clean)

    def should_prune(self) -> bool:
        if self.last_step is None:
            return False
        return bool(self._on_should_prune(self.last_step))

    def save_artifact(self, name: str, path_or_bytes: bytes | bytearray | memoryview | str | os.PathLike[str]) -> None:
        """Store a file for this trial: listed, downloadable (and, for images, shown) on its page.

        ``path_or_bytes``: the file's content, or the path of a file (read before this
        returns, so it may be deleted after). Saving a name again replaces its file.
        Raises ``ArtifactError`` (a ValueError) for a bad name, a missing file or one
        larger than SOMATIZE_ARTIFACT_MAX_BYTES. Once this returns, the file is stored:
        a later crash of the trial does not lose it.
        """
        clean = check_name(name)
        source: bytes | str
        if isinstance(path_or_bytes, (bytes, bytearray, memoryview)):
            source = bytes(path_or_bytes)
        elif isinstance(path_or_bytes, (str, os.PathLike)):
            source = os.path.abspath(path_or_bytes)  # the worker reads it, from its own directory
        else:
            raise TypeError(f"save_artifact() takes bytes or a path, not {type(path_or_bytes).__name__}")
        if self._on_save_artifact is None:
            raise RuntimeError("save_artifact() is not available where this trial runs")
        self._on_save_artifact(clean, source)


def run_executor(fn: ExecutorFn, context: TrialContext, metric: str) -> TrialOutcome:
    """Call the executor; every way it can end becomes exactly one outcome."""
    try:
        result = fn(dict(context.params), context)
    except TrialPruned as exc:
        step = context.last_step
        return TrialOutcome.pruned(step, str(exc) or f"pruned at step {step}")
    except Exception as exc:  # any executor error fails this trial only
        return TrialOutcome.failed(f"{type(exc).__name__}: {exc}", traceback.format_exc())
    try:
        value, metrics = objective_from_result(result, metric)
    except ObjectiveError as exc:
        return TrialOutcome.failed(str(exc))
    return TrialOutcome.completed(value, metrics)
