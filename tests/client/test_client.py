"""The remote client against a live Daphne on SQLite: configuration, errors, ask/tell, optimize.

Everything goes over real HTTP to a real server process; the client is the package in
client/, imported from source (tests/client/test_end_to_end.py installs it in a venv).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from somatize_client import (
    AuthenticationError,
    Client,
    ConfigurationError,
    Conflict,
    NotFound,
    NoTrialAvailable,
    PermissionDenied,
    TrialPruned,
    ValidationError,
)
from tests.client.conftest import create_token, remote_spec
from tests.conftest import ROOT


def test_the_client_takes_its_server_and_token_from_the_environment(remote, monkeypatch):
    monkeypatch.setenv("SOMATIZE_URL", remote.url)
    monkeypatch.setenv("SOMATIZE_TOKEN", remote.token)
    study = Client().create_study(remote_spec("from-env"))
    assert study.info()["name"] == "from-env"

    monkeypatch.delenv("SOMATIZE_URL")
    monkeypatch.delenv("SOMATIZE_TOKEN")
    with pytest.raises(ConfigurationError, match="SOMATIZE_URL and SOMATIZE_TOKEN"):
        Client()


def test_refused_requests_raise_typed_errors_with_the_servers_message(remote):
    with pytest.raises(AuthenticationError) as refused:
        Client(remote.url, "not-a-token").study("anything")
    assert refused.value.status == 401 and refused.value.error

    client = remote.client()
    with pytest.raises(ValidationError) as invalid:
        client.create_study(remote_spec("bad", n_trials=0, sampler={"type": "simulated-annealing"}))
    assert invalid.value.status == 400
    fields = [field for field, _ in invalid.value.errors]
    assert any("n_trials" in f for f in fields) and any("sampler" in f for f in fields), fields
    with pytest.raises(NotFound):
        client.study("no-such-study")

    study = client.create_study(remote_spec("guarded"))
    reader = Client(remote.url, create_token(remote.project, "reader", staff=False))
    assert reader.study("guarded").id == study.id  # any login may read
    with pytest.raises(PermissionDenied) as denied:
        reader.study("guarded").ask()  # but running trials needs the permission
    assert denied.value.status == 403 and denied.value.error


def test_exist_ok_returns_the_study_that_exists_and_without_it_the_name_conflicts(remote):
    client = remote.client()
    first = client.create_study(remote_spec("shared"))
    again = client.create_study(remote_spec("shared", n_trials=99))
    assert again.id == first.id and client.study("shared").id == first.id
    with pytest.raises(Conflict):
        client.create_study(remote_spec("shared"), exist_ok=False)


def test_a_script_asks_reports_and_tells_by_hand(remote):
    study = remote.client().create_study(remote_spec("by-hand", n_trials=4))
    number = study.enqueue({"x": 0.25, "y": 0.5})
    first = study.ask()
    assert (first.number, first.params) == (number, {"x": 0.25, "y": 0.5})
    assert first.report(0, value=1.0) is False and first.should_prune() is False
    first.tell(0.75)
    first.tell(0.75)  # a repeated tell (a retry) is harmless
    with pytest.raises(Conflict):
        first.tell(0.5)

    study.ask().tell_pruned()
    with pytest.raises(RuntimeError), study.ask():
        raise RuntimeError("diverged")
    last = study.ask()
    assert 0 <= last.params["x"] <= 1 and -1 <= last.params["y"] <= 1
    last.tell(metrics={"value": 0.125, "loss": 2.0})
    with pytest.raises(NoTrialAvailable):
        study.ask()

    stored = remote.trials(study.id)
    assert [t["state"] for t in stored] == ["completed", "pruned", "failed", "completed"]
    assert "RuntimeError: diverged" in remote.trial(study.id, 2)["traceback"]
    info = study.info()
    assert (info["state"], info["best_value"], info["best_trial"]) == ("completed", 0.125, 3)


def test_optimize_runs_the_budget_on_two_threads_and_goes_on_after_failures(remote):
    study = remote.client().create_study(remote_spec("threads", n_trials=10))
    threads = set()

    def objective(trial):
        threads.add(threading.current_thread().name)
        time.sleep(0.05)
        if trial.number == 3:
            raise ValueError("bad luck")
        if trial.number == 4:
            raise TrialPruned()
        return trial.params["x"]

    ran = study.optimize(objective, n_jobs=2)  # no n_trials: until the study has nothing to hand out
    assert len(threads) == 2
    assert sorted(t.number for t in ran) == list(range(10))
    stored = {t["number"]: t for t in remote.trials(study.id)}
    assert sorted(stored) == list(range(10))
    assert (stored[3]["state"], stored[4]["state"]) == ("failed", "pruned")
    assert "ValueError: bad luck" in remote.trial(study.id, 3)["traceback"]
    assert all(stored[n]["state"] == "completed" for n in stored if n not in (3, 4))
    assert study.info()["state"] == "completed"


def test_optimize_rides_out_a_server_restart_without_losing_or_repeating_a_trial(remote):
    n_trials = 30
    study = remote.client().create_study(remote_spec("restart", n_trials=n_trials))
    ran: list = []

    def objective(trial):
        time.sleep(0.05)
        return trial.params["x"]

    worker = threading.Thread(target=lambda: ran.extend(study.optimize(objective)), daemon=True)
    worker.start()
    deadline = time.monotonic() + 60
    while study.info()["n_done"] < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    # A crash mid-run (SIGKILL: a request may die half-served); until the server is back,
    # connections are refused. (SIGTERM would do too, but Daphne lingers while clients
    # keep their connections alive, until its 10 s application-close timeout.)
    remote.daphne.process.kill()
    remote.daphne.process.wait()
    time.sleep(1.5)
    remote.daphne.start(port=remote.daphne.port)
    worker.join(timeout=120)
    assert not worker.is_alive()

    assert sorted(t.number for t in ran) == list(range(n_trials))  # each asked once
    stored = remote.trials(study.id)
    assert [t["number"] for t in stored] == list(range(n_trials))
    assert {t["state"] for t in stored} == {"completed"}


CTRL_C_SCRIPT = """
import sys, time
from somatize_client import Client

study = Client().study(sys.argv[1])

def objective(trial):
    print("running", trial.number, flush=True)
    time.sleep(60)
    return 1.0

try:
    study.optimize(objective, n_trials=3)
except KeyboardInterrupt:
    print("stopped", flush=True)
    sys.exit(130)
"""


def test_ctrl_c_fails_the_running_trial_as_interrupted_and_exits(remote, tmp_path):
    study = remote.client().create_study(remote_spec("ctrl-c", n_trials=3))
    script = tmp_path / "train.py"
    script.write_text(CTRL_C_SCRIPT)
    env = {**os.environ, "SOMATIZE_URL": remote.url, "SOMATIZE_TOKEN": remote.token}
    env["PYTHONPATH"] = str(ROOT / "client")
    process = subprocess.Popen(
        [sys.executable, str(script), "ctrl-c"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout.readline().split() == ["running", "0"]
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130, err
    assert out.split() == ["stopped"]
    stored = remote.trials(study.id)
    assert [(t["number"], t["state"]) for t in stored] == [(0, "failed")]  # and no further trial taken
    assert remote.trial(study.id, 0)["error"] == "interrupted"
