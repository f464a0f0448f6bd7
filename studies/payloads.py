"""Events as the log stores them and sockets carry them: type names, payloads, close codes.

One module builds every event's ``data``, so each field has one name everywhere:
progress is ``n_done``/``n_trials`` (the words of the study summaries), the best is
``best_value``/``best_trial``. Services build payloads here, the log stores
``to_data()``, the JSON API and the websockets pass that on, and the pages' scripts
read the same names (``static/js``). The websocket close codes are shared with the
scripts through the page (``close_codes_json`` in ``templatetags/live.py``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, ClassVar, Protocol

# --- event types (DESIGN.md section 4) ------------------------------------------------
STUDY_STARTED = "study_started"
STUDY_PROGRESS = "study_progress"
STUDY_COMPLETED = "study_completed"
STUDY_STOPPED = "study_stopped"
STUDY_QUEUED = "study_queued"
TRIAL_STARTED = "trial_started"
TRIAL_METRIC = "trial_metric"
TRIAL_COMPLETED = "trial_completed"
TRIAL_PRUNED = "trial_pruned"
TRIAL_FAILED = "trial_failed"
TRIAL_REQUEUED = "trial_requeued"
TRIAL_ENQUEUED = "trial_enqueued"
BEST_UPDATED = "best_updated"
# The workbench (DESIGN.md section 10): who controlled a study, notes, log output.
CONTROL_APPLIED = "control_applied"
NOTE_UPDATED = "note_updated"
TRIAL_LOG = "trial_log"
PARETO_UPDATED = "pareto_updated"
ARTIFACT_SAVED = "artifact_saved"
# Not stored: the first frame of a socket opened without a cursor.
SNAPSHOT = "snapshot"

# What the all-studies socket carries: each study's state, progress and best value.
LIST_EVENT_TYPES = (
    STUDY_STARTED,
    STUDY_PROGRESS,
    STUDY_COMPLETED,
    STUDY_STOPPED,
    STUDY_QUEUED,
    BEST_UPDATED,
    PARETO_UPDATED,
)

# --- websocket close codes (4000-4999 are the application's) ----------------------------
CLOSE_BAD_CURSOR = 4400  # ``?after`` is not an event id: reconnecting cannot help
CLOSE_NOT_LOGGED_IN = 4401  # no session, or it logged out: reconnecting cannot help
CLOSE_UNKNOWN_STUDY = 4404  # no such study: reconnecting cannot help
# What the page's connection indicator says for each (static/js/live.js stops there).
CLOSE_CODES = {"refused": CLOSE_BAD_CURSOR, "logged-out": CLOSE_NOT_LOGGED_IN, "not-found": CLOSE_UNKNOWN_STUDY}


@dataclass(frozen=True)
class Payload:
    """An event's type and data; ``to_data()`` is what the log stores and clients read."""

    type: ClassVar[str]

    def to_data(self) -> dict[str, Any]:
        return asdict(self)


class StudyCounters(Protocol):
    """What progress is read from: a ``Study`` or the locked study row of a transaction."""

    state: str
    n_done: int
    n_trials: int
    best_value: float | None
    best_trial_number: int | None


@dataclass(frozen=True)
class StudyStarted(Payload):
    type: ClassVar[str] = STUDY_STARTED
    name: str
    n_trials: int
    resumed: bool


@dataclass(frozen=True)
class StudyProgress(Payload):
    type: ClassVar[str] = STUDY_PROGRESS
    n_done: int
    n_trials: int
    best_value: float | None
    best_trial: int | None
    state: str

    @classmethod
    def of(cls, study: StudyCounters) -> StudyProgress:
        return cls(study.n_done, study.n_trials, study.best_value, study.best_trial_number, study.state)


@dataclass(frozen=True)
class StudyStopped(StudyProgress):
    type: ClassVar[str] = STUDY_STOPPED


@dataclass(frozen=True)
class StudyQueued(StudyProgress):
    type: ClassVar[str] = STUDY_QUEUED


@dataclass(frozen=True)
class StudyCompleted(Payload):
    type: ClassVar[str] = STUDY_COMPLETED
    best_trial: int | None
    best_value: float | None
    n_done: int
    n_trials: int


@dataclass(frozen=True)
class TrialStarted(Payload):
    type: ClassVar[str] = TRIAL_STARTED
    number: int
    params: dict[str, Any]
    worker: str


@dataclass(frozen=True)
class TrialMetric(Payload):
    type: ClassVar[str] = TRIAL_METRIC
    number: int
    step: int
    metrics: dict[str, float]


@dataclass(frozen=True)
class TrialFinished(Payload):
    """The fields every terminal event carries; the subclasses add what their state says."""

    number: int
    state: str
    params: dict[str, Any]
    value: float | None
    duration_ms: int


@dataclass(frozen=True)
class TrialCompleted(TrialFinished):
    type: ClassVar[str] = TRIAL_COMPLETED
    metrics: dict[str, float]


@dataclass(frozen=True)
class TrialPruned(TrialFinished):
    type: ClassVar[str] = TRIAL_PRUNED
    step: int | None
    reason: str


@dataclass(frozen=True)
class TrialFailed(TrialFinished):
    type: ClassVar[str] = TRIAL_FAILED
    error: str


@dataclass(frozen=True)
class TrialRequeued(Payload):
    type: ClassVar[str] = TRIAL_REQUEUED
    number: int
    params: dict[str, Any]
    previous_error: str


@dataclass(frozen=True)
class TrialEnqueued(Payload):
    """A configuration queued by hand (``POST .../enqueue/``): the next claim takes it."""

    type: ClassVar[str] = TRIAL_ENQUEUED
    number: int
    params: dict[str, Any]


@dataclass(frozen=True)
class BestUpdated(Payload):
    type: ClassVar[str] = BEST_UPDATED
    number: int
    value: float | None
    params: dict[str, Any]


@dataclass(frozen=True)
class ControlApplied(Payload):
    """A user's control from the study page (``services.control``), next to the event it caused.

    ``action``: stop, resume, raise_budget, enqueue, retry, fail; ``number`` is the trial
    it acted on (None for the study); ``detail`` says what changed, in words.
    """

    type: ClassVar[str] = CONTROL_APPLIED
    action: str
    user: str
    number: int | None
    detail: str


@dataclass(frozen=True)
class NoteUpdated(Payload):
    """A study's note (``number`` None) or a trial's was edited; ``text`` is plain text."""

    type: ClassVar[str] = NOTE_UPDATED
    number: int | None
    text: str
    user: str


@dataclass(frozen=True)
class TrialLogAppended(Payload):
    """Output was stored for trial ``number`` up to chunk ``seq`` (read it from the trial's log API)."""

    type: ClassVar[str] = TRIAL_LOG
    number: int
    seq: int
    dropped_chars: int


@dataclass(frozen=True)
class ParetoUpdated(Payload):
    """Several objectives: trial ``number`` joined the Pareto front, ``removed`` left it."""

    type: ClassVar[str] = PARETO_UPDATED
    number: int
    values: list[float]
    params: dict[str, Any]
    removed: list[int]
    front_size: int


@dataclass(frozen=True)
class ArtifactSaved(Payload):
    """Trial ``number`` has a new file ``name`` (it replaced one of that name when ``replaced``).

    ``url`` downloads it (logged-in users and tokens); ``inline``: a raster image the
    page may show with ``<img>``; ``id`` changes whenever the name's file does.
    """

    type: ClassVar[str] = ARTIFACT_SAVED
    number: int
    id: int
    name: str
    size: int
    content_type: str
    url: str
    inline: bool
    replaced: bool
