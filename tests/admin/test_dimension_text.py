"""How the search-space editor reads and writes choices and conditions as text."""

from __future__ import annotations

import pytest

from studies.admin.dimensions import ValueSyntaxError, format_condition, format_values, parse_condition, parse_values


def test_comma_separated_values_become_json_scalars():
    assert parse_values("rbf, poly") == ["rbf", "poly"]
    assert parse_values('1, 2.5, true, null, "a b"') == [1, 2.5, True, None, "a b"]
    assert parse_values('["x,y", 3]') == ["x,y", 3]


@pytest.mark.parametrize("text", ["a,,b", "a, b,", '["a", ', "[1, NaN]", "[Infinity]"])
def test_unreadable_values_are_refused(text):
    with pytest.raises(ValueSyntaxError):
        parse_values(text)


def test_json_with_a_non_finite_constant_is_refused_saying_which():
    with pytest.raises(ValueSyntaxError, match="NaN is not a usable value"):
        parse_condition('{"kernel": NaN}')
    with pytest.raises(ValueSyntaxError, match="Expecting"):
        parse_condition('{"kernel": }')


def test_conditions_read_as_parent_and_values():
    assert parse_condition("kernel: poly, sigmoid") == {"kernel": ["poly", "sigmoid"]}
    assert parse_condition("kernel: poly; depth: 2, 3") == {"kernel": ["poly"], "depth": [2, 3]}
    assert parse_condition('{"kernel": ["poly"]}') == {"kernel": ["poly"]}
    assert parse_condition("") is None
    with pytest.raises(ValueSyntaxError):
        parse_condition("kernel poly")


@pytest.mark.parametrize(
    "values",
    [["rbf", "poly"], [1, 2, 3], ["1", 1], [True, "true"], ["a,b", "c"], [" padded", "x"], ["k: v"], [None, 0.5]],
)
def test_written_values_read_back_as_the_same_list(values):
    assert parse_values(format_values(values)) == values
    assert [type(v) for v in parse_values(format_values(values))] == [type(v) for v in values]


def test_simple_values_are_written_without_json():
    assert format_values(["rbf", "poly"]) == "rbf, poly"
    assert format_condition({"kernel": ["poly"], "depth": [2]}) == "kernel: poly; depth: 2"
    assert format_condition({"kernel": ["a;b"]}) == '{"kernel": ["a;b"]}'
