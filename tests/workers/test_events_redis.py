"""Events from several worker processes reach a Redis channel-layer subscriber in id order, none missing.

A study's group gets one ring per transaction carrying its events and the id of the
study's event before them (``covered``), so a socket forwards them without reading the
log; the all-studies group gets a ring naming each transaction's latest list event.
"""

import asyncio
import shutil
import threading
import uuid

import pytest

from somatize_site.channel_layers import redis_layer
from studies.events import LIST_EVENT_TYPES
from tests.conftest import Project

from .conftest import Database, create, random_spec


class Subscriber:
    """Listens to channel-layer groups through channels-redis, as the web process does."""

    def __init__(self, redis_url: str, prefix: str, groups: list[str]):
        self.redis_url, self.prefix, self.groups = redis_url, prefix, groups
        self.received: dict[str, list[dict]] = {g: [] for g in groups}
        self.ready = threading.Event()
        self.done = threading.Event()
        self.thread = threading.Thread(target=lambda: asyncio.run(self._listen()), daemon=True)

    async def _listen(self) -> None:
        from django.utils.module_loading import import_string

        # The web process's own layer and configuration, so the subscriber survives idle waits as it does.
        configured = redis_layer(self.redis_url, self.prefix)
        layer = import_string(configured["BACKEND"])(**configured["CONFIG"])
        channels = {}
        for group in self.groups:
            channels[group] = await layer.new_channel()
            await layer.group_add(group, channels[group])
        self.ready.set()
        drains = [asyncio.create_task(self._drain(layer, group, channel)) for group, channel in channels.items()]
        while not self.done.is_set():
            await asyncio.sleep(0.05)
        for task in drains:
            task.cancel()
        await asyncio.gather(*drains, return_exceptions=True)
        await layer.flush()  # the keys under this test's prefix

    async def _drain(self, layer, group: str, channel: str) -> None:
        while True:
            message = await layer.receive(channel)
            self.received[group].append(message)

    def __enter__(self):
        self.thread.start()
        assert self.ready.wait(30), "the subscriber could not join its groups"
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join(30)


@pytest.fixture(params=["postgres", "sqlite"])
def database_url(request, tmp_path, migrated_sqlite):
    """PostgreSQL (the team shape) and SQLite (one machine, Redis for live pages), migrated."""
    if request.param == "postgres":
        return request.getfixturevalue("migrated_postgres_url")
    shutil.copy(migrated_sqlite, tmp_path / "somatize.sqlite3")  # the project's data dir is tmp_path
    return None


@pytest.mark.redis
def test_events_of_three_workers_arrive_in_id_order_with_none_missing(tmp_path, database_url, redis_url):
    project = Project(tmp_path, database_url=database_url, redis_url=redis_url)
    prefix = f"somatize-test-{uuid.uuid4().hex[:10]}"
    project.env["SOMATIZE_REDIS_PREFIX"] = prefix
    project.env["SOMATIZE_TEST_SLEEP"] = "0.02"
    # 20 trials make fewer events than a channel holds (100), so a slow subscriber loses none.
    create(project, random_spec("broadcast", "sleepy", 20))
    db = Database(project, database_url)
    study_id = db.study("broadcast")["id"]

    with Subscriber(redis_url, prefix, [f"study-{study_id}", "studies"]) as subscriber:
        project.run("run_study", "broadcast", "--workers", "3")
        stored = [event_id for event_id, _ in db.events("broadcast")]
        # The all-studies group carries study-level events only (the list page's needs).
        listed = [event_id for event_id, kind in db.events("broadcast") if kind in LIST_EVENT_TYPES]
        study_group = f"study-{study_id}"
        db.wait_for(
            lambda: (
                len(carried(subscriber.received[study_group])) >= len(stored)
                and [ring["event"]["id"] for ring in subscriber.received["studies"]][-1:] == listed[-1:]
            ),
            "the last events",
            timeout=30,
        )

    types = [t for _, t in db.events("broadcast")]
    assert types[0] == "study_started" and types[-1] == "study_completed"
    assert types.count("trial_started") == types.count("trial_completed") == 20
    rings = subscriber.received[study_group]
    assert [m["id"] for m in carried(rings)] == stored
    # Each ring names the study's event before its own: the last one of the ring before.
    assert [ring["covered"]["after"] for ring in rings] == [0] + [ring["event"]["id"] for ring in rings[:-1]]
    assert all(ring["event"] == ring["covered"]["events"][-1] for ring in rings)
    named = [ring["event"]["id"] for ring in subscriber.received["studies"]]
    assert named == sorted(set(named)) and set(named) <= set(listed) and named[-1] == listed[-1]
    assert {m["study"] for m in carried(rings)} == {study_id}
    workers = {m["data"]["worker"] for m in carried(rings) if m["type"] == "trial_started"}
    assert len(workers) == 3


def carried(rings: list[dict]) -> list[dict]:
    """The events the rings of a study's group carry, in the order they came."""
    return [event for ring in rings for event in ring["covered"]["events"]]
