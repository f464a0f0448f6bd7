"""The pruning decision, one function for both kinds of trial.

A worker's executor asks through ``TrialHooks.should_prune`` (its own values kept in
memory); a remote client's ``report`` asks through ``services.remote.report`` (its own
values read back from the rows). Both compare with the same peers, the same way.
"""

from __future__ import annotations

from collections.abc import Mapping

from .selectors import peers_at_step


def should_prune(
    *, study_id: int, number: int, metric: str, step: int, own: Mapping[int, float], pruner, direction
) -> bool:
    """Whether trial ``number``, with objective values ``own`` by step, should stop at ``step``."""
    if step not in own:
        return False  # nothing reported for the objective at this step: nothing to compare
    query = pruner.peer_query(step, own, number=number)
    if query is None:
        return False  # the pruner does not judge this step (warm-up, between rungs)
    peers = [p for p in peers_at_step(study_id, metric, query) if p.number != number]
    return pruner.should_prune(step, dict(own), peers, direction, number=number)
