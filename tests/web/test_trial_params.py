"""Filters and sorts by a parameter read the typed TrialParam rows, written by the claim
and enqueue services (and by the data migration for trials that existed before them):
conditional (absent) parameters, log-scale floats, text and numeric categorical choices."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext

from studies import selectors, services
from studies.core.trialquery import parse_trial_query
from studies.core.trials import TrialOutcome
from studies.models import Study, Trial, TrialParam
from studies.services.remote import enqueue
from tests.support.trial_filters import brute_force

SPACE = [
    {"name": "C", "type": "float", "low": 0.001, "high": 1000, "scale": "log"},
    {"name": "kernel", "type": "categorical", "choices": ["rbf", "poly"]},
    {"name": "degree", "type": "int", "low": 2, "high": 5, "when": {"kernel": ["poly"]}},
    {"name": "width", "type": "categorical", "choices": [16, 64, 256]},
    {"name": "flag", "type": "categorical", "choices": [True, False, 3]},
]
N_CLAIMED = 70
QUERIES = [
    {"sort": ["param.degree"]},  # absent (kernel=rbf) last
    {"sort": ["-param.degree"], "state": ["completed"]},
    {"min.degree": ["3"], "sort": ["-value"]},
    {"sort": ["param.kernel"], "page_size": ["7"]},
    {"in.kernel": ["poly"], "sort": ["-param.C"]},
    {"min.C": ["0.1"], "max.C": ["100"], "sort": ["param.C"]},  # bounds on a log scale, in raw values
    {"in.width": ["64", "256"], "sort": ["param.width"]},
    {"sort": ["-param.width"], "page_size": ["9"]},
    {"in.flag": ["true"], "sort": ["duration_ms"]},
    {"in.flag": ["3"], "in.kernel": ["rbf"]},
    {"sort": ["-value"], "min.degree": ["2"], "max.degree": ["4"], "page_size": ["5"]},
]


def _spec(name: str) -> dict:
    return {
        "name": name,
        "executor": "quadratic",
        "objective": {"metric": "loss", "direction": "minimize"},
        "sampler": {"type": "random", "seed": 5},
        "n_trials": N_CLAIMED + 1,
        "search_space": SPACE,
    }


@pytest.fixture
def study(db):
    """Trials claimed and finished through the services (completed, pruned, failed, one
    still running) and one enqueued configuration without its conditional parameter."""
    created = services.create_study(_spec("typed-params"))
    services.start_study(created)
    rng = random.Random(3)
    for number in range(N_CLAIMED):
        trial = services.claim_trial(created, "w").trial
        if number == N_CLAIMED - 1:
            break  # left running: no value
        outcome = rng.choice(
            [TrialOutcome.completed(rng.uniform(0, 9), {"loss": 1.0})] * 3
            + [TrialOutcome.pruned(2), TrialOutcome.failed("boom")]
        )
        services.finish_trial(trial, outcome)
    enqueue(created, {"C": 1.5, "kernel": "rbf", "width": 16, "flag": False})
    return created


def _every_page(study: Study, query) -> list[int]:
    first = selectors.trial_page(study, replace(query, page=1))
    numbers = []
    for page in range(1, first["pages"] + 1):
        numbers += [r["number"] for r in selectors.trial_page(study, replace(query, page=page))["results"]]
    assert len(numbers) == first["count"] and not first["count_capped"]
    return numbers


def test_every_claimed_and_enqueued_trial_has_a_typed_row_per_dimension(study):
    trials = Trial.objects.filter(study=study)
    assert TrialParam.objects.filter(study=study).count() == trials.count() * len(SPACE) == (N_CLAIMED + 1) * 5
    for trial in trials:
        rows = {p.name: (p.num_value, p.text_value) for p in TrialParam.objects.filter(trial=trial)}
        assert rows["C"] == (pytest.approx(trial.params["C"]), None)
        assert rows["kernel"] == (None, trial.params["kernel"])
        assert rows["degree"] == ((float(trial.params["degree"]), None) if "degree" in trial.params else (None, None))
        assert rows["width"] == (float(trial.params["width"]), None)  # numeric choices sort as numbers
        assert rows["flag"] == (None, {True: "true", False: "false", 3: "3"}[trial.params["flag"]])


@pytest.mark.parametrize("narrow", [0, 1000], ids=["probed-in-sort-order", "driven-by-a-narrow-filter"])
def test_parameter_filters_and_sorts_match_a_brute_force_filter(study, narrow, monkeypatch):
    from studies.selectors import trial_filters

    monkeypatch.setattr(trial_filters, "NARROW", narrow)
    trials = list(Trial.objects.filter(study=study).values("number", "state", "params", "value", "duration_ms"))
    space = selectors.study_space(study)
    assert any("degree" not in t["params"] for t in trials) and any("degree" in t["params"] for t in trials)
    for raw in QUERIES:
        query = parse_trial_query(raw, space)
        assert _every_page(study, query) == brute_force(trials, query), raw


def test_a_parameter_sort_reads_the_typed_rows_not_the_json(study):
    query = parse_trial_query({"sort": ["param.C"], "in.kernel": ["poly"]}, selectors.study_space(study))
    with CaptureQueriesContext(connection) as queries:
        page = selectors.trial_page(study, query)
    assert page["results"] and all(r["params"]["kernel"] == "poly" for r in page["results"])
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert TrialParam._meta.db_table in sql
    assert "JSON" not in sql.upper() and "->" not in sql  # no trial's params JSON is read to filter or sort


def test_counts_are_capped_only_when_parameters_filter(study, monkeypatch):
    from studies.selectors import trial_filters
    from studies.selectors import trials as trial_selectors

    monkeypatch.setattr(trial_selectors, "COUNT_CAP", 10)
    monkeypatch.setattr(trial_selectors, "EXACT_COUNT_TRIALS", 20)
    monkeypatch.setattr(trial_filters, "NARROW", 5)
    space = selectors.study_space(study)
    everything = selectors.trial_page(study, parse_trial_query({"page_size": ["5"]}, space))
    assert (everything["count"], everything["count_capped"]) == (N_CLAIMED + 1, False)
    completed = selectors.trial_page(study, parse_trial_query({"state": ["completed"]}, space))
    assert completed["count"] == Trial.objects.filter(study=study, state="completed").count()
    assert not completed["count_capped"]
    filtered = selectors.trial_page(study, parse_trial_query({"min.C": ["0.001"], "page_size": ["5"]}, space))
    assert (filtered["count"], filtered["count_capped"]) == (10, True)
    assert len(filtered["results"]) == 5 and filtered["pages"] == 2
    deep = selectors.trial_page(
        study, parse_trial_query({"min.C": ["0.001"], "page_size": ["5"], "page": ["4"]}, space)
    )
    assert deep["page"] == 4 and len(deep["results"]) == 5  # counted through the page asked:
    assert (deep["count"], deep["count_capped"]) == (20, True)
    # A filter that matches few trials drives the query, and its matches are counted exactly.
    few = sorted(t.params["C"] for t in Trial.objects.filter(study=study))[3]
    narrow = selectors.trial_page(study, parse_trial_query({"max.C": [repr(few)], "sort": ["-param.C"]}, space))
    assert (narrow["count"], narrow["count_capped"]) == (4, False)
    assert [r["params"]["C"] for r in narrow["results"]] == sorted(
        (t.params["C"] for t in Trial.objects.filter(study=study) if t.params["C"] <= few), reverse=True
    )


def test_state_counts_match_the_rows(study):
    exact: dict[str, int] = {}
    for state in Trial.objects.filter(study=study).values_list("state", flat=True):
        exact[state] = exact.get(state, 0) + 1
    assert selectors.study_detail(study.pk)["counts"] == exact


def _trial_params_migration(executor: MigrationExecutor) -> tuple[tuple[str, str], tuple[str, str]]:
    """The migration that adds TrialParam (renumbered at merges: found by name) and its parent."""
    names = [p.stem for p in (Path(__file__).parents[2] / "studies" / "migrations").glob("*_trial_params.py")]
    key = ("studies", names[0])
    return key, executor.loader.graph.node_map[key].parents.copy().pop().key


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_typed_rows_for_existing_trials():
    executor = MigrationExecutor(connection)
    target, parent = _trial_params_migration(executor)
    leaves = executor.loader.graph.leaf_nodes()
    executor.migrate([parent])
    old = executor.loader.project_state([parent]).apps
    study = old.get_model("studies", "Study").objects.create(
        name="old", spec=services.validate_spec(_spec("old")).to_dict(), metric="loss", direction="minimize", n_trials=3
    )
    trial_model = old.get_model("studies", "Trial")
    for number, params in enumerate([{"C": 2.0, "kernel": "poly", "degree": 3, "width": 64, "flag": 3}, {}]):
        trial_model.objects.create(study=study, number=number, state="completed", params=params)
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    executor = MigrationExecutor(connection)
    executor.migrate(leaves)
    rows = {(p.number, p.name): (p.num_value, p.text_value) for p in TrialParam.objects.filter(study_id=study.pk)}
    assert len(rows) == 10
    assert rows[0, "degree"] == (3.0, None) and rows[0, "kernel"] == (None, "poly") and rows[0, "flag"] == (None, "3")
    assert all(rows[1, name] == (None, None) for name in ("C", "kernel", "degree", "width", "flag"))
