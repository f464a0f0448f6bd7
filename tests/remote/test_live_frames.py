"""A remote client's ask/report/tell reaches an open study socket as the same frames as a worker's."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from studies import services
from studies.services import tokens
from tests.remote.conftest import Api, remote_spec
from tests.web.conftest import ORIGIN
from tests.web.test_consumers import TIMEOUT, connected, make_user

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@database_sync_to_async
def setup_study():
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user("remo", password="x" * 12, is_staff=True)
    return services.create_study(remote_spec("watched", n_trials=1)), tokens.create_token("remo")[1]


@database_sync_to_async
def remote_trial(study, token) -> list[int]:
    """What a remote client does, over HTTP; returns the status codes."""
    api = Api(Client(), token)
    return [
        api.post(f"/api/studies/{study.pk}/ask/", {"worker": "notebook"}).status_code,
        api.post(f"/api/studies/{study.pk}/trials/0/report/", {"step": 0, "metrics": {"value": 0.5}}).status_code,
        api.post(f"/api/studies/{study.pk}/trials/0/tell/", {"state": "completed", "value": 0.25}).status_code,
    ]


async def test_http_ask_and_tell_appear_on_the_study_socket():
    cookie = await make_user()
    study, token = await setup_study()
    communicator = await connected(f"/ws/studies/{study.pk}/", ORIGIN, cookie)
    assert (await communicator.receive_json_from(timeout=TIMEOUT))["type"] == "snapshot"

    assert await remote_trial(study, token) == [200, 200, 200]
    frames = []
    while not frames or frames[-1]["type"] != "study_completed":
        frames.append(await communicator.receive_json_from(timeout=TIMEOUT))
    assert [f["type"] for f in frames] == [
        "study_started",
        "trial_started",
        "trial_metric",
        "trial_completed",
        "best_updated",
        "study_progress",
        "study_completed",
    ]
    started, completed = frames[1]["data"], frames[3]["data"]
    assert started["worker"] == "remote:notebook" and started["number"] == 0
    assert completed["value"] == 0.25 and frames[5]["data"]["completed"] == 1
    await communicator.disconnect()
