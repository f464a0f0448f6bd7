"""The study spec (DESIGN.md section 2): parse, validate, normalise.

Every violation is collected with its path in the spec, so one bad field does not hide
the next, and a caller can show each message beside the field it concerns.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, TypeVar

from .errors import SpecError
from .goals import Goals, Objective, parse_goals
from .limits import (
    MAX_DESCRIPTION_LENGTH,
    key_path,
    shown,
    text_problem,
)
from .pruners import parse_pruner
from .samplers import make_sampler, parse_sampler
from .space import SearchSpace, parse_space
from .trials import Direction

# Matched with fullmatch: "$" would also accept a name ending in a newline.
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
MAX_TRIALS = 10_000_000
MAX_RETRIES = 100
T = TypeVar("T")
TOP_LEVEL_FIELDS = {
    "name",
    "description",
    "executor",
    "objective",
    "objectives",
    "constraints",
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
    sampler: dict[str, Any]
    pruner: dict[str, Any]
    n_trials: int
    space: SearchSpace
    description: str = ""
    max_retries: int = 0  # times a failed trial (e.g. a lost remote client's) is re-queued
    # Every objective (``metric``/``direction`` are the first's) and the constraints.
    goals: Goals | None = None

    def __post_init__(self) -> None:
        if self.goals is None:
            object.__setattr__(self, "goals", Goals((Objective(self.metric, self.direction),)))

    @property
    def all_goals(self) -> Goals:
        assert self.goals is not None  # filled in by __post_init__
        return self.goals

    def to_dict(self) -> dict[str, Any]:
        """The normalised JSON form: defaults filled in, round-trips through parse_spec."""
        spec = {
            "name": self.name,
            "description": self.description,
            "executor": self.executor,
            **self.all_goals.to_spec(),
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


def parse_spec(raw: Any, executors: Collection[str] | None = None, *, stored: bool = False) -> StudySpec:
    """Validate a whole spec. ``executors``: the registered names, when known.

    ``stored``: a spec read back from the database, see ``parse_space``.
    """
    if not isinstance(raw, dict):
        raise SpecError([("", "the spec must be a JSON object")])
    errors: list[tuple[str, str]] = []
    for key in sorted(set(raw) - TOP_LEVEL_FIELDS):
        errors.append((key_path("", key), f"is not a spec field; allowed: {', '.join(sorted(TOP_LEVEL_FIELDS))}"))

    name, description = _parse_labels(raw, errors)
    executor = _parse_executor(raw.get("executor"), executors, errors)

    space = _section(errors, "search_space", parse_space, raw.get("search_space"), stored)
    pruner = _section(errors, "pruner", parse_pruner, raw.get("pruner"))
    goals = parse_goals(raw, pruner, errors)
    sampler = _section(errors, "sampler", parse_sampler, raw.get("sampler", {"type": "random"}), space)
    n_trials = _parse_budget(raw.get("n_trials"), sampler, space, errors)
    max_retries = _parse_retries(raw.get("max_retries", 0), errors)
    if errors:
        raise SpecError(errors)
    # Reached only without errors, so every part parsed; this tells the type checker so.
    assert goals is not None and n_trials is not None and space is not None
    assert sampler is not None and pruner is not None
    return StudySpec(
        name=name,
        executor=executor,
        metric=goals.objectives[0].metric,
        direction=goals.objectives[0].direction,
        goals=goals,
        sampler=sampler,
        pruner=pruner,
        n_trials=n_trials,
        space=space,
        description=description,
        max_retries=max_retries,
    )


def _parse_labels(raw: dict[str, Any], errors: list[tuple[str, str]]) -> tuple[Any, Any]:
    """The study's name and description, as given (checked into ``errors``)."""
    name: Any = raw.get("name")
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        errors.append(
            (
                "name",
                f"must be 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit (got {shown(name)})",
            )
        )
    description = raw.get("description", "")
    if not isinstance(description, str):
        errors.append(("description", "must be a string"))
    elif problem := text_problem(description, MAX_DESCRIPTION_LENGTH, controls=True):
        errors.append(("description", problem))
    return name, description


def _parse_executor(raw: Any, executors: Collection[str] | None, errors: list[tuple[str, str]]) -> str:
    if raw is None:
        return ""  # remote-only: trials come from clients of POST /api/studies/<id>/ask/
    if not isinstance(raw, str) or not raw or text_problem(raw, 200):
        errors.append(
            ("executor", "must name a registered executor (see list_executors), or be omitted for remote trials only")
        )
        return ""
    if executors is not None and raw not in executors:
        known = ", ".join(sorted(executors)) or "none registered"
        errors.append(("executor", f"unknown executor {shown(raw)}; registered: {known}"))
    return raw


def _parse_retries(raw: Any, errors: list[tuple[str, str]]) -> int:
    if not isinstance(raw, int) or isinstance(raw, bool) or not 0 <= raw <= MAX_RETRIES:
        errors.append(("max_retries", f"must be an integer from 0 to {MAX_RETRIES} (got {shown(raw)})"))
        return 0
    return raw


def _section(errors: list[tuple[str, str]], prefix: str, parse: Callable[..., T], *args: Any) -> T | None:
    try:
        return parse(*args)
    except SpecError as exc:
        errors.extend(exc.prefixed(prefix).errors)
        return None


def _parse_budget(
    raw: Any, sampler: dict[str, Any] | None, space: SearchSpace | None, errors: list[tuple[str, str]]
) -> int | None:
    grid_size = None
    if sampler is not None and space is not None and sampler["type"] == "grid":
        try:
            grid_size = make_sampler(sampler, space, Direction.MINIMIZE).size()
        except SpecError as exc:
            errors.extend(exc.prefixed("search_space").errors)
            return None
    if raw is None:
        if grid_size is not None and grid_size <= MAX_TRIALS:
            return grid_size
        if grid_size is not None:
            errors.append(
                (
                    "n_trials",
                    f"is required: the grid has {_count_text(grid_size)} points, more than the {MAX_TRIALS} "
                    "trials a study may run; give n_trials or lower sampler.points_per_dim",
                )
            )
        elif sampler is not None:
            errors.append(
                ("n_trials", f"is required for a {sampler['type']} sampler; give the number of trials to run")
            )
        return None
    if not isinstance(raw, int) or isinstance(raw, bool) or not 1 <= raw <= MAX_TRIALS:
        errors.append(("n_trials", f"must be an integer from 1 to {MAX_TRIALS} (got {shown(raw)})"))
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


def _count_text(n: int) -> str:
    """A grid's size for a message: exact when short, else its order of magnitude."""
    digits = str(n)
    return digits if len(digits) <= 15 else f"about 10^{len(digits) - 1}"
