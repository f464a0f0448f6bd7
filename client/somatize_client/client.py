"""The entry points: ``Client`` (server, token) and ``Study`` (ask, enqueue, optimize)."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from ._transport import Transport
from .errors import ConfigurationError, Conflict, NotFound, NoTrialAvailable
from .trial import Heartbeats, Trial

Objective = Callable[[Trial], float | dict[str, float]]


class Client:
    """A connection to one Somatize Studies server, authenticated by an API token.

    ``url`` and ``token`` default to the ``SOMATIZE_URL`` and ``SOMATIZE_TOKEN`` environment
    variables (make a token with ``manage.py create_token USER``). ``timeout`` bounds each
    request in seconds; transient network errors are retried for up to ``retry_for``
    seconds before ``ServerUnreachable`` is raised.
    """

    def __init__(
        self, url: str | None = None, token: str | None = None, *, timeout: float = 30.0, retry_for: float = 300.0
    ):
        url = url or os.environ.get("SOMATIZE_URL")
        token = token or os.environ.get("SOMATIZE_TOKEN")
        missing = [name for name, value in (("url", url), ("token", token)) if not value]
        if missing or url is None or token is None:
            raise ConfigurationError(
                f"no server {' or '.join(missing)} given: pass Client(url=..., token=...) or set "
                "SOMATIZE_URL and SOMATIZE_TOKEN (a token comes from `manage.py create_token USER`)"
            )
        self.transport = Transport(url, token, timeout=timeout, retry_for=retry_for)
        self.heartbeats = Heartbeats(self.transport)

    def __repr__(self) -> str:
        return f"<Client {self.transport.url}>"

    def create_study(self, spec: dict[str, Any], *, exist_ok: bool = True) -> Study:
        """Create a study from a spec (the JSON of ``manage.py create_study``).

        With ``exist_ok`` (the default) a study of that name that exists already is
        returned as it is (its spec is not compared), so every client of a team can run
        the same line; otherwise the name raises ``Conflict``. A bad spec raises
        ``ValidationError`` listing every problem.
        """
        try:
            # With exist_ok a retry is safe: if the lost answer was a creation, the retry's 409 finds it.
            answer = self.transport.request("POST", "/api/studies/", spec, idempotent=exist_ok)
        except Conflict as exc:
            if not exist_ok or not isinstance(exc.body, dict) or "id" not in exc.body:
                raise
            return Study(self, exc.body["id"], str(spec.get("name")))
        return Study(self, answer["id"], answer["name"])

    def study(self, name: str) -> Study:
        """The study called ``name``; ``NotFound`` if there is none."""
        answer = self.transport.request("GET", f"/api/studies/?name={quote(name)}")
        for found in answer.get("studies", []):
            if found.get("name") == name:
                return Study(self, found["id"], name)
        raise NotFound(f"no study named {name!r}", status=404, body=answer)


class Study:
    """A study on the server; ``ask`` trials by hand or let ``optimize`` run them."""

    def __init__(self, client: Client, study_id: int, name: str):
        self.client = client
        self.id = study_id
        self.name = name
        self.worker = f"{socket.gethostname()}:{os.getpid()}"[:100]  # shown on the trial page

    def __repr__(self) -> str:
        return f"<Study {self.id} {self.name!r}>"

    def info(self) -> dict[str, Any]:
        """The study as the dashboard sees it: state, progress, counts, best trial and parameters."""
        answer: dict[str, Any] = self.client.transport.request("GET", f"/api/studies/{self.id}/")
        return answer

    def ask(self) -> Trial:
        """Start a trial: its ``number`` and ``params`` come from the study's sampler.

        Safe to retry: the request carries a fresh id, so a retry after a lost answer gets
        the same trial, never a second one. Heartbeats start now and stop at the tell.
        Raises ``NoTrialAvailable`` when the study has nothing more to hand out.
        """
        body = {"worker": self.worker, "request_id": uuid.uuid4().hex}
        try:
            answer = self.client.transport.request("POST", f"/api/studies/{self.id}/ask/", body)
        except Conflict as exc:
            raise NoTrialAvailable(exc.error, status=exc.status, body=exc.body) from None
        trial = Trial(self, answer)
        self.client.heartbeats.add(trial)
        return trial

    def enqueue(self, params: dict[str, Any]) -> int:
        """Queue a configuration to be handed out by a later ``ask``; returns its trial number."""
        path = f"/api/studies/{self.id}/enqueue/"
        answer = self.client.transport.request("POST", path, {"params": params}, idempotent=False)
        return int(answer["number"])

    def optimize(
        self, objective: Objective, n_trials: int | None = None, n_jobs: int = 1, timeout: float | None = None
    ) -> list[Trial]:
        """Ask, run ``objective(trial)``, tell; repeat. Returns the trials this call ran.

        Stops after ``n_trials`` (default: no limit), when the study has nothing more to
        hand out, or, with ``timeout`` seconds, takes no new trial after that long.
        ``objective`` returns a number or a dict of metrics; raising ``TrialPruned`` tells
        the trial pruned, any other exception tells it failed with its traceback and the
        loop goes on. ``n_jobs`` threads run trials side by side. On Ctrl-C the running
        trials are told failed ("interrupted") and ``KeyboardInterrupt`` propagates.
        """
        from .optimize import optimize

        return optimize(self, objective, n_trials=n_trials, n_jobs=n_jobs, timeout=timeout)
