"""JSON endpoints: the same data as the pages and sockets, with an ``after`` cursor.

Every response carries ``last_event_id``: read a resource, then open the websocket with
``?after=<last_event_id>`` and nothing is missed between the two.
"""

from __future__ import annotations

from functools import wraps

from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from . import dashboard, events
from .core.errors import SpecError
from .core.trialquery import parse_trial_query
from .models import Study, Trial
from .plots import plot_data
from .shapes import EventPage

EVENT_PAGE = 1000


def api_login_required(view):
    """401 with a JSON body (not a redirect to the login page) for scripts and fetch()."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return JsonResponse({"error": "log in first: POST /login/ or use a browser session"}, status=401)
        return view(request, *args, **kwargs)

    return wrapped


def bad_request(error: SpecError) -> JsonResponse:
    return JsonResponse({"error": str(error), "fields": {path: message for path, message in error.errors}}, status=400)


def _cursor(request, name: str = "after") -> int:
    try:
        return events.parse_cursor(request.GET.get(name, "0"))
    except ValueError as exc:
        raise SpecError([(name, str(exc))]) from None


def _event_page(after: int, **filters) -> EventPage:
    """Up to EVENT_PAGE events after ``after``; ``last_event_id`` is where to resume from."""
    cursor = dashboard.last_event_id()  # read first: everything up to it is visible now
    page = dashboard.events_after(after, limit=EVENT_PAGE + 1, **filters)
    more = len(page) > EVENT_PAGE
    page = page[:EVENT_PAGE]
    resume = page[-1]["id"] if more else max([cursor, after] + [e["id"] for e in page[-1:]])
    return {"events": page, "more": more, "last_event_id": resume}


@require_GET
@api_login_required
def studies(request):
    return JsonResponse(dashboard.study_list())


@require_GET
@api_login_required
def study(request, study_id: int):
    cursor = dashboard.last_event_id()  # before the study row, so replay covers what follows
    return JsonResponse(dashboard.study_detail(get_object_or_404(Study, pk=study_id), cursor))


@require_GET
@api_login_required
def plots(request, study_id: int):
    return JsonResponse(plot_data(get_object_or_404(Study, pk=study_id)))


@require_GET
@api_login_required
def trials(request, study_id: int):
    found = get_object_or_404(Study, pk=study_id)
    try:
        query = parse_trial_query(dict(request.GET.lists()), dashboard.study_space(found))
    except SpecError as exc:
        return bad_request(exc)
    return JsonResponse(dashboard.trial_page(found, query))


@require_GET
@api_login_required
def trial(request, study_id: int, number: int):
    found = get_object_or_404(Study, pk=study_id)
    return JsonResponse(dashboard.trial_detail(found, get_object_or_404(Trial, study=found, number=number)))


@require_GET
@api_login_required
def study_events(request, study_id: int):
    get_object_or_404(Study, pk=study_id)
    try:
        after = _cursor(request)
    except SpecError as exc:
        return bad_request(exc)
    return JsonResponse(_event_page(after, study_id=study_id))


@require_GET
@api_login_required
def list_events(request):
    try:
        after = _cursor(request)
    except SpecError as exc:
        return bad_request(exc)
    return JsonResponse(_event_page(after, types=events.LIST_EVENT_TYPES))
