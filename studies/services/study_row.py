"""The study row as the claim/finish path locks, counts and reads it.

Kept apart from the trial services (their only caller) because the hot path spends
its statements carefully: each one here replaces several ORM round trips. Both
functions write or lock, so they live on the write side and run inside the caller's
transaction.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from django.db import connection

from .. import events
from ..core.trials import TrialState
from ..models import Study, Trial
from ..statements import Statement, run_together


@dataclass
class StudyRow:
    """The locked study row as a finishing or claiming transaction sees it."""

    pk: int
    state: str
    n_done: int
    n_trials: int
    best_value: float | None
    best_trial_number: int | None
    metric: str
    # Trials numbered so far. Numbers are dense (0, 1, 2, ...; a trial is never deleted
    # alone), so this is the last number + 1: one index probe, where COUNT(*) would
    # scan every trial of the study on each claim.
    claimed: int
    waiting: int  # re-queued trials waiting for a worker
    # Read by a claim in the same statement, to save their round trips:
    asked_trial_id: int | None = None  # the trial already handed to this request id
    next_trial_id: int | None = None  # an id reserved for a new trial (PostgreSQL)


def lock_study_row(study_id: int, *, request_id: str = "", claiming: bool = False) -> StudyRow:
    """Lock the study row and read it with its trial counts: one statement, one round trip.

    The study lock a ``writing(lock_in_first_statement=True)`` owes travels ahead of it.
    A claim also reads the trial already answered to ``request_id`` and, on PostgreSQL,
    reserves a new trial's id (``claiming``), so it can write the trial and its
    parameter rows without waiting for an answer (``statements``).
    """
    study_table = connection.ops.quote_name(Study._meta.db_table)
    trial_table = connection.ops.quote_name(Trial._meta.db_table)
    # SQLite has no row locks (its one writer holds the database); PostgreSQL locks the
    # study row only: the counting subqueries read trials without locking them.
    lock = " FOR UPDATE OF " + study_table if connection.features.has_select_for_update_of else ""
    asked = f"(SELECT id FROM {trial_table} WHERE study_id = %s AND request_id = %s)" if request_id else "NULL"
    reserve = _reserved_trial_id(claiming)
    sql = f"SELECT {ROW_COLUMNS}, {_trial_counts()}, {asked}, {reserve} FROM {study_table} WHERE id = %s{lock}"
    args = [study_id, study_id, TrialState.WAITING.value, *([study_id, request_id] if request_id else []), study_id]
    rows = run_together([*events.study_lock_statements(), (sql, args)]).rows
    if not rows:
        raise Study.DoesNotExist(f"no study with id {study_id}")
    return StudyRow(study_id, *rows[0])


def _reserved_trial_id(claiming: bool) -> str:
    """SQL for StudyRow.next_trial_id: a new trial's id taken from its sequence (PostgreSQL, claims only)."""
    if not claiming or connection.vendor != "postgresql":
        return "NULL"
    return f"nextval('{_trial_sequence(connection.settings_dict['NAME'])}')"


@functools.lru_cache(maxsize=8)
def _trial_sequence(database: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [Trial._meta.db_table])
        (name,) = cursor.fetchone()
    return name


# What StudyRow holds, in its order, as columns of the study table; then _trial_counts().
ROW_COLUMNS = "state, n_done, n_trials, best_value, best_trial_number, metric"


def _trial_counts() -> str:
    """StudyRow.claimed and .waiting as subqueries; parameters: study id, study id, waiting state."""
    trial_table = connection.ops.quote_name(Trial._meta.db_table)
    return (
        f"COALESCE((SELECT number + 1 FROM {trial_table} WHERE study_id = %s ORDER BY number DESC LIMIT 1), 0), "
        f"(SELECT COUNT(*) FROM {trial_table} WHERE study_id = %s AND state = %s)"
    )


def finish_and_count(
    finishing: Statement, trial: Trial, value: float | None, counts_as_best: bool, now, claiming: bool = False
) -> StudyRow | None:
    """Run ``finishing`` (the trial's UPDATE, which matches it only while it runs), then
    count the finished trial on its study and take the best if ``value`` improves on it.
    None, and nothing counted, when ``finishing`` matched no row.

    ``counts_as_best``: a completed trial that may hold the best (not an infeasible one,
    nor one of a several-objective study). ``claiming``: a claim follows in this
    transaction (reserve its trial's id). The study lock a
    ``writing(lock_in_first_statement=True)`` owes travels ahead.

    On PostgreSQL both UPDATEs are one statement (the trial's in a data-modifying WITH)
    and one round trip: the study's row is locked for the rest of the transaction, so a
    round trip saved here is saved for every writer of the study queued behind it. The
    study's UPDATE ... RETURNING also returns what the events and a following claim need,
    where the ORM would need three statements; the best is compared inside it, never
    read-modify-saved.
    """
    update, returning, count_args = _count_statement(trial, value, counts_as_best, now, claiming)
    if connection.vendor != "postgresql":  # SQLite: no UPDATE inside WITH; its one writer holds the database
        if not run_together([*events.study_lock_statements(), finishing]).rowcount:
            return None
        rows = run_together([(update + returning, count_args)]).rows
    else:
        finishing_sql, finishing_args = finishing
        sql = f"WITH finished AS ({finishing_sql} RETURNING 1) {update} AND EXISTS (SELECT 1 FROM finished){returning}"
        rows = run_together([*events.study_lock_statements(), (sql, [*finishing_args, *count_args])]).rows
    return StudyRow(trial.study_id, *rows[0]) if rows else None


def _count_statement(
    trial: Trial, value: float | None, counts_as_best: bool, now, claiming: bool
) -> tuple[str, str, list[Any]]:
    """The study's UPDATE up to the end of its WHERE (a caller may add a condition), its
    RETURNING clause, and the parameters of both, in that order."""
    study_table = connection.ops.quote_name(Study._meta.db_table)
    improves = (
        "%s AND (best_value IS NULL OR (direction = 'minimize' AND best_value > %s) "
        "OR (direction = 'maximize' AND best_value < %s))"
    )
    improves_args = [counts_as_best, value, value]
    sql = (
        f"UPDATE {study_table} SET n_done = n_done + 1, updated_at = %s, "
        f"best_value = CASE WHEN {improves} THEN %s ELSE best_value END, "
        f"best_trial_number = CASE WHEN {improves} THEN %s ELSE best_trial_number END "
        f"WHERE id = %s"
    )
    args = [
        connection.ops.adapt_datetimefield_value(now),
        *improves_args,
        value,
        *improves_args,
        trial.number,
        trial.study_id,
    ]
    returning = f" RETURNING {ROW_COLUMNS}, {_trial_counts()}, NULL, {_reserved_trial_id(claiming)}"
    return sql, returning, [*args, trial.study_id, trial.study_id, TrialState.WAITING.value]
