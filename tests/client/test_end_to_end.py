"""Issue 10's "done when": training scripts in a venv of their own run a study live.

Three client processes, in a virtual environment holding only the client (no Django),
run a pruned study against Daphne on PostgreSQL + Redis while Chromium watches the
study page; one client is killed with SIGKILL mid-trial. Its trial must fail as lost
after the heartbeat grace, and the budget must still be met exactly.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.client.conftest import Remote, create_token, remote_spec
from tests.conftest import Project
from tests.web.conftest import redis_prefix
from tests.web.test_browser import log_in

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.browser]

N_CLIENTS, PER_CLIENT = 3, 20
N_TRIALS = N_CLIENTS * PER_CLIENT
GRACE = 3  # seconds without a heartbeat before a trial is declared lost
TERMINAL = {"completed", "pruned", "failed"}

TRAINING_SCRIPT = """
import sys, time
from somatize_client import Client, TrialPruned

study = Client().study(sys.argv[1])  # SOMATIZE_URL, SOMATIZE_TOKEN

def objective(trial):
    print("started", trial.number, flush=True)
    x = trial.params["x"]
    for step in range(5):
        time.sleep(0.05)
        trial.report(step, value=x + 1.0 / (step + 1))
        if trial.should_prune():
            raise TrialPruned()
    return x

study.optimize(objective, n_trials=None if sys.argv[2] == "all" else int(sys.argv[2]))
"""


def start_client(python: Path, script: Path, env: dict, limit: str) -> subprocess.Popen:
    return subprocess.Popen(
        [python, script, "remote-e2e", limit], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def nth_started_trial(process: subprocess.Popen, n: int) -> int:
    """Read the client's output until it starts its n-th trial; that trial's number."""
    for _ in range(n):
        line = process.stdout.readline().split()
        assert line[:1] == ["started"], (line, process.stderr.read() if process.poll() is not None else "")
    return int(line[1])


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def assert_declared_lost_after_the_grace(remote, study, lost: int, killed_at: float) -> None:
    lost_trial = wait_for(
        lambda: (t := remote.trial(study.id, lost))["state"] != "running" and t,
        timeout=GRACE + 30,
        what=f"trial {lost} to be declared lost",
    )
    assert lost_trial["state"] == "failed" and "lost" in lost_trial["error"]
    assert time.monotonic() - killed_at >= GRACE  # not before the grace period


def open_live_study_page(chromium, daphne):
    page = chromium.new_context().new_page()
    log_in(page, daphne.url)
    page.get_by_role("link", name="remote-e2e", exact=True).click()
    page.wait_for_selector("#connection[data-state=live]")
    assert page.inner_text('[data-live="progress"]') == "0%"
    page.evaluate("window.__notReloaded = true")
    return page


def test_client_processes_in_their_own_venv_run_a_live_study_and_a_killed_one_is_declared_lost(
    tmp_path, migrated_postgres_url, redis_url, start_daphne, chromium, client_venv
):
    project = Project(tmp_path, database_url=migrated_postgres_url, redis_url=redis_url)
    project.env.update(SOMATIZE_REDIS_PREFIX=redis_prefix(), SOMATIZE_HEARTBEAT_GRACE=str(GRACE))
    token = create_token(project, "viewer", password="viewer-password")  # the login log_in() uses
    daphne = start_daphne(project)
    remote = Remote(project, daphne, token)
    pruner = {"type": "median", "n_warmup_steps": 1, "n_min_trials": 3}
    space = [{"name": "x", "type": "float", "low": 0, "high": 1}]
    study = remote.client().create_study(
        remote_spec("remote-e2e", n_trials=N_TRIALS, pruner=pruner, search_space=space)
    )

    page = open_live_study_page(chromium, daphne)

    script = tmp_path / "train.py"
    script.write_text(TRAINING_SCRIPT)
    # Only what a training job would have: no PYTHONPATH to the project, no Django settings.
    env = {"PATH": os.environ["PATH"], "SOMATIZE_URL": daphne.url, "SOMATIZE_TOKEN": token}
    clients = [start_client(client_venv, script, env, str(PER_CLIENT)) for _ in range(N_CLIENTS)]
    try:
        victim = clients.pop(0)
        lost = nth_started_trial(victim, 3)  # printed as the trial starts: it is mid-trial now
        victim.kill()
        victim.wait()
        killed_at = time.monotonic()
        page.wait_for_function("() => document.querySelector('[data-live=\"progress\"]').textContent !== '0%'")
        # A replacement takes over what the killed client would have run: the study says when to stop.
        clients.append(start_client(client_venv, script, env, "all"))
        for process in clients:
            assert process.wait(timeout=120) == 0, process.stderr.read()
    finally:
        for process in clients:
            process.kill()

    assert_declared_lost_after_the_grace(remote, study, lost, killed_at)

    page.wait_for_function("() => document.querySelector('[data-live=\"progress\"]').textContent === '100%'")
    assert page.evaluate("window.__notReloaded === true")  # updated live, never reloaded
    assert page.inner_text('[data-live="trials-done"]') == str(N_TRIALS)

    stored = remote.trials(study.id)
    assert [t["number"] for t in stored] == list(range(N_TRIALS))  # the budget exactly, none twice
    states = [t["state"] for t in stored]
    assert set(states) <= TERMINAL and "pruned" in states and "completed" in states
    assert study.info()["state"] == "completed"
