"""Studies commit side by side, and every socket still gets every event once, in id order.

No global queue: while one study's transaction stays open, another study's workers
commit and its socket shows their events at once; the list socket, which follows every
study, holds back what came after the open transaction's events until it commits, so
it too misses nothing and repeats nothing. Live Daphne, real workers, real sockets.
"""

from __future__ import annotations

import json

import pytest

from studies.payloads import LIST_EVENT_TYPES
from tests.conftest import Project
from tests.support.live_socket import LiveSocket, session_for
from tests.web.conftest import quadratic_spec, redis_prefix

from .conftest import Database

POSTGRES_SHAPES = [
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("postgres+redis", marks=[pytest.mark.postgres, pytest.mark.redis]),
]

HOLD_OPEN = """
import pathlib, time
from studies import events, services
study = services.get_study({name!r})
with events.writing():
    services.queue_study(study)  # appends study_queued inside this still-open transaction
    print("holding", flush=True)
    while not pathlib.Path({release!r}).exists():
        time.sleep(0.02)
print("committed", flush=True)
"""


def project_for(shape: str, request, tmp_path) -> Project:
    if shape == "sqlite":
        project = request.getfixturevalue("project")
    else:
        redis_url = request.getfixturevalue("redis_url") if shape.endswith("redis") else None
        project = Project(tmp_path, database_url=request.getfixturevalue("postgres_url"), redis_url=redis_url)
        project.env["SOMATIZE_REDIS_PREFIX"] = redis_prefix()
        project.run("migrate", "-v0")
    project.env["SOMATIZE_RELAY_POLL_SECONDS"] = "30"  # commits ring the relay; no poll rescues a miss
    return project


def create(project: Project, name: str, n_trials: int) -> None:
    project.run("create_study", "-", input=json.dumps(quadratic_spec(name, n_trials=n_trials)))


def listed(db: Database, after: int) -> list[int]:
    types = ", ".join(f"'{t}'" for t in LIST_EVENT_TYPES)
    rows = db.query(f"SELECT id FROM studies_studyevent WHERE id > ? AND type IN ({types}) ORDER BY id", (after,))
    return [i for (i,) in rows]


def of_study(db: Database, name: str, after: int) -> list[int]:
    return [i for i, _ in db.events(name) if i > after]


def ids(frames: list[dict]) -> list[int]:
    return [f["id"] for f in frames]


def assert_quiet(socket: LiveSocket) -> None:
    with pytest.raises(TimeoutError):
        extra = socket.frame(timeout=0.5)
        pytest.fail(f"an extra frame arrived: {extra}")


@pytest.mark.parametrize("shape", POSTGRES_SHAPES)
def test_a_study_commits_and_shows_while_another_holds_its_transaction_open(shape, request, tmp_path, start_daphne):
    project = project_for(shape, request, tmp_path)
    create(project, "held", 3)
    create(project, "free", 4)
    db = Database(project, project.env["DATABASE_URL"])
    free_id = db.study("free")["id"]
    server = start_daphne(project)
    session = session_for(project)
    every, free = (LiveSocket(server.url, path, session) for path in ("/ws/studies/", f"/ws/studies/{free_id}/"))
    start = every.frame()["id"]
    assert free.frame()["type"] == "snapshot"

    release = tmp_path / "release"
    holder = project.start("shell", "--no-imports", "-c", HOLD_OPEN.format(name="held", release=str(release)))
    try:
        assert any(line.strip() == "holding" for line in iter(holder.stdout.readline, "")), "the holder ended"
        # The other study's workers commit while "held" keeps its transaction open...
        project.run("run_study", "free", "--workers", "2", timeout=120)
        free_frames = free.frames_until(lambda f: f and f[-1]["type"] == "study_completed", timeout=30)
        assert ids(free_frames) == of_study(db, "free", start)  # ...and its socket shows them at once.
        # The list socket must not pass the open transaction's event (its id is lower).
        assert_quiet(every)
    finally:
        release.touch()
        assert holder.wait(timeout=60) == 0
    expected = listed(db, start)
    assert db.events("held")[-1][1] == "study_queued" and db.events("held")[-1][0] == expected[0]
    assert ids(every.frames_until(lambda f: len(f) >= len(expected), timeout=30)) == expected
    assert_quiet(every)


@pytest.mark.parametrize("shape", ["sqlite", *POSTGRES_SHAPES])
def test_every_socket_gets_every_event_once_in_order_with_concurrent_workers(shape, request, tmp_path, start_daphne):
    project = project_for(shape, request, tmp_path)
    names = ["north", "south", "east"]
    for name in names:
        create(project, name, 6)
    db = Database(project, project.env.get("DATABASE_URL"))
    server = start_daphne(project)
    session = session_for(project)
    every = LiveSocket(server.url, "/ws/studies/", session)
    start = every.frame()["id"]
    sockets = {name: LiveSocket(server.url, f"/ws/studies/{db.study(name)['id']}/", session) for name in names}
    cursors = {name: socket.frame()["id"] for name, socket in sockets.items()}

    runs = [project.start("run_study", name, "--workers", "2") for name in names]
    for run in runs:
        assert run.wait(timeout=180) == 0, run.stderr.read()

    for name, socket in sockets.items():
        frames = socket.frames_until(lambda f: f and f[-1]["type"] == "study_completed", timeout=30)
        assert ids(frames) == of_study(db, name, cursors[name]), name
        assert_quiet(socket)
    expected = listed(db, start)
    assert ids(every.frames_until(lambda f: len(f) >= len(expected), timeout=30)) == expected
    assert_quiet(every)
    # A socket resuming from the same cursor replays the same frames from the log.
    replayed = LiveSocket(server.url, f"/ws/studies/?after={start}", session)
    assert ids(replayed.frames_until(lambda f: len(f) >= len(expected), timeout=30)) == expected
