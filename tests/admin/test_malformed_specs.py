"""The admin add form refuses every malformed spec with a form error: no 500, no hang, nothing saved."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.conf import settings

from studies.models import Study
from tests.support.malformed_specs import MALFORMED

from .conftest import ADD_URL, form_data

pytestmark = pytest.mark.django_db

# Specs whose fault the form cannot carry: it trims surrounding whitespace (the core
# then sees a valid value), its text fields turn numbers into text that is valid, and
# it has no field for keys outside the spec.
NOT_EXPRESSIBLE = {
    "name-trailing-newline": "the form trims whitespace",
    "metric-newline": "the form trims whitespace",
    "dimension-name-trailing-newline": "the form trims whitespace",
    "description-a-number": "a text field: 5 is the text '5'",
    "n-trials-a-string": "a number field: '5' is 5",
    "dimension-name-a-number": "a text field: 3 is the valid name '3'",
    "choices-a-string": "the choices field reads 'a,b' as two choices",
    "text-empty": "an empty JSON field is a blank option",
    "unknown-field": "no field for it",
    "unknown-field-with-newline": "no field for it",
    "pruner-unknown-option": "no field for it",
}
CASES = [m for m in MALFORMED if m[0] not in NOT_EXPRESSIBLE]


@pytest.fixture
def staff_client(client, django_user_model):
    # No password: hashing one costs a second per test on a busy machine, times 90 cases.
    client.force_login(django_user_model.objects.create(username="staff", is_staff=True, is_superuser=True))
    return client


def text(value: Any) -> str:
    """What a user would type for ``value`` in a text field."""
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value)


def row(item: Any) -> dict:
    if not isinstance(item, dict):
        return {"name": text(item)}
    fields = {key: text(item.get(key)) for key in ("name", "type", "low", "high", "scale")}
    if "choices" in item:
        fields["choices"] = json.dumps(item["choices"])
    if "when" in item:
        fields["condition"] = json.dumps(item["when"])
    return fields


def as_form(spec: Any) -> dict:
    """The add form's POST data for ``spec``; raw text goes where the form takes JSON text."""
    if not isinstance(spec, dict):
        return form_data(sampler_options=text(spec))
    objective = spec.get("objective") if isinstance(spec.get("objective"), dict) else {"metric": spec.get("objective")}
    sampler = (
        dict(spec["sampler"]) if isinstance(spec.get("sampler"), dict) else {"type": json.dumps(spec.get("sampler"))}
    )
    pruner = spec.get("pruner") if isinstance(spec.get("pruner"), dict) else {}
    fields = {
        "name": text(spec.get("name")),
        "description": text(spec.get("description")),
        "executor": text(spec.get("executor")),
        "metric": text(objective.get("metric")),
        "direction": text(objective.get("direction")),
        "sampler_type": text(sampler.pop("type", None)),
        "sampler_seed": text(sampler.pop("seed", None)),
        "points_per_dim": text(sampler.pop("points_per_dim", None)),
        "n_startup": text(sampler.pop("n_startup", None)),
        "sampler_options": json.dumps(sampler) if sampler else "",
        "n_trials": text(spec.get("n_trials")),
        **{key: text(pruner.get(key)) for key in ("n_warmup_steps", "n_min_trials", "percentile")},
        "pruner_type": text(pruner.get("type", "none")),
        **{key: json.dumps(spec[key]) for key in ("objectives", "constraints") if key in spec},
    }
    space = spec.get("search_space")
    rows = [row(item) for item in space] if isinstance(space, list) else []
    return form_data(rows, extra_rows=0, **fields)


@pytest.mark.parametrize(("case", "spec", "path"), CASES, ids=[m[0] for m in CASES])
def test_the_add_form_shows_an_error_for_a_malformed_spec(staff_client, case, spec, path):
    data = as_form(spec)
    started, cpu = time.monotonic(), time.thread_time()
    response = staff_client.post(ADD_URL, data)
    # CPU time is the work this request did (a slow loop shows there); wall time also
    # counts the other test runs sharing the machine, so it only guards against a hang.
    assert time.thread_time() - cpu < 2 and time.monotonic() - started < 10
    if len(data) > settings.DATA_UPLOAD_MAX_NUMBER_FIELDS:
        # Hundreds of rows: Django refuses the request itself before any form reads it.
        assert response.status_code == 400
        assert not Study.objects.exists()
        return
    assert response.status_code == 200, "shown again with errors, not saved and redirected"
    form = response.context["adminform"].form
    assert not form.is_valid()
    assert form.errors or any(row.errors for row in form.dimensions.forms)
    assert not Study.objects.exists()


def test_the_sweep_covers_most_of_the_list():
    assert len(CASES) >= 50
