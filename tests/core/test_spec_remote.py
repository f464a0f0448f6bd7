"""The spec fields of remote trials: an optional executor, and max_retries."""

import copy

import pytest

from studies.core.errors import SpecError
from studies.core.params import check_params
from studies.core.spec import parse_spec
from tests.support.specs import DESIGN_SPEC

EXECUTORS = {"svm_digits"}


def spec_without_executor(**changes):
    raw = {**copy.deepcopy(DESIGN_SPEC), **changes}
    del raw["executor"]
    return raw


def test_a_spec_without_executor_is_for_remote_trials_and_round_trips():
    spec = parse_spec(spec_without_executor(max_retries=2), executors=EXECUTORS)
    assert spec.executor == "" and spec.max_retries == 2
    normalised = spec.to_dict()
    assert "executor" not in normalised and normalised["max_retries"] == 2
    assert parse_spec(normalised, executors=EXECUTORS).to_dict() == normalised


def test_an_existing_spec_keeps_its_exact_normal_form():
    normalised = parse_spec(copy.deepcopy(DESIGN_SPEC), executors=EXECUTORS).to_dict()
    assert normalised["executor"] == "svm_digits" and "max_retries" not in normalised


@pytest.mark.parametrize("bad", [-1, 101, 1.5, True, "2"])
def test_max_retries_must_be_a_small_whole_number(bad):
    with pytest.raises(SpecError) as info:
        parse_spec(spec_without_executor(max_retries=bad), executors=EXECUTORS)
    assert dict(info.value.errors)["max_retries"].startswith("must be an integer from 0 to 100")


def test_an_empty_executor_name_is_still_an_error():
    with pytest.raises(SpecError) as info:
        parse_spec({**copy.deepcopy(DESIGN_SPEC), "executor": ""}, executors=EXECUTORS)
    assert "omitted for remote trials only" in dict(info.value.errors)["executor"]


def test_enqueued_params_are_checked_dimension_by_dimension():
    space = parse_spec(copy.deepcopy(DESIGN_SPEC), executors=EXECUTORS).space
    assert check_params(space, {"C": 1.0, "kernel": "poly", "degree": 3.0}) == {"C": 1.0, "kernel": "poly", "degree": 3}
    with pytest.raises(SpecError) as info:
        check_params(space, {"C": 0, "kernel": "rbf", "degree": 3, "gamma": 1})
    errors = dict(info.value.errors)
    assert set(errors) == {"params.C", "params.degree", "params.gamma"}
    assert "inactive" in errors["params.degree"] and "kernel in ['poly']" in errors["params.degree"]
