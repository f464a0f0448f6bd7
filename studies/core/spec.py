"""The study spec (DESIGN.md section 2): parse, validate, normalise.

Every violation is collected with its path in the spec, so one bad field does not hide
the next, and a caller can show each message beside the field it concerns.
"""

from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import dataclass
from typing import Any

from .errors import SpecError
from .pruners import parse_pruner
from .samplers import make_sampler, parse_sampler
from .space import SearchSpace, parse_space
from .trials import Direction

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
MAX_TRIALS = 10_000_000
MAX_RETRIES = 100
TOP_LEVEL_FIELDS = {
    "name",
    "description",
    "executor",
    "objective",
    "sampler",
    "n_trials",
    "pruner",
    "search_space",
    "max_retries",
}


@dataclass(frozen=True)
class StudySpec:
    name: str
    executor: str  # "" for a study whose trials come only from remote clients
    metric: str
    direction: Direction
    sampler: dict
    pruner: dict
    n_trials: int
    space: SearchSpace
    description: str = ""
    max_retries: int = 0  # times a failed trial (e.g. a lost remote client's) is re-queued

    def to_dict(self) -> dict:
        """The normalised JSON form: defaults filled in, round-trips through parse_spec."""
        spec = {
            "name": self.name,
            "description": self.description,
            "executor": self.executor,
            "objective": {"metric": self.metric, "direction": self.direction.value},
            "sampler": dict(self.sampler),
            "n_trials": self.n_trials,
            "pruner": dict(self.pruner),
            "search_space": self.space.to_spec(),
        }
        # Optional fields appear only when set, so older specs keep their exact form.
        if not self.executor:
            del spec["executor"]
        if self.max_retries:
            spec["max_retries"] = self.max_retries
        return spec


def parse_spec(raw: Any, executors: Container[str] | None = None) -> StudySpec:
    """Validate a whole spec. ``executors``: the registered names, when known."""
    if not isinstance(raw, dict):
        raise SpecError([("", "the spec must be a JSON object")])
    errors: list[tuple[str, str]] = []
    for key in sorted(set(raw) - TOP_LEVEL_FIELDS):
        errors.append((key, f"is not a spec field; allowed: {', '.join(sorted(TOP_LEVEL_FIELDS))}"))

    name = raw.get("name")
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        errors.append(
            ("name", f"must be 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit (got {name!r})")
        )
    description = raw.get("description", "")
    if not isinstance(description, str):
        errors.append(("description", "must be a string"))

    executor = _parse_executor(raw.get("executor"), executors, errors)

    metric, direction = _parse_objective(raw.get("objective"), errors)
    space = _section(errors, "search_space", parse_space, raw.get("search_space"))
    pruner = _section(errors, "pruner", parse_pruner, raw.get("pruner"))
    sampler = _section(errors, "sampler", parse_sampler, raw.get("sampler", {"type": "random"}), space)
    n_trials = _parse_budget(raw.get("n_trials"), sampler, space, errors)
    max_retries = _parse_retries(raw.get("max_retries", 0), errors)
    if errors:
        raise SpecError(errors)
    return StudySpec(
        name=name,
        executor=executor,
        metric=metric,
        direction=direction,
        sampler=sampler,
        pruner=pruner,
        n_trials=n_trials,
        space=space,
        description=description,
        max_retries=max_retries,
    )


def _parse_executor(raw: Any, executors: Container[str] | None, errors: list) -> str:
    if raw is None:
        return ""  # remote-only: trials come from clients of POST /api/studies/<id>/ask/
    if not isinstance(raw, str) or not raw:
        errors.append(
            ("executor", "must name a registered executor (see list_executors), or be omitted for remote trials only")
        )
    elif executors is not None and raw not in executors:
        known = ", ".join(sorted(executors)) or "none registered"
        errors.append(("executor", f"unknown executor {raw!r}; registered: {known}"))
    return raw


def _parse_retries(raw: Any, errors: list) -> int:
    if not isinstance(raw, int) or isinstance(raw, bool) or not 0 <= raw <= MAX_RETRIES:
        errors.append(("max_retries", f"must be an integer from 0 to {MAX_RETRIES} (got {raw!r})"))
        return 0
    return raw


def _section(errors: list, prefix: str, parse, *args):
    try:
        return parse(*args)
    except SpecError as exc:
        errors.extend(exc.prefixed(prefix).errors)
        return None


def _parse_objective(raw: Any, errors: list) -> tuple[str | None, Direction | None]:
    if not isinstance(raw, dict):
        errors.append(("objective", 'must be an object like {"metric": "accuracy", "direction": "maximize"}'))
        return None, None
    for key in sorted(set(raw) - {"metric", "direction"}):
        errors.append((f"objective.{key}", "is not an objective field; allowed: direction, metric"))
    metric = raw.get("metric")
    if not isinstance(metric, str) or not metric:
        errors.append(("objective.metric", "must be the name of the metric to optimise"))
    try:
        direction = Direction(raw.get("direction"))
    except ValueError:
        errors.append(("objective.direction", f"must be 'minimize' or 'maximize' (got {raw.get('direction')!r})"))
        direction = None
    return metric, direction


def _parse_budget(raw: Any, sampler: dict | None, space: SearchSpace | None, errors: list) -> int | None:
    grid_size = None
    if sampler is not None and space is not None and sampler["type"] == "grid":
        grid_size = make_sampler(sampler, space, Direction.MINIMIZE).size()
    if raw is None:
        if grid_size is not None:
            return grid_size
        if sampler is not None:
            errors.append(
                ("n_trials", f"is required for a {sampler['type']} sampler; give the number of trials to run")
            )
        return None
    if not isinstance(raw, int) or isinstance(raw, bool) or not 1 <= raw <= MAX_TRIALS:
        errors.append(("n_trials", f"must be an integer from 1 to {MAX_TRIALS} (got {raw!r})"))
        return None
    if grid_size is not None and raw > grid_size:
        errors.append(
            (
                "n_trials",
                f"is {raw} but the grid has only {grid_size} points; "
                "lower it, omit it, or raise sampler.points_per_dim",
            )
        )
        return None
    return raw
