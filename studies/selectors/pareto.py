"""The Pareto plot's data: every completed trial's objective vector, the front, the hypervolume."""

from __future__ import annotations

from ..core.goals import goals_from_stored
from ..core.hypervolume import default_reference, hypervolume_history
from ..core.trials import TrialState
from ..models import Study, Trial
from ..shapes import ParetoData, ParetoPoint
from .cursor import read_at_cursor

# Exact hypervolumes recomputed for the curve at most this often: 3-4 objectives with a
# large front cost up to a second each, and the curve is a picture, not a score.
MAX_EVALUATIONS = 100


def pareto_data(study: Study) -> ParetoData:
    return read_at_cursor(lambda cursor: _pareto_at(study, cursor))[1]


def _pareto_at(study: Study, cursor: int) -> ParetoData:
    goals = goals_from_stored(study.spec)
    rows = (
        Trial.objects.filter(study=study, state=TrialState.COMPLETED.value, objective_values__isnull=False)
        .order_by("number")
        .values_list("number", "objective_values", "feasible", "on_front")
    )
    points: list[ParetoPoint] = [
        {"number": n, "values": values or [], "feasible": bool(feasible), "on_front": on_front}
        for n, values, feasible, on_front in rows
    ]
    feasible = [p for p in points if p["feasible"]]
    reference = default_reference([p["values"] for p in feasible], goals.directions) if feasible else None
    curve: list[list[float]] = []
    if reference is not None:
        volumes = hypervolume_history([p["values"] for p in feasible], goals.directions, reference, MAX_EVALUATIONS)
        curve = [[p["number"], v] for p, v in zip(feasible, volumes, strict=True)]
    return {
        "objectives": [o.to_dict() for o in goals.objectives],
        "points": points,
        "hypervolume": curve,
        "reference": reference,
        "last_event_id": cursor,
    }
