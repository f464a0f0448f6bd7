"""Parameter filters and sorts return exactly what a brute-force Python filter does,
on SQLite and on PostgreSQL (tests/support/trial_filters.py holds the queries)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Project

CHECK = "from tests.support.trial_filters import main; main()"


def mismatches(project: Project) -> list[dict]:
    return json.loads(project.run("shell", "-c", CHECK).stdout.strip().splitlines()[-1])


def test_filtered_sorted_pages_match_a_brute_force_filter_on_sqlite(project):
    assert mismatches(project) == []


def test_filtered_sorted_pages_match_a_brute_force_filter_on_postgres(tmp_path, migrated_postgres_url):
    assert mismatches(Project(tmp_path, database_url=migrated_postgres_url)) == []


@pytest.mark.parametrize("sort", ["param.lr", "-param.activation"])
def test_the_brute_force_orders_missing_values_last(sort):
    from studies.core.space import parse_space
    from studies.core.trialquery import parse_trial_query
    from tests.support.trial_filters import brute_force

    space = parse_space(
        [
            {"name": "lr", "type": "float", "low": 0.0, "high": 1.0},
            {"name": "activation", "type": "categorical", "choices": ["a", "b"]},
        ]
    )
    trials = [
        {"number": 0, "state": "completed", "params": {}, "value": 1.0},
        {"number": 1, "state": "completed", "params": {"lr": 0.5, "activation": "b"}, "value": 1.0},
        {"number": 2, "state": "completed", "params": {"lr": 0.2, "activation": "a"}, "value": 1.0},
    ]
    order = brute_force(trials, parse_trial_query({"sort": [sort]}, space))
    assert order[-1] == 0 and sorted(order) == [0, 1, 2]
