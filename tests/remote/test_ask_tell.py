"""Ask, report, tell, heartbeat and enqueue over HTTP: what a remote client sees and stores."""

from __future__ import annotations

import json

import pytest

from studies import services
from studies.models import StudyEvent, Trial
from studies.runner import StudyRunner
from tests.remote.conftest import remote_spec

pytestmark = pytest.mark.django_db


def url(study, tail: str = "") -> str:
    return f"/api/studies/{study.pk}/{tail}"


def ask(api, study, **body):
    response = api.post(url(study, "ask/"), body)
    assert response.status_code == 200, response.content
    return response.json()


def event_types(study) -> list[str]:
    return list(StudyEvent.objects.filter(study=study).order_by("id").values_list("type", flat=True))


def test_a_remote_trial_goes_through_the_same_events_as_a_workers(api, remote_study):
    given = ask(api, remote_study, worker="gpu-1")
    assert given["number"] == 0 and set(given["params"]) == {"x", "y"} and given["study"] == remote_study.pk
    assert 0 < given["heartbeat_interval"] < given["heartbeat_grace"]
    assert api.post(url(remote_study, "trials/0/report/"), {"step": 0, "metrics": {"value": 2.0}}).json() == {
        "should_prune": False
    }
    assert api.post(url(remote_study, "trials/0/heartbeat/")).status_code == 204
    told = api.post(url(remote_study, "trials/0/tell/"), {"state": "completed", "value": 0.25})
    assert told.status_code == 200 and told.json() == {"number": 0, "state": "completed", "value": 0.25}
    assert event_types(remote_study) == [
        "study_started",
        "trial_started",
        "trial_metric",
        "trial_completed",
        "best_updated",
        "study_progress",
    ]
    trial = Trial.objects.get(study=remote_study, number=0)
    assert trial.worker_id == "remote:gpu-1" and trial.metrics == {"value": 0.25} and trial.duration_ms is not None
    detail = api.get(url(remote_study)).json()
    assert detail["best_value"] == 0.25 and detail["n_done"] == 1 and detail["state"] == "running"


def test_ask_with_a_repeated_request_id_returns_the_same_trial(api, remote_study):
    first = ask(api, remote_study, request_id="job-1")
    assert ask(api, remote_study, request_id="job-1") == first
    assert ask(api, remote_study, request_id="job-2")["number"] == first["number"] + 1
    assert Trial.objects.filter(study=remote_study).count() == 2
    other = services.create_study(remote_spec("other"))
    assert ask(api, other, request_id="job-1")["number"] == 0  # the key is per study


def test_a_re_queued_trial_handed_to_a_request_is_the_answer_to_its_repeat(api):
    study = services.create_study(remote_spec("requeued", n_trials=2))
    enqueued = api.post(url(study, "enqueue/"), {"params": {"x": 0.5, "y": 1}})
    assert enqueued.status_code in (200, 201), enqueued.content
    first = ask(api, study, request_id="job-9")
    assert (first["number"], first["params"]) == (0, {"x": 0.5, "y": 1})
    assert ask(api, study, request_id="job-9") == first
    assert ask(api, study, request_id="job-10")["number"] == 1


def test_an_ask_costs_a_bounded_number_of_database_statements(api, remote_study, django_assert_max_num_queries):
    ask(api, remote_study, request_id="warm-up")  # the study starts on the first ask
    # The token, its user's run permission (not staff), the study with its lost-client
    # check, the row lock with its counts and the request id, the trial, its parameters,
    # the event, and the savepoint around them. (On PostgreSQL the writes travel
    # together: test_round_trips.py counts round trips there.)
    with django_assert_max_num_queries(9):
        ask(api, remote_study, request_id="job-1")


def test_a_repeated_identical_tell_is_a_no_op_and_a_different_one_is_409(api, remote_study):
    ask(api, remote_study)
    body = {"state": "completed", "metrics": {"value": 0.5, "loss": 1.5}}
    assert api.post(url(remote_study, "trials/0/tell/"), body).status_code == 200
    events_before = event_types(remote_study)
    again = api.post(url(remote_study, "trials/0/tell/"), body)
    assert again.status_code == 200 and again.json()["value"] == 0.5
    assert event_types(remote_study) == events_before
    for conflicting in (
        {"state": "completed", "value": 0.7},
        {"state": "failed", "error": "oops"},
        {"state": "pruned"},
    ):
        response = api.post(url(remote_study, "trials/0/tell/"), conflicting)
        assert response.status_code == 409 and "already ended completed" in response.json()["error"]
    assert Trial.objects.get(study=remote_study, number=0).value == 0.5


def test_tell_failed_and_pruned_store_what_the_client_said(api, remote_study):
    ask(api, remote_study)
    ask(api, remote_study)
    api.post(url(remote_study, "trials/0/tell/"), {"state": "failed", "error": "CUDA OOM", "traceback": "Tb..."})
    api.post(url(remote_study, "trials/1/report/"), {"step": 3, "metrics": {"value": 9.0}})
    assert api.post(url(remote_study, "trials/1/tell/"), {"state": "pruned", "step": 3}).json()["state"] == "pruned"
    failed, pruned = Trial.objects.filter(study=remote_study).order_by("number")
    assert (failed.state, failed.error, failed.traceback) == ("failed", "CUDA OOM", "Tb...")
    assert (pruned.state, pruned.pruned_step) == ("pruned", 3)


def test_completed_needs_the_objective_metric_as_a_number(api, remote_study):
    ask(api, remote_study)
    missing = api.post(url(remote_study, "trials/0/tell/"), {"state": "completed", "metrics": {"acc": 1}})
    assert missing.status_code == 400 and "objective metric 'value' missing" in missing.json()["error"]
    disagree = api.post(
        url(remote_study, "trials/0/tell/"), {"state": "completed", "value": 1, "metrics": {"value": 2}}
    )
    assert disagree.status_code == 409 and "disagree" in disagree.json()["error"]
    assert Trial.objects.get(study=remote_study, number=0).state == "running"


def test_report_answers_should_prune_from_the_median_of_completed_peers(api):
    study = services.create_study(
        remote_spec("pruned", n_trials=5, pruner={"type": "median", "n_warmup_steps": 0, "n_min_trials": 2})
    )
    for number, loss in enumerate([1.0, 2.0]):
        ask(api, study)
        assert api.post(url(study, f"trials/{number}/report/"), {"step": 0, "metrics": {"value": loss}}).json() == {
            "should_prune": False  # no completed peers yet
        }
        api.post(url(study, f"trials/{number}/tell/"), {"state": "completed", "value": loss})
    ask(api, study)
    worse = api.post(url(study, "trials/2/report/"), {"step": 0, "metrics": {"value": 5.0}})
    assert worse.json() == {"should_prune": True}
    ask(api, study)
    better = api.post(url(study, "trials/3/report/"), {"step": 0, "metrics": {"value": 0.5}})
    assert better.json() == {"should_prune": False}
    other_metric = api.post(url(study, "trials/3/report/"), {"step": 1, "metrics": {"acc": 0.5}})
    assert other_metric.json() == {"should_prune": False}  # the objective was not reported at step 1


def test_reports_heartbeats_and_tells_of_unknown_or_finished_trials_are_refused(api, remote_study):
    assert api.post(url(remote_study, "trials/0/heartbeat/")).status_code == 404
    assert api.post(url(remote_study, "trials/0/report/"), {"step": 0, "metrics": {"value": 1}}).status_code == 404
    assert api.post("/api/studies/999999/ask/").status_code == 404
    ask(api, remote_study)
    api.post(url(remote_study, "trials/0/tell/"), {"state": "completed", "value": 1.0})
    late = api.post(url(remote_study, "trials/0/report/"), {"step": 0, "metrics": {"value": 1}})
    assert late.status_code == 409 and "not running" in late.json()["error"]
    assert api.post(url(remote_study, "trials/0/heartbeat/")).status_code == 409


def test_ask_starts_a_created_or_stopped_study_and_409s_when_the_budget_is_handed_out(api):
    study = services.create_study(remote_spec("small", n_trials=2))
    ask(api, study)
    study.refresh_from_db()
    assert study.state == "running"
    services.stop_study(study)
    ask(api, study)
    spent = api.post(url(study, "ask/"))
    assert spent.status_code == 409 and "budget of 2 is handed out" in spent.json()["error"]
    for number in (0, 1):
        api.post(url(study, f"trials/{number}/tell/"), {"state": "completed", "value": 1.0})
    done = api.post(url(study, "ask/"))
    assert done.status_code == 409 and "completed" in done.json()["error"]
    assert event_types(study)[-1] == "study_completed"


def test_enqueue_checks_every_parameter_and_the_next_ask_takes_it(api, remote_study):
    bad = api.post(url(remote_study, "enqueue/"), {"params": {"x": 2, "z": 1}})
    assert bad.status_code == 400
    fields = {e["field"]: e["message"] for e in bad.json()["errors"]}
    assert set(fields) == {"params.x", "params.y", "params.z"}
    assert "from 0.0 to 1.0" in fields["params.x"] and "missing" in fields["params.y"]
    assert api.post(url(remote_study, "enqueue/"), {"params": "x=1"}).status_code == 400
    created = api.post(url(remote_study, "enqueue/"), {"params": {"x": 0.3, "y": -0.2}})
    assert created.status_code == 201 and created.json() == {"number": 0}
    assert ask(api, remote_study)["params"] == {"x": 0.3, "y": -0.2}
    assert ask(api, remote_study)["number"] == 1


def test_remote_and_worker_trials_share_one_study(api):
    study = services.create_study({**remote_spec("shared", n_trials=5), "executor": "quadratic"})
    given = ask(api, study, worker="laptop")
    api.post(url(study, "enqueue/"), {"params": {"x": 0.3, "y": -0.2}})
    summary = StudyRunner(services.get_study("shared"), heartbeat_grace=60).run()
    assert summary.finished == 4  # the enqueued trial first, then the rest of the budget; the remote one runs on
    assert Trial.objects.get(study=study, number=1).value == pytest.approx(0.0)
    told = api.post(url(study, f"trials/{given['number']}/tell/"), {"state": "completed", "value": 0.1})
    assert told.status_code == 200
    study.refresh_from_db()
    assert study.state == "completed" and study.n_done == 5
    workers = set(Trial.objects.filter(study=study).values_list("worker_id", flat=True))
    assert "remote:laptop" in workers and len(workers) == 2


def test_a_remote_only_study_is_refused_by_run_study_and_skipped_by_run_worker(project):
    project.run("create_study", str(project.write_spec(remote_spec("remote-only"))))
    result = project.run("run_study", "remote-only", check=False)
    assert result.returncode != 0 and "has no executor" in result.stderr and "Traceback" not in result.stderr
    project.run("create_study", str(project.write_spec({**remote_spec("local", n_trials=2), "executor": "quadratic"})))
    project.run("queue_study", "remote-only")
    project.run("queue_study", "local")
    worker = project.start("run_worker", "--poll", "0.2", "--max-studies", "1", "--in-process")
    try:
        worker.wait(timeout=120)  # it ran "local" and never took "remote-only"
    finally:
        worker.kill()
    states = {}
    for name in ("remote-only", "local"):
        exported = json.loads(project.run("export_study", name, "--format", "json").stdout)
        states[name] = (exported["state"], len(exported["trials"]))
    assert states == {"remote-only": ("queued", 0), "local": ("completed", 2)}


def test_successive_halving_judges_remote_trials_at_rungs_as_they_arrive(api):
    """Asynchronous: trials reach rung 1 out of order; each is judged by who is there then."""
    pruner = {"type": "successive_halving", "min_resource": 1, "reduction_factor": 2}
    study = services.create_study(remote_spec("asha", n_trials=4, pruner=pruner))
    for _ in range(4):
        ask(api, study)

    def report(number: int, step: int, loss: float) -> bool:
        response = api.post(url(study, f"trials/{number}/report/"), {"step": step, "metrics": {"value": loss}})
        return response.json()["should_prune"]

    assert [report(n, 0, 9.0) for n in range(4)] == [False] * 4  # step 0: before the first rung
    # Rungs at steps 1, 2, 4; the study minimises.
    assert report(3, 1, 0.5) is False  # first at rung 1: the best so far
    assert report(0, 1, 0.7) is True  # two there: only the best half (0.5) goes on
    api.post(url(study, "trials/0/tell/"), {"state": "pruned", "step": 1})
    assert report(1, 1, 0.4) is False  # the best so far (the stopped trial still counts)
    assert report(2, 1, 0.45) is False  # four there: the best two, 0.4 and 0.45, go on
    assert report(3, 2, 0.6) is False  # trial 3 reaches rung 2 first: its promotion stands
    assert report(1, 2, 0.3) is False
    assert report(2, 2, 0.65) is True  # three there: only the best, 0.3, goes on
    assert report(1, 3, 0.2) is False  # between rungs: not judged again
