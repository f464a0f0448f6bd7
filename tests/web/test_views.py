"""Pages and JSON endpoints: login everywhere, 404s, filters, sorting and pages."""

from __future__ import annotations

import json
import random

import pytest

from studies import selectors, services
from studies.core.trials import TrialState
from studies.models import Trial
from studies.services.trial_params import record_trial_params
from tests.web.conftest import PASSWORD

pytestmark = pytest.mark.django_db

STATES = [s.value for s in TrialState if s.is_terminal]


def mixed_spec(name="mixed-web"):
    return {
        "name": name,
        "executor": "mixed",
        "objective": {"metric": "value", "direction": "minimize"},
        "sampler": {"type": "random", "seed": 1},
        "n_trials": 200,
        "search_space": [
            {"name": "lr", "type": "float", "low": 1e-5, "high": 1.0, "scale": "log"},
            {"name": "layers", "type": "int", "low": 1, "high": 8},
            {"name": "activation", "type": "categorical", "choices": ["relu", "tanh", "sigmoid"]},
        ],
    }


@pytest.fixture
def study():
    """A study with 120 trials in mixed states, inserted directly with random (seeded) data."""
    created = services.create_study(mixed_spec())
    rng = random.Random(42)
    rows = []
    for number in range(120):
        state = rng.choice(STATES)
        rows.append(
            Trial(
                study=created,
                number=number,
                state=state,
                params={
                    "lr": 10 ** rng.uniform(-5, 0),
                    "layers": rng.randint(1, 8),
                    "activation": rng.choice(["relu", "tanh", "sigmoid"]),
                },
                value=rng.uniform(0, 10) if state == "completed" else None,
                duration_ms=rng.randint(1, 5000),
            )
        )
    Trial.objects.bulk_create(rows)
    # The typed parameter rows a claim writes with each trial, as a run would leave them.
    record_trial_params(selectors.study_space(created), Trial.objects.filter(study=created))
    return created


def all_pages(client, url, **params) -> list[dict]:
    results, page = [], 1
    while True:
        body = client.get(url, {**params, "page": page, "page_size": 50}).json()
        results += body["results"]
        if page >= body["pages"]:
            return results
        page += 1


def urls_for(study) -> tuple[list[str], list[str]]:
    pages = ["/", f"/studies/{study.pk}/", f"/studies/{study.pk}/trials/3/"]
    api = [
        "/api/studies/",
        "/api/events/",
        f"/api/studies/{study.pk}/",
        f"/api/studies/{study.pk}/plots/",
        f"/api/studies/{study.pk}/trials/",
        f"/api/studies/{study.pk}/trials/3/",
        f"/api/studies/{study.pk}/events/?after=0",
    ]
    return pages, api


def test_every_page_redirects_anonymous_users_to_the_login(client, study):
    pages, _ = urls_for(study)
    for url in pages:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/?next="), url


def test_every_json_endpoint_answers_401_to_anonymous_users(client, study):
    _, api = urls_for(study)
    for url in api:
        response = client.get(url)
        assert response.status_code == 401 and "log in" in response.json()["error"], url


def test_a_user_logs_in_with_the_form_and_sees_every_page(client, user, study):
    response = client.post("/login/", {"username": "ada", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    pages, api = urls_for(study)
    for url in pages + api:
        assert client.get(url).status_code == 200, url
    assert client.post("/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_live_figures_carry_the_data_live_attributes(client_logged_in, study):
    for url in ("/", f"/studies/{study.pk}/"):
        html = client_logged_in.get(url).content.decode()
        for name in ("progress", "trials-done", "best-value"):
            assert f'data-live="{name}"' in html, (url, name)


def test_unknown_studies_and_trials_are_404(client_logged_in, study):
    for url in (
        "/studies/999999/",
        "/studies/999999/trials/0/",
        f"/studies/{study.pk}/trials/5000/",
        "/api/studies/999999/",
        "/api/studies/999999/plots/",
        "/api/studies/999999/trials/",
        f"/api/studies/{study.pk}/trials/5000/",
        "/api/studies/999999/events/",
    ):
        assert client_logged_in.get(url).status_code == 404, url


def test_trials_sort_by_value_with_missing_values_last(client_logged_in, study):
    url = f"/api/studies/{study.pk}/trials/"
    rows = all_pages(client_logged_in, url, sort="value")
    expected = sorted(Trial.objects.filter(study=study), key=lambda t: (t.value is None, t.value or 0, t.number))
    assert [r["number"] for r in rows] == [t.number for t in expected]
    descending = all_pages(client_logged_in, url, sort="-value")
    values = [r["value"] for r in descending if r["value"] is not None]
    assert values == sorted(values, reverse=True) and descending[-1]["value"] is None


def test_trials_sort_by_a_parameter(client_logged_in, study):
    rows = all_pages(client_logged_in, f"/api/studies/{study.pk}/trials/", sort="-param.lr")
    assert [r["params"]["lr"] for r in rows] == sorted(
        (t.params["lr"] for t in Trial.objects.filter(study=study)), reverse=True
    )


def test_trials_filter_by_state_and_parameter_ranges(client_logged_in, study):
    url = f"/api/studies/{study.pk}/trials/"
    rows = all_pages(
        client_logged_in,
        url,
        **{
            "state": "completed,pruned",
            "min.lr": "0.001",
            "max.lr": "0.1",
            "min.layers": "3",
            "in.activation": ["relu", "tanh"],
        },
    )
    expected = [
        t.number
        for t in Trial.objects.filter(study=study).order_by("number")
        if t.state in ("completed", "pruned")
        and 0.001 <= t.params["lr"] <= 0.1
        and t.params["layers"] >= 3
        and t.params["activation"] in ("relu", "tanh")
    ]
    assert expected, "the seeded data should match some trials"
    assert [r["number"] for r in rows] == expected


def test_trial_pages_are_bounded_and_count_every_match(client_logged_in, study):
    body = client_logged_in.get(f"/api/studies/{study.pk}/trials/", {"page_size": 25, "page": 5}).json()
    assert body["count"] == 120 and body["pages"] == 5 and body["page"] == 5
    assert [r["number"] for r in body["results"]] == list(range(100, 120))


def test_a_bad_filter_is_answered_with_the_field_and_the_fix(client_logged_in, study):
    response = client_logged_in.get(
        f"/api/studies/{study.pk}/trials/", {"min.lrr": "1", "sort": "speed", "state": "done"}
    )
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert "lr, layers, activation" in fields["min.lrr"]
    assert "param.<name>" in fields["sort"]
    assert "completed" in fields["state"]


def test_the_events_endpoint_pages_from_a_cursor(client_logged_in, study):
    from studies.runner import StudyRunner

    other = services.create_study({**mixed_spec("events-web"), "n_trials": 3})
    StudyRunner(other).run()
    events = client_logged_in.get(f"/api/studies/{other.pk}/events/", {"after": 0}).json()
    ids = [e["id"] for e in events["events"]]
    assert ids == sorted(ids) and events["events"][-1]["type"] == "study_completed"
    later = client_logged_in.get(f"/api/studies/{other.pk}/events/", {"after": ids[2]}).json()
    assert [e["id"] for e in later["events"]] == ids[3:]
    assert client_logged_in.get(f"/api/studies/{other.pk}/events/", {"after": "x"}).status_code == 400


def test_plotly_is_served_from_the_installed_package(client_logged_in):
    response = client_logged_in.get("/static/vendor/plotly.min.js")
    assert response.status_code == 200
    assert b"plotly" in b"".join(response.streaming_content)[:2000].lower()


def test_a_failed_trial_page_shows_its_error_and_traceback(client_logged_in):
    from studies.runner import StudyRunner

    failing = services.create_study(
        {
            "name": "fails",
            "executor": "fails_above_half",
            "objective": {"metric": "f1", "direction": "maximize"},
            "sampler": {"type": "grid", "points_per_dim": 3},
            "search_space": [{"name": "x", "type": "float", "low": 0, "high": 1}],
        }
    )
    StudyRunner(failing).run()
    failed = Trial.objects.filter(study=failing, state="failed").first()
    assert failed is not None
    body = client_logged_in.get(f"/api/studies/{failing.pk}/trials/{failed.number}/").json()
    assert body["state"] == "failed" and "too high" in body["error"] and "RuntimeError" in body["traceback"]
    html = client_logged_in.get(f"/studies/{failing.pk}/trials/{failed.number}/").content.decode()
    assert "too high" in html and "RuntimeError" in html


def test_a_trial_page_lists_its_intermediate_values(client_logged_in):
    from studies.runner import StudyRunner

    curve = services.create_study(
        {
            "name": "curves",
            "executor": "learning_curve",
            "objective": {"metric": "accuracy", "direction": "maximize"},
            "sampler": {"type": "random", "seed": 3},
            "n_trials": 2,
            "search_space": [{"name": "x", "type": "float", "low": 0, "high": 1}],
        }
    )
    StudyRunner(curve).run()
    body = client_logged_in.get(f"/api/studies/{curve.pk}/trials/0/").json()
    assert [step for step, _ in body["intermediate"]] == list(range(10))
    assert body["intermediate"][-1][1]["accuracy"] == pytest.approx(body["value"])
    plots = client_logged_in.get(f"/api/studies/{curve.pk}/plots/").json()
    assert [c["number"] for c in plots["intermediate"]] == [0, 1]
    assert plots["history"]["x"] == [0.0, 1.0]


def test_pages_hand_the_websocket_close_codes_to_their_scripts_as_data(client_logged_in, study):
    from studies.payloads import CLOSE_CODES

    for url in ["/", f"/studies/{study.pk}/"]:
        html = client_logged_in.get(url).content.decode()
        assert f'<script id="close-codes" type="application/json">{json.dumps(CLOSE_CODES)}</script>' in html


def test_progress_events_use_the_summary_names_for_progress(client_logged_in, study):
    services.start_study(study)
    services.stop_study(study)
    stopped = client_logged_in.get(f"/api/studies/{study.pk}/events/").json()["events"][-1]
    summary = client_logged_in.get(f"/api/studies/{study.pk}/").json()
    assert stopped["type"] == "study_stopped"
    assert {k: stopped["data"][k] for k in ("n_done", "n_trials", "best_value", "best_trial", "state")} == {
        k: summary[k] for k in ("n_done", "n_trials", "best_value", "best_trial", "state")
    }
