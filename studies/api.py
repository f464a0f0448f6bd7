"""JSON endpoints: the same data as the pages and sockets, with an ``after`` cursor.

Every read response carries ``last_event_id``: read a resource, then open the websocket
with ``?after=<last_event_id>`` and nothing is missed between the two. The API is one
django-ninja ``NinjaAPI``: it checks bodies against their schemas and describes every
endpoint at ``/api/schema/`` (OpenAPI 3). The writes (remote trials) are registered
on the same ``api`` by ``studies.api_remote``, which the URL conf imports; how callers
authenticate is in ``studies.api_auth``.

Errors are turned into JSON here, once for the whole API (handlers below), so the
views hold no error plumbing: every refusal is ``{"error": "..."}`` with a 4xx status,
plus ``errors`` (each field and what to fix) when a body or spec is invalid.
"""

from __future__ import annotations

import json
from functools import wraps
from typing import Annotated, TypeVar

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpResponse, JsonResponse
from ninja import NinjaAPI, Path, Query
from ninja.errors import HttpError, ValidationError

from . import events, selectors
from .api_auth import BadBody, StrictJSON, TokenOrSession
from .api_schemas import ErrorOut
from .core.errors import ObjectiveError, SpecError
from .core.trialquery import parse_trial_query
from .services.remote import Conflict, NameTaken
from .shapes import EventPage, HistoryPoints, ParetoData, PlotData, StudyDetail, StudyList, TrialDetail, TrialPage

T = TypeVar("T")

# Ids beyond these cannot exist (64-bit keys; trial numbers are 32-bit), so they are 404s.
StudyId = Annotated[int, Path(ge=0, le=2**63 - 1)]
TrialNumber = Annotated[int, Path(ge=0, le=2**31 - 1)]
# The refusals the API answers, each as ErrorOut (a 405 comes from Django, before the API).
ERRORS = {frozenset({400, 401, 403, 404, 409, 413}): ErrorOut}


def _schema_needs_login(view):
    """The schema, like every JSON endpoint (DESIGN.md section 7), needs a login or a token."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            TokenOrSession()(request)
        except HttpError as exc:
            return JsonResponse({"error": str(exc)}, status=exc.status_code)
        return view(request, *args, **kwargs)

    return wrapped


api = NinjaAPI(
    title="Somatize Studies",
    version="1",
    description="Studies, trials and events; remote trials ask for configurations and tell results.",
    auth=TokenOrSession(),
    parser=StrictJSON(),
    urls_namespace="api",
    openapi_url="/schema/",
    docs_url=None,  # the interactive docs page would load third-party JavaScript
    docs_decorator=_schema_needs_login,
)


def error(request, status: int, message: str, **extra):
    return api.create_response(request, {"error": message, **extra}, status=status)


@api.exception_handler(SpecError)
def spec_error(request, exc: SpecError):
    return error(
        request,
        400,
        str(exc),
        errors=[{"field": path, "message": message} for path, message in exc.errors],
        fields={path: message for path, message in exc.errors},
    )


@api.exception_handler(ValidationError)
def body_error(request, exc: ValidationError):
    errors = [
        {"field": ".".join(str(p) for p in e["loc"][2:] if p != "body") or "body", "message": e["msg"]}
        for e in exc.errors
    ]
    summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return error(request, 400, f"invalid request: {summary}", errors=errors)


@api.exception_handler(ObjectiveError)
def objective_error(request, exc: ObjectiveError):
    return error(request, 400, str(exc))


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    if isinstance(exc.__cause__, BadBody):  # ninja wraps parser errors; say what was wrong
        bad = exc.__cause__
        return error(request, 400, str(bad), errors=[{"field": path, "message": m} for path, m in bad.errors])
    return error(request, exc.status_code, str(exc))


@api.exception_handler(RequestDataTooBig)
def too_big(request, exc: RequestDataTooBig):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return error(request, 413, f"the body is larger than the {limit} bytes this server accepts")


@api.exception_handler(Http404)
@api.exception_handler(LookupError)
def not_found(request, exc):
    message = str(exc) if isinstance(exc, LookupError) else "no such study or trial"
    return error(request, 404, message.strip('"'))


@api.exception_handler(Conflict)
def conflict(request, exc: Conflict):
    extra = {"id": exc.study_id} if isinstance(exc, NameTaken) else {}
    return error(request, 409, str(exc), **extra)


def _cursor(request, name: str = "after") -> int:
    try:
        return events.parse_cursor(request.GET.get(name, "0"))
    except ValueError as exc:
        raise SpecError([(name, str(exc))]) from None


def _found(found: T | None) -> T:
    """A selector's answer, or 404 when it found nothing."""
    if found is None:
        raise Http404("no such study or trial")
    return found


# Reads return JsonResponse: the dashboard's exact bytes, with no second serialisation.
# ``response=`` declares their shapes (studies.shapes) for the schema.


@api.get("/studies/", response={200: StudyList, **ERRORS}, summary="every study's summary (or one, by name)")
def studies(request, name: str | None = None):
    listing = selectors.study_list()
    if name is not None:
        listing["studies"] = [s for s in listing["studies"] if s["name"] == name]
    return JsonResponse(listing)


@api.get("/studies/{study_id}/", response={200: StudyDetail, **ERRORS}, summary="one study")
def study(request, study_id: StudyId):
    return JsonResponse(_found(selectors.study_detail(study_id)))


@api.get(
    "/studies/{study_id}/plots/",
    response={200: PlotData, **ERRORS},
    summary="bounded plot series",
    description="?metric=NAME: the intermediate values of that metric (default: the objective); "
    "an unknown name is a 400 naming the field metric and listing the study's metrics.",
)
def plots(request, study_id: StudyId, metric: Query[str | None] = None):
    found = _found(selectors.study_get(study_id))
    return JsonResponse(selectors.plot_data(found, selectors.check_metric(found, metric)))


@api.get(
    "/studies/{study_id}/history/",
    response={200: HistoryPoints, **ERRORS},
    summary="every completed trial's number and value (base64 little-endian int32 and float64 arrays)",
    description="In number order, up to 100,000 points a response; with more, ask again with ?after=<last_number>. "
    "?metric=NAME: that metric's returned value instead of the objective's (trials without it are left out); "
    "an unknown name is a 400 naming the field metric and listing the study's metrics.",
)
def history(request, study_id: StudyId, after: Query[str | None] = None, metric: Query[str | None] = None):
    found = _found(selectors.study_get(study_id))
    checked = selectors.check_metric(found, metric)
    return _history_response(selectors.history_all(found, _trial_number_after(after), checked))


def _history_response(points: HistoryPoints) -> HttpResponse:
    """``points`` as JSON, its two base64 strings spliced in rather than scanned by the
    encoder (over a megabyte at 100,000 points, a tenth of the request); base64's alphabet
    needs no JSON escaping."""
    head = json.dumps({key: value for key, value in points.items() if key not in ("numbers", "values")})
    body = f'{head[:-1]}, "numbers": "{points["numbers"]}", "values": "{points["values"]}"}}'
    return HttpResponse(body, content_type="application/json")


def _trial_number_after(raw: str | None) -> int:
    """``?after=`` of the history: a trial number, -1 (the default) for the start."""
    if raw is None or raw == "":
        return -1
    try:
        value = int(raw)
    except ValueError:
        raise SpecError([("after", f"must be a trial number (a whole number), got {raw!r}")]) from None
    if not -1 <= value < 2**31:
        raise SpecError([("after", f"must be a trial number from -1 up, got {value}")])
    return value


@api.get(
    "/studies/{study_id}/pareto/",
    response={200: ParetoData, **ERRORS},
    summary="several objectives: every completed trial's values, the Pareto front and the hypervolume curve",
)
def pareto(request, study_id: StudyId):
    return JsonResponse(selectors.pareto_data(_found(selectors.study_get(study_id))))


@api.get(
    "/studies/{study_id}/trials/",
    response={200: TrialPage, **ERRORS},
    summary="one page of trials",
    description="Also filters by parameter: min.NAME=, max.NAME=, in.NAME= (repeatable).",
)
def trials(
    request,
    study_id: StudyId,
    sort: Query[str | None] = None,
    state: Query[str | None] = None,
    page: Query[str | None] = None,
    page_size: Query[str | None] = None,
):
    found = _found(selectors.study_get(study_id))
    query = parse_trial_query(dict(request.GET.lists()), selectors.study_space(found))
    return JsonResponse(selectors.trial_page(found, query))


@api.get("/studies/{study_id}/trials/{number}/", response={200: TrialDetail, **ERRORS}, summary="one trial")
def trial(request, study_id: StudyId, number: TrialNumber):
    found = _found(selectors.study_get(study_id))
    return JsonResponse(selectors.trial_detail(found, _found(selectors.trial_get(found, number))))


@api.get("/studies/{study_id}/events/", response={200: EventPage, **ERRORS}, summary="a study's events after a cursor")
def study_events(request, study_id: StudyId, after: Query[str | None] = None):
    _found(selectors.study_get(study_id))
    return JsonResponse(selectors.event_page(_cursor(request), study_id=study_id))


@api.get("/events/", response={200: EventPage, **ERRORS}, summary="every study's list events after a cursor")
def list_events(request, after: Query[str | None] = None):
    return JsonResponse(selectors.event_page(_cursor(request), types=events.LIST_EVENT_TYPES))
