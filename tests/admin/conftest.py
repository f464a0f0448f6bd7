"""Helpers for driving the study admin through the Django test client."""

from __future__ import annotations

import pytest
from django.urls import reverse

ADD_URL = "/admin/studies/study/add/"
CHANGELIST_URL = "/admin/studies/study/"

QUADRATIC_DIMS = [
    {"name": "x", "type": "float", "low": "-1", "high": "1"},
    {"name": "y", "type": "float", "low": "-1", "high": "1"},
]


def change_url(study) -> str:
    return reverse("admin:studies_study_change", args=[study.pk])


def form_data(dims=None, *, extra_rows: int = 2, **fields) -> dict:
    """POST data for the study form: the fields a user fills in, plus one row per dimension."""
    data = {
        "name": "admin-quadratic",
        "description": "",
        "executor": "quadratic",
        "metric": "loss",
        "direction": "minimize",
        "sampler_type": "random",
        "sampler_seed": "7",
        "points_per_dim": "",
        "n_startup": "",
        "sampler_options": "",
        "pruner_type": "none",
        "n_warmup_steps": "",
        "n_min_trials": "",
        "percentile": "",
        "n_trials": "6",
        "rendered_locked": "",
    }
    data.update({key: "" if value is None else str(value) for key, value in fields.items()})
    rows = list(QUADRATIC_DIMS if dims is None else dims) + [{}] * extra_rows
    data.update(
        {
            "dim-TOTAL_FORMS": str(len(rows)),
            "dim-INITIAL_FORMS": "0",
            "dim-MIN_NUM_FORMS": "0",
            "dim-MAX_NUM_FORMS": "1000",
        }
    )
    for i, row in enumerate(rows):
        for key in ("name", "type", "low", "high", "scale", "choices", "condition"):
            data[f"dim-{i}-{key}"] = row.get(key, "")
    return data


def change_data(client, study, **changes) -> dict:
    """The POST data the change page would send back unchanged, with ``changes`` applied."""
    page = client.get(change_url(study))
    form = page.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form[name].value()
        data[name] = (
            "" if value is None else (form[name].field.prepare_value(value) if name == "sampler_options" else value)
        )
    dims = form.dimensions
    data.update({f"dim-{k}": v for k, v in dims.management_form.initial.items()})
    for i, row in enumerate(dims.forms):
        for key in ("name", "type", "low", "high", "scale", "choices", "condition"):
            value = row[key].value()
            data[f"dim-{i}-{key}"] = "" if value is None else value
    data.update({key: "" if value is None else str(value) for key, value in changes.items()})
    return data


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_user("staff", password="pw", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client
