"""Malformed bodies and impossible ids: always a 4xx with a JSON error, never a 500."""

from __future__ import annotations

import json

import pytest

from tests.remote.conftest import remote_spec

pytestmark = pytest.mark.django_db

HUGE = "x" * 300_000
BAD_BODIES = {
    "ask/": [
        "not json",
        "[1, 2]",
        '{"worker": 5}',
        '{"request_id": "' + "r" * 101 + '"}',
        '{"worker": "a", "extra": 1}',
        '{"worker": "nul\\u0000"}',
        b"\xff\xfe",
    ],
    "trials/0/report/": [
        "",
        '{"step": -1, "metrics": {"value": 1}}',
        '{"step": 1.5, "metrics": {"value": 1}}',
        '{"step": "1", "metrics": {"value": 1}}',
        '{"step": true, "metrics": {"value": 1}}',
        '{"step": 99999999999, "metrics": {"value": 1}}',
        '{"step": 0, "metrics": {}}',
        '{"step": 0, "metrics": {"value": NaN}}',
        '{"step": 0, "metrics": {"value": Infinity}}',
        '{"step": 0, "metrics": {"value": -Infinity}}',
        '{"step": 0, "metrics": {"value": 1e400}}',
        '{"step": 0, "metrics": {"value": "1"}}',
        '{"step": 0, "metrics": {"value": null}}',
        '{"step": 0, "metrics": {"' + "m" * 201 + '": 1}}',
        '{"step": 0, "metrics": [1]}',
        '{"step": 0, "metrics": {"value": 1}, "more": 1}',
        '{"step": 0, "metrics": {"value": 1' + "0" * 5000 + "}}",
    ],
    "trials/0/tell/": [
        "{}",
        '{"state": "done"}',
        '{"state": "completed", "value": NaN}',
        '{"state": "completed", "value": "0.5"}',
        '{"state": "completed", "step": 3, "value": 1}',
        '{"state": "pruned", "step": -2}',
        '{"state": "failed", "error": "' + HUGE + '"}',
        '{"state": "failed", "error": "a\\u0000b"}',
    ],
    "enqueue/": ["{}", '{"params": []}', '{"params": {"x": NaN, "y": 0}}', '{"params": {"x": 0.5, "y": 0}, "n": 1}'],
}


def test_every_malformed_body_is_a_4xx_with_a_json_error(api, remote_study):
    api.post(f"/api/studies/{remote_study.pk}/ask/")
    for tail, bodies in BAD_BODIES.items():
        for body in bodies:
            response = api.post(f"/api/studies/{remote_study.pk}/{tail}", raw=body)
            assert 400 <= response.status_code < 500, (tail, body[:80], response.status_code)
            assert response["Content-Type"].startswith("application/json"), (tail, body[:80])
            assert isinstance(response.json()["error"], str) and response.json()["error"], (tail, body[:80])
    trial = api.get(f"/api/studies/{remote_study.pk}/trials/0/").json()
    assert trial["state"] == "running" and trial["intermediate"] == []


def test_a_bad_spec_lists_every_error_with_its_field(api):
    spec = {**remote_spec("ok"), "name": "bad name!", "n_trials": 0, "colour": "red"}
    spec["search_space"] = [{"name": "x", "type": "float", "low": 2, "high": 1}]
    response = api.post("/api/studies/", spec)
    assert response.status_code == 400
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"name", "n_trials", "colour", "search_space[0].low"} <= fields
    for raw in ("[]", '"spec"', "{", '{"name": NaN}'):
        assert api.post("/api/studies/", raw=raw).status_code == 400, raw


def test_a_taken_name_is_409_with_the_existing_id(api):
    first = api.post("/api/studies/", remote_spec("twice")).json()
    again = api.post("/api/studies/", remote_spec("twice"))
    assert again.status_code == 409 and again.json()["id"] == first["id"] and "already exists" in again.json()["error"]
    assert api.get("/api/studies/", name="twice").json()["studies"] == [
        {k: v for k, v in first.items() if k not in ("state",)} | {"state": "created"}
    ]
    assert api.get("/api/studies/", name="nope").json()["studies"] == []


@pytest.mark.parametrize(
    "path",
    [
        "/api/studies/99999999999999999999999/",
        "/api/studies/9223372036854775807/ask/",
        "/api/studies/1/trials/99999999999/report/",
        "/api/events/?after=999999999999999999999999",
        "/api/studies/-1/",
    ],
)
def test_impossible_ids_are_4xx(api, remote_study, path):
    response = api.post(path, {"step": 0, "metrics": {"value": 1}}) if path.endswith(("ask/", "report/")) else None
    response = response or api.get(path)
    assert 400 <= response.status_code < 500, (path, response.status_code)


def test_a_body_past_the_upload_limit_is_413(api, remote_study, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api.post(f"/api/studies/{remote_study.pk}/ask/", raw=json.dumps({"worker": "w" * 2000}))
    assert response.status_code == 413 and response.json()["error"]
