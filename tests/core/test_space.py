import math

import pytest

from studies.core.errors import SpecError
from studies.core.space import CategoricalDimension, FloatDimension, IntDimension, parse_space


def errors_of(raw):
    with pytest.raises(SpecError) as info:
        parse_space(raw)
    return dict(info.value.errors)


def test_it_parses_every_dimension_type():
    space = parse_space(
        [
            {"name": "C", "type": "float", "low": 0.001, "high": 1000, "scale": "log"},
            {"name": "n", "type": "int", "low": 1, "high": 5},
            {"name": "kernel", "type": "categorical", "choices": ["rbf", "poly"]},
        ]
    )
    assert space.names == ["C", "n", "kernel"]
    assert isinstance(space["C"], FloatDimension) and space["C"].log
    assert isinstance(space["n"], IntDimension) and not space["n"].log
    assert isinstance(space["kernel"], CategoricalDimension)


@pytest.mark.parametrize(
    "dim, path, words",
    [
        ({"name": "x", "type": "float", "low": 1, "high": 1}, "[0].low", "less than high"),
        ({"name": "x", "type": "float", "low": 0, "high": 1, "scale": "log"}, "[0].low", "greater than 0"),
        ({"name": "x", "type": "int", "low": 0.5, "high": 3}, "[0].low", "integer"),
        ({"name": "x", "type": "categorical", "choices": []}, "[0].choices", "non-empty"),
        ({"name": "x", "type": "categorical", "choices": ["a", "a"]}, "[0].choices[1]", "duplicate"),
        ({"name": "x", "type": "float", "low": 0, "high": 1, "scale": "ln"}, "[0].scale", "'linear' or 'log'"),
        ({"name": "x", "type": "real", "low": 0, "high": 1}, "[0].type", "float, int, categorical"),
        ({"name": "", "type": "float", "low": 0, "high": 1}, "[0].name", "non-empty"),
        ({"name": "x", "type": "float", "low": 0, "hi": 1}, "[0].hi", "not a field"),
        ({"name": "x", "type": "float", "low": 0, "high": float("nan")}, "[0].high", "finite"),
    ],
)
def test_it_names_the_field_and_the_rule_of_a_bad_dimension(dim, path, words):
    errors = errors_of([dim])
    assert path in errors
    assert words in errors[path]


def test_it_reports_a_condition_naming_a_missing_parent():
    errors = errors_of([{"name": "degree", "type": "int", "low": 2, "high": 5, "when": {"kernel": ["poly"]}}])
    assert "missing dimension 'kernel'" in errors["[0].when.kernel"]


def test_it_reports_a_condition_value_the_parent_cannot_take():
    errors = errors_of(
        [
            {"name": "kernel", "type": "categorical", "choices": ["rbf"]},
            {"name": "degree", "type": "int", "low": 2, "high": 5, "when": {"kernel": ["poly"]}},
        ]
    )
    assert "'poly' is not a value of kernel" in errors["[1].when.kernel"]


def test_it_rejects_duplicate_names_and_cycles():
    assert "duplicate name" in errors_of([{"name": "x", "type": "int", "low": 0, "high": 2}] * 2)["[1].name"]
    cyclic = [
        {"name": "a", "type": "categorical", "choices": [1, 2], "when": {"b": [1]}},
        {"name": "b", "type": "categorical", "choices": [1, 2], "when": {"a": [1]}},
    ]
    assert "cycle" in errors_of(cyclic)[""]


def test_it_orders_parents_before_children_whatever_the_declared_order():
    space = parse_space(
        [
            {"name": "degree", "type": "int", "low": 2, "high": 5, "when": {"kernel": ["poly"]}},
            {"name": "kernel", "type": "categorical", "choices": ["rbf", "poly"]},
        ]
    )
    assert space.names == ["kernel", "degree"]


def test_a_conditional_dimension_is_active_only_for_the_listed_parent_values():
    space = parse_space(
        [
            {"name": "kernel", "type": "categorical", "choices": ["rbf", "poly"]},
            {"name": "degree", "type": "int", "low": 2, "high": 5, "when": {"kernel": ["poly"]}},
        ]
    )
    assert space.is_active(space["degree"], {"kernel": "poly"})
    assert not space.is_active(space["degree"], {"kernel": "rbf"})
    assert space.problems({"kernel": "rbf", "degree": 3}) == ["degree is set but its condition does not hold"]
    assert space.problems({"kernel": "poly"}) == ["degree is active but missing"]


@pytest.mark.parametrize(
    "dim",
    [
        FloatDimension("x", 0.001, 1000.0, log=True),
        FloatDimension("x", -5.0, 10.0),
        IntDimension("x", 1, 1024, log=True),
        IntDimension("x", -3, 7),
    ],
)
def test_unit_mapping_covers_the_range_and_round_trips(dim):
    assert dim.from_unit(0.0) == dim.low
    assert dim.from_unit(1.0) == dim.high
    for u in [0.0, 0.1, 0.37, 0.5, 0.93, 1.0]:
        value = dim.from_unit(u)
        assert dim.contains(value)
        assert math.isclose(dim.from_unit(dim.to_unit(value)), value, rel_tol=1e-9)


def test_log_scale_puts_the_midpoint_at_the_geometric_mean():
    assert math.isclose(FloatDimension("C", 0.001, 1000.0, log=True).from_unit(0.5), 1.0)


def test_int_dimensions_give_every_integer_an_equal_share():
    dim = IntDimension("n", 1, 4)
    picks = [dim.from_unit((i + 0.5) / 400) for i in range(400)]
    assert {v: picks.count(v) for v in set(picks)} == {1: 100, 2: 100, 3: 100, 4: 100}


def test_a_space_round_trips_through_its_spec_form():
    raw = [
        {"name": "C", "type": "float", "low": 0.001, "high": 1000.0, "scale": "log"},
        {"name": "kernel", "type": "categorical", "choices": ["rbf", "poly"]},
        {"name": "degree", "type": "int", "low": 2, "high": 5, "scale": "linear", "when": {"kernel": ["poly"]}},
    ]
    assert parse_space(raw).to_spec() == raw
