"""Dashboard logins for a fresh installation (the demo and the tests)."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model


def ensure_login(username: str, password: str | None = None, staff: bool = False) -> tuple[str, bool]:
    """Create ``username`` or reset its password; returns (password, created).

    Without ``password`` one is generated, so no installation ships a known login.
    ``staff`` makes it a superuser as well, for the admin.
    """
    password = password or secrets.token_urlsafe(9)
    user, created = get_user_model().objects.get_or_create(username=username)
    user.set_password(password)
    if staff:
        user.is_staff = user.is_superuser = True
    user.save()
    return password, created
