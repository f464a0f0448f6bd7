"""API tokens: create (shown once), authenticate a bearer token, revoke, and who may write.

Only the SHA-256 of a token is stored. A token carries 256 bits from ``secrets``, so a
plain hash is enough (no salt or slow hash is needed against guessing, unlike a
password) and lets a request find its token with one indexed lookup.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from ..models import ApiToken

TOKEN_PREFIX = "smz_"
PREFIX_LENGTH = 12  # "smz_" and 8 random characters: enough to tell tokens apart in the admin
MAX_TOKEN_LENGTH = 200
# last_used_at moves at most this often, so the hot path does not write a row per request.
TOUCH_EVERY = timedelta(seconds=60)
RUN_PERMISSION = "studies.run_studies"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


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


def _holds_run_permission(user_id: int) -> bool:
    """Whether the user holds ``run_studies`` directly or through a group: one statement.

    ModelBackend's ``has_perm`` would read all of the user's permissions in two, on
    every write of a non-staff token.
    """
    with connection.cursor() as cursor:
        cursor.execute(_run_permission_sql(), [user_id, user_id, *RUN_PERMISSION.split(".")[::-1]])
        return cursor.fetchone() is not None


@functools.cache
def _run_permission_sql() -> str:
    """Parameters: the user id twice, then the permission's codename and app label."""
    user_model = get_user_model()
    table = connection.ops.quote_name
    user_perms = table(user_model.user_permissions.through._meta.db_table)
    user_groups = table(user_model.groups.through._meta.db_table)
    group_perms = table(Group.permissions.through._meta.db_table)
    return (
        f"SELECT 1 FROM {table(Permission._meta.db_table)} p "
        f"JOIN {table(ContentType._meta.db_table)} c ON c.id = p.content_type_id "
        f"WHERE (p.id IN (SELECT permission_id FROM {user_perms} WHERE user_id = %s) "
        f"OR p.id IN (SELECT gp.permission_id FROM {group_perms} gp "
        f"JOIN {user_groups} ug ON ug.group_id = gp.group_id WHERE ug.user_id = %s)) "
        "AND p.codename = %s AND c.app_label = %s"
    )


def can_run_studies(user) -> bool:
    """Writes need staff or the ``run_studies`` permission (superusers have every permission).

    With Django's own backend alone (the default) the permission tables are read in
    one statement; other backends get their say through ``has_perm``.
    """
    if not (user and user.is_active):
        return False
    if user.is_staff or user.is_superuser:
        return True
    if list(settings.AUTHENTICATION_BACKENDS) != [MODEL_BACKEND]:
        return user.has_perm(RUN_PERMISSION)
    if not hasattr(user, "_may_run_studies"):  # a page may ask more than once per request
        user._may_run_studies = _holds_run_permission(user.pk)
    return user._may_run_studies
