"""Controls and notes over HTTP (Django's test client, real database): who may, what changes, what is logged."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from studies import services
from studies.core.trials import TrialOutcome
from studies.models import Study, StudyEvent, Trial
from tests.web.conftest import quadratic_spec

pytestmark = pytest.mark.django_db


@pytest.fixture
def runner(django_user_model):
    user = django_user_model.objects.create_user("grace", password="pw-grace-123")
    user.user_permissions.add(Permission.objects.get(codename="run_studies"))
    return user


@pytest.fixture
def viewer(django_user_model):
    return django_user_model.objects.create_user("ada", password="pw-ada-123")


def as_user(user, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(user)
    return client


def post(client: Client, url: str, body: dict):
    return client.post(url, json.dumps(body), content_type="application/json")


def running_study(n_trials: int = 4) -> Study:
    study = services.create_study(quadratic_spec("ctl", n_trials=n_trials))
    services.start_study(study)
    return study


def control_events(study: Study) -> list[dict]:
    return list(
        StudyEvent.objects.filter(study=study, type="control_applied").order_by("id").values_list("data", flat=True)
    )


def test_a_viewer_sees_no_controls_and_is_refused_with_403(viewer):
    study = running_study()
    client = as_user(viewer)
    page = client.get(f"/studies/{study.pk}/").content.decode()
    assert 'id="study-control"' not in page and 'id="note-edit"' not in page
    for action in ("stop", "resume", "raise-budget", "enqueue", "retry", "fail"):
        response = post(client, f"/studies/{study.pk}/control/{action}/", {"number": 0, "n_trials": 9})
        assert response.status_code == 403, action
        assert "may not run studies" in response.json()["error"]
    assert post(client, f"/studies/{study.pk}/note/", {"text": "hi"}).status_code == 403
    study.refresh_from_db()
    assert (study.state, study.n_trials) == ("running", 4) and not control_events(study)


def test_a_control_without_the_csrf_token_is_refused(runner):
    study = running_study()
    response = post(as_user(runner, csrf=True), f"/studies/{study.pk}/control/stop/", {})
    assert response.status_code == 403
    study.refresh_from_db()
    assert study.state == "running"


def test_stop_and_resume_are_events_naming_the_user(runner):
    study = running_study()
    client = as_user(runner)
    assert 'id="study-control"' in client.get(f"/studies/{study.pk}/").content.decode()
    assert post(client, f"/studies/{study.pk}/control/stop/", {}).status_code == 200
    study.refresh_from_db()
    assert study.state == "stopped"
    again = post(client, f"/studies/{study.pk}/control/stop/", {})
    assert again.status_code == 409 and "only a running study" in again.json()["error"]
    assert post(client, f"/studies/{study.pk}/control/resume/", {}).status_code == 200
    study.refresh_from_db()
    assert study.state == "queued"
    assert [(e["action"], e["user"]) for e in control_events(study)] == [("stop", "grace"), ("resume", "grace")]
    types = list(StudyEvent.objects.filter(study=study).values_list("type", flat=True))
    assert types.index("study_stopped") < types.index("study_queued")


def test_the_budget_only_rises_and_a_bad_value_names_the_field(runner):
    study = running_study()
    client = as_user(runner)
    for bad in (3, "ten", 2.5):
        response = post(client, f"/studies/{study.pk}/control/raise-budget/", {"n_trials": bad})
        assert response.status_code == 400 and response.json()["errors"][0]["field"] == "n_trials"
    assert post(client, f"/studies/{study.pk}/control/raise-budget/", {"n_trials": 10}).status_code == 200
    study.refresh_from_db()
    assert study.n_trials == 10 and study.spec["n_trials"] == 10
    assert control_events(study)[-1]["detail"] == "raised the budget from 4 to 10 trials"


def test_enqueue_checks_the_configuration_against_the_space(runner):
    study = running_study()
    client = as_user(runner)
    response = post(client, f"/studies/{study.pk}/control/enqueue/", {"params": {"x": 7, "z": 1}})
    assert response.status_code == 400
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"params.x", "params.y", "params.z"}
    assert not Trial.objects.filter(study=study).exists()
    assert post(client, f"/studies/{study.pk}/control/enqueue/", {"params": {"x": 0.25, "y": 0.5}}).status_code == 200
    trial = Trial.objects.get(study=study)
    assert (trial.state, trial.params) == ("waiting", {"x": 0.25, "y": 0.5})


def test_retry_a_failed_trial_and_fail_a_running_one(runner):
    study = running_study(n_trials=1)
    client = as_user(runner)
    claim = services.claim_trial(study, "w1")
    assert post(client, f"/studies/{study.pk}/control/retry/", {"number": 0}).status_code == 409  # still running
    assert post(client, f"/studies/{study.pk}/control/fail/", {"number": 0}).status_code == 200
    claim.trial.refresh_from_db()
    study.refresh_from_db()
    assert claim.trial.state == "failed" and claim.trial.error == "failed by grace from the dashboard"
    assert study.state == "completed"  # its only trial ended
    # The worker's late outcome is ignored: the trial stays failed.
    assert not services.finish_trial(claim.trial, TrialOutcome.completed(0.5, {"value": 0.5}))
    assert post(client, f"/studies/{study.pk}/control/retry/", {"number": 0}).status_code == 200
    claim.trial.refresh_from_db()
    study.refresh_from_db()
    assert (claim.trial.state, claim.trial.retries) == ("waiting", 1)
    assert (study.state, study.n_done) == ("stopped", 0)  # resumable: its retried trial waits
    missing = post(client, f"/studies/{study.pk}/control/retry/", {"number": 5})
    assert missing.status_code == 400 and missing.json()["errors"][0]["field"] == "number"
    assert [e["action"] for e in control_events(study)] == ["fail", "retry"]


def test_a_note_is_plain_text_everywhere_it_is_shown(runner, viewer):
    study = running_study()
    services.claim_trial(study, "w1")
    note = "<script>alert(1)</script>\nsecond line"
    client = as_user(runner)
    assert post(client, f"/studies/{study.pk}/note/", {"text": note}).status_code == 200
    assert post(client, f"/studies/{study.pk}/trials/0/note/", {"text": "trial <b>note</b>"}).status_code == 200
    study_page = as_user(viewer).get(f"/studies/{study.pk}/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;\nsecond line" in study_page and note not in study_page
    trial_page = as_user(viewer).get(f"/studies/{study.pk}/trials/0/").content.decode()
    assert "trial &lt;b&gt;note&lt;/b&gt;" in trial_page
    too_long = post(client, f"/studies/{study.pk}/note/", {"text": "x" * 20_001})
    assert too_long.status_code == 400 and too_long.json()["errors"][0]["field"] == "note"
    events = StudyEvent.objects.filter(study=study, type="note_updated").order_by("id")
    assert [(e.data["number"], e.data["user"]) for e in events] == [(None, "grace"), (0, "grace")]
