"""Trial artifacts over the API: list a trial's files, and (remote clients) upload one.

Registered on the one ``api`` (``studies.api``) when the URL conf imports this module.
An upload is the file itself as the request body (``Content-Type`` its type, or
``application/octet-stream``), the artifact's name in ``?name=``: no multipart
encoding, so a client streams any file with the standard library. Downloads are the
page view ``studies:artifact`` (``views_artifacts``), which also takes a token.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from typing import IO

from django.http import JsonResponse
from ninja import Query

from . import selectors
from .api import ERRORS, StudyId, TrialNumber, _found, api, error
from .api_auth import TokenOrSession
from .core.artifacts import ArtifactError, ArtifactTooLarge, check_name, check_size
from .core.trials import TrialState
from .selectors import artifacts as artifact_reads
from .services import artifacts, remote

WRITE = TokenOrSession(write=True)
READ_BYTES = 1024 * 1024
SPOOL_IN_MEMORY = 8 * 1024 * 1024  # larger uploads are spooled to a temporary file
# Django parses these bodies itself (and a session's CSRF check reads them): not a raw file.
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


@api.exception_handler(ArtifactError)
def artifact_refused(request, exc: ArtifactError):
    status = 413 if isinstance(exc, ArtifactTooLarge) else 400
    return error(request, status, str(exc), errors=[{"field": exc.field, "message": exc.reason}])


def _trial(study_id: int, number: int):
    study = _found(selectors.study_get(study_id))
    return _found(selectors.trial_get(study, number))


@api.get(
    "/studies/{study_id}/trials/{number}/artifacts/",
    response={200: list[artifact_reads.ArtifactRow], **ERRORS},
    summary="a trial's artifacts: name, size, type and download URL",
)
def trial_artifacts(request, study_id: StudyId, number: TrialNumber):
    return JsonResponse(artifact_reads.trial_artifacts(_trial(study_id, number)), safe=False)


@api.post(
    "/studies/{study_id}/trials/{number}/artifacts/",
    auth=WRITE,
    response={200: artifact_reads.ArtifactRow, **ERRORS},
    summary="save a file for a trial (the request body is the file; its name in ?name=)",
    description="Saving a name the trial already has replaces that file. At most SOMATIZE_ARTIFACT_MAX_BYTES "
    "bytes (413 beyond). A waiting trial (not started) takes none (409).",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
def upload_artifact(request, study_id: StudyId, number: TrialNumber, name: Query[str | None] = None):
    clean = check_name(name)
    if request.content_type in FORM_TYPES:
        raise ArtifactError(
            f"send the file itself as the body (Content-Type: application/octet-stream), not {request.content_type}",
            "file",
        )
    trial = _trial(study_id, number)
    if trial.state == TrialState.WAITING:
        raise remote.Conflict(f"trial {number} has not started; artifacts belong to trials that ran")
    with _spooled_body(request) as body:
        saved = artifacts.save_artifact(trial, clean, body)
    return JsonResponse(artifact_reads.artifact_row(study_id, number, saved))


@contextlib.contextmanager
def _spooled_body(request) -> Iterator[IO[bytes]]:
    """The request body in a (spooled) temporary file; ArtifactTooLarge past the limit, read or declared."""
    limit = artifacts.max_bytes()
    declared = request.META.get("CONTENT_LENGTH") or ""
    if declared.isdigit():
        check_size(int(declared), limit)  # before reading any of it
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
        total = 0
        while chunk := request.read(READ_BYTES):
            total += len(chunk)
            check_size(total, limit)
            spool.write(chunk)
        spool.seek(0)
        yield spool
