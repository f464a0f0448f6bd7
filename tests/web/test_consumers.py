"""Websockets against the real ASGI app: auth, origin, order, resume, the list socket."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from somatize_site.asgi import application
from somatize_site.channel_layers import redis_layer
from studies import services
from studies.models import StudyEvent
from studies.runner import StudyRunner
from tests.web.conftest import HOST, ORIGIN, quadratic_spec, redis_prefix, session_cookie_for

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

TIMEOUT = 10


@database_sync_to_async
def make_user():
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("grace", password="x" * 12)
    return session_cookie_for(user)


@database_sync_to_async
def make_study(name: str, n_trials: int = 6):
    return services.create_study(quadratic_spec(name, n_trials=n_trials))


@database_sync_to_async
def run_trials(study, n: int):
    StudyRunner(services.get_study(study.name), max_trials=n).run()


@database_sync_to_async
def stored(study_id=None, after=0, types=None):
    rows = StudyEvent.objects.filter(id__gt=after).order_by("id")
    if study_id is not None:
        rows = rows.filter(study_id=study_id)
    if types is not None:
        rows = rows.filter(type__in=types)
    return [(e.id, e.type) for e in rows]


def with_host(headers) -> list:
    """Browsers always send Host; the origin check compares the Origin with it."""
    headers = list(headers)
    return headers if any(name == b"host" for name, _ in headers) else [HOST, *headers]


async def connected(path: str, *headers) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, path, headers=with_host(headers))
    ok, code = await communicator.connect(timeout=TIMEOUT)
    assert ok, f"connection to {path} refused ({code})"
    return communicator


async def try_connect(path: str, *headers) -> tuple[bool, int]:
    """Try to connect; returns (accepted, close code)."""
    communicator = WebsocketCommunicator(application, path, headers=with_host(headers))
    accepted, code = await communicator.connect(timeout=TIMEOUT)
    await communicator.disconnect()
    return accepted, code


async def receive(communicator, count: int) -> list[dict]:
    return [await communicator.receive_json_from(timeout=TIMEOUT) for _ in range(count)]


async def closed_with(path: str, *headers) -> int:
    """Connect to a socket that is accepted and then closed at once; returns its close code."""
    communicator = WebsocketCommunicator(application, path, headers=with_host(headers))
    accepted, _ = await communicator.connect(timeout=TIMEOUT)
    assert accepted, "accepted first, so the browser sees the close code"
    output = await communicator.receive_output(timeout=TIMEOUT)
    assert output["type"] == "websocket.close"
    await communicator.wait(timeout=TIMEOUT)
    return output["code"]


async def test_anonymous_users_are_refused_with_4401():
    study = await make_study("anon")
    for path in ("/ws/studies/", f"/ws/studies/{study.pk}/"):
        assert await closed_with(path, ORIGIN) == 4401


async def test_a_foreign_origin_is_refused_even_with_a_session():
    cookie = await make_user()
    accepted, _ = await try_connect("/ws/studies/", (b"origin", b"http://evil.example"), cookie)
    assert not accepted


async def test_an_unknown_study_is_refused_with_4404_after_the_handshake():
    cookie = await make_user()
    assert await closed_with("/ws/studies/999999/", ORIGIN, cookie) == 4404


async def test_it_forwards_a_running_studys_events_in_order():
    cookie = await make_user()
    study = await make_study("ordered", n_trials=4)
    communicator = await connected(f"/ws/studies/{study.pk}/", ORIGIN, cookie)
    snapshot = await communicator.receive_json_from(timeout=TIMEOUT)
    assert snapshot["type"] == "snapshot" and snapshot["data"]["n_trials"] == 4

    await run_trials(study, 4)  # another thread, like a worker: reaches us through the relay
    expected = await stored(study.pk, after=snapshot["id"])
    received = await receive(communicator, len(expected))
    assert [(m["id"], m["type"]) for m in received] == expected
    assert received[-1]["type"] == "study_completed"
    assert all(m["study"] == study.pk and isinstance(m["data"], dict) for m in received)
    assert await communicator.receive_nothing(timeout=0.5)
    await communicator.disconnect()


def count_study_log_reads(monkeypatch) -> list[str]:
    """Every statement, on any connection of this process, that reads one study's events."""
    from django.db.backends.utils import CursorWrapper

    seen: list[str] = []
    real_execute = CursorWrapper._execute

    def counting(self, sql, params, *rest):
        if 'FROM "studies_studyevent"' in sql and '"studies_studyevent"."study_id" =' in sql:
            seen.append(sql)
        return real_execute(self, sql, params, *rest)

    monkeypatch.setattr(CursorWrapper, "_execute", counting)
    return seen


async def receive_until_completed(communicator) -> list[dict]:
    received = [await communicator.receive_json_from(timeout=TIMEOUT)]
    while received[-1]["type"] != "study_completed":
        received.append(await communicator.receive_json_from(timeout=TIMEOUT))
    return received


async def test_five_pages_get_every_event_in_order_without_each_reading_the_log_again(monkeypatch):
    cookie = await make_user()
    study = await make_study("five-pages", n_trials=6)
    pages = [await connected(f"/ws/studies/{study.pk}/", ORIGIN, cookie) for _ in range(5)]
    snapshots = [await page.receive_json_from(timeout=TIMEOUT) for page in pages]
    reads = count_study_log_reads(monkeypatch)

    await run_trials(study, 6)
    received = [await receive_until_completed(page) for page in pages]
    pages_reads = len(reads)
    for got, snapshot in zip(received, snapshots, strict=True):
        expected = await stored(study.pk, after=snapshot["id"])
        assert [(m["id"], m["type"]) for m in got] == expected
    # Each ring carries what the relay read, and the pages forward it instead of each
    # reading the study's log again (one read per page and ring before).
    assert pages_reads == 0
    for page in pages:
        await page.disconnect()


async def test_resuming_after_an_id_sends_exactly_the_missed_events_then_live_ones_once():
    cookie = await make_user()
    study = await make_study("resume", n_trials=6)
    await run_trials(study, 2)
    history = await stored(study.pk)
    resume_from = history[len(history) // 2][0]

    communicator = await connected(f"/ws/studies/{study.pk}/?after={resume_from}", ORIGIN, cookie)
    missed = await stored(study.pk, after=resume_from)
    replayed = await receive(communicator, len(missed))
    assert [(m["id"], m["type"]) for m in replayed] == missed
    assert await communicator.receive_nothing(timeout=0.5)

    await run_trials(study, 4)
    live_expected = await stored(study.pk, after=missed[-1][0])
    live = await receive(communicator, len(live_expected))
    assert [(m["id"], m["type"]) for m in live] == live_expected
    assert await communicator.receive_nothing(timeout=0.5)  # no duplicates trail behind
    await communicator.disconnect()


async def test_the_list_socket_receives_the_progress_of_every_study():
    cookie = await make_user()
    first, second = await make_study("first", n_trials=2), await make_study("second", n_trials=3)
    communicator = await connected("/ws/studies/", ORIGIN, cookie)
    snapshot = await communicator.receive_json_from(timeout=TIMEOUT)
    assert snapshot["type"] == "snapshot"
    assert {s["name"] for s in snapshot["data"]["studies"]} == {"first", "second"}

    await run_trials(first, 2)
    await run_trials(second, 3)
    list_types = ["study_started", "study_progress", "study_completed", "study_stopped", "study_queued", "best_updated"]
    expected = await stored(after=snapshot["id"], types=list_types)
    received = await receive(communicator, len(expected))
    assert [(m["id"], m["type"]) for m in received] == expected
    progress = [(m["study"], m["data"]["n_done"]) for m in received if m["type"] == "study_progress"]
    assert progress == [(first.pk, 1), (first.pk, 2), (second.pk, 1), (second.pk, 2), (second.pk, 3)]
    assert not any(m["type"].startswith("trial_") for m in received)
    await communicator.disconnect()


async def test_a_cursor_that_is_not_a_number_is_refused():
    cookie = await make_user()
    assert await closed_with("/ws/studies/?after=abc", ORIGIN, cookie) == 4400


@pytest.mark.redis
async def test_events_published_through_redis_reach_the_socket(redis_url, settings):
    settings.CHANNEL_LAYERS = {"default": redis_layer(redis_url, redis_prefix())}
    cookie = await make_user()
    study = await make_study("via-redis", n_trials=3)
    communicator = await connected(f"/ws/studies/{study.pk}/?after=0", ORIGIN, cookie)
    await run_trials(study, 3)
    expected = await stored(study.pk)
    received = await receive(communicator, len(expected))
    assert [(m["id"], m["type"]) for m in received] == expected
    assert await communicator.receive_nothing(timeout=0.5)
    await communicator.disconnect()


async def test_a_socket_idle_longer_than_redis_blocking_reads_still_receives_events(redis_url, settings):
    """channels-redis blocks 5 s per read; a page idle past that must stay live (redis-py 8 once cut it)."""
    import asyncio

    settings.CHANNEL_LAYERS = {"default": redis_layer(redis_url, redis_prefix())}
    cookie = await make_user()
    study = await make_study("idle-page", n_trials=2)
    communicator = await connected(f"/ws/studies/{study.pk}/?after=0", ORIGIN, cookie)
    await asyncio.sleep(7)
    await run_trials(study, 2)
    expected = await stored(study.pk)
    received = await receive(communicator, len(expected))
    assert [(m["id"], m["type"]) for m in received] == expected
    await communicator.disconnect()


@database_sync_to_async
def bulk_events(study, n: int):
    StudyEvent.objects.bulk_create(
        [StudyEvent(study=study, type="study_progress", data={"n_done": i}) for i in range(n)]
    )


async def test_a_client_too_far_behind_gets_a_fresh_snapshot_instead_of_a_flood():
    from studies.consumers import REPLAY_LIMIT

    cookie = await make_user()
    study = await make_study("behind")
    await bulk_events(study, REPLAY_LIMIT + 1)
    communicator = await connected(f"/ws/studies/{study.pk}/?after=0", ORIGIN, cookie)
    first = await communicator.receive_json_from(timeout=TIMEOUT)
    assert first["type"] == "snapshot" and first["id"] == (await stored(study.pk))[-1][0]
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_a_cursor_from_the_future_gets_a_snapshot():
    cookie = await make_user()
    study = await make_study("future")
    communicator = await connected(f"/ws/studies/{study.pk}/?after=10000000", ORIGIN, cookie)
    first = await communicator.receive_json_from(timeout=TIMEOUT)
    assert first["type"] == "snapshot" and first["data"]["name"] == "future"
    await communicator.disconnect()


@pytest.mark.redis
async def test_a_socket_receives_every_event_of_three_worker_processes_through_redis_in_order(
    redis_url, settings, tmp_path
):
    """Issue 5's end-to-end check: real worker processes, Redis, and our websocket consumer."""
    import asyncio

    from tests.conftest import Project

    prefix = redis_prefix()
    settings.CHANNEL_LAYERS = {"default": redis_layer(redis_url, prefix)}
    cookie = await make_user()
    # Trials that take a little while, so the three workers overlap.
    study = await database_sync_to_async(services.create_study)(
        quadratic_spec("three-workers", n_trials=24, executor="sleepy")
    )
    # The workers share this test's database file and this test's Redis prefix.
    workers = Project(tmp_path, database_url=f"sqlite:///{settings.DATABASES['default']['NAME']}", redis_url=redis_url)
    workers.env.update(SOMATIZE_REDIS_PREFIX=prefix, SOMATIZE_TEST_SLEEP="0.02")
    study_socket = await connected(f"/ws/studies/{study.pk}/?after=0", ORIGIN, cookie)

    await asyncio.to_thread(workers.run, "run_study", "three-workers", "--workers", "3")

    expected = await stored(study.pk)
    received = await receive(study_socket, len(expected))
    assert [(m["id"], m["type"]) for m in received] == expected
    assert expected[-1][1] == "study_completed"
    assert sum(1 for _, kind in expected if kind == "trial_completed") == 24
    assert len({m["data"]["worker"] for m in received if m["type"] == "trial_started"}) == 3
    assert await study_socket.receive_nothing(timeout=0.5)
    await study_socket.disconnect()
