"""Trial logs: what an executor writes at the fd level is stored in order, bounded, and served."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from studies import services
from studies.core.trials import TrialOutcome
from studies.models import TrialLog
from studies.selectors import workbench
from studies.services import logs
from tests.client.conftest import remote, remote_spec  # noqa: F401  (a module's live server and token)
from tests.web.conftest import quadratic_spec

ONE_DIM = [{"name": "x", "type": "float", "low": 0, "high": 1}]


def stored_logs(project, study: str) -> dict[int, dict]:
    """Each trial's stored text and dropped count, read in a manage.py shell."""
    code = (
        "import json; from studies.models import Trial; from studies.selectors import workbench as w\n"
        f"trials = Trial.objects.filter(study__name={study!r}).order_by('number')\n"
        "print(json.dumps({t.number: {'text': w.trial_log_text(t), 'dropped': getattr(getattr(t, 'log', None), "
        "'dropped_chars', 0)} for t in trials}))"
    )
    return {int(k): v for k, v in json.loads(project.run("shell", "-c", code).stdout.strip().splitlines()[-1]).items()}


def test_output_from_python_logging_c_and_subprocesses_lands_in_each_trials_log(project):
    project.run("create_study", str(project.write_spec(quadratic_spec("noisy", 2, "noisy", search_space=ONE_DIM))))
    project.run("run_study", "noisy")
    stored = stored_logs(project, "noisy")
    for number in (0, 1):
        text = stored[number]["text"]
        expected = [
            f"python line 0 of trial {number}",
            f"python line 2 of trial {number}",
            f"logged <b>warning</b> of trial {number}",
            f"c-level write of trial {number}",
            f"subprocess echo of trial {number}",
            "to stderr",
        ]
        positions = [text.index(line) for line in expected]
        assert positions == sorted(positions), text  # in the order written
        assert f"trial {1 - number}" not in text  # nothing of the other trial


def test_a_flood_of_lines_below_the_bound_loses_none(project):
    project.env["SOMATIZE_TEST_LINES"] = "100000"
    spec = quadratic_spec("flood", 1, "floods_output", search_space=ONE_DIM)
    project.run("create_study", str(project.write_spec(spec)))
    project.run("run_study", "flood")
    log = stored_logs(project, "flood")[0]
    assert log["dropped"] == 0
    assert log["text"].splitlines() == [f"line {i:07d}" for i in range(100_000)]


def test_past_the_bound_the_head_and_tail_are_kept_and_the_gap_is_said(project):
    project.env.update(SOMATIZE_TEST_LINES="20000", SOMATIZE_TRIAL_LOG_LIMIT="20000")
    spec = quadratic_spec("bounded", 1, "floods_output", search_space=ONE_DIM)
    project.run("create_study", str(project.write_spec(spec)))
    project.run("run_study", "bounded")
    log = stored_logs(project, "bounded")[0]
    total = 20_000 * len("line 0000000\n")
    assert log["dropped"] == total - 20_000
    head, marker, tail = log["text"].partition(workbench.dropped_line(log["dropped"]))
    assert marker and len(head) == 10_000 and len(tail) == 10_000
    whole = "".join(f"line {i:07d}\n" for i in range(20_000))
    assert head == whole[:10_000] and tail == whole[-10_000:]


@pytest.mark.django_db
def test_appends_keep_the_bound_exactly_across_many_small_chunks(settings):
    settings.SOMATIZE_TRIAL_LOG_LIMIT = 1000
    study = services.create_study(quadratic_spec("small-chunks", 1))
    services.start_study(study)
    trial = services.claim_trial(study, "w").trial
    pieces = [f"{i:04d}" + "." * 45 + "\n" for i in range(100)]  # 50 characters each, 5000 in all
    for piece in pieces:
        logs.append_log(trial, piece)
    whole = "".join(pieces)
    log = TrialLog.objects.get(trial=trial)
    assert (log.head_chars, log.tail_chars, log.dropped_chars) == (500, 500, 4000)
    assert workbench.trial_log_text(trial) == whole[:500] + workbench.dropped_line(4000) + whole[-500:]
    page = workbench.trial_log_page(trial, after=-1)
    assert page["dropped_chars"] == 4000 and "".join(c["text"] for c in page["chunks"]) == whole[:500] + whole[-500:]


@pytest.mark.django_db
def test_the_log_api_pages_downloads_and_takes_remote_lines(django_user_model):
    user = django_user_model.objects.create_user("ops", password="pw-ops-123", is_staff=True)
    client = Client()
    client.force_login(user)
    study = services.create_study(quadratic_spec("api-log", 1))
    services.start_study(study)
    trial = services.claim_trial(study, "w").trial
    base = f"/api/studies/{study.pk}/trials/0/log"
    client.cookies["csrftoken"] = "x" * 32
    for text in ("first\n", "<script>x</script>\n"):
        response = client.post(
            f"{base}/", json.dumps({"text": text}), content_type="application/json", HTTP_X_CSRFTOKEN="x" * 32
        )
        assert response.status_code == 200, response.content
    assert (
        client.post(
            f"{base}/", json.dumps({"text": 5}), content_type="application/json", HTTP_X_CSRFTOKEN="x" * 32
        ).status_code
        == 400
    )
    page = client.get(f"{base}/?after=0").json()
    assert [c["text"] for c in page["chunks"]] == ["<script>x</script>\n"] and page["next"] == 1
    download = client.get(f"{base}.txt")
    assert download["Content-Type"] == "text/plain; charset=utf-8"
    assert download["Content-Disposition"] == f'attachment; filename="study-{study.pk}-trial-0.log"'
    assert download.content.decode() == "first\n<script>x</script>\n"
    services.finish_trial(trial, TrialOutcome.completed(1.0, {"value": 1.0}))
    late = client.post(
        f"{base}/", json.dumps({"text": "late"}), content_type="application/json", HTTP_X_CSRFTOKEN="x" * 32
    )
    assert late.status_code == 409 and "only a running trial" in late.json()["error"]
    assert Client().get(f"{base}/").status_code == 401


def test_a_remote_client_logs_lines_to_its_trial(remote):  # noqa: F811
    study = remote.client().create_study(remote_spec("client-log", n_trials=1))
    trial = study.ask()
    trial.log("epoch 1: loss 0.5", "epoch 2: loss <0.4>\n")
    trial.tell(0.25)
    page = remote.client().transport.request("GET", f"/api/studies/{study.id}/trials/{trial.number}/log/")
    assert "".join(c["text"] for c in page["chunks"]) == "epoch 1: loss 0.5\nepoch 2: loss <0.4>\n"
