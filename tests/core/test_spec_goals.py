"""Several objectives and constraints in the spec: parsed, normalised, every fault reported."""

from __future__ import annotations

import pytest

from studies.core.errors import SpecError
from studies.core.spec import parse_spec
from studies.core.trials import Direction
from tests.support.malformed_specs import LOSS, SIZE, spec

TWO = [LOSS, {"metric": "accuracy", "direction": "maximize"}]


def test_several_objectives_and_constraints_round_trip_through_the_normalised_form():
    parsed = parse_spec(spec(objective=..., objectives=TWO, constraints=[{"metric": "mem", "max": 2}]))
    assert parsed.all_goals.metrics == ("loss", "accuracy")
    assert parsed.all_goals.directions == (Direction.MINIMIZE, Direction.MAXIMIZE)
    assert (parsed.metric, parsed.direction) == ("loss", Direction.MINIMIZE)  # the first objective
    normal = parsed.to_dict()
    assert "objective" not in normal and normal["objectives"] == TWO
    assert normal["constraints"] == [{"metric": "mem", "max": 2.0}]
    assert parse_spec(normal).to_dict() == normal


def test_a_single_objective_spec_keeps_its_exact_form():
    normal = parse_spec(spec()).to_dict()
    assert normal["objective"] == LOSS and "objectives" not in normal and "constraints" not in normal


def test_constraints_go_with_a_single_objective_and_judge_feasibility():
    goals = parse_spec(spec(constraints=[{"metric": "mem", "min": 0, "max": 2}])).all_goals
    assert goals.feasible({"loss": 1.0, "mem": 2.0})
    assert not goals.feasible({"loss": 1.0, "mem": 2.5})
    assert not goals.feasible({"loss": 1.0})


def test_every_violation_is_reported_at_once_with_its_path():
    bad = spec(
        objective=...,
        objectives=[LOSS, LOSS, {**SIZE, "direction": "sideways"}],
        constraints=[{"metric": "mem", "min": 3, "max": 1}, {"metric": "cpu"}],
        pruner={"type": "median"},
    )
    with pytest.raises(SpecError) as refused:
        parse_spec(bad)
    paths = [path for path, _ in refused.value.errors]
    assert "objectives[2].direction" in paths
    assert "constraints[0].min" in paths and "constraints[1]" in paths


def test_a_repeated_objective_and_a_constrained_objective_are_both_named():
    bad = spec(objective=..., objectives=[LOSS, LOSS], constraints=[{"metric": "loss", "max": 1}])
    with pytest.raises(SpecError) as refused:
        parse_spec(bad)
    messages = dict(refused.value.errors)
    assert "repeats" in messages["objectives[1].metric"]
    assert "is an objective" in messages["constraints[0].metric"]
