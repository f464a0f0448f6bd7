"""Failed-login throttling for the dashboard and the admin login pages.

A small cache-based limiter rather than django-axes: it needs no tables or
migrations, no authentication backend (so ``Client.login``/``force_login`` in tests
and every other login path keep working), and it runs on the default local-memory
cache, or on Redis when REDIS_URL is set so every web process shares the counts.

Failures are counted per username and per client address in a fixed window. Once
either count reaches its limit, logins for that username (or from that address) are
refused without checking the password until the window ends. A success clears the
username's count only: an attacker who owns one account must not reset an address.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache

WINDOW_SECONDS = 15 * 60
MAX_FAILURES_PER_USER = 5  # guessing one account's password
MAX_FAILURES_PER_ADDRESS = 20  # one client trying many accounts (shared NATs leave room)


def _keys(username: str, address: str) -> tuple[str, str]:
    digest = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return f"login-failures:user:{digest}", f"login-failures:address:{address}"


def _count(key: str) -> int:
    # add() starts the window with the first failure; incr() keeps its expiry.
    cache.add(key, 0, WINDOW_SECONDS)
    try:
        return cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.set(key, 1, WINDOW_SECONDS)
        return 1


def is_throttled(username: str, address: str) -> bool:
    user_key, address_key = _keys(username, address)
    counts = cache.get_many([user_key, address_key])
    return counts.get(user_key, 0) >= MAX_FAILURES_PER_USER or counts.get(address_key, 0) >= MAX_FAILURES_PER_ADDRESS


def record_failure(username: str, address: str) -> None:
    for key in _keys(username, address):
        _count(key)


def record_success(username: str, address: str) -> None:
    cache.delete(_keys(username, address)[0])


def client_address(request) -> str:
    # Behind a proxy, Daphne's --proxy-headers puts the forwarded client here.
    return (request.META.get("REMOTE_ADDR") if request is not None else None) or "unknown"


class ThrottledLoginMixin(AuthenticationForm):
    """Refuses a login while its username or address is throttled; counts failures."""

    throttled_message = (
        f"Too many failed logins for this account or from this address. Try again in {WINDOW_SECONDS // 60} minutes."
    )

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        address = client_address(self.request)
        if is_throttled(username, address):
            raise forms.ValidationError(self.throttled_message, code="throttled")
        try:
            cleaned = super().clean()
        except forms.ValidationError as exc:
            if getattr(exc, "code", None) == "invalid_login":
                record_failure(username, address)
            raise
        record_success(username, address)
        return cleaned


class ThrottledAuthenticationForm(ThrottledLoginMixin):
    pass


class ThrottledAdminAuthenticationForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass
