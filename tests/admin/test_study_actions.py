"""The study actions: queue, clone, export, mark stale trials failed, delete."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from studies import services
from studies.core.trials import TrialOutcome
from studies.models import Study, Trial

from .conftest import ADD_URL, CHANGELIST_URL, change_url, form_data

pytestmark = pytest.mark.django_db


def run_action(client, action: str, *studies, follow: bool = False):
    return client.post(
        CHANGELIST_URL, {"action": action, "index": "0", "_selected_action": [s.pk for s in studies]}, follow=follow
    )


def make_study(client, name: str = "admin-quadratic", **fields) -> Study:
    response = client.post(ADD_URL, form_data(name=name, **fields))
    assert response.status_code == 302
    return Study.objects.get(name=name)


def run_trials(study: Study, n: int) -> None:
    services.start_study(study)
    for i in range(n):
        claim = services.claim_trial(study, "test-worker")
        if i % 3 == 2:
            services.finish_trial(
                claim.trial, TrialOutcome.failed("ValueError: boom", "Traceback ...\nValueError: boom")
            )
        else:
            services.record_intermediate(claim.trial, 0, {"loss": 1.0 + i})
            services.finish_trial(claim.trial, TrialOutcome.completed(0.1 * i, {"loss": 0.1 * i}))
    study.refresh_from_db()


def test_queue_sets_created_and_stopped_studies_queued_and_explains_the_rest(staff_client):
    created, stopped, done = (
        make_study(staff_client, "a"),
        make_study(staff_client, "b"),
        make_study(staff_client, "c", n_trials=1),
    )
    services.start_study(stopped)
    services.stop_study(stopped)
    run_trials(done, 1)
    response = run_action(staff_client, "queue_selected", created, stopped, done, follow=True)
    states = dict(Study.objects.values_list("name", "state"))
    assert states == {"a": "queued", "b": "queued", "c": "completed"}
    page = response.content.decode()
    assert "a run_worker process will pick them up" in page
    assert "Not queued: c (completed)" in page


def test_clone_copies_the_spec_under_a_new_name_without_trials(staff_client):
    study = make_study(staff_client)
    run_trials(study, 3)
    response = run_action(staff_client, "clone_selected", study)
    clone = Study.objects.get(name="admin-quadratic-copy")
    assert response.status_code == 302 and response["Location"] == change_url(clone)
    assert {**clone.spec, "name": study.name} == study.spec
    assert (clone.state, clone.n_done, clone.trials.count()) == ("created", 0, 0)
    run_action(staff_client, "clone_selected", study)
    run_action(staff_client, "clone_selected", clone)
    assert sorted(Study.objects.values_list("name", flat=True)) == [
        "admin-quadratic",
        "admin-quadratic-copy",
        "admin-quadratic-copy-2",
        "admin-quadratic-copy-3",
    ]


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_export_downloads_what_export_study_prints(staff_client, fmt):
    study = make_study(staff_client)
    run_trials(study, 4)
    response = run_action(staff_client, f"export_{fmt}", study)
    out = io.StringIO()
    call_command("export_study", study.name, format=fmt, stdout=out)
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="admin-quadratic.{fmt}"'
    assert response.content.decode() == out.getvalue()
    assert out.getvalue().count("\n") > 4


def test_export_asks_for_exactly_one_study(staff_client):
    a, b = make_study(staff_client, "a"), make_study(staff_client, "b")
    response = run_action(staff_client, "export_json", a, b, follow=True)
    assert "Select exactly one study to export." in response.content.decode()


def test_mark_stale_fails_only_trials_whose_heartbeat_is_too_old(staff_client, settings):
    settings.SOMATIZE_HEARTBEAT_GRACE = 60.0
    study = make_study(staff_client)
    services.start_study(study)
    stale = services.claim_trial(study, "lost-worker").trial
    fresh = services.claim_trial(study, "live-worker").trial
    Trial.objects.filter(pk=stale.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=120))
    Trial.objects.filter(pk=fresh.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=30))
    response = run_action(staff_client, "fail_stale_selected", study, follow=True)
    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert (stale.state, fresh.state) == ("failed", "running")
    assert "worker lost" in stale.error
    assert "Marked 1 stale trial failed (no heartbeat for over 60 s)" in response.content.decode()


def test_delete_asks_for_confirmation_first(staff_client):
    study = make_study(staff_client)
    run_trials(study, 2)
    confirm = run_action(staff_client, "delete_selected", study)
    assert confirm.status_code == 200 and "Are you sure" in confirm.content.decode()
    assert Study.objects.filter(pk=study.pk).exists()
    staff_client.post(
        CHANGELIST_URL, {"action": "delete_selected", "index": "0", "post": "yes", "_selected_action": [study.pk]}
    )
    assert not Study.objects.exists() and not Trial.objects.exists()


def test_the_change_page_offers_every_action_as_a_button(staff_client):
    study = make_study(staff_client)
    html = staff_client.get(change_url(study)).content.decode()
    for action in ("queue_selected", "clone_selected", "export_json", "export_csv", "fail_stale_selected"):
        assert f'<input type="hidden" name="action" value="{action}">' in html
    assert f"?study__id__exact={study.pk}" in html


def test_the_list_shows_progress_best_value_and_filters_by_state_and_executor(staff_client):
    study = make_study(staff_client, "listed", n_trials=5, direction="maximize")
    run_trials(study, 2)
    make_study(staff_client, "other", executor="seed_f1", metric="f1", direction="maximize")
    page = staff_client.get(CHANGELIST_URL)
    rows = {row.name: row for row in page.context["cl"].result_list}
    assert set(rows) == {"listed", "other"}
    html = page.content.decode()
    assert "2/5" in html and "0.1 (trial 1)" in html
    assert [s.name for s in staff_client.get(CHANGELIST_URL, {"executor": "seed_f1"}).context["cl"].result_list] == [
        "other"
    ]
    assert [
        s.name for s in staff_client.get(CHANGELIST_URL, {"state__exact": "running"}).context["cl"].result_list
    ] == ["listed"]
    assert [s.name for s in staff_client.get(CHANGELIST_URL, {"q": "list"}).context["cl"].result_list] == ["listed"]
