"""JSON endpoints: the same data as the pages and sockets, with an ``after`` cursor.

Every response carries ``last_event_id``: read a resource, then open the websocket with
``?after=<last_event_id>`` and nothing is missed between the two.
"""

from __future__ import annotations

from functools import wraps

from django.http import Http404, JsonResponse
from django.views.decorators.http import require_GET

from . import events, selectors
from .core.errors import SpecError
from .core.trialquery import parse_trial_query


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


def _found(found):
    """A selector's answer, or 404 when it found nothing."""
    if found is None:
        raise Http404("not found")
    return found


@require_GET
@api_login_required
def studies(request):
    return JsonResponse(selectors.study_list())


@require_GET
@api_login_required
def study(request, study_id: int):
    return JsonResponse(_found(selectors.study_detail(study_id)))


@require_GET
@api_login_required
def plots(request, study_id: int):
    return JsonResponse(selectors.plot_data(_found(selectors.study_get(study_id))))


@require_GET
@api_login_required
def history(request, study_id: int):
    return JsonResponse(selectors.history_all(_found(selectors.study_get(study_id))))


@require_GET
@api_login_required
def trials(request, study_id: int):
    found = _found(selectors.study_get(study_id))
    try:
        query = parse_trial_query(dict(request.GET.lists()), selectors.study_space(found))
    except SpecError as exc:
        return bad_request(exc)
    return JsonResponse(selectors.trial_page(found, query))


@require_GET
@api_login_required
def trial(request, study_id: int, number: int):
    found = _found(selectors.study_get(study_id))
    return JsonResponse(selectors.trial_detail(found, _found(selectors.trial_get(found, number))))


@require_GET
@api_login_required
def study_events(request, study_id: int):
    _found(selectors.study_get(study_id))
    try:
        after = _cursor(request)
    except SpecError as exc:
        return bad_request(exc)
    return JsonResponse(selectors.event_page(after, study_id=study_id))


@require_GET
@api_login_required
def list_events(request):
    try:
        after = _cursor(request)
    except SpecError as exc:
        return bad_request(exc)
    return JsonResponse(selectors.event_page(after, types=events.LIST_EVENT_TYPES))
