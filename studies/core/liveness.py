"""How often live trials beat and how often lost ones are looked for, from one grace period.

Workers, remote clients (told in the ``ask`` answer) and the web process's sweep all
derive their timing from the same grace, so a trial is never judged lost while its
owner still beats on time.
"""

from __future__ import annotations


def heartbeat_interval(grace: float) -> float:
    """How often a running trial's heartbeat is refreshed: four beats per grace period."""
    return max(grace / 4, 0.5)


def sweep_interval(grace: float) -> float:
    """How often lost trials are looked for: their granularity is the grace period anyway."""
    return min(grace / 4, 15.0)
