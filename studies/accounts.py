"""Dashboard logins for a fresh installation (the demo and the tests)."""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password


def ensure_login(username: str, password: str | None = None, staff: bool = False) -> tuple[str, bool]:
    """Create ``username`` or reset its password; returns (password, created).

    Without ``password`` one is generated, so no installation ships a known login.
    A given one must pass AUTH_PASSWORD_VALIDATORS (ValidationError, nothing saved).
    ``staff`` makes it a superuser as well, for the admin.
    """
    model = get_user_model()
    found = model.objects.filter(username=username).first()
    created = found is None
    user = model(username=username) if found is None else found
    if password is not None:
        validate_password(password, user)
    password = password or secrets.token_urlsafe(9)
    user.set_password(password)
    if staff:
        user.is_staff = user.is_superuser = True
    user.save()
    return password, created
