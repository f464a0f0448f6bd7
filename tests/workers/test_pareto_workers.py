"""Workers finishing trials at once on PostgreSQL keep one consistent Pareto front."""

from __future__ import annotations

import json

import pytest

from studies.core.pareto import dominates
from studies.core.trials import Direction
from tests.test_multiobjective_run import ZDT1_SPEC


@pytest.mark.postgres
def test_three_workers_on_postgres_leave_the_brute_force_front(pg_project):
    spec = {**ZDT1_SPEC, "name": "pg-front", "n_trials": 30, "sampler": {"type": "random", "seed": 9}}
    pg_project.run("create_study", str(pg_project.write_spec(spec)))
    pg_project.run("run_study", "pg-front", "--workers", "3")
    doc = json.loads(pg_project.run("export_study", "pg-front", "--format", "json").stdout)
    feasible = [t for t in doc["trials"] if t["state"] == "completed" and t["feasible"]]
    directions = [Direction.MINIMIZE] * 2
    front = [
        t["number"] for t in feasible if not any(dominates(o["values"], t["values"], directions) for o in feasible)
    ]
    assert [b["number"] for b in doc["best_trials"]] == front and front
