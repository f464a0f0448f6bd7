"""Malformed study specs, each with the field its error must name.

``MALFORMED`` is a list of ``(id, spec, path)``: ``spec`` is a dict (Python values,
which may hold NaN, infinities or huge integers) or a ``str`` of raw JSON text to be
read as a file or request body; ``path`` is the spec path the error must name ("" for
the document as a whole, e.g. text that is not JSON). Every one must be refused with a
clear message, quickly, and nothing saved: ``create_study``, the admin form and the
HTTP API (``POST /api/studies/``) can all be swept with it. Every spec uses the test
executor ``quadratic`` (tests.support.executors), so only the named field is wrong.
"""

from __future__ import annotations

import copy
import json
from typing import Any

VALID = {
    "name": "sweep",
    "executor": "quadratic",
    "objective": {"metric": "loss", "direction": "minimize"},
    "sampler": {"type": "random", "seed": 1},
    "n_trials": 5,
    "search_space": [
        {"name": "x", "type": "float", "low": -1, "high": 1},
        {"name": "y", "type": "float", "low": -1, "high": 1},
    ],
}
XSS_NAME = "<img src=x onerror=alert(1)>"
LOSS = {"metric": "loss", "direction": "minimize"}
SIZE = {"metric": "size", "direction": "minimize"}


def spec(**changes: Any) -> dict:
    """VALID with top-level fields replaced; a value of ``...`` removes the field."""
    result = copy.deepcopy(VALID)
    for key, value in changes.items():
        if value is ...:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def dims(*items: Any, **changes: Any) -> dict:
    return spec(search_space=list(items), **changes)


def dim(**fields: Any) -> dict:
    return {"name": "x", "type": "float", "low": -1, "high": 1, **fields}


def cat(name: str = "k", choices: Any = ("a", "b"), **fields: Any) -> dict:
    return {
        "name": name,
        "type": "categorical",
        "choices": list(choices) if isinstance(choices, tuple) else choices,
        **fields,
    }


def grid(points: Any, n_trials: Any = 5, n_dims: int = 2) -> dict:
    sampler = {"type": "grid", "points_per_dim": points}
    space = [dim(name=f"x{i}") for i in range(n_dims)]
    return spec(sampler=sampler, search_space=space, n_trials=n_trials)


def raw(value: dict, **replacements: str) -> str:
    """JSON text of ``value`` with placeholder strings swapped for literal tokens (NaN, 1e999)."""
    text = json.dumps(value)
    for placeholder, token in replacements.items():
        text = text.replace(json.dumps(placeholder), token)
    return text


def chain(n: int) -> list[dict]:
    """``n`` int dimensions, each conditional on the next, listed children-first."""
    items = [{"name": f"d{i}", "type": "int", "low": 0, "high": 1, "when": {f"d{i + 1}": [1]}} for i in range(n - 1)]
    return [*items, {"name": f"d{n - 1}", "type": "int", "low": 0, "high": 1}]


def many_parents(n: int) -> list[dict]:
    """``n`` two-valued parents and one child conditional on all of them: 2**n grid branches."""
    parents = [cat(f"p{i}", [0, 1]) for i in range(n)]
    return [*parents, dim(name="child", when={f"p{i}": [1] for i in range(n)})]


MALFORMED: list[tuple[str, dict | str, str]] = [
    # --- the text itself
    ("text-not-json", "{not json", ""),
    ("text-truncated", json.dumps(VALID)[:-1], ""),
    ("text-empty", "", ""),
    ("text-a-list", "[]", ""),
    ("text-nested-200k-deep", "[" * 200_000 + "]" * 200_000, ""),
    ("text-nan-literal-bound", raw(dims(dim(low="@")), **{"@": "NaN"}), "search_space[0].low"),
    (
        "text-infinity-literal-choice",
        raw(dims(cat(choices=["a", "@"])), **{"@": "Infinity"}),
        "search_space[0].choices[1]",
    ),
    ("text-1e999-bound", raw(dims(dim(high="@")), **{"@": "1e999"}), "search_space[0].high"),
    (
        "text-minus-infinity-when",
        raw(dims(cat(), dim(when={"k": ["@"]})), **{"@": "-Infinity"}),
        "search_space[1].when.k[0]",
    ),
    ("text-nan-n-trials", raw(spec(n_trials="@"), **{"@": "NaN"}), "n_trials"),
    # --- names and strings the database or the pages cannot take
    ("name-trailing-newline", spec(name="evil\n"), "name"),
    ("name-nul", spec(name="ev\x00il"), "name"),
    ("name-too-long", spec(name="n" * 101), "name"),
    ("name-a-list", spec(name=["a"]), "name"),
    ("name-missing", spec(name=...), "name"),
    ("description-nul", spec(description="a\x00b"), "description"),
    ("description-too-long", spec(description="d" * 10_001), "description"),
    ("description-a-number", spec(description=5), "description"),
    ("executor-unknown", spec(executor="nope"), "executor"),
    ("executor-a-list", spec(executor=["quadratic"]), "executor"),
    ("executor-nul", spec(executor="quad\x00ratic"), "executor"),
    ("metric-over-200-chars", spec(objective={"metric": "m" * 201, "direction": "minimize"}), "objective.metric"),
    ("metric-nul", spec(objective={"metric": "lo\x00ss", "direction": "minimize"}), "objective.metric"),
    ("metric-newline", spec(objective={"metric": "loss\n", "direction": "minimize"}), "objective.metric"),
    ("metric-empty", spec(objective={"metric": "", "direction": "minimize"}), "objective.metric"),
    ("objective-a-string", spec(objective="loss"), "objective"),
    ("direction-a-list", spec(objective={"metric": "loss", "direction": ["minimize"]}), "objective.direction"),
    ("unknown-field", spec(extra=1), "extra"),
    ("unknown-field-with-newline", spec(**{"bad\nkey": 1}), "['bad\\nkey']"),
    # --- budget
    ("n-trials-zero", spec(n_trials=0), "n_trials"),
    ("n-trials-over-cap", spec(n_trials=10**8), "n_trials"),
    ("n-trials-infinite", spec(n_trials=float("inf")), "n_trials"),
    ("n-trials-a-string", spec(n_trials="5"), "n_trials"),
    ("n-trials-boolean", spec(n_trials=True), "n_trials"),
    ("n-trials-missing-for-random", spec(n_trials=...), "n_trials"),
    # --- samplers
    ("sampler-a-string", spec(sampler="random"), "sampler"),
    ("sampler-type-a-list", spec(sampler={"type": ["random"]}), "sampler.type"),
    ("sampler-type-unknown", spec(sampler={"type": "annealing"}), "sampler.type"),
    ("seed-negative", spec(sampler={"type": "random", "seed": -1}), "sampler.seed"),
    ("seed-beyond-64-bits", spec(sampler={"type": "random", "seed": 2**64}), "sampler.seed"),
    ("seed-nan", spec(sampler={"type": "random", "seed": float("nan")}), "sampler.seed"),
    ("seed-fractional", spec(sampler={"type": "random", "seed": 1.5}), "sampler.seed"),
    ("grid-points-zero", grid(0), "sampler.points_per_dim"),
    ("grid-points-1e6", grid(10**6), "sampler.points_per_dim"),
    ("grid-points-1e9", grid(10**9), "sampler.points_per_dim"),
    ("grid-points-1e30", grid(10**30), "sampler.points_per_dim"),
    ("grid-size-over-cap-without-n-trials", grid(1000, n_trials=..., n_dims=3), "n_trials"),
    ("grid-n-trials-over-grid-size", grid(2, n_trials=5), "n_trials"),
    ("grid-1500-dims", grid(2, n_dims=1500), "search_space"),
    ("grid-conditions-explode", dims(*many_parents(40), sampler={"type": "grid"}, n_trials=5), "search_space"),
    ("bayesian-n-startup-zero", spec(sampler={"type": "bayesian", "n_startup": 0}), "sampler.n_startup"),
    ("bayesian-n-startup-huge", spec(sampler={"type": "bayesian", "n_startup": 10**400}), "sampler.n_startup"),
    # --- pruners
    ("pruner-type-a-list", spec(pruner={"type": ["median"]}), "pruner.type"),
    ("pruner-percentile-nan", spec(pruner={"type": "percentile", "percentile": float("nan")}), "pruner.percentile"),
    ("pruner-warmup-huge", spec(pruner={"type": "median", "n_warmup_steps": 2**70}), "pruner.n_warmup_steps"),
    ("pruner-unknown-option", spec(pruner={"type": "median", "patience": 3}), "pruner.patience"),
    # --- the search space and its dimensions
    ("space-an-object", spec(search_space={"x": 1}), "search_space"),
    ("space-empty", spec(search_space=[]), "search_space"),
    ("space-101-dims", dims(*[dim(name=f"x{i}") for i in range(101)]), "search_space"),
    ("dimension-a-string", dims("x"), "search_space[0]"),
    ("dimension-type-a-list", dims(dim(type=["float"])), "search_space[0].type"),
    ("dimension-type-unknown", dims(dim(type="complex")), "search_space[0].type"),
    ("dimension-name-script", dims(dim(name=XSS_NAME)), "search_space[0].name"),
    ("dimension-name-empty", dims(dim(name="")), "search_space[0].name"),
    ("dimension-name-trailing-newline", dims(dim(name="x\n")), "search_space[0].name"),
    ("dimension-name-65-chars", dims(dim(name="x" * 65)), "search_space[0].name"),
    ("dimension-name-nul", dims(dim(name="x\x00")), "search_space[0].name"),
    ("dimension-name-a-number", dims(dim(name=3)), "search_space[0].name"),
    ("dimension-names-twice", dims(dim(), dim()), "search_space[1].name"),
    ("low-nan", dims(dim(low=float("nan"))), "search_space[0].low"),
    ("high-infinity", dims(dim(high=float("inf"))), "search_space[0].high"),
    ("low-integer-beyond-a-double", dims(dim(type="int", low=0, high=2**60)), "search_space[0].high"),
    ("low-above-high", dims(dim(low=2, high=1)), "search_space[0].low"),
    ("log-from-zero", dims(dim(low=0, scale="log")), "search_space[0].low"),
    ("width-overflows", dims(dim(low=-1e308, high=1e308)), "search_space[0].high"),
    ("int-fractional-low", dims(dim(type="int", low=0.5, high=3)), "search_space[0].low"),
    ("scale-a-list", dims(dim(scale=["log"])), "search_space[0].scale"),
    ("choices-empty", dims(cat(choices=[])), "search_space[0].choices"),
    ("choices-a-string", dims(cat(choices="a,b")), "search_space[0].choices"),
    ("choices-nan", dims(cat(choices=["a", float("nan")])), "search_space[0].choices[1]"),
    ("choices-nested-list", dims(cat(choices=["a", ["b"]])), "search_space[0].choices[1]"),
    ("choices-object", dims(cat(choices=["a", {"b": 1}])), "search_space[0].choices[1]"),
    ("choices-1001", dims(cat(choices=list(range(1001)))), "search_space[0].choices"),
    ("choices-20000", dims(cat(choices=list(range(20_000)))), "search_space[0].choices"),
    ("choices-duplicate", dims(cat(choices=["a", "b", "a"])), "search_space[0].choices[2]"),
    ("choices-integer-beyond-a-double", dims(cat(choices=[1, 10**20])), "search_space[0].choices[1]"),
    ("choices-string-nul", dims(cat(choices=["a", "b\x00"])), "search_space[0].choices[1]"),
    ("choices-string-too-long", dims(cat(choices=["a", "b" * 201])), "search_space[0].choices[1]"),
    ("when-a-list", dims(cat(), dim(when=["k"])), "search_space[1].when"),
    ("when-missing-parent", dims(cat(), dim(when={"nope": ["a"]})), "search_space[1].when.nope"),
    ("when-parent-name-with-newline", dims(cat(), dim(when={"k\n": ["a"]})), "search_space[1].when['k\\n']"),
    ("when-value-nan", dims(cat(choices=[1, 2]), dim(when={"k": [float("nan")]})), "search_space[1].when.k[0]"),
    ("when-value-not-a-choice", dims(cat(), dim(when={"k": ["c"]})), "search_space[1].when.k"),
    ("when-on-itself", dims(cat(when={"k": ["a"]})), "search_space[0].when.k"),
    ("when-on-a-float", dims(dim(name="f"), dim(when={"f": [0.5]})), "search_space[1].when.f"),
    ("when-cycle", dims(cat("a", when={"b": ["x"]}), cat("b", ("x", "y"), when={"a": ["a"]})), "search_space"),
    ("when-chain-400-children-first", dims(*chain(400)), "search_space"),
    # --- several objectives and constraints (DESIGN.md section 9)
    ("objectives-and-objective", spec(objectives=[LOSS, SIZE]), "objectives"),
    ("objectives-only-one", spec(objective=..., objectives=[LOSS]), "objectives"),
    ("objectives-five", spec(objective=..., objectives=[{**LOSS, "metric": f"m{i}"} for i in range(5)]), "objectives"),
    ("objectives-a-dict", spec(objective=..., objectives=LOSS), "objectives"),
    ("objectives-repeated-metric", spec(objective=..., objectives=[LOSS, LOSS]), "objectives[1].metric"),
    (
        "objectives-bad-direction",
        spec(objective=..., objectives=[LOSS, {**SIZE, "direction": "up"}]),
        "objectives[1].direction",
    ),
    (
        "objectives-metric-nul",
        spec(objective=..., objectives=[LOSS, {**SIZE, "metric": "s\x00"}]),
        "objectives[1].metric",
    ),
    ("objectives-with-a-pruner", spec(objective=..., objectives=[LOSS, SIZE], pruner={"type": "median"}), "pruner"),
    ("constraint-on-the-objective", spec(constraints=[{"metric": "loss", "max": 1}]), "constraints[0].metric"),
    ("constraint-min-above-max", spec(constraints=[{"metric": "mem", "min": 2, "max": 1}]), "constraints[0].min"),
    ("constraint-without-bounds", spec(constraints=[{"metric": "mem"}]), "constraints[0]"),
    ("constraint-bound-a-string", spec(constraints=[{"metric": "mem", "max": "2"}]), "constraints[0].max"),
    ("constraint-bound-infinite", spec(constraints=[{"metric": "mem", "max": float("inf")}]), "constraints[0].max"),
    (
        "constraint-repeated",
        spec(constraints=[{"metric": "mem", "max": 1}, {"metric": "mem", "min": 0}]),
        "constraints[1].metric",
    ),
    ("constraint-unknown-key", spec(constraints=[{"metric": "mem", "maximum": 1}]), "constraints[0].maximum"),
    ("constraints-not-a-list", spec(constraints={"metric": "mem", "max": 1}), "constraints"),
]
