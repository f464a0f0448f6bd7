"""Trials in the admin: listed and shown, never added, changed or deleted there."""

from __future__ import annotations

import pytest
from django.urls import reverse

from studies import services
from studies.core.trials import TrialOutcome
from studies.models import Study, Trial

from .conftest import ADD_URL, change_url, form_data

pytestmark = pytest.mark.django_db
TRIALS_URL = "/admin/studies/trial/"


@pytest.fixture
def trials(staff_client):
    assert staff_client.post(ADD_URL, form_data(n_trials=3)).status_code == 302
    study = Study.objects.get()
    services.start_study(study)
    ok = services.claim_trial(study, "w").trial
    services.finish_trial(ok, TrialOutcome.completed(0.25, {"loss": 0.25}))
    bad = services.claim_trial(study, "w").trial
    services.finish_trial(
        bad,
        TrialOutcome.failed(
            "RuntimeError: too high", 'Traceback (most recent call last):\n  File "x.py"\nRuntimeError: too high'
        ),
    )
    return study, ok, bad


def test_the_trial_list_shows_params_value_duration_and_filters_by_state(staff_client, trials):
    _study, ok, bad = trials
    page = staff_client.get(TRIALS_URL)
    html = page.content.decode()
    assert f"x={ok.params['x']:.6g}, y={ok.params['y']:.6g}" in html
    assert "0.25" in html and "RuntimeError: too high" in html
    failed = staff_client.get(TRIALS_URL, {"state__exact": "failed"}).context["cl"].result_list
    assert [t.number for t in failed] == [bad.number]


def test_a_studys_trials_link_lists_only_its_trials(staff_client, trials):
    study, _, _ = trials
    assert staff_client.post(ADD_URL, form_data(name="other")).status_code == 302
    other = Study.objects.get(name="other")
    services.start_study(other)
    services.claim_trial(other, "w")
    html = staff_client.get(change_url(study)).content.decode()
    link = f"{TRIALS_URL}?study__id__exact={study.pk}"
    assert link in html
    listed = staff_client.get(link).context["cl"].result_list
    assert {t.study_id for t in listed} == {study.pk} and len(listed) == 2


def test_a_failed_trial_shows_its_traceback(staff_client, trials):
    _, _, bad = trials
    html = staff_client.get(reverse("admin:studies_trial_change", args=[bad.pk])).content.decode()
    assert "Traceback (most recent call last):" in html and "RuntimeError: too high" in html


def test_trial_data_cannot_be_added_changed_or_deleted(staff_client, trials):
    _, ok, _ = trials
    assert staff_client.get(f"{TRIALS_URL}add/").status_code == 403
    response = staff_client.post(
        reverse("admin:studies_trial_change", args=[ok.pk]), {"state": "failed", "value": "99"}
    )
    assert response.status_code == 403
    assert staff_client.post(reverse("admin:studies_trial_delete", args=[ok.pk]), {"post": "yes"}).status_code == 403
    ok.refresh_from_db()
    assert (ok.state, ok.value) == ("completed", 0.25)
    assert Trial.objects.count() == 2
