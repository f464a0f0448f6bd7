"""Downloading a trial's artifact: for logged-in users (the page's links) and API tokens.

A browser without a session is sent to the login page; a request with an
``Authorization`` header is answered by its token (401 JSON when it is not valid).
Raster images (PNG, JPEG, GIF, WebP) are served ``inline`` so the trial page can show
them in ``<img>``; everything else, SVG and HTML included (they can carry script), is an
attachment. ``nosniff`` keeps browsers to the declared type, and a sandboxing CSP keeps
a file opened directly from running anything.
"""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404, JsonResponse
from django.views.decorators.http import require_safe
from ninja.errors import HttpError

from .api_auth import TokenOrSession
from .core.artifacts import ArtifactError, shown_inline
from .selectors.artifacts import artifact_get
from .services.artifacts import open_artifact

# Replaces the site's policy on these responses: the file is data, never a page.
SANDBOX_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


@require_safe
def download(request, study_id: int, number: int, name: str):
    if "Authorization" in request.headers:
        try:
            TokenOrSession()(request)
        except HttpError as exc:
            return JsonResponse({"error": str(exc)}, status=exc.status_code)
    elif not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    artifact = artifact_get(study_id, number, name)
    if artifact is None:
        raise Http404(f"trial {number} of study {study_id} has no artifact named {name!r}")
    try:
        file = open_artifact(artifact)
    except ArtifactError as exc:
        return JsonResponse({"error": str(exc)}, status=404)
    inline = shown_inline(artifact.content_type)
    response = FileResponse(file, as_attachment=not inline, filename=artifact.name, content_type=artifact.content_type)
    response["Content-Length"] = str(artifact.size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-cache"
    response["Content-Security-Policy"] = SANDBOX_CSP
    return response
