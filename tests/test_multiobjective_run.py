"""A two-objective study run end to end by ``run_study --workers 2``, checked by its export."""

from __future__ import annotations

import json

from studies.core.pareto import dominates
from studies.core.trials import Direction

ZDT1_SPEC = {
    "name": "zdt1-pair",
    "executor": "zdt1",
    "objectives": [{"metric": "f1", "direction": "minimize"}, {"metric": "f2", "direction": "minimize"}],
    "constraints": [{"metric": "distance", "max": 1.0}],
    "sampler": {"type": "bayesian", "seed": 4, "n_startup": 6},
    "n_trials": 16,
    "search_space": [{"name": f"x{i}", "type": "float", "low": 0, "high": 1} for i in (1, 2, 3)],
}


def test_two_workers_run_a_two_objective_study_whose_best_trials_are_its_front(project):
    project.run("create_study", str(project.write_spec(ZDT1_SPEC)))
    project.run("run_study", "zdt1-pair", "--workers", "2")
    doc = json.loads(project.run("export_study", "zdt1-pair", "--format", "json").stdout)
    assert doc["state"] == "completed" and doc["objectives"] == ZDT1_SPEC["objectives"]
    trials = doc["trials"]
    assert [t["number"] for t in trials] == list(range(16)) and all(t["state"] == "completed" for t in trials)
    for t in trials:
        assert t["values"] == [t["metrics"]["f1"], t["metrics"]["f2"]]
        assert t["feasible"] == (t["metrics"]["distance"] <= 1.0)
    feasible = [t for t in trials if t["feasible"]]
    directions = [Direction.MINIMIZE] * 2
    front = [t for t in feasible if not any(dominates(o["values"], t["values"], directions) for o in feasible)]
    expected = [{"number": t["number"], "values": t["values"], "params": t["params"]} for t in front]
    assert doc["best_trials"] == expected and expected
    assert "best_trial" not in doc


def test_run_study_reports_the_front_size_for_several_objectives(project):
    spec = {**ZDT1_SPEC, "name": "zdt1-small", "n_trials": 4, "sampler": {"type": "random", "seed": 1}}
    project.run("create_study", str(project.write_spec(spec)))
    out = project.run("run_study", "zdt1-small").stdout
    doc = json.loads(project.run("export_study", "zdt1-small", "--format", "json").stdout)
    assert f"Pareto front of {len(doc['best_trials'])} trial(s)" in out
