"""The malformed-spec sweep (issue 9) through the HTTP API: each is a 400 naming its field."""

from __future__ import annotations

import time

import pytest

from studies.models import Study
from tests.support.malformed_specs import MALFORMED
from tests.test_malformed_specs import spec_text

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("case", "spec", "path"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_post_studies_refuses_a_malformed_spec_with_a_400_naming_the_field(api, case, spec, path):
    started, cpu = time.monotonic(), time.thread_time()
    response = api.post("/api/studies/", raw=spec_text(spec))
    # CPU time is this request's own work; wall time only guards a hang on a shared machine.
    assert time.thread_time() - cpu < 2 and time.monotonic() - started < 10
    assert response.status_code == 400, response.content[:300]
    body = response.json()
    assert body["error"] and "Traceback" not in body["error"]
    if path:
        fields = [e["field"] for e in body.get("errors", [])]
        assert path in fields or f"{path}: " in body["error"], (fields, body["error"][:300])
    assert not Study.objects.exists()
