import pytest

from studies.core.errors import SpecError
from studies.core.space import parse_space
from studies.core.trialquery import ParamRange, parse_trial_query

SPACE = parse_space(
    [
        {"name": "lr", "type": "float", "low": 1e-5, "high": 1.0, "scale": "log"},
        {"name": "layers", "type": "int", "low": 1, "high": 8},
        {"name": "flag", "type": "categorical", "choices": [True, False, 3]},
    ]
)


def test_an_empty_query_lists_every_trial_by_number():
    query = parse_trial_query({}, SPACE)
    assert (query.sort, query.states, query.page, query.page_size) == ("number", (), 1, 50)


def test_it_reads_sorting_states_ranges_and_choices():
    query = parse_trial_query(
        {
            "sort": ["-param.lr"],
            "state": ["completed,pruned", "completed"],
            "min.lr": ["0.001"],
            "max.lr": ["0.1"],
            "max.layers": ["4"],
            "in.flag": ["true", "3"],
            "page": ["3"],
            "page_size": ["20"],
        },
        SPACE,
    )
    assert query.sort_param == "lr" and query.descending
    assert query.states == ("completed", "pruned")
    assert set(query.ranges) == {ParamRange("lr", 0.001, 0.1), ParamRange("layers", None, 4.0)}
    assert query.choices == (("flag", (True, 3)),)
    assert (query.page, query.page_size) == (3, 20)


def test_every_bad_field_is_named_with_its_fix():
    with pytest.raises(SpecError) as error:
        parse_trial_query(
            {
                "sort": ["colour"],
                "state": ["finished"],
                "min.lrr": ["1"],
                "in.lr": ["x"],
                "min.flag": ["1"],
                "max.layers": ["lots"],
                "page_size": ["1000"],
            },
            SPACE,
        )
    fields = dict(error.value.errors)
    assert set(fields) == {"sort", "state", "min.lrr", "in.lr", "min.flag", "max.layers", "page_size"}
    assert "lr, layers, flag" in fields["min.lrr"]
    assert "min.lr and max.lr" in fields["in.lr"]
    assert "in.flag" in fields["min.flag"]
    assert "between 1 and 200" in fields["page_size"]
