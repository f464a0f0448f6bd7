"""A study with trials keeps its search space and objective; its budget may only grow."""

from __future__ import annotations

import pytest

from studies import services
from studies.core.trials import TrialOutcome
from studies.models import Study, StudyEvent

from .conftest import ADD_URL, change_data, change_url, form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def study_with_trials(staff_client):
    assert staff_client.post(ADD_URL, form_data(n_trials=2)).status_code == 302
    study = Study.objects.get()
    services.start_study(study)
    for _ in range(2):
        claim = services.claim_trial(study, "test-worker")
        services.finish_trial(claim.trial, TrialOutcome.completed(0.5, {"loss": 0.5}))
    study.refresh_from_db()
    assert study.state == "completed"
    return study


def test_the_change_page_explains_the_lock_and_offers_a_clone(staff_client, study_with_trials):
    page = staff_client.get(change_url(study_with_trials))
    form = page.context["adminform"].form
    assert form.fields["executor"].disabled and form.fields["metric"].disabled
    assert all(f.disabled for row in form.dimensions.forms for f in row.fields.values())
    assert not form.fields["n_trials"].disabled and not form.fields["description"].disabled
    html = page.content.decode()
    assert "it has 2 trials" in html
    assert 'form="study-clone_selected-form"' in html
    assert '<input type="hidden" name="action" value="clone_selected">' in html


def test_posted_search_space_and_objective_changes_are_ignored_on_a_locked_study(staff_client, study_with_trials):
    before = study_with_trials.spec
    data = change_data(staff_client, study_with_trials)
    data.update(
        {
            "metric": "accuracy",
            "direction": "maximize",
            "dim-0-low": "-5",
            "executor": "seed_f1",
            "dim-TOTAL_FORMS": "2",
            "dim-INITIAL_FORMS": "0",
        }
    )
    data.update(
        {
            "dim-0-name": "x",
            "dim-0-type": "float",
            "dim-0-high": "1",
            "dim-1-name": "y",
            "dim-1-type": "float",
            "dim-1-low": "-1",
            "dim-1-high": "1",
        }
    )
    response = staff_client.post(change_url(study_with_trials), data)
    assert response.status_code == 302
    study_with_trials.refresh_from_db()
    assert study_with_trials.spec == before


def test_a_spec_edit_that_raced_the_first_trial_is_refused_not_dropped(staff_client):
    assert staff_client.post(ADD_URL, form_data()).status_code == 302
    study = Study.objects.get()
    data = change_data(staff_client, study, metric="other")  # rendered while still editable
    services.start_study(study)
    services.claim_trial(study, "test-worker")
    response = staff_client.post(change_url(study), data)
    assert response.status_code == 200
    assert "can no longer change its search space or objective" in " ".join(
        response.context["adminform"].form.non_field_errors()
    )
    study.refresh_from_db()
    assert study.metric == "loss"


def test_raising_the_budget_of_a_completed_study_makes_it_resumable(staff_client, study_with_trials):
    data = change_data(staff_client, study_with_trials, n_trials=5, description="two more rounds")
    response = staff_client.post(change_url(study_with_trials), data)
    assert response.status_code == 302
    study_with_trials.refresh_from_db()
    assert (study_with_trials.n_trials, study_with_trials.state, study_with_trials.description) == (
        5,
        "stopped",
        "two more rounds",
    )
    assert study_with_trials.spec["n_trials"] == 5
    last = StudyEvent.objects.filter(study=study_with_trials).last()
    assert (last.type, last.data["n_trials"], last.data["state"]) == ("study_progress", 5, "stopped")


def test_lowering_the_budget_of_a_study_with_trials_is_refused(staff_client, study_with_trials):
    response = staff_client.post(
        change_url(study_with_trials), change_data(staff_client, study_with_trials, n_trials=1)
    )
    assert response.status_code == 200
    assert "can only be raised" in " ".join(response.context["adminform"].form.errors["n_trials"])
    study_with_trials.refresh_from_db()
    assert study_with_trials.n_trials == 2


def test_services_refuse_a_search_space_change_whoever_asks(study_with_trials):
    raw = {**study_with_trials.spec}
    raw["search_space"] = [{**raw["search_space"][0], "low": -2.0}, raw["search_space"][1]]
    with pytest.raises(services.StudyLocked, match=r"search_space.*it has 2 trials.*clone it"):
        services.update_study_spec(study_with_trials, raw)
    raw = {**study_with_trials.spec, "objective": {"metric": "loss", "direction": "maximize"}}
    with pytest.raises(services.StudyLocked, match="objective"):
        services.update_study_spec(study_with_trials, raw)


def test_services_refuse_spec_changes_while_a_study_is_queued(staff_client):
    assert staff_client.post(ADD_URL, form_data()).status_code == 302
    study = Study.objects.get()
    services.queue_study(study)
    with pytest.raises(services.StudyLocked, match="it is queued"):
        services.update_study_spec(study, {**study.spec, "objective": {"metric": "f1", "direction": "maximize"}})
    updated = services.update_study_spec(study, {**study.spec, "description": "still editable", "n_trials": 8})
    assert (updated.description, updated.n_trials, updated.state) == ("still editable", 8, "queued")


def test_a_worker_claiming_between_validation_and_save_leaves_the_spec_untouched(staff_client, monkeypatch):
    from studies.admin.forms import StudyForm

    assert staff_client.post(ADD_URL, form_data()).status_code == 302
    study = Study.objects.get()
    data = change_data(staff_client, study, metric="other")
    validate = StudyForm.clean

    def validate_then_a_worker_claims(form):
        cleaned = validate(form)
        services.start_study(study)
        services.claim_trial(study, "racing-worker")
        return cleaned

    monkeypatch.setattr(StudyForm, "clean", validate_then_a_worker_claims)
    response = staff_client.post(change_url(study), data, follow=True)
    study.refresh_from_db()
    assert study.metric == "loss"
    assert "Nothing was saved" in response.content.decode() and "it is running" in response.content.decode()


def test_a_viewer_sees_the_search_space_read_only(client, django_user_model, staff_client):
    from django.contrib.auth.models import Permission

    assert staff_client.post(ADD_URL, form_data()).status_code == 302
    study = Study.objects.get()
    viewer = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_study"))
    client.force_login(viewer)
    form = client.get(change_url(study)).context["adminform"].form
    assert not form.rows_editable
    assert len(form.dimensions.forms) == 2
    assert all(f.disabled for row in form.dimensions.forms for f in row.fields.values())
