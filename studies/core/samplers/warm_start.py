"""The last fitted GP hyperparameters of each study, to start the next fit from.

Why: the MAP hyperparameters move little from one suggestion to the next, and the
cold fit (two L-BFGS-B searches from fixed starts) was half of a suggestion's time.
Optuna's GPSampler keeps its kernel parameters between trials for the same reason.

The cache lives in the process (samplers are rebuilt for every claim) and is keyed by
the study's lineage: its space, seed and direction. An entry is used only when the
points it was fitted on are a subset of the points fitted now, i.e. it is a fit of
an earlier state of the same study. Hence:
- A process that replays the same sequence of suggestions gives the same results
  (the first model-based suggestion of a run always starts cold, so a second run with
  the same seed does not start from the first run's hyperparameters).
- The same data fitted twice in a row reuses the stored hyperparameters as they are,
  so asking twice for the same suggestion gives the same answer.
- A process that sees a history for the first time starts cold, so two workers can
  differ in the last digits of their hyperparameters (hence, rarely, in their
  suggestions); each suggestion is still a valid MAP fit of the data it was given.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np

from .gp import Array, Hyperparameters

# Studies remembered per process; a study evicted starts cold once.
MAX_STUDIES = 64


@dataclass(frozen=True)
class Entry:
    rows: frozenset[bytes]  # the points observed, one key per row
    data: bytes  # the points and targets fitted, in order
    params: Hyperparameters  # the MAP hyperparameters fitted


def row_keys(x: Array) -> frozenset[bytes]:
    return frozenset(np.ascontiguousarray(x[i]).tobytes() for i in range(len(x)))


def data_key(x: Array, y: Array) -> bytes:
    return np.ascontiguousarray(x).tobytes() + np.ascontiguousarray(y).tobytes()


class WarmStarts:
    """A bounded, thread-safe map from a study's lineage to its last fit."""

    def __init__(self, size: int = MAX_STUDIES) -> None:
        self._size = size
        self._entries: OrderedDict[Hashable, Entry] = OrderedDict()
        self._lock = threading.Lock()

    def lookup(
        self, key: Hashable, rows: frozenset[bytes], data: bytes, width: int
    ) -> tuple[Hyperparameters | None, bool]:
        """(hyperparameters to start the fit of ``data`` from, whether they are already its fit).

        ``rows`` are the ``row_keys`` of every point observed, ``data`` the ``data_key``
        of the points and targets fitted now (a subsample of them on a long run). No
        start when the study has no entry or its entry was fitted on points that are
        not all among ``rows`` (another run, or the space changed).
        """
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
        if entry is None or len(entry.params.lengths) != width:
            return None, False
        if entry.data == data:
            return entry.params, True
        if entry.rows <= rows:
            return entry.params, False
        return None, False

    def store(self, key: Hashable, rows: frozenset[bytes], data: bytes, params: Hyperparameters) -> None:
        entry = Entry(rows, data, params)
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
