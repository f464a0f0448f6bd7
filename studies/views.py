"""HTML pages. Each renders its first view server-side (small, bounded queries); the
page's script then follows the study live over the websocket from ``last_event_id``."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from . import dashboard
from .models import Study, Trial


@login_required
def study_list(request):
    return render(request, "studies/study_list.html", {"data": dashboard.study_list()})


@login_required
def study_page(request, study_id: int):
    cursor = dashboard.last_event_id()  # before the study row, so replay covers what follows
    study = get_object_or_404(Study, pk=study_id)
    detail = dashboard.study_detail(study, cursor)
    return render(request, "studies/study.html", {"study": detail, "params": dashboard.study_space(study).names})


@login_required
def trial_page(request, study_id: int, number: int):
    cursor = dashboard.last_event_id()
    study = get_object_or_404(Study, pk=study_id)
    trial = get_object_or_404(Trial, study=study, number=number)
    return render(
        request,
        "studies/trial.html",
        {
            "study": dashboard.study_summary(study),
            "trial": dashboard.trial_detail(study, trial),
            "last_event_id": cursor,
        },
    )
