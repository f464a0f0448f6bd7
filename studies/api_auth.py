"""Who may call the JSON API, and how request bodies are read.

A script sends ``Authorization: Bearer <token>``: no cookie, so no CSRF token either
(a browser page on another site cannot set that header without CORS, which we never
allow). The dashboard's own fetch() calls use the session cookie; then a write must
also carry the CSRF token, exactly as a Django form must.
"""

from __future__ import annotations

import json
import math
from typing import Any

from django.http import HttpRequest
from ninja.errors import AuthenticationError, AuthorizationError
from ninja.parser import Parser
from ninja.security import HttpBearer
from ninja.utils import check_csrf

from .services import tokens

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class TokenOrSession(HttpBearer):
    """A bearer token, else a logged-in session; ``write`` also needs the run permission."""

    def __init__(self, write: bool = False):
        self.write = write
        super().__init__()

    def __call__(self, request: HttpRequest) -> Any:
        user = self._user(request)
        if self.write and not tokens.can_run_studies(user):
            raise AuthorizationError(
                message=f"user {user.get_username()!r} may not run studies: a staff user, or one with the "
                "'studies.run_studies' permission (admin: Users), can"
            )
        return user

    def _user(self, request: HttpRequest):
        header = request.headers.get("Authorization")
        if header is not None:
            scheme, _, raw = header.partition(" ")
            if scheme.lower() != "bearer" or not raw.strip():
                raise AuthenticationError(message="the Authorization header must be 'Bearer <token>'")
            user = tokens.authenticate(raw.strip())
            if user is None:
                raise AuthenticationError(
                    message="unknown or revoked API token; create one with manage.py create_token USER"
                )
            request.user = user
            return user
        if not request.user.is_authenticated:
            raise AuthenticationError(message="log in first: POST /login/ in a browser, or send 'Bearer <token>'")
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise AuthorizationError(
                message="CSRF token missing or wrong: send the csrftoken cookie's value as X-CSRFToken, "
                "or use an API token instead of the session"
            )
        return request.user

    def authenticate(self, request: HttpRequest, token: str) -> Any:  # pragma: no cover - __call__ decides
        return None


class BadBody(ValueError):
    """The body is not JSON the API accepts; the message says why, ``errors`` where."""

    def __init__(self, message: str, errors: list[tuple[str, str]] | None = None):
        super().__init__(message)
        self.errors = errors or []


class _NotFinite:
    """Stands in for a NaN/Infinity literal or an overflowing float until its path is known."""

    def __init__(self, text: str):
        self.text = text


def _finite(text: str) -> float | _NotFinite:
    value = float(text)
    return value if math.isfinite(value) else _NotFinite(text)


def _problem(value: Any) -> str | None:
    if isinstance(value, _NotFinite):
        return f"{value.text} is not a number the API accepts: numbers must be finite"
    if isinstance(value, str) and "\x00" in value:
        return "contains a NUL character (\\u0000), which cannot be stored; remove it"
    return None


def _unstorable(data: Any) -> list[tuple[str, str]]:
    """Each non-finite number and NUL-carrying string, with its path (``search_space[0].low``).

    Iterative: json.loads accepts nesting deeper than a recursive walk could follow.
    """
    found: list[tuple[str, str]] = []
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                child = f"{path}.{key}" if path else str(key)
                if (problem := _problem(key)) is not None:
                    found.append((f"{child} (the key)", problem))
                stack.append((child, item))
        elif isinstance(value, list):
            stack.extend((f"{path}[{index}]", item) for index, item in enumerate(value))
        elif (problem := _problem(value)) is not None:
            found.append((path or "body", problem))
    return sorted(found)


class StrictJSON(Parser):
    """JSON as the standard says: no NaN/Infinity literals, no overflowing floats, no NUL."""

    def parse_body(self, request: HttpRequest) -> Any:
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError:
            raise BadBody("the body must be UTF-8 encoded JSON") from None
        try:
            data = json.loads(text, parse_constant=_NotFinite, parse_float=_finite)
        except ValueError as exc:  # JSONDecodeError, or an integer of too many digits
            raise BadBody(f"the body is not valid JSON: {exc}") from None
        except RecursionError:
            raise BadBody("the body is nested too deeply") from None
        if errors := _unstorable(data):
            raise BadBody("; ".join(f"{path}: {message}" for path, message in errors), errors)
        return data
