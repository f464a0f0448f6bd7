"""Django's HTTP handling under Daphne: the whole request in one hop to a fixed pool of threads.

Django's own ASGI handler runs each request's synchronous parts (the request_started
signal, every middleware's process_request and process_response, the view, the
request_finished signal) as a dozen separate hops from the event loop to a thread made
for that request and thrown away after it. On a small machine those hops cost more than
an API request's own work, and a thread that lives for one request cannot keep a
database connection, so every request opened one (SQLite: connect, set the pragmas,
register functions; the close checkpoints the WAL). This handler reads the body on the
event loop, then runs Django's synchronous handler (the middleware loaded in sync mode,
as under WSGI) in one call on a long-lived thread, and sends the answer from the loop.
Each thread keeps its database connection (asgi.py makes SQLite's persistent; PostgreSQL
borrows from the pool per request), and the signals that check or return connections run
in the thread that used them.

Only synchronous views exist in this project; a streaming response (WhiteNoise's static
files) is sent the way Django's ASGI handler sends one, and closed on the pool after.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import FileResponse, HttpResponseBase
from django.urls import set_script_prefix


class ThreadPoolASGIHandler(ASGIHandler):
    """An ASGI application serving Django's HTTP requests from ``threads`` long-lived threads."""

    def __init__(self, threads: int):
        base.BaseHandler.__init__(self)  # not ASGIHandler's: it loads the middleware in async mode
        self.load_middleware(is_async=False)
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="somatize-http")
        self._in_pool = sync_to_async(self._respond, thread_sensitive=False, executor=self.executor)
        self._close_in_pool = sync_to_async(_close, thread_sensitive=False, executor=self.executor)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"this handler serves HTTP only, not {scope['type']}")
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        response = await self._in_pool(scope, body_file)
        try:
            await self.send_response(response, send)
        finally:
            if response.streaming:
                await self._close_in_pool(response)

    def _respond(self, scope, body_file) -> HttpResponseBase:
        """In a pool thread: what Django's WSGI handler does for one request."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, refusal = self.create_request(scope, body_file)
        if request is None:
            assert refusal is not None  # create_request answers one or the other
            body_file.close()
            response: HttpResponseBase = refusal
        else:
            response = self.get_response(request)  # closes body_file with the response
            response._handler_class = self.__class__  # type: ignore[attr-defined]  # as Django's handler
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size  # as Django's handler: Daphne does the chunking
        if not response.streaming:
            _close(response)  # request_finished: this thread's connection is checked here
        return response


def _close(response: HttpResponseBase) -> None:
    response.close()
