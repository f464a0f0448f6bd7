"""A study of 100,000 trials: the first page and every JSON page stay bounded.

Asserts query counts and payload sizes (never wall-clock time): a page whose query
count or size grew with the study would fail here long before users noticed.
"""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from bench.synthetic import build_finished_study
from studies.core.series import HISTORY_POINTS, SAMPLE_POINTS

N_TRIALS = 100_000
MAX_QUERIES = 12  # session + user + the page's own few queries, whatever the study's size


@pytest.fixture(scope="module")
def big_study(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        study = build_finished_study("big", N_TRIALS, seed=7)
    yield study
    with django_db_blocker.unblock():
        study.delete()


@pytest.fixture
def logged_in(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("lin", password="p" * 12))
    return client


def fetch(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.content[:300]
    return response


@pytest.mark.django_db
def test_the_study_page_and_list_take_a_fixed_number_of_queries(logged_in, big_study, django_assert_max_num_queries):
    for url in (f"/studies/{big_study.pk}/", "/", f"/studies/{big_study.pk}/trials/99999/"):
        with django_assert_max_num_queries(MAX_QUERIES):
            response = fetch(logged_in, url)
        assert len(response.content) < 100_000, url


@pytest.mark.django_db
def test_a_deep_sorted_filtered_trial_page_is_one_count_and_one_page(
    logged_in, big_study, django_assert_max_num_queries
):
    url = f"/api/studies/{big_study.pk}/trials/"
    with django_assert_max_num_queries(MAX_QUERIES):
        body = fetch(logged_in, url, sort="-value", state="completed", page=400, page_size=100).json()
    assert len(body["results"]) == 100 and body["count"] > 70_000
    values = [r["value"] for r in body["results"]]
    assert values == sorted(values, reverse=True)
    with django_assert_max_num_queries(MAX_QUERIES):
        filtered = fetch(logged_in, url, **{"min.lr": "0.5", "in.activation": "tanh", "sort": "param.lr"}).json()
    assert all(r["params"]["lr"] >= 0.5 and r["params"]["activation"] == "tanh" for r in filtered["results"])
    assert len(json.dumps(filtered)) < 50_000


@pytest.mark.django_db
def test_plot_series_are_downsampled_and_bounded(logged_in, big_study, django_assert_max_num_queries):
    with django_assert_max_num_queries(MAX_QUERIES):
        response = fetch(logged_in, f"/api/studies/{big_study.pk}/plots/")
    body = response.json()
    history, sample = body["history"], body["sample"]
    assert history["n_completed"] > 70_000 and history["bucket"] > 1
    assert len(history["x"]) <= HISTORY_POINTS and len(history["x"]) == len(history["y"])
    assert history["best_y"][-1] == pytest.approx(big_study.best_value)  # the exact best survives downsampling
    assert len(sample["numbers"]) <= SAMPLE_POINTS and big_study.best_trial_number in sample["numbers"]
    assert set(body["importance"]) == {"lr", "layers", "activation"}
    assert len(body["intermediate"]) <= 60 and all(len(c["steps"]) == 20 for c in body["intermediate"])
    assert len(response.content) < 600_000


@pytest.mark.django_db
def test_the_history_endpoint_serves_every_completed_trial_compactly(
    logged_in, big_study, django_assert_max_num_queries
):
    from studies.models import Trial

    with django_assert_max_num_queries(MAX_QUERIES):
        response = fetch(logged_in, f"/api/studies/{big_study.pk}/history/")
    body = response.json()
    numbers = np.frombuffer(base64.b64decode(body["numbers"]), dtype="<i4").tolist()
    values = np.frombuffer(base64.b64decode(body["values"]), dtype="<f8").tolist()
    completed = Trial.objects.filter(study=big_study, state="completed").order_by("number")
    assert numbers == list(completed.values_list("number", flat=True))  # every point, in order
    assert values == list(completed.values_list("value", flat=True))  # exactly
    assert body["count"] == len(numbers) > 70_000
    # 12 bytes a point in base64: 16, where JSON numbers took about 25.
    assert len(response.content) < 17 * len(numbers)


@pytest.mark.django_db
def test_event_and_summary_endpoints_stay_bounded(logged_in, big_study, django_assert_max_num_queries):
    with django_assert_max_num_queries(MAX_QUERIES):
        events = fetch(logged_in, f"/api/studies/{big_study.pk}/events/", after=0).json()
    assert len(events["events"]) == 1000 and events["more"]
    assert events["last_event_id"] == events["events"][-1]["id"]
    with django_assert_max_num_queries(MAX_QUERIES):
        detail = fetch(logged_in, f"/api/studies/{big_study.pk}/").json()
    assert sum(detail["counts"].values()) == N_TRIALS and detail["progress"] == 100.0
    with django_assert_max_num_queries(MAX_QUERIES):
        fetch(logged_in, "/api/studies/")
