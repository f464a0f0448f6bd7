"""Trial pages against a brute-force Python filter and sort over the same rows.

Run inside a project (``manage.py shell -c "...; main()"``) so one check serves SQLite and
PostgreSQL alike: it builds a synthetic study, asks the read side for every page of a
set of queries and prints the queries whose numbers differ from the brute force's.
"""

from __future__ import annotations

import json
import math
from typing import Any

N_TRIALS = 1500
QUERIES: list[dict[str, list[str]]] = [
    {},
    {"sort": ["param.lr"]},
    {"sort": ["-param.lr"], "state": ["completed"]},
    {"sort": ["param.activation"]},
    {"sort": ["-param.layers"], "min.layers": ["3"], "max.layers": ["5"]},
    {"min.lr": ["0.01"], "in.activation": ["relu"], "sort": ["param.lr"], "state": ["completed"]},
    {"max.lr": ["0.001"], "in.activation": ["tanh", "sigmoid"], "sort": ["-value"]},
    {"min.lr": ["0.5"], "max.lr": ["0.1"]},  # empty range: no trial
    {"sort": ["duration_ms"], "in.activation": ["sigmoid"]},
]


def _sort_key(trial: dict[str, Any], key: str) -> Any:
    if key.startswith("param."):
        return trial["params"].get(key[len("param.") :])
    return trial[key]


def brute_force(trials: list[dict[str, Any]], query) -> list[int]:
    """The trial numbers ``query`` selects, in its order (missing values last, then by number)."""
    kept = []
    for t in trials:
        if query.states and t["state"] not in query.states:
            continue
        p = t["params"]
        if any(
            r.name not in p or (r.low is not None and p[r.name] < r.low) or (r.high is not None and p[r.name] > r.high)
            for r in query.ranges
        ):
            continue
        if any(p.get(name) not in allowed for name, allowed in query.choices):
            continue
        kept.append(t)
    present = [t for t in kept if _sort_key(t, query.sort_key) is not None]
    missing = [t for t in kept if _sort_key(t, query.sort_key) is None]
    present.sort(key=lambda t: t["number"])  # ties: by number, whichever the direction
    present.sort(key=lambda t: _sort_key(t, query.sort_key), reverse=query.descending)
    return [t["number"] for t in present + sorted(missing, key=lambda t: t["number"])]


def served(study, query) -> list[int]:
    from dataclasses import replace

    from studies import selectors

    numbers: list[int] = []
    first = selectors.trial_page(study, replace(query, page=1, page_size=200))
    for page in range(1, first["pages"] + 1):
        body = selectors.trial_page(study, replace(query, page=page, page_size=200))
        numbers += [r["number"] for r in body["results"]]
    assert len(numbers) == first["count"], (len(numbers), first["count"])
    return numbers


def main() -> None:
    from bench.synthetic import build_finished_study
    from studies import selectors
    from studies.core.trialquery import parse_trial_query
    from studies.models import Trial

    study = build_finished_study("filters", N_TRIALS, seed=11, curves=0)
    trials = list(Trial.objects.filter(study=study).values("number", "state", "params", "value", "duration_ms"))
    space = selectors.study_space(study)
    wrong = []
    for raw in QUERIES:
        query = parse_trial_query(raw, space)
        expected, got = brute_force(trials, query), served(study, query)
        if expected != got:
            wrong.append({"query": raw, "expected": expected[:10], "got": got[:10], "n": [len(expected), len(got)]})
    assert not any(isinstance(t["value"], float) and math.isnan(t["value"]) for t in trials)
    print(json.dumps(wrong))
