"""A remote client that stops heartbeating: its trial fails as lost and is re-queued per max_retries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from studies import services
from studies.models import StudyEvent, Trial
from studies.services import remote
from tests.remote.conftest import remote_spec

pytestmark = pytest.mark.django_db


def silence(study, number: int, seconds: float = 3600) -> None:
    """As if the trial's client had sent nothing for ``seconds``."""
    Trial.objects.filter(study=study, number=number).update(heartbeat_at=timezone.now() - timedelta(seconds=seconds))


def test_the_next_ask_fails_a_silent_trial_as_lost_and_its_heartbeat_is_then_409(api, remote_study):
    api.post(f"/api/studies/{remote_study.pk}/ask/", {"worker": "vm-7"})
    silence(remote_study, 0)
    assert api.post(f"/api/studies/{remote_study.pk}/ask/").json()["number"] == 1
    lost = Trial.objects.get(study=remote_study, number=0)
    assert lost.state == "failed" and lost.error.startswith("worker lost: no heartbeat from remote:vm-7")
    beat = api.post(f"/api/studies/{remote_study.pk}/trials/0/heartbeat/")
    assert beat.status_code == 409 and "worker lost" in beat.json()["error"]
    late = api.post(f"/api/studies/{remote_study.pk}/trials/0/tell/", {"state": "completed", "value": 1.0})
    assert late.status_code == 409 and "already ended failed" in late.json()["error"]


def test_a_lost_trial_is_re_queued_with_its_parameters_up_to_max_retries(api):
    study = services.create_study(remote_spec("retried", n_trials=2, max_retries=1))
    first = api.post(f"/api/studies/{study.pk}/ask/").json()
    silence(study, 0)
    again = api.post(f"/api/studies/{study.pk}/ask/").json()
    assert (again["number"], again["params"]) == (0, first["params"])  # the re-queued trial comes first
    silence(study, 0)
    assert api.post(f"/api/studies/{study.pk}/ask/").json()["number"] == 1  # retries spent: a new number
    trial = Trial.objects.get(study=study, number=0)
    assert (trial.state, trial.retries) == ("failed", 1)
    types = list(StudyEvent.objects.filter(study=study).values_list("type", flat=True))
    assert types.count("trial_failed") == 2 and types.count("trial_requeued") == 1


def test_a_recent_heartbeat_or_report_keeps_the_trial(api, remote_study):
    api.post(f"/api/studies/{remote_study.pk}/ask/")
    silence(remote_study, 0, seconds=30)  # within the 60 s grace
    api.post(f"/api/studies/{remote_study.pk}/ask/")
    assert Trial.objects.get(study=remote_study, number=0).state == "running"
    silence(remote_study, 0)
    api.post(f"/api/studies/{remote_study.pk}/trials/0/report/", {"step": 0, "metrics": {"value": 1.0}})
    remote.sweep_all(60)
    assert Trial.objects.get(study=remote_study, number=0).state == "running"


def test_the_web_sweep_fails_lost_remote_trials_but_never_a_workers(api, remote_study):
    api.post(f"/api/studies/{remote_study.pk}/ask/")
    worker_claim = services.claim_trial(remote_study, "host:123")
    silence(remote_study, 0)
    silence(remote_study, worker_claim.trial.number)
    assert remote.sweep_all(60) == 1
    states = dict(Trial.objects.filter(study=remote_study).values_list("number", "state"))
    # A worker runs on its own --heartbeat-grace and sweeps its own trials.
    assert states == {0: "failed", worker_claim.trial.number: "running"}


def test_max_retries_is_validated_and_kept_in_the_spec(api):
    response = api.post("/api/studies/", remote_spec("bad-retries", max_retries=-1))
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "max_retries"
    created = api.post("/api/studies/", remote_spec("good-retries", max_retries=3))
    assert services.get_study("good-retries").spec["max_retries"] == 3 and created.status_code == 201
