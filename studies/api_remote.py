"""The write endpoints (DESIGN.md section 8): create a study, ask, report, tell, heartbeat, enqueue.

Each view parses (the schemas), calls one ``services`` function and renders; errors
are mapped to JSON once, by the handlers in ``studies.api``. Writes need a user allowed
to run studies (``TokenOrSession(write=True)``).
"""

from __future__ import annotations

from typing import Any

from ninja import Body, Status

from . import selectors
from .api import ERRORS, StudyId, TrialNumber, api
from .api_auth import TokenOrSession
from .api_schemas import (
    AskIn,
    AskOut,
    EnqueueIn,
    EnqueueOut,
    ReportIn,
    ReportOut,
    TellCompleted,
    TellFailed,
    TellIn,
    TellOut,
)
from .core.liveness import heartbeat_interval
from .services import remote
from .shapes import StudySummary

WRITE = TokenOrSession(write=True)
SPEC_EXAMPLE = {
    "name": "my-study",
    "objective": {"metric": "accuracy", "direction": "maximize"},
    "sampler": {"type": "random", "seed": 7},
    "n_trials": 20,
    "search_space": [{"name": "lr", "type": "float", "low": 0.0001, "high": 0.1, "scale": "log"}],
}


@api.post(
    "/studies/",
    auth=WRITE,
    response={201: StudySummary, **ERRORS},
    summary="create a study from a spec (DESIGN.md section 2; executor optional)",
    openapi_extra={"requestBody": {"content": {"application/json": {"example": SPEC_EXAMPLE}}}},
)
def create_study(request, spec: Body[dict[str, Any]]):
    return Status(201, selectors.study_summary(remote.create(spec)))


@api.post("/studies/{study_id}/ask/", auth=WRITE, response={200: AskOut, **ERRORS}, summary="hand out a trial")
def ask(request, study_id: StudyId, body: Body[AskIn | None] = None):
    body = body or AskIn()
    study = remote.get_study(study_id, with_lost_check=True)
    trial = remote.ask(study, worker=body.worker, request_id=body.request_id)
    grace = remote.heartbeat_grace()
    return {
        "number": trial.number,
        "params": trial.params,
        "study": study.pk,
        "heartbeat_interval": heartbeat_interval(grace),
        "heartbeat_grace": grace,
    }


@api.post(
    "/studies/{study_id}/trials/{number}/report/",
    auth=WRITE,
    response={200: ReportOut, **ERRORS},
    summary="store intermediate values; says whether the pruner stops the trial",
)
def report(request, study_id: StudyId, number: TrialNumber, body: ReportIn):
    trial = remote.get_trial(study_id, number)
    return {"should_prune": remote.report(trial, step=body.step, metrics=body.metrics)}


@api.post(
    "/studies/{study_id}/trials/{number}/tell/",
    auth=WRITE,
    response={200: TellOut, **ERRORS},
    summary="finish a trial: completed, pruned or failed (a repeat of the same outcome is a no-op)",
)
def tell(request, study_id: StudyId, number: TrialNumber, body: Body[TellIn]):
    trial = remote.get_trial(study_id, number)
    if isinstance(body, TellCompleted):
        outcome = remote.outcome_of(trial.study, body.state, value=body.value, metrics=body.metrics)
    elif isinstance(body, TellFailed):
        outcome = remote.outcome_of(trial.study, body.state, error=body.error, traceback=body.traceback)
    else:
        outcome = remote.outcome_of(trial.study, body.state, step=body.step)
    trial = remote.tell(trial, outcome)
    return {"number": trial.number, "state": trial.state, "value": trial.value}


@api.post(
    "/studies/{study_id}/trials/{number}/heartbeat/",
    auth=WRITE,
    response={204: None, **ERRORS},
    summary="the client is still running the trial (409 once it was failed as lost)",
)
def heartbeat(request, study_id: StudyId, number: TrialNumber):
    remote.beat(remote.get_trial(study_id, number))
    return Status(204, None)


@api.post(
    "/studies/{study_id}/enqueue/",
    auth=WRITE,
    response={201: EnqueueOut, **ERRORS},
    summary="add a configuration to try next",
)
def enqueue(request, study_id: StudyId, body: EnqueueIn):
    trial = remote.enqueue(remote.get_study(study_id), body.params)
    return Status(201, {"number": trial.number})
