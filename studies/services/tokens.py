"""API tokens: create (shown once), authenticate a bearer token, revoke, and who may write.

Only the SHA-256 of a token is stored. A token carries 256 bits from ``secrets``, so a
plain hash is enough (no salt or slow hash is needed against guessing, unlike a
password) and lets a request find its token with one indexed lookup.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from ..models import ApiToken

TOKEN_PREFIX = "smz_"
PREFIX_LENGTH = 12  # "smz_" and 8 random characters: enough to tell tokens apart in the admin
MAX_TOKEN_LENGTH = 200
# last_used_at moves at most this often, so the hot path does not write a row per request.
TOUCH_EVERY = timedelta(seconds=60)
RUN_PERMISSION = "studies.run_studies"


class UnknownUser(LookupError):
    def __init__(self, username: str):
        super().__init__(f"no user named {username!r}; create one first with manage.py create_login {username}")


def digest_of(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_token(username: str, name: str = "") -> tuple[ApiToken, str]:
    """A new token for ``username``: the row and the token itself, which is never stored."""
    try:
        user = get_user_model().objects.get(username=username)
    except get_user_model().DoesNotExist:
        raise UnknownUser(username) from None
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=raw[:PREFIX_LENGTH], digest=digest_of(raw))
    return token, raw


def authenticate(raw: str):
    """The active user of a valid, unrevoked token, or None."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > MAX_TOKEN_LENGTH:
        return None
    try:  # get(): the digest is unique, and first() would sort by created_at for nothing
        token = ApiToken.objects.select_related("user").get(digest=digest_of(raw), revoked=False)
    except ApiToken.DoesNotExist:
        return None
    if not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or token.last_used_at < now - TOUCH_EVERY:
        # Conditional, so concurrent requests with one token write the row once.
        ApiToken.objects.filter(pk=token.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - TOUCH_EVERY)
        ).update(last_used_at=now)
    return token.user


def revoke_tokens(token_ids) -> int:
    return ApiToken.objects.filter(pk__in=list(token_ids), revoked=False).update(revoked=True)


def can_run_studies(user) -> bool:
    """Writes need staff or the ``run_studies`` permission (superusers have every permission)."""
    return bool(user and user.is_active and (user.is_staff or user.has_perm(RUN_PERMISSION)))
