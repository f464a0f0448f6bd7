"""The client's errors: one base class, one subclass per kind of answer a script may handle."""

from __future__ import annotations

from typing import Any


class SomatizeError(Exception):
    """Anything the server refused, or a server that could not be reached.

    ``status`` is the HTTP status (``None`` when no answer came), ``error`` the server's
    one-line message and ``body`` its whole JSON answer.
    """

    def __init__(self, error: str, *, status: int | None = None, body: Any = None):
        super().__init__(f"{status}: {error}" if status else error)
        self.error = error
        self.status = status
        self.body = body


class ConfigurationError(SomatizeError, ValueError):
    """The client was not told where the server is or which token to send."""


class ServerUnreachable(SomatizeError):
    """Transient network errors (refused, reset, timeouts, 502/503/504) outlasted the retries."""


class AuthenticationError(SomatizeError):
    """401: the token is missing, wrong or revoked."""


class PermissionDenied(SomatizeError):
    """403: the token's user may read studies but not run them."""


class NotFound(SomatizeError):
    """404: no such study or trial."""


class ValidationError(SomatizeError):
    """400 (413: too large): the request was refused.

    ``errors`` lists ``(field, message)`` pairs when the server gave them.
    """

    @property
    def errors(self) -> list[tuple[str, str]]:
        listed = self.body.get("errors") if isinstance(self.body, dict) else None
        return [(str(e.get("field", "")), str(e.get("message", ""))) for e in listed or [] if isinstance(e, dict)]

    def __str__(self) -> str:
        if not self.errors:
            return super().__str__()
        lines = [f"{self.status}: the server refused the request:"]
        return "\n".join(lines + [f"  {field}: {message}" for field, message in self.errors])


class Conflict(SomatizeError):
    """409: the study or trial is not in a state that allows this (e.g. the trial already ended)."""


class NoTrialAvailable(Conflict):
    """409 on ask: the study has nothing more to hand out (budget used up, or every trial is running)."""


class ServerError(SomatizeError):
    """A 5xx other than 502/503/504: a bug on the server, not retried."""


_BY_STATUS: dict[int, type[SomatizeError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    413: ValidationError,  # too large (e.g. an artifact past the server's limit)
    422: ValidationError,
}


def error_for(status: int, body: Any) -> SomatizeError:
    """The typed error for a non-2xx answer, carrying the server's ``error`` message."""
    message = body.get("error") if isinstance(body, dict) else None
    if not message:
        message = body if isinstance(body, str) and body else f"HTTP {status}"
    kind = _BY_STATUS.get(status, ServerError if status >= 500 else SomatizeError)
    return kind(str(message)[:500], status=status, body=body)
