"""Only staff reach the study admin; nothing there names code to run."""

from __future__ import annotations

import pytest

from studies.models import Study

from .conftest import ADD_URL, CHANGELIST_URL, form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def user_client(client, django_user_model):
    user = django_user_model.objects.create_user("visitor", password="pw", is_staff=False)
    client.force_login(user)
    return client


def test_a_logged_in_user_who_is_not_staff_is_sent_to_the_admin_login(user_client):
    for url in (CHANGELIST_URL, ADD_URL, "/admin/studies/trial/"):
        response = user_client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_a_user_who_is_not_staff_cannot_create_or_act_on_studies(user_client, admin_client):
    assert user_client.post(ADD_URL, form_data()).status_code == 302
    assert not Study.objects.exists()
    assert admin_client.post(ADD_URL, form_data()).status_code == 302
    study = Study.objects.get()
    for action in ("queue_selected", "export_json", "delete_selected"):
        response = user_client.post(
            CHANGELIST_URL, {"action": action, "index": "0", "post": "yes", "_selected_action": [study.pk]}
        )
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    study.refresh_from_db()
    assert study.state == "created"


def test_an_anonymous_visitor_is_sent_to_the_admin_login(client):
    response = client.get(ADD_URL)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_staff_without_change_permission_cannot_queue(client, django_user_model, admin_client):
    from django.contrib.auth.models import Permission

    assert admin_client.post(ADD_URL, form_data()).status_code == 302
    study = Study.objects.get()
    viewer = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_study"))
    client.force_login(viewer)
    page = client.get(f"/admin/studies/study/{study.pk}/change/")
    assert page.status_code == 200
    assert 'value="queue_selected"' not in page.content.decode()
    client.post(CHANGELIST_URL, {"action": "queue_selected", "index": "0", "_selected_action": [study.pk]})
    study.refresh_from_db()
    assert study.state == "created"
