"""The only writer of study and trial rows: create, claim, report, finish.

Every function that changes state runs in one transaction that also appends the
matching events (``studies.events``), so the log and the rows never disagree.
Concurrency between workers is settled by the database: the study row is locked while
a trial number is claimed, and counters move with conditional UPDATEs.

Callers use ``from studies import services`` and the names below; the submodules
split the work by subject (study lifecycle, editing, trials).
"""

from ..core.errors import SpecError
from .editing import (
    EDITABLE_WHEN_LOCKED,
    check_spec_update,
    clone_name,
    clone_study,
    spec_locked_reason,
    update_study_spec,
)
from .errors import StudyExists, StudyLocked, StudyNotFound
from .housekeeping import fail_stale_trials, heartbeat, release_unstarted, requeue_failed
from .studies import (
    claim_queued_study,
    create_study,
    get_study,
    joinable_study,
    progress_data,
    queue_study,
    start_study,
    stop_study,
    study_spec,
    validate_spec,
    with_seed,
)
from .trials import (
    TERMINAL,
    Claim,
    claim_trial,
    finish_and_claim,
    finish_trial,
    record_intermediate,
)

__all__ = [
    "EDITABLE_WHEN_LOCKED",
    "TERMINAL",
    "Claim",
    "SpecError",
    "StudyExists",
    "StudyLocked",
    "StudyNotFound",
    "check_spec_update",
    "claim_queued_study",
    "claim_trial",
    "clone_name",
    "clone_study",
    "create_study",
    "fail_stale_trials",
    "finish_and_claim",
    "finish_trial",
    "get_study",
    "heartbeat",
    "joinable_study",
    "progress_data",
    "queue_study",
    "record_intermediate",
    "release_unstarted",
    "requeue_failed",
    "spec_locked_reason",
    "start_study",
    "stop_study",
    "study_spec",
    "update_study_spec",
    "validate_spec",
    "with_seed",
]
