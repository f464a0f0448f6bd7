"""Failed logins are throttled per username and per address, on the dashboard and the admin."""

from __future__ import annotations

import pytest

from tests.web.conftest import PASSWORD

pytestmark = pytest.mark.django_db

THROTTLED = "Too many failed logins"


@pytest.fixture(autouse=True)
def quick_hashes(settings):
    # Dozens of attempts: the real hasher's deliberate slowness would cost a minute here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def attempt(client, username, password, url="/login/", address="203.0.113.7"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_five_wrong_passwords_lock_that_username_even_with_the_right_one(client, user, django_user_model):
    for _ in range(5):
        response = attempt(client, "ada", "guess")
        assert response.status_code == 200 and THROTTLED not in response.content.decode()
    refused = attempt(client, "ada", PASSWORD)
    assert refused.status_code == 200 and THROTTLED in refused.content.decode()
    assert "_auth_user_id" not in client.session
    # Another account from the same address is not locked by ada's failures.
    django_user_model.objects.create_user("bob", password=PASSWORD)
    assert attempt(client, "bob", PASSWORD).status_code == 302


def test_a_success_before_the_limit_clears_that_usernames_count(client, user):
    for _ in range(4):
        attempt(client, "ada", "guess")
    assert attempt(client, "ada", PASSWORD).status_code == 302
    client.post("/logout/")
    for _ in range(4):
        attempt(client, "ada", "guess")
    assert attempt(client, "ada", PASSWORD).status_code == 302


def test_twenty_failures_from_one_address_lock_that_address_for_every_account(client, user):
    for i in range(20):
        attempt(client, f"nobody{i}", "guess", address="198.51.100.9")
    assert THROTTLED in attempt(client, "ada", PASSWORD, address="198.51.100.9").content.decode()
    assert attempt(client, "ada", PASSWORD, address="198.51.100.10").status_code == 302


def test_the_admin_login_shares_the_throttle(client, django_user_model):
    django_user_model.objects.create_user("root", password=PASSWORD, is_staff=True)
    for _ in range(5):
        attempt(client, "root", "guess", url="/admin/login/")
    refused = attempt(client, "root", PASSWORD, url="/admin/login/")
    assert refused.status_code == 200 and THROTTLED in refused.content.decode()
    assert attempt(client, "root", PASSWORD).status_code == 200  # the dashboard's login too
