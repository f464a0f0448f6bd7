"""Every metric over the JSON API: ?metric= on the plots and the history, metric columns
and sorting in the trial table, and the trial detail's note and log summary."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from studies import services
from studies.core.trials import TrialOutcome
from studies.services import logs, notes
from tests.web.conftest import quadratic_spec

pytestmark = pytest.mark.django_db

ODD_NAME = "<b>val/acc</b> & co=1"  # markup, a slash, an ampersand and an equals sign


def acc_of(number: int) -> float:
    return 0.5 + number / 100


def loss_of(number: int, step: int) -> float:
    return 10.0 / (step + 1) + number


@pytest.fixture
def study():
    return build_study()


def build_study():
    """Six trials reporting loss and acc at three steps; every third is pruned, the others
    return value, acc and (trial 4 only) the oddly named metric."""
    created = services.create_study(quadratic_spec("metrics", n_trials=6))
    services.start_study(created)
    for number in range(6):
        trial = services.claim_trial(created, "w").trial
        for step in range(3):
            services.record_intermediate(trial, step, {"loss": loss_of(number, step), "acc": acc_of(number) + step})
        if number % 3 == 2:
            services.finish_trial(trial, TrialOutcome.pruned(2))
            continue
        returned = {"value": 6.0 - number, "acc": acc_of(number)} | ({ODD_NAME: 7.5} if number == 4 else {})
        services.finish_trial(trial, TrialOutcome.completed(6.0 - number, returned))
    return created


def decoded(body: dict) -> tuple[list[int], list[float]]:
    numbers = np.frombuffer(base64.b64decode(body["numbers"]), dtype="<i4").tolist()
    return numbers, np.frombuffer(base64.b64decode(body["values"]), dtype="<f8").tolist()


def test_the_history_of_another_metric_has_its_values_and_no_direction(client_logged_in, study):
    url = f"/api/studies/{study.pk}/history/"
    objective = client_logged_in.get(url).json()
    assert (objective["metric"], objective["direction"]) == ("value", "minimize")
    assert decoded(objective) == ([0, 1, 3, 4], [6.0, 5.0, 3.0, 2.0])

    acc = client_logged_in.get(url, {"metric": "acc"}).json()
    assert (acc["metric"], acc["direction"]) == ("acc", None)  # not an objective: no best-so-far line
    assert decoded(acc) == ([0, 1, 3, 4], [acc_of(n) for n in (0, 1, 3, 4)])


def test_the_history_of_a_metric_comes_in_chunks_too(client_logged_in, study, monkeypatch):
    from studies.selectors import plots

    monkeypatch.setattr(plots, "HISTORY_CHUNK", 3)
    url = f"/api/studies/{study.pk}/history/"
    first = client_logged_in.get(url, {"metric": "acc"}).json()
    assert (first["count"], first["more"], first["last_number"]) == (3, True, 3)
    rest = client_logged_in.get(url, {"metric": "acc", "after": first["last_number"]}).json()
    assert decoded(rest) == ([4], [acc_of(4)]) and not rest["more"]


def test_an_oddly_named_metric_is_found_through_its_escaped_name(client_logged_in, study):
    # The test client encodes the query string: &, = and / arrive as part of the name.
    body = client_logged_in.get(f"/api/studies/{study.pk}/history/", {"metric": ODD_NAME}).json()
    assert body["metric"] == ODD_NAME
    assert decoded(body) == ([4], [7.5])  # only trial 4 returned it


def test_the_plots_of_a_metric_draw_its_intermediate_values_and_list_every_metric(client_logged_in, study):
    url = f"/api/studies/{study.pk}/plots/"
    default = client_logged_in.get(url).json()
    assert default["metrics"] == ["value", ODD_NAME, "acc", "loss"]  # the objective first, then by name
    assert default["intermediate"] == []  # nobody reported the objective at a step

    loss = client_logged_in.get(url, {"metric": "loss"}).json()
    assert (loss["metric"], loss["metric_direction"]) == ("loss", None)
    curves = {c["number"]: c for c in loss["intermediate"]}
    assert sorted(curves) == list(range(6))
    assert curves[2]["state"] == "pruned"
    assert curves[5]["steps"] == [0, 1, 2] and curves[5]["values"] == [loss_of(5, s) for s in range(3)]


@pytest.mark.parametrize("endpoint", ["history", "plots"])
def test_an_unknown_metric_is_a_400_naming_the_field_and_the_known_metrics(client_logged_in, study, endpoint):
    response = client_logged_in.get(f"/api/studies/{study.pk}/{endpoint}/", {"metric": "accuracy"})
    assert response.status_code == 400
    body = response.json()
    assert body["errors"][0]["field"] == "metric"
    assert "no metric named 'accuracy'" in body["error"]
    assert "'acc'" in body["error"] and "'loss'" in body["error"] and "'value'" in body["error"]


def test_trial_rows_carry_their_metrics_and_sort_by_one(client_logged_in, study):
    url = f"/api/studies/{study.pk}/trials/"
    rows = client_logged_in.get(url, {"sort": "-metric.acc"}).json()["results"]
    # Highest acc first; the pruned trials returned no metrics and come last, by number.
    assert [r["number"] for r in rows] == [4, 3, 1, 0, 2, 5]
    assert rows[0]["metrics"] == {"value": 2.0, "acc": acc_of(4), ODD_NAME: 7.5}
    assert rows[-1]["metrics"] == {}


def test_sorting_by_a_metric_is_refused_past_its_bound_saying_why(client_logged_in, study, monkeypatch):
    from studies.selectors import trials

    monkeypatch.setattr(trials, "METRIC_SORT_TRIALS", 5)
    response = client_logged_in.get(f"/api/studies/{study.pk}/trials/", {"sort": "metric.acc"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "sort"
    assert "up to 5 trials; this study has 6" in response.json()["error"]
    empty = client_logged_in.get(f"/api/studies/{study.pk}/trials/", {"sort": "metric."})
    assert empty.status_code == 400 and "needs a metric's name" in empty.json()["error"]


def test_the_trial_detail_has_its_note_and_a_log_summary(client_logged_in, study, settings):
    trial = study.trials.get(number=1)
    url = f"/api/studies/{study.pk}/trials/1/"
    bare = client_logged_in.get(url).json()
    assert bare["note"] == ""
    assert bare["log"] == {"lines": 0, "chars": 0, "dropped_chars": 0, "url": f"{url}log.txt"}

    notes.set_trial_note(trial, user="ada", text="<script>x</script>\nsecond line")
    logs.append_log(trial, "one\ntwo\n")
    logs.append_log(trial, "three\n")
    detail = client_logged_in.get(url).json()
    assert detail["note"] == "<script>x</script>\nsecond line"
    assert detail["log"]["lines"] == 3 and detail["log"]["chars"] == len("one\ntwo\nthree\n")
    assert client_logged_in.get(detail["log"]["url"]).content.decode() == "one\ntwo\nthree\n"

    settings.SOMATIZE_TRIAL_LOG_LIMIT = 20  # past it the log keeps its head and tail
    logs.append_log(trial, "x" * 30)
    assert client_logged_in.get(url).json()["log"]["dropped_chars"] > 0


def test_several_objectives_are_listed_first_and_each_has_its_direction(client_logged_in):
    spec = quadratic_spec("pair", n_trials=3, executor="zdt1")
    del spec["objective"]
    spec["objectives"] = [{"metric": "f2", "direction": "maximize"}, {"metric": "f1", "direction": "minimize"}]
    created = services.create_study(spec)
    services.start_study(created)
    for number in range(3):
        trial = services.claim_trial(created, "w").trial
        returned = {"f1": float(number), "f2": 10.0 - number, "aux": 0.5}
        services.finish_trial(trial, TrialOutcome.completed(returned["f2"], returned))
    plots = client_logged_in.get(f"/api/studies/{created.pk}/plots/").json()
    assert plots["metrics"] == ["f2", "f1", "aux"]  # the spec's order, then the others
    url = f"/api/studies/{created.pk}/history/"
    second = client_logged_in.get(url, {"metric": "f1"}).json()
    assert second["direction"] == "minimize" and decoded(second) == ([0, 1, 2], [0.0, 1.0, 2.0])
    assert client_logged_in.get(url, {"metric": "aux"}).json()["direction"] is None


@pytest.mark.postgres
def test_postgresql_packs_a_metrics_history_and_lists_its_names(tmp_path, migrated_postgres_url):
    """PostgreSQL has its own paths (the packed arrays, the recursive name scan): run them there."""
    from tests.conftest import Project

    project = Project(tmp_path, database_url=migrated_postgres_url)
    code = """
import base64, json
from studies import selectors
from tests.web.test_metric_api import build_study
created = build_study()
body = selectors.history_all(created, -1, "acc")
names = selectors.metric_names(created)
from studies.selectors import plots
plots.SAMPLE_POINTS, plots.BEST_IN_SAMPLE = 3, 1  # a strided sample: every 3rd number and the best
sample = selectors.plot_data(created)["sample"]
stored = {t.number: t.params for t in created.trials.all()}
print(json.dumps([base64.b64decode(body["values"]).hex(), body["direction"], names, sample, stored]))
"""
    printed = project.run("shell", "-c", code).stdout.strip().splitlines()[-1]
    values_hex, direction, names, sample, stored = json.loads(printed)
    assert np.frombuffer(bytes.fromhex(values_hex), dtype="<f8").tolist() == [acc_of(n) for n in (0, 1, 3, 4)]
    assert direction is None and names == ["value", ODD_NAME, "acc", "loss"]
    # Completed trials 0, 1, 3, 4: numbers 0 and 3 by the stride, 4 as the best (value 2).
    assert sample["numbers"] == [0, 3, 4] and sample["values"] == [6.0, 3.0, 2.0]
    assert sample["params"] == {name: [stored[str(n)][name] for n in (0, 3, 4)] for name in ("x", "y")}
