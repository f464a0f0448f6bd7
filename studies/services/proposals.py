"""Suggesting outside the study lock: a proposal from a snapshot, checked when it is claimed.

A model-based sampler (Bayesian: a GP fit per suggestion) may take far longer than the
claim itself. Fitting while the study row is locked would queue every worker of the
study behind each other's fits, so a claim of such a sampler goes in three steps:

1. **Snapshot, unlocked.** Read the study's trials (``history_snapshots``) without any
   lock. The next number is the last one + 1 (numbers are dense).
2. **Reserve a number, suggest.** Workers that snapshot at the same moment would all
   aim at the same number and all but one would throw their fit away, so each takes the
   lowest number nobody else is proposing for: a PostgreSQL session advisory lock keyed
   ``(study id, number)`` (``pg_try_advisory_lock``; released when the claim is over,
   or by PostgreSQL when the session dies). Then ``sampler.suggest(number, snapshot)``,
   still unlocked: this is the slow part, and it runs in parallel across workers.
3. **Claim, locked.** Before locking, wait (bounded) until the lower reserved numbers
   are claimed: numbers are dense, so ours can only be taken after theirs. Then, in
   the short locked transaction, ``check`` the snapshot is still valid for the number
   being claimed, or raise ``StaleProposal`` (the transaction rolls back and the caller
   proposes again, a bounded number of times, and finally suggests under the lock as
   before, so progress is guaranteed).

What "still valid" means (what a suggestion depends on): the number must be the one
suggested for, and nothing the snapshot *observed* may have been taken back.
- every trial finished in the snapshot is still finished (a re-queue changes them);
- trials finished since were running or waiting in the snapshot (fantasies to the
  kriging believer, which is what running trials are for) or were claimed after the
  snapshot by a worker proposing for a lower number at the same time;
- no trial claimed since the snapshot holds exactly the proposed configuration (the
  sampler could not avoid a repeat it did not see).
Trials claimed concurrently are the only thing a proposal may miss, and that is
inherent in parallel suggestions: a locked suggestion, too, never sees the outcome of
trials still running. Requiring every concurrent trial to be unfinished at claim time
was tried first: whenever the objective is shorter than a fit, the other worker's trial
has always finished by then, so every second proposal went stale and the fits queued
again (measured: two workers took 84% of one worker's time instead of about 50%).

Reproducibility: ``suggest`` stays a pure function of (seed, number, history). With
one worker the snapshot is exactly the history a locked read would see (its previous
trial's outcome is committed before it proposes, see ``finish_and_claim``), so the
same seed gives the same sequence as before. Samplers without history (grid, random) suggest under
the lock as before: cheap, and per-number deterministic. SQLite (one machine) takes no
reservations: concurrent workers there fall back to a locked suggestion after a few
stale proposals; PostgreSQL is where several machines share a study.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import OperationalError, connection

from ..core.params import params_key
from ..core.samplers.base import Sampler
from ..core.trials import TrialState
from ..models import Study, Trial
from ..selectors.snapshots import history_snapshots
from .study_row import StudyRow

TERMINAL = [TrialState.COMPLETED.value, TrialState.PRUNED.value, TrialState.FAILED.value]
# Proposals made outside the lock before a claim suggests under it (progress guaranteed).
PROPOSAL_ATTEMPTS = 3
# How far past the next number a worker looks for one nobody else is proposing for.
MAX_RESERVED_AHEAD = 64
# How long a claim waits for a lower reserved number to be claimed before trying anyway.
LOWER_RESERVATION_WAIT = "30s"


class StaleProposal(Exception):
    """The history moved on in a way that matters since the proposal's snapshot."""


@dataclass(frozen=True)
class Proposal:
    number: int  # the trial number it was suggested for
    params: dict[str, Any]
    seen_next: int  # the next number in the snapshot: trials from here on were unseen
    seen_finished: frozenset[int]


@contextmanager
def proposing(study: Study, sampler: Sampler) -> Iterator[Proposal | None]:
    """A proposal for the next trial, suggested without any lock; None when the sampler
    reads no history (it suggests under the lock: cheap and per-number deterministic).

    The number stays reserved until the block exits.
    """
    if not sampler.uses_history or connection.in_atomic_block:
        # Inside a caller's transaction its locks may be held already: waiting there for
        # another worker's lower number could stall both, so suggest under the lock.
        # (A remote ask no longer nests: it checks its request_id inside the claim.)
        yield None
        return
    history = history_snapshots(study, study.metric)
    seen_next = max((t.number for t in history), default=-1) + 1
    with _reserved(study.pk, seen_next) as number:
        proposal = Proposal(
            number=number,
            params=sampler.suggest(number, history),
            seen_next=seen_next,
            seen_finished=frozenset(t.number for t in history if t.state.is_terminal),
        )
        _wait_for_lower(study.pk, seen_next, number)
        yield proposal


def check(proposal: Proposal, locked: StudyRow) -> dict[str, Any]:
    """The proposal's params if its snapshot is still valid for ``locked.claimed``; else StaleProposal.

    Runs inside the claiming transaction, which holds the study row: nothing changes
    the trials of this study until it commits.
    """
    if proposal.number != locked.claimed:
        raise StaleProposal(f"proposed for trial {proposal.number}, the next is {locked.claimed}")
    trials = Trial.objects.filter(study_id=locked.pk)
    finished = set(trials.filter(state__in=TERMINAL, number__lt=proposal.seen_next).values_list("number", flat=True))
    if not proposal.seen_finished <= finished:
        raise StaleProposal("a finished trial of the snapshot was re-queued")
    unseen = trials.filter(number__gte=proposal.seen_next).values_list("params", flat=True)
    if params_key(proposal.params) in {params_key(params) for params in unseen}:
        raise StaleProposal("a trial claimed since the snapshot holds the same configuration")
    return proposal.params


@contextmanager
def _reserved(study_id: int, first: int) -> Iterator[int]:
    """The lowest number from ``first`` on that no other session is proposing for."""
    if connection.vendor != "postgresql":
        yield first
        return
    with connection.cursor() as cursor:
        for number in range(first, first + MAX_RESERVED_AHEAD):
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [study_id, number])
            if cursor.fetchone()[0]:
                break
        else:  # a crowd of proposers: claim whatever is next, checked under the lock anyway
            yield first
            return
    try:
        yield number
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [study_id, number])


def _wait_for_lower(study_id: int, first: int, number: int) -> None:
    """Wait until the sessions proposing for ``first .. number - 1`` are done with them.

    Our number can only be claimed after theirs (numbers are dense); locking in the
    lock of each lower reservation in turn and releasing it at once waits for exactly
    that. A session that vanishes releases its locks; one that hangs costs at most
    LOWER_RESERVATION_WAIT, after which the check under the lock decides.
    """
    if number == first or connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        cursor.execute(f"SET lock_timeout = '{LOWER_RESERVATION_WAIT}'")
        try:
            for lower in range(first, number):
                cursor.execute("SELECT pg_advisory_lock(%s, %s)", [study_id, lower])
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [study_id, lower])
        except OperationalError:
            pass  # timed out: the claim's check says whether the proposal still holds
        finally:
            cursor.execute("RESET lock_timeout")
