"""On PostgreSQL an ask, a report and a tell cost a bounded number of round trips.

Between requests each statement costs the server process a wake-up (0.5-1 ms), so a
remote call's latency follows how many times it talks to the database: BEGIN and COMMIT
included, each ``execute`` counts once however many statements it carries. Measured
in a real process on a real database, as a client's request sees it: a user with the
run permission (not staff), a bearer token, request ids.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import Project
from tests.remote.conftest import remote_spec
from tests.web.conftest import redis_prefix

COUNT_ROUND_TRIPS = """
import json
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from studies.services import tokens
user = User.objects.create_user("runner")
user.user_permissions.add(Permission.objects.get(codename="run_studies"))
_, raw = tokens.create_token("runner")
client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION="Bearer " + raw)
def post(path, body):
    with CaptureQueriesContext(connection) as queries:
        response = client.post(path, json.dumps(body), content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json(), len(queries)
study = client.post("/api/studies/", json.dumps({spec}), content_type="application/json").json()["id"]
counts = []
for i in range(3):  # the first of each warms caches (the event sequence's name, the token's last use)
    trial, ask = post(f"/api/studies/{{study}}/ask/", {{"request_id": f"job-{{i}}"}})
    base = f"/api/studies/{{study}}/trials/{{trial['number']}}/"
    _, report = post(base + "report/", {{"step": 1, "metrics": {{"value": 2.0}}}})
    _, tell = post(base + "tell/", {{"state": "completed", "value": 1.0 + i}})
    counts.append({{"ask": ask, "report": report, "tell": tell}})
print("COUNTS", json.dumps(counts[-1]))
"""

# BEGIN and COMMIT included (Django logs a COMMIT even when it travelled with the last
# statements, statements.run_together, so these are upper bounds); the user is not
# staff, so its run permission is read (one statement). With Redis the study's publish
# lock is released after publishing: one more.
BUDGET = {"ask": 7, "report": 6, "tell": 7}


@pytest.mark.postgres
@pytest.mark.parametrize("with_redis", [False, pytest.param(True, marks=pytest.mark.redis)])
def test_an_ask_a_report_and_a_tell_each_cost_a_few_round_trips(request, tmp_path, with_redis):
    redis_url = request.getfixturevalue("redis_url") if with_redis else None
    project = Project(tmp_path, database_url=request.getfixturevalue("migrated_postgres_url"), redis_url=redis_url)
    project.env["SOMATIZE_REDIS_PREFIX"] = redis_prefix()
    code = COUNT_ROUND_TRIPS.format(spec=json.dumps(remote_spec("round-trips", n_trials=10)))
    output = project.run("shell", "-c", code).stdout
    counts = json.loads(output.split("COUNTS", 1)[1])
    extra = 1 if with_redis else 0
    over = {call: n for call, n in counts.items() if n > BUDGET[call] + extra}
    assert not over, f"round trips over budget {BUDGET} (+{extra}): {counts}"
