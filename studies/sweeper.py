"""The web process's sweep for lost remote clients.

A worker sweeps its study for lost trials as it goes, and every ``ask`` sweeps its
study; but a lone remote client killed mid-trial asks nothing more, so without this
its trial would stay ``running`` forever. Daphne runs one task that, every
``sweep_interval`` (a quarter of the grace, at most 15 s), fails remote trials whose
heartbeat is older than SOMATIZE_HEARTBEAT_GRACE: one indexed query when none is.
It starts with the first HTTP request, so a process that serves nothing costs nothing.
"""

from __future__ import annotations

import asyncio
import logging

from django.conf import settings

from .core.liveness import sweep_interval
from .live_db import live_db
from .services import remote

logger = logging.getLogger(__name__)


@live_db
def _sweep(grace: float) -> int:
    return remote.sweep_all(grace)


class LostTrialSweeper:
    def __init__(self):
        self.task: asyncio.Task | None = None

    def ensure_started(self) -> None:
        loop = asyncio.get_running_loop()
        if self.task is not None and not self.task.done() and self.task.get_loop() is loop:
            return
        self.task = loop.create_task(self._run(settings.SOMATIZE_HEARTBEAT_GRACE), name="somatize-lost-sweep")

    @staticmethod
    async def _run(grace: float) -> None:
        while True:
            await asyncio.sleep(sweep_interval(grace))
            try:
                failed = await _sweep(grace)
            except Exception:  # the database was busy or restarting: the next round retries
                logger.exception("the lost remote trial sweep failed")
                continue
            if failed:
                logger.info("failed %d remote trial(s) whose client stopped heartbeating", failed)


sweeper = LostTrialSweeper()


def with_sweeper(app):
    """Wrap the HTTP application so its first request starts the sweep."""

    async def http(scope, receive, send):
        sweeper.ensure_started()
        return await app(scope, receive, send)

    return http
