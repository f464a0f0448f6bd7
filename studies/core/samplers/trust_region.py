"""A TuRBO-style trust region: a box around the incumbent that grows and shrinks with progress.

Why: past a few dimensions expected improvement over the whole cube favours the
points of largest variance, its corners and faces, long after the model has located
the good region (on Rastrigin-4 about a third of the trials landed on the boundary).
TuRBO (Eriksson et al., NeurIPS 2019) searches a box around the best point instead,
doubling its side after a run of improvements and halving it after a run of failures,
and starting over at full size once it has collapsed.

The state is replayed from the values in trial order, so it is a pure function of the
history: every worker computes the same box, whatever order it sees trials finish in.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .acquisition import Box
from .gp import Array, Mask

# TuRBO's constants: initial, smallest and largest side on the unit cube, and three
# successes in a row to grow.
INITIAL = 0.8
SMALLEST = 0.5**7
LARGEST = 1.6
SUCCESSES = 3
# An improvement smaller than this fraction of the values' spread is not progress.
RELATIVE_GAIN = 1e-3


def side_length(values: Sequence[float], n_startup: int, n_dims: int) -> float:
    """The box side after replaying ``values`` (minimised, in trial order) past the startup trials.

    TuRBO halves after max(4, d) failures in a row: more dimensions need more tries
    before a failure says the box is too large.
    """
    patience = max(4, n_dims)
    spread = float(np.ptp(values)) if len(values) else 0.0
    best = min(values[:n_startup], default=math.inf)
    length, wins, losses = INITIAL, 0, 0
    for value in values[n_startup:]:
        if value < best - RELATIVE_GAIN * spread:
            wins, losses = wins + 1, 0
        else:
            wins, losses = 0, losses + 1
        best = min(best, value)
        if wins == SUCCESSES:
            length, wins = min(2.0 * length, LARGEST), 0
        elif losses == patience:
            length, losses = length / 2.0, 0
        if length < SMALLEST:
            length = INITIAL
    return length


def box(centre: Array, lengths: Array, side: float, numeric: Mask) -> Box:
    """The box of total side ``side`` around ``centre``, stretched along long length scales.

    Each numeric column gets side · l_j / (geometric mean of l): the box is longest
    where the objective varies slowest. Categorical columns keep their full range.
    """
    # TuRBO bounds its length scales to [0.005, 2]; ours may grow to 1e3 on an ignored
    # column, which would otherwise squeeze the box to nothing along the others.
    scaled = np.where(numeric, np.clip(lengths, 0.005, 2.0), 1.0)
    weights = scaled / math.exp(float(np.mean(np.log(scaled[numeric])))) if numeric.any() else scaled
    half = 0.5 * side * weights
    low = np.where(numeric, np.clip(centre - half, 0.0, 1.0), 0.0)
    high = np.where(numeric, np.clip(centre + half, 0.0, 1.0), 1.0)
    return low, high
