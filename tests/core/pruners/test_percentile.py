import re

import pytest

from studies.core.errors import SpecError
from studies.core.pruners import MedianPruner, PercentilePruner
from studies.core.trials import Direction, FrozenTrial, TrialState


def completed(number, values):
    return FrozenTrial(
        number=number, state=TrialState.COMPLETED, params={}, value=values[-1], intermediate=dict(enumerate(values))
    )


PEERS = [completed(i, [v, v]) for i, v in enumerate([0.1, 0.2, 0.3, 0.4, 0.5])]  # median 0.3 at every step


def test_median_pruner_prunes_a_trial_worse_than_the_median_when_maximizing():
    pruner = MedianPruner()
    assert pruner.should_prune(1, {0: 0.1, 1: 0.2}, PEERS, Direction.MAXIMIZE)
    assert not pruner.should_prune(1, {0: 0.1, 1: 0.35}, PEERS, Direction.MAXIMIZE)


def test_median_pruner_prunes_a_trial_worse_than_the_median_when_minimizing():
    pruner = MedianPruner()
    assert pruner.should_prune(1, {0: 0.5, 1: 0.45}, PEERS, Direction.MINIMIZE)
    assert not pruner.should_prune(1, {0: 0.5, 1: 0.25}, PEERS, Direction.MINIMIZE)


def test_the_trial_is_judged_by_its_best_value_so_far():
    # A maximising trial that once reached 0.35 is above the median even if it dipped.
    assert not MedianPruner().should_prune(1, {0: 0.35, 1: 0.1}, PEERS, Direction.MAXIMIZE)


def test_nothing_is_pruned_during_warmup_or_with_too_few_peers():
    assert not MedianPruner(n_warmup_steps=2).should_prune(1, {0: 0.0, 1: 0.0}, PEERS, Direction.MAXIMIZE)
    assert not MedianPruner(n_min_trials=6).should_prune(1, {0: 0.0, 1: 0.0}, PEERS, Direction.MAXIMIZE)
    assert MedianPruner(n_min_trials=5).should_prune(1, {0: 0.0, 1: 0.0}, PEERS, Direction.MAXIMIZE)


def test_only_completed_peers_that_reached_the_step_count():
    running = FrozenTrial(number=9, state=TrialState.RUNNING, params={}, intermediate={0: 0.9, 1: 0.9})
    short = completed(10, [0.9])
    pruner = MedianPruner(n_min_trials=2)
    assert not pruner.should_prune(1, {0: 0.0, 1: 0.0}, [running, short, PEERS[0]], Direction.MAXIMIZE)


@pytest.mark.parametrize(
    "direction, value, pruned",
    [
        (Direction.MAXIMIZE, 0.35, True),
        (Direction.MAXIMIZE, 0.45, False),
        (Direction.MINIMIZE, 0.25, True),
        (Direction.MINIMIZE, 0.15, False),
    ],
)
def test_percentile_pruner_keeps_only_the_top_fraction(direction, value, pruned):
    # percentile=25: keep the best 25% (maximise: above the 75th percentile;
    # minimise: below the 25th percentile, 0.2).
    pruner = PercentilePruner(25.0)
    assert pruner.should_prune(1, {1: value}, PEERS, direction) is pruned


@pytest.mark.parametrize(
    "build, field, words",
    [
        (lambda: PercentilePruner(150.0), "percentile", "between 0 and 100, exclusive (got 150.0)"),
        (lambda: PercentilePruner(0), "percentile", "between 0 and 100"),
        (lambda: PercentilePruner(float("nan")), "percentile", "between 0 and 100"),
        (lambda: PercentilePruner(True), "percentile", "between 0 and 100"),
        (lambda: MedianPruner(n_warmup_steps=-1), "n_warmup_steps", "non-negative integer, at most 10000000 (got -1)"),
        (lambda: MedianPruner(n_warmup_steps=1.5), "n_warmup_steps", "at most 10000000 (got 1.5)"),
        (lambda: MedianPruner(n_min_trials=-2), "n_min_trials", "non-negative integer, at most 10000000 (got -2)"),
        (lambda: MedianPruner(n_min_trials=10**8), "n_min_trials", "at most 10000000 (got 100000000)"),
    ],
)
def test_constructors_reject_bad_arguments_naming_them(build, field, words):
    with pytest.raises(ValueError, match=rf"^{field}: .*{re.escape(words)}"):
        build()


def test_a_constructor_reports_every_bad_argument_at_once():
    with pytest.raises(SpecError) as info:
        PercentilePruner(-5.0, n_warmup_steps=-1, n_min_trials="3")
    assert [path for path, _ in info.value.errors] == ["percentile", "n_warmup_steps", "n_min_trials"]
