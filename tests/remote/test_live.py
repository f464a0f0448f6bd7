"""The API served by a live Daphne: schemathesis, the lost-client sweep, and concurrent asks on PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import Project
from tests.remote.conftest import Http, project_token, remote_spec
from tests.web.conftest import redis_prefix

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


def test_schemathesis_finds_no_server_error_and_no_response_off_the_schema(project, start_daphne, tmp_path):
    token = project_token(project)
    server = start_daphne(project)
    http = Http(server.url, token)
    status, study = http.post("/api/studies/", remote_spec("fuzzed", n_trials=500))
    assert status == 201
    http.post(f"/api/studies/{study['id']}/ask/")  # a running trial 0 for the trial endpoints to find
    config = tmp_path / "schemathesis.toml"
    # Every generated path names the real study, so the fuzzing reaches past the 404s.
    config.write_text(f'[parameters]\n"path.study_id" = {study["id"]}\n')
    command = [
        str(SCHEMATHESIS),
        "--config-file",
        str(config),
        "run",
        f"{server.url}/api/schema/",
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance",
        "--max-examples",
        "15",
        "--seed",
        "20261203",  # reproducible in CI; change it locally to explore
        "--generation-database",
        "none",
        "--no-color",
    ]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "passed" in result.stdout and "failed" not in result.stdout.split("SUMMARY")[-1]


def test_the_web_process_fails_a_silent_clients_trial_after_the_grace(project, start_daphne):
    project.env["SOMATIZE_HEARTBEAT_GRACE"] = "1"
    token = project_token(project)
    http = Http(start_daphne(project).url, token)
    _, study = http.post("/api/studies/", remote_spec("lonely", n_trials=3, max_retries=1))
    status, given = http.post(f"/api/studies/{study['id']}/ask/", {"worker": "killed"})
    assert status == 200 and given["heartbeat_grace"] == 1.0 and given["heartbeat_interval"] == 0.5
    deadline = time.monotonic() + 20
    trial = None
    while time.monotonic() < deadline:  # nobody asks again: only the web process's sweep can see it
        _, trial = http.get(f"/api/studies/{study['id']}/trials/0/")
        if trial["retries"] == 1:
            break
        time.sleep(0.2)
    assert trial["retries"] == 1 and trial["state"] == "waiting", trial  # failed as lost, then re-queued
    _, events = http.get(f"/api/studies/{study['id']}/events/?after=0")
    failed = [e for e in events["events"] if e["type"] == "trial_failed"]
    assert len(failed) == 1 and failed[0]["data"]["error"].startswith("worker lost: no heartbeat from remote:killed")
    assert http.post(f"/api/studies/{study['id']}/ask/")[1]["params"] == given["params"]


@pytest.mark.postgres
def test_concurrent_asks_on_postgresql_keep_the_budget_and_request_ids(migrated_postgres_url, tmp_path, start_daphne):
    project = Project(tmp_path, database_url=migrated_postgres_url)
    token = project_token(project)
    servers = [Http(start_daphne(project).url, token) for _ in range(2)]  # two processes: real concurrency
    _, study = servers[0].post("/api/studies/", remote_spec("contended", n_trials=20))
    ask = f"/api/studies/{study['id']}/ask/"

    def call(i: int):
        return servers[i % 2].post(ask, {"request_id": f"r{i % 25}", "worker": f"w{i}"})

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(call, range(50)))
    by_request: dict[str, set[int]] = {}
    for i, (status, body) in enumerate(answers):
        if status == 200:
            by_request.setdefault(f"r{i % 25}", set()).add(body["number"])
        else:
            assert status == 409, body
    assert all(len(numbers) == 1 for numbers in by_request.values()), by_request
    numbers = sorted(n for ns in by_request.values() for n in ns)
    assert numbers == list(range(20))  # 25 request ids, 20 trials: each number once, none past the budget

    def tell(i: int):  # every trial told twice at once, through both processes: a retried tell
        number = numbers[i // 2]
        body = {"state": "completed", "value": number / 10}
        return servers[i % 2].post(f"/api/studies/{study['id']}/trials/{number}/tell/", body)[0]

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert set(pool.map(tell, range(2 * len(numbers)))) == {200}
    _, detail = servers[0].get(f"/api/studies/{study['id']}/")
    assert detail["state"] == "completed" and detail["n_done"] == 20 and detail["best_value"] == 0.0


@pytest.mark.postgres
@pytest.mark.redis
def test_ask_report_tell_on_postgresql_with_redis(migrated_postgres_url, redis_url, tmp_path, start_daphne):
    project = Project(tmp_path, database_url=migrated_postgres_url, redis_url=redis_url)
    project.env["SOMATIZE_REDIS_PREFIX"] = redis_prefix()
    http = Http(start_daphne(project).url, project_token(project))
    _, study = http.post("/api/studies/", remote_spec("team", n_trials=2, max_retries=1))
    base = f"/api/studies/{study['id']}"
    for number in range(2):
        status, given = http.post(f"{base}/ask/", {"request_id": f"job-{number}"})
        assert status == 200 and given["number"] == number
        assert http.post(f"{base}/trials/{number}/report/", {"step": 0, "metrics": {"value": 1.0}}) == (
            200,
            {"should_prune": False},
        )
        assert http.post(f"{base}/trials/{number}/heartbeat/")[0] == 204
        assert http.post(f"{base}/trials/{number}/tell/", {"state": "completed", "value": 0.5 + number})[0] == 200
    _, events = http.get(f"{base}/events/?after=0")
    assert [e["type"] for e in events["events"]][-1] == "study_completed"
    assert http.post(f"{base}/ask/")[0] == 409
