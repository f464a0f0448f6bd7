"""Several objectives and constraints over the remote API: stored values, the live front, the export."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from studies import services
from studies.core.pareto import dominates
from studies.core.trials import Direction
from studies.export import render
from studies.models import Study, StudyEvent, Trial
from tests.remote.conftest import remote_spec

pytestmark = pytest.mark.django_db
OBJECTIVES = [{"metric": "value", "direction": "minimize"}, {"metric": "size", "direction": "maximize"}]
DIRECTIONS = [Direction.MINIMIZE, Direction.MAXIMIZE]


def two_objective_study(n_trials: int = 30) -> Study:
    spec = remote_spec("pareto", n_trials=n_trials, constraints=[{"metric": "mem", "max": 0.8}])
    del spec["objective"]
    return services.create_study({**spec, "objectives": OBJECTIVES})


def ask_and_tell(api, study, metrics) -> int:
    number = api.post(f"/api/studies/{study.pk}/ask/", {}).json()["number"]
    told = api.post(f"/api/studies/{study.pk}/trials/{number}/tell/", {"state": "completed", "metrics": metrics})
    assert told.status_code == 200, told.content
    return number


def brute_front(trials) -> set[int]:
    feasible = [t for t in trials if t.feasible]
    return {
        t.number
        for t in feasible
        if not any(dominates(o.objective_values, t.objective_values, DIRECTIONS) for o in feasible)
    }


def test_the_front_of_feasible_trials_is_kept_as_trials_are_told(api):
    study = two_objective_study()
    rng = np.random.default_rng(5)
    for _ in range(30):
        # Coarse values so that ties and repeated vectors occur.
        value, size, mem = (float(v) for v in np.round(rng.random(3) * 5) / 5)
        ask_and_tell(api, study, {"value": value, "size": size, "mem": mem})
    trials = list(Trial.objects.filter(study=study))
    assert all(t.feasible == (t.metrics["mem"] <= 0.8) for t in trials)
    on_front = {t.number for t in trials if t.on_front}
    assert on_front == brute_front(trials) and on_front
    study.refresh_from_db()
    assert study.front_size == len(on_front) and study.best_trial_number is None
    events = StudyEvent.objects.filter(study=study, type="pareto_updated").order_by("id")
    assert events.last().data["front_size"] == len(on_front)
    # Every trial that joined and is gone again was named as removed by a later event.
    joined = {e.data["number"] for e in events}
    removed = {n for e in events for n in e.data["removed"]}
    assert joined - removed == on_front


def test_the_export_lists_the_front_values_and_feasibility(api):
    study = two_objective_study(n_trials=3)
    ask_and_tell(api, study, {"value": 1.0, "size": 1.0, "mem": 0.1})
    ask_and_tell(api, study, {"value": 0.5, "size": 2.0, "mem": 0.9})  # better but infeasible
    ask_and_tell(api, study, {"value": 2.0, "size": 3.0, "mem": 0.2})
    document = json.loads(render(study, "json"))
    assert document["objectives"] == OBJECTIVES and "objective" not in document
    assert document["constraints"] == [{"metric": "mem", "max": 0.8}]
    assert [b["number"] for b in document["best_trials"]] == [0, 2]
    assert document["best_trials"][1]["values"] == [2.0, 3.0]
    assert [t["feasible"] for t in document["trials"]] == [True, False, True]
    rows = list(csv.DictReader(io.StringIO(render(study, "csv"))))
    assert rows[1]["value_value"] == "0.5" and rows[1]["value_size"] == "2.0" and rows[1]["feasible"] == "false"


def test_tell_without_every_objective_is_refused_and_names_the_missing_one(api):
    study = two_objective_study(n_trials=2)
    number = api.post(f"/api/studies/{study.pk}/ask/", {}).json()["number"]
    told = api.post(f"/api/studies/{study.pk}/trials/{number}/tell/", {"state": "completed", "value": 1.0})
    assert told.status_code == 400 and "size" in told.content.decode()
    assert Trial.objects.get(study=study, number=number).state == "running"


def test_a_single_objective_study_with_a_constraint_picks_the_best_feasible_trial(api):
    study = services.create_study(remote_spec("limited", constraints=[{"metric": "mem", "max": 1.0}]))
    ask_and_tell(api, study, {"value": 3.0, "mem": 0.5})
    ask_and_tell(api, study, {"value": 1.0, "mem": 2.0})  # better, but over the limit
    ask_and_tell(api, study, {"value": 2.0, "mem": 1.0})
    study.refresh_from_db()
    assert (study.best_trial_number, study.best_value) == (2, 2.0)
    document = json.loads(render(study, "json"))
    assert document["best_trial"]["number"] == 2 and document["trials"][1]["feasible"] is False


def test_the_trial_table_sorts_by_each_objective_and_shows_feasibility(api, client, runner_user):
    study = two_objective_study(n_trials=3)
    ask_and_tell(api, study, {"value": 1.0, "size": 3.0, "mem": 0.1})
    ask_and_tell(api, study, {"value": 3.0, "size": 1.0, "mem": 0.9})
    ask_and_tell(api, study, {"value": 2.0, "size": 2.0, "mem": 0.2})
    client.force_login(runner_user)
    by_size = client.get(f"/api/studies/{study.pk}/trials/", {"sort": "-objective.1"}).json()["results"]
    assert [t["number"] for t in by_size] == [0, 2, 1]
    assert by_size[0]["values"] == [1.0, 3.0] and [t["feasible"] for t in by_size] == [True, True, False]
    by_value = client.get(f"/api/studies/{study.pk}/trials/", {"sort": "objective.0"}).json()["results"]
    assert [t["number"] for t in by_value] == [0, 2, 1]
    assert client.get(f"/api/studies/{study.pk}/trials/", {"sort": "objective.9"}).status_code == 400


def test_the_pareto_endpoint_gives_points_front_and_hypervolume(api, client, runner_user):
    study = two_objective_study(n_trials=3)
    ask_and_tell(api, study, {"value": 1.0, "size": 1.0, "mem": 0.1})
    ask_and_tell(api, study, {"value": 0.5, "size": 2.0, "mem": 0.9})  # infeasible
    ask_and_tell(api, study, {"value": 2.0, "size": 3.0, "mem": 0.2})
    client.force_login(runner_user)
    data = client.get(f"/api/studies/{study.pk}/pareto/").json()
    assert [(p["number"], p["feasible"], p["on_front"]) for p in data["points"]] == [
        (0, True, True),
        (1, False, False),
        (2, True, True),
    ]
    # Reference: the worst feasible values pushed 10% of their range out: value 2.1, size 0.8.
    assert data["reference"] == pytest.approx([2.1, 0.8])
    assert [n for n, _ in data["hypervolume"]] == [0, 2]
    assert data["hypervolume"][-1][1] == pytest.approx(1.1 * 0.2 + 0.1 * 2.2 - 0.1 * 0.2)  # two boxes, one overlap
