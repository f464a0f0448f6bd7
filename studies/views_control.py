"""The study page's controls and the notes' edits: POST views for the page's fetch() calls.

Each view parses a JSON body, calls one service and answers JSON: ``{"detail"}`` when
done, ``{"error", "errors": [{"field", "message"}]}`` with a 4xx when not. The session
cookie authenticates them, so Django's CSRF middleware checks every POST (the page
sends the token as ``X-CSRFToken``); only users allowed to run studies may post (403).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_POST

from . import selectors
from .core.errors import SpecError
from .services import StudyLocked, control, notes
from .services.tokens import can_run_studies

MAX_BODY = 64 * 1024  # a note of NOTE_LIMIT characters, JSON-escaped, fits


def refused(status: int, message: str, field: str = "") -> JsonResponse:
    errors = [{"field": field, "message": message}] if field else []
    return JsonResponse({"error": f"{field}: {message}" if field else message, "errors": errors}, status=status)


def control_view(view: Callable[..., str]):
    """Login, the run permission, the study, a JSON object body; errors as JSON 4xx."""

    @require_POST
    @wraps(view)
    def wrapped(request: HttpRequest, study_id: int, **kwargs: Any) -> JsonResponse:
        if not request.user.is_authenticated:
            return refused(401, "log in first")
        if not can_run_studies(request.user):
            return refused(
                403, f"user {request.user.get_username()!r} may not run studies (staff or 'studies.run_studies' may)"
            )
        study = selectors.study_get(study_id)
        if study is None:
            return refused(404, "no such study")
        body = _body(request)
        if isinstance(body, JsonResponse):
            return body
        try:
            detail = view(request.user.get_username(), study, body, **kwargs)
        except control.ControlRefused as exc:
            return refused(400 if exc.field else 409, str(exc), exc.field)
        except SpecError as exc:
            errors = [{"field": path, "message": message} for path, message in exc.errors]
            return JsonResponse({"error": str(exc), "errors": errors}, status=400)
        except StudyLocked as exc:
            return refused(409, str(exc))
        return JsonResponse({"detail": detail})

    return wrapped


def _body(request: HttpRequest) -> dict[str, Any] | JsonResponse:
    if len(request.body) > MAX_BODY:
        return refused(413, f"the body is over {MAX_BODY} bytes")
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return refused(400, "the body must be a JSON object")
    return body if isinstance(body, dict) else refused(400, "the body must be a JSON object")


@control_view
def stop(user: str, study, body) -> str:
    control.stop(study, user=user)
    return "stopped"


@control_view
def resume(user: str, study, body) -> str:
    control.resume(study, user=user)
    return "queued for run_worker"


@control_view
def raise_budget(user: str, study, body) -> str:
    control.raise_budget(study, user=user, n_trials=body.get("n_trials"))
    return f"budget raised to {body['n_trials']}"


@control_view
def enqueue(user: str, study, body) -> str:
    trial = control.enqueue(study, user=user, params=body.get("params"))
    return f"enqueued as trial {trial.number}"


@control_view
def retry(user: str, study, body) -> str:
    control.retry(study, user=user, number=body.get("number"))
    return f"trial {body['number']} re-queued"


@control_view
def fail(user: str, study, body) -> str:
    control.fail(study, user=user, number=body.get("number"))
    return f"trial {body['number']} failed"


@control_view
def study_note(user: str, study, body) -> str:
    notes.set_study_note(study, user=user, text=body.get("text"))
    return "saved"


@control_view
def trial_note(user: str, study, body, number: int) -> str:
    trial = selectors.trial_get(study, number)
    if trial is None:
        raise control.ControlRefused(f"study {study.name!r} has no trial {number}", "number")
    notes.set_trial_note(trial, user=user, text=body.get("text"))
    return "saved"
