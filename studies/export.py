"""The export format (DESIGN.md section 5): one JSON object, or CSV rows."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

from .models import Study
from .selectors import intermediate_by_trial, pareto_front_numbers, trial_rows


def study_document(study: Study) -> dict[str, Any]:
    """The JSON export; several objectives give ``values`` and ``best_trials`` (the front)."""
    intermediate = intermediate_by_trial(study)
    multi = "objectives" in study.spec
    trials = [
        {
            "number": t.number,
            "state": t.state,
            "params": t.params,
            **({"values": t.objective_values} if multi else {"value": t.value}),
            "feasible": t.feasible,
            "metrics": t.metrics,
            "intermediate": intermediate.get(t.pk, []),
            "duration_ms": t.duration_ms,
            "error": t.error or None,
        }
        for t in trial_rows(study)
    ]
    spec = study.spec
    goals = {key: spec[key] for key in ("objective", "objectives") if key in spec}
    if multi:
        front = set(pareto_front_numbers(study))
        best: dict[str, Any] = {
            "best_trials": [
                {"number": t["number"], "values": t["values"], "params": t["params"]}
                for t in trials
                if t["number"] in front
            ]
        }
    else:
        best = {"best_trial": _best_trial(study, trials)}
    return {
        "id": study.pk,
        "name": study.name,
        "executor": study.executor,
        **goals,
        "constraints": spec.get("constraints", []),
        "sampler": spec["sampler"],
        "pruner": spec["pruner"],
        "search_space": spec["search_space"],
        "n_trials": study.n_trials,
        "state": study.state,
        **best,
        "trials": trials,
    }


def _best_trial(study: Study, trials: list[dict[str, Any]]) -> dict[str, Any] | None:
    if study.best_trial_number is None:
        return None
    row = next(t for t in trials if t["number"] == study.best_trial_number)
    return {"number": row["number"], "value": row["value"], "params": row["params"]}


def to_json(study: Study) -> str:
    return json.dumps(study_document(study), indent=2)


def to_csv(study: Study) -> str:
    """A row per trial: fixed columns, then ``param_<name>`` and ``metric_<name>`` columns."""
    document = study_document(study)
    trials = document["trials"]
    params = sorted({name for t in trials for name in t["params"]})
    metrics = sorted({name for t in trials for name in t["metrics"]})
    # Several objectives: a column per objective, named by its metric, in the spec's order.
    objectives = [o["metric"] for o in document.get("objectives", [])]
    value_columns = [f"value_{m}" for m in objectives] if objectives else ["value"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["number", "state", *value_columns, "feasible", "duration_ms", "error"]
        + [f"param_{p}" for p in params]
        + [f"metric_{m}" for m in metrics]
    )
    for t in trials:
        values = (t["values"] or [None] * len(objectives)) if objectives else [t["value"]]
        writer.writerow(
            [t["number"], t["state"], *map(_cell, values), _cell(t["feasible"])]
            + [_cell(t["duration_ms"]), _cell(t["error"])]
            + [_cell(t["params"].get(p)) for p in params]
            + [_cell(t["metrics"].get(m)) for m in metrics]
        )
    return out.getvalue()


FORMATS = ("json", "csv")


def render(study: Study, fmt: str) -> str:
    """The whole export as ``export_study --format fmt`` writes it (ending in a newline)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    text = to_json(study) if fmt == "json" else to_csv(study)
    return text if text.endswith("\n") else text + "\n"


# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    return _neutralised(str(value))


def _neutralised(text: str) -> str:
    """OWASP's advice: a leading ' makes a formula-like cell plain text; plain numbers (-1.5) stay numbers."""
    if text.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text
