"""JSON shapes of the dashboard, declared once and shared by views, consumers and tests.

Every websocket frame is an ``EventMessage``; ``snapshot`` frames carry a
``StudyDetail`` (study socket) or ``StudyList`` (list socket) as their data, and their
``id`` is the event cursor the snapshot was read at.
"""

from __future__ import annotations

from typing import Any

# typing_extensions: pydantic (the OpenAPI schema) reads TypedDicts only from there on Python < 3.12.
from typing_extensions import TypedDict


class EventMessage(TypedDict):
    id: int
    type: str
    study: int | None
    data: dict[str, Any]


class StudySummary(TypedDict):
    id: int
    name: str
    description: str
    executor: str
    metric: str
    direction: str
    sampler: str
    state: str
    n_done: int
    n_trials: int
    progress: float  # percent of the budget in a terminal state, 0..100
    best_value: float | None
    best_trial: int | None
    started_at: str | None
    finished_at: str | None
    url: str
    # Several objectives: every objective, and the Pareto front's size (0 otherwise).
    objectives: list[dict[str, str]]
    front_size: int


class StudyList(TypedDict):
    studies: list[StudySummary]
    last_event_id: int


class StudyDetail(StudySummary):
    best_params: dict[str, Any] | None
    counts: dict[str, int]  # trial state -> number of trials
    search_space: list[dict[str, Any]]
    rate: float | None  # trials per second since the study (re)started
    eta_seconds: float | None
    last_event_id: int


class TrialRow(TypedDict):
    number: int
    state: str
    params: dict[str, Any]
    value: float | None
    duration_ms: int | None
    pruned_step: int | None
    rung: int | None  # successive halving / Hyperband: the rung (1 = first) a pruned trial stopped at
    error: str
    url: str
    values: list[float] | None  # completed trials: every objective's value
    feasible: bool | None  # completed trials: every constraint held
    metrics: dict[str, float]  # completed trials: every returned metric (the table's metric columns)


class TrialPage(TypedDict):
    count: int  # with count_capped, a lower bound: "500+" (parameter filters stop counting there)
    count_capped: bool
    page: int
    pages: int
    page_size: int
    sort: str
    results: list[TrialRow]
    last_event_id: int


class ArtifactRow(TypedDict):
    """A file saved for a trial (``services.artifacts``)."""

    id: int  # changes when the name's file is replaced
    name: str
    size: int  # bytes
    content_type: str
    inline: bool  # a raster image, shown on the trial page
    url: str  # the download (logged-in users, or Authorization: Bearer)
    created_at: str | None


class TrialLogSummary(TypedDict):
    lines: int  # newlines in the stored output
    chars: int  # characters stored
    dropped_chars: int  # dropped between the kept head and tail (the log's bound)
    url: str  # the whole stored log as text


class TrialDetail(TrialRow):
    traceback: str
    started_at: str | None
    finished_at: str | None
    worker_id: str
    retries: int
    intermediate: list[list[Any]]  # [[step, {metric: value}], ...]
    rungs: list[int]  # steps it is judged at (reached, then the next); [] for pruners without rungs
    artifacts: list[ArtifactRow]  # by name
    note: str  # plain text
    log: TrialLogSummary


class HistorySeries(TypedDict):
    x: list[float]  # trial numbers (bucket centres when bucket > 1)
    y: list[float]
    best_x: list[float]
    best_y: list[float]
    bucket: int  # trial numbers per point pair; 1 means every trial
    n_completed: int


class HistoryPoints(TypedDict):
    """Every completed trial, in number order, as two parallel arrays in base64."""

    count: int  # points in this response (at most 100,000: see more)
    numbers: str  # little-endian int32 trial numbers
    values: str  # little-endian float64 objective values
    more: bool  # more points follow: ask again with ?after=<last_number>
    last_number: int  # the last point's trial number (after, when there is none)
    metric: str  # the metric the values are of (?metric=, the objective by default)
    direction: str | None  # an objective's direction (a best-so-far line applies); None for other metrics
    last_event_id: int


class CurveSeries(TypedDict):
    number: int
    state: str
    steps: list[int]
    values: list[float]


class SampleSeries(TypedDict):
    numbers: list[int]
    values: list[float]
    params: dict[str, list[Any]]  # parameter -> value per sampled trial (None when inactive)
    n_completed: int


class PlotData(TypedDict):
    metric: str  # the intermediate values' metric (?metric=, the objective by default)
    direction: str  # the study's (first objective's) direction
    metric_direction: str | None  # ``metric``'s direction when it is an objective, else None
    metrics: list[str]  # every metric name: the objectives first, then the others by name
    history: HistorySeries
    intermediate: list[CurveSeries]
    rungs: list[int]  # successive halving / Hyperband rung steps within the curves' steps
    sample: SampleSeries
    importance: dict[str, float]
    last_event_id: int


class EventPage(TypedDict):
    events: list[EventMessage]
    last_event_id: int
    more: bool


class ParetoPoint(TypedDict):
    number: int
    values: list[float]
    feasible: bool
    on_front: bool


class ParetoData(TypedDict):
    """A several-objective study's completed trials, its front and hypervolume (``/pareto/``)."""

    objectives: list[dict[str, str]]
    points: list[ParetoPoint]
    # Hypervolume of the feasible front after each completed trial, against ``reference``
    # (each objective's worst feasible value pushed 10% of its range further).
    hypervolume: list[list[float]]
    reference: list[float] | None
    last_event_id: int
