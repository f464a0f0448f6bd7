import math

import pytest

from studies.core.errors import ObjectiveError
from studies.core.outcome import check_reported, objective_from_result


def test_a_bare_number_is_the_objective():
    assert objective_from_result(0.5, "accuracy") == (0.5, {"accuracy": 0.5})


def test_a_dict_gives_the_objective_and_every_metric():
    assert objective_from_result({"accuracy": 0.9, "loss": 0.1}, "accuracy") == (0.9, {"accuracy": 0.9, "loss": 0.1})


@pytest.mark.parametrize(
    "result, words",
    [
        ({"loss": 0.1}, "objective metric 'accuracy' missing"),
        ({"accuracy": math.nan}, "nan"),
        (math.inf, "inf"),
        ({"accuracy": "high"}, "must return numbers"),
        ([0.5], "return a number or a dict"),
        (None, "return a number or a dict"),
        (True, "return a number or a dict"),
    ],
)
def test_an_unusable_result_fails_with_a_clear_message(result, words):
    with pytest.raises(ObjectiveError) as info:
        objective_from_result(result, "accuracy")
    assert words in str(info.value)


def test_reported_values_must_be_finite_numbers():
    assert check_reported({"acc": 1}) == {"acc": 1.0}
    for bad in ({}, {"acc": "x"}, {"acc": math.nan}):
        with pytest.raises(ObjectiveError):
            check_reported(bad)
