"""Websockets: full-origin checks, frames clients send, unknown paths, and logging out."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from somatize_site.asgi import application
from studies.relay import relay
from tests.web.conftest import ORIGIN, PASSWORD
from tests.web.test_consumers import TIMEOUT, closed_with, connected, make_study, run_trials, try_connect

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@database_sync_to_async
def log_in() -> Client:
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user("hopper", password=PASSWORD)
    client = Client()
    assert client.login(username="hopper", password=PASSWORD)
    return client


def cookie_of(client: Client) -> tuple[bytes, bytes]:
    return (b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode())


@pytest.mark.parametrize(
    ("origin", "host"),
    [
        ("http://localhost:9999", "localhost"),  # another port: another program
        ("https://localhost", "localhost"),  # another scheme
        ("http://localhost", "localhost:8000"),  # the socket is on another port than the page
        ("http://evil.example", "evil.example"),  # a host not in ALLOWED_HOSTS
        ("null", "localhost"),  # sandboxed frames and file:// pages
    ],
)
async def test_an_origin_other_than_the_sockets_own_is_refused(origin, host):
    client = await log_in()
    accepted, _ = await try_connect(
        "/ws/studies/", (b"origin", origin.encode()), (b"host", host.encode()), cookie_of(client)
    )
    assert not accepted


async def test_the_same_origin_with_its_port_is_accepted_and_trusted_origins_too(settings):
    client = await log_in()
    same = await connected(
        "/ws/studies/", (b"origin", b"http://localhost:8000"), (b"host", b"localhost:8000"), cookie_of(client)
    )
    assert (await same.receive_json_from(timeout=TIMEOUT))["type"] == "snapshot"
    await same.disconnect()
    settings.CSRF_TRUSTED_ORIGINS = ["https://dash.example.org"]
    settings.ALLOWED_HOSTS = ["dash.example.org"]
    proxied = await connected(
        "/ws/studies/", (b"origin", b"https://dash.example.org"), (b"host", b"dash.example.org"), cookie_of(client)
    )
    await proxied.disconnect()


async def test_a_tls_proxys_forwarded_scheme_counts_as_the_sockets_own(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    client = await log_in()
    headers = [(b"origin", b"https://localhost"), (b"host", b"localhost"), cookie_of(client)]
    accepted, _ = await try_connect("/ws/studies/", *headers)
    assert not accepted  # plain ws, no proxy header: the page's https origin is not ours
    socket = await connected("/ws/studies/", *headers, (b"x-forwarded-proto", b"https"))
    await socket.disconnect()


async def test_frames_from_the_client_are_ignored_and_events_still_flow():
    client = await log_in()
    study = await make_study("chatty", n_trials=1)
    socket = await connected(f"/ws/studies/{study.pk}/", ORIGIN, cookie_of(client))
    assert (await socket.receive_json_from(timeout=TIMEOUT))["type"] == "snapshot"
    await socket.send_to(text_data="not json {")
    await socket.send_to(bytes_data=b"\x00\xff binary")
    await socket.send_to(text_data='{"type": "study_stop"}')
    await run_trials(study, 1)
    assert (await socket.receive_json_from(timeout=TIMEOUT))["type"] == "study_started"
    subscribers = relay.subscribers
    await socket.disconnect()
    assert relay.subscribers == subscribers - 1  # its cleanup ran: no crash skipped it


@pytest.mark.parametrize("path", ["/ws/nope/", "/ws/studies/abc/", "/elsewhere"])
async def test_an_unknown_path_is_closed_with_4404_not_a_server_error(path):
    client = await log_in()
    assert await closed_with(path, ORIGIN, cookie_of(client)) == 4404


async def test_logging_out_closes_the_sessions_open_sockets():
    client = await log_in()
    study = await make_study("watched")
    sockets = [
        await connected(path, ORIGIN, cookie_of(client)) for path in ("/ws/studies/", f"/ws/studies/{study.pk}/")
    ]
    for socket in sockets:
        assert (await socket.receive_json_from(timeout=TIMEOUT))["type"] == "snapshot"
    other = await log_in_again()
    bystander = await connected("/ws/studies/", ORIGIN, cookie_of(other))
    await bystander.receive_json_from(timeout=TIMEOUT)

    response = await database_sync_to_async(client.post)("/logout/")
    assert response.status_code == 302
    for socket in sockets:
        output = await socket.receive_output(timeout=TIMEOUT)
        assert output == {"type": "websocket.close", "code": 4401}
    assert await bystander.receive_nothing(timeout=0.5)  # another session keeps its socket
    await bystander.disconnect()


@database_sync_to_async
def log_in_again() -> Client:
    client = Client()
    assert client.login(username="hopper", password=PASSWORD)
    return client


async def test_a_socket_that_is_not_accepted_reaches_the_app_never():
    communicator = WebsocketCommunicator(application, "/ws/studies/", headers=[(b"origin", b"http://localhost")])
    accepted, _ = await communicator.connect(timeout=TIMEOUT)
    assert not accepted  # no Host header: nothing to compare the Origin with
