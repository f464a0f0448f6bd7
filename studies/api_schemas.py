"""Request and response bodies of the write API (the read shapes are ``studies.shapes``).

Bodies are strict: no extra fields, no type coercion ("5" is not a step), bounded
strings and maps, finite numbers. What breaks a rule is answered 400 with the field.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field, StringConstraints

MAX_STEP = 2**31 - 1  # the column is a 32-bit integer on PostgreSQL
MAX_METRICS = 100

FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
MetricName = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Metrics = Annotated[dict[MetricName, FiniteFloat], Field(max_length=MAX_METRICS)]


class StrictBody(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)


class AskIn(StrictBody):
    worker: Annotated[str, Field(max_length=100, description="who runs the trial, shown on the dashboard")] = ""
    request_id: Annotated[
        str, Field(max_length=100, description="idempotency key: the same key gets the same trial back")
    ] = ""


class AskOut(Schema):
    number: int
    params: dict[str, Any]
    study: int
    heartbeat_interval: float = Field(description="seconds between heartbeats (or reports)")
    heartbeat_grace: float = Field(description="seconds without one after which the trial fails as lost")


class ReportIn(StrictBody):
    step: Annotated[int, Field(ge=0, le=MAX_STEP)]
    metrics: Metrics


class ReportOut(Schema):
    should_prune: bool


class TellCompleted(StrictBody):
    state: Literal["completed"]
    value: FiniteFloat | None = Field(None, description="the objective; or give it in metrics")
    metrics: Metrics | None = None


class TellPruned(StrictBody):
    state: Literal["pruned"]
    step: Annotated[int, Field(ge=0, le=MAX_STEP)] | None = None


class TellFailed(StrictBody):
    state: Literal["failed"]
    error: Annotated[str, Field(max_length=10_000)] = ""
    traceback: Annotated[str, Field(max_length=200_000)] = ""


TellIn = Annotated[TellCompleted | TellPruned | TellFailed, Field(discriminator="state")]


class TellOut(Schema):
    number: int
    state: str
    value: float | None


class EnqueueIn(StrictBody):
    params: dict[str, Any] = Field(description="a configuration of the study's search space")


class EnqueueOut(Schema):
    number: int


class FieldError(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    error: str
    errors: list[FieldError] | None = Field(None, description="every invalid field, when there are several")
    fields: dict[str, str] | None = Field(None, description="the same, as field -> message")
    id: int | None = Field(None, description="the existing study, when a name is taken")
