"""The trial log over the API: read it in pages, download it as text, and (remote clients) add to it.

Registered on the one ``api`` (``studies.api``) when the URL conf imports this module.
"""

from __future__ import annotations

from typing import Annotated

from django.http import HttpResponse, JsonResponse
from ninja import Body, Query
from pydantic import Field

from . import selectors
from .api import ERRORS, StudyId, TrialNumber, _found, api
from .api_auth import TokenOrSession
from .api_schemas import StrictBody
from .selectors import workbench
from .services import logs, remote

WRITE = TokenOrSession(write=True)
MAX_LOG_POST = 1_000_000  # characters per request; a client sends more in several


class LogIn(StrictBody):
    text: Annotated[str, Field(max_length=MAX_LOG_POST, description="output lines, newlines included")]


def _trial(study_id: int, number: int):
    study = _found(selectors.study_get(study_id))
    return _found(selectors.trial_get(study, number))


@api.get(
    "/studies/{study_id}/trials/{number}/log/",
    response={200: workbench.LogPage, **ERRORS},
    summary="a trial's stdout/stderr, in chunks after a sequence number",
    description="Ask again with after=<next> while more is true. dropped_chars: output dropped between the "
    "kept head and tail (SOMATIZE_TRIAL_LOG_LIMIT); it lies before the first chunk whose tail is true.",
)
def trial_log(request, study_id: StudyId, number: TrialNumber, after: Query[int] = -1):
    return JsonResponse(workbench.trial_log_page(_trial(study_id, number), after=max(after, -1)))


@api.get(
    "/studies/{study_id}/trials/{number}/log.txt",
    response=ERRORS,  # the 200 is text, described below
    summary="a trial's whole stored log as a text download",
    openapi_extra={
        "responses": {
            "200": {"description": "the log as text", "content": {"text/plain": {"schema": {"type": "string"}}}}
        }
    },
)
def trial_log_text(request, study_id: StudyId, number: TrialNumber):
    trial = _trial(study_id, number)
    response = HttpResponse(workbench.trial_log_text(trial), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="study-{study_id}-trial-{number}.log"'
    return response


@api.post(
    "/studies/{study_id}/trials/{number}/log/",
    auth=WRITE,
    response={200: dict[str, int | None], **ERRORS},
    summary="add output to a running trial's log (remote clients)",
)
def append_trial_log(request, study_id: StudyId, number: TrialNumber, body: Body[LogIn]):
    trial = _trial(study_id, number)
    if trial.state != "running":
        raise remote.Conflict(f"trial {number} is {trial.state}; only a running trial takes log lines")
    return {"seq": logs.append_log(trial, body.text)}
