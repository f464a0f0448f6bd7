import copy

import pytest

from studies.core.errors import SpecError
from studies.core.spec import parse_spec
from tests.support.specs import DESIGN_SPEC

EXECUTORS = {"svm_digits", "branin"}


def design_spec(**changes):
    """The spec of DESIGN.md section 2, with changes."""
    return {**copy.deepcopy(DESIGN_SPEC), **changes}


def errors_of(raw):
    with pytest.raises(SpecError) as info:
        parse_spec(raw, executors=EXECUTORS)
    return dict(info.value.errors)


def test_the_design_spec_parses_and_normalises():
    spec = parse_spec(design_spec(), executors=EXECUTORS)
    assert spec.n_trials == 40 and spec.metric == "accuracy" and spec.direction.value == "maximize"
    assert spec.pruner == {"type": "median", "n_warmup_steps": 2, "n_min_trials": 5}
    again = parse_spec(spec.to_dict(), executors=EXECUTORS)
    assert again.to_dict() == spec.to_dict()


def test_grid_budget_defaults_to_the_grid_size():
    spec = parse_spec(design_spec(sampler={"type": "grid", "points_per_dim": 3}, n_trials=None), executors=EXECUTORS)
    # 3 values of C x (rbf + poly x 3 distinct degrees {2, 4, 5})
    assert spec.n_trials == 3 * (1 + 3)


@pytest.mark.parametrize(
    "changes, path, words",
    [
        ({"executor": "nope"}, "executor", "unknown executor 'nope'"),
        ({"sampler": {"type": "annealing"}}, "sampler.type", "must be one of"),
        ({"sampler": {"type": "random", "seed": -1}}, "sampler.seed", "non-negative"),
        ({"sampler": {"type": "grid", "points_per_dim": 0}}, "sampler.points_per_dim", "positive"),
        ({"sampler": {"type": "grid", "points_per_dim": 2}, "n_trials": 100}, "n_trials", "grid has only"),
        ({"n_trials": 0}, "n_trials", "from 1"),
        ({"n_trials": None}, "n_trials", "required"),
        ({"objective": {"metric": "accuracy", "direction": "up"}}, "objective.direction", "'minimize' or 'maximize'"),
        ({"objective": {"direction": "maximize"}}, "objective.metric", "metric to optimise"),
        ({"pruner": {"type": "percentile"}}, "pruner.percentile", "between 0 and 100"),
        ({"pruner": {"type": "median", "n_min_trials": -2}}, "pruner.n_min_trials", "non-negative"),
        ({"pruner": {"type": "asha"}}, "pruner.type", "must be one of"),
        ({"pruner": {"type": "hyperband"}}, "pruner.max_resource", "integer from 1"),
        ({"name": "has space"}, "name", "letters, digits"),
        ({"search_space": []}, "search_space", "non-empty list"),
        ({"colour": "blue"}, "colour", "not a spec field"),
    ],
)
def test_each_violation_names_its_path(changes, path, words):
    errors = errors_of(design_spec(**changes))
    assert path in errors, errors
    assert words in errors[path]


def test_all_violations_are_reported_together():
    raw = design_spec(executor="nope", n_trials=0)
    raw["search_space"][0]["low"] = 5000
    errors = errors_of(raw)
    assert {"executor", "n_trials", "search_space[0].low"} <= set(errors)


def test_the_error_message_is_one_line_naming_each_field():
    with pytest.raises(SpecError) as info:
        parse_spec(design_spec(executor="nope"), executors=EXECUTORS)
    assert "\n" not in str(info.value)
    assert str(info.value).startswith("executor: unknown executor 'nope'")


def test_a_spec_that_is_not_an_object_is_refused():
    assert "" in errors_of(["not", "an", "object"])
