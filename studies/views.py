"""HTML pages. Each renders its first view server-side (small, bounded queries); the
page's script then follows the study live over the websocket from ``last_event_id``."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse

from . import selectors
from .selectors import workbench
from .services.tokens import can_run_studies


@login_required
def study_list(request):
    return render(request, "studies/study_list.html", {"data": selectors.study_list()})


@login_required
def study_page(request, study_id: int):
    page = selectors.study_page(study_id)
    if page is None:
        raise Http404("no such study")
    workbench_context = {
        "can_run": can_run_studies(request.user),
        "note": workbench.study_note(study_id),
        "note_url": reverse("studies:study-note", args=[study_id]),
        "note_number": None,
    }
    return render(request, "studies/study.html", {**page, **workbench_context})


@login_required
def trial_page(request, study_id: int, number: int):
    view = selectors.trial_view(study_id, number)
    if view is None:
        raise Http404("no such trial")
    workbench_context = {
        "can_run": can_run_studies(request.user),
        "note": view["trial"]["note"],  # read with the trial
        "note_url": reverse("studies:trial-note", args=[study_id, number]),
        "note_number": number,
    }
    return render(request, "studies/trial.html", {**view, **workbench_context})
