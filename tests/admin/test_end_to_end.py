"""A study set up in the admin runs to completion."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from studies import services
from studies.models import Study
from studies.runner import StudyRunner

from .conftest import ADD_URL, CHANGELIST_URL, form_data


@pytest.mark.django_db(transaction=True)
def test_a_study_created_and_queued_in_the_admin_runs_to_completion(staff_client):
    response = staff_client.post(
        ADD_URL,
        form_data(
            name="e2e",
            executor="learning_curve",
            metric="accuracy",
            direction="maximize",
            n_trials=8,
            pruner_type="median",
            n_warmup_steps=2,
            n_min_trials=2,
            dims=[
                {"name": "x", "type": "float", "low": "0.1", "high": "1", "scale": "log"},
                {"name": "kind", "type": "categorical", "choices": "a, b"},
                {"name": "depth", "type": "int", "low": "1", "high": "4", "condition": "kind: b"},
            ],
        ),
    )
    assert response.status_code == 302
    study = Study.objects.get(name="e2e")
    staff_client.post(CHANGELIST_URL, {"action": "queue_selected", "index": "0", "_selected_action": [study.pk]})
    study.refresh_from_db()
    assert study.state == "queued"

    summary = StudyRunner(study, worker_id="e2e-worker").run()

    study.refresh_from_db()
    assert (study.state, study.n_done, study.n_trials) == ("completed", 8, 8)
    assert summary.finished == 8
    assert study.best_value is not None
    for trial in study.trials.all():
        assert services.study_spec(study).space.problems(trial.params) == []
    out = io.StringIO()
    call_command("list_studies", stdout=out)
    assert "e2e" in out.getvalue() and "8/8" in out.getvalue()
