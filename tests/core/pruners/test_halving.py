"""Successive halving (asynchronous) and Hyperband: rung arithmetic and decisions by hand."""

import re
from collections import Counter

import pytest

from studies.core.pruners import HyperbandPruner, PeerQuery, SuccessiveHalvingPruner, make_pruner, parse_pruner
from studies.core.pruners.halving import (
    RUNG_STATES,
    bracket_count,
    bracket_weights,
    is_promoted,
    rung_steps,
    rung_to_judge,
)
from studies.core.trials import Direction, FrozenTrial, TrialState

MIN, MAX = Direction.MINIMIZE, Direction.MAXIMIZE


def at_rung(number, step, value, state=TrialState.RUNNING):
    """A peer as the storage side hands it over: its first value in the rung's steps."""
    return FrozenTrial(number=number, state=state, params={}, intermediate={step: value})


def test_rungs_grow_geometrically_from_the_early_stopping_rate():
    assert rung_steps(1, 3, 0)[:5] == [1, 3, 9, 27, 81]
    assert rung_steps(2, 2, 1)[:4] == [4, 8, 16, 32]
    assert rung_steps(1, 3, 0, below=27) == [1, 3, 9]
    assert rung_steps(5, 4, 2, below=80) == []  # 5 * 4**2 = 80 is not below 80
    assert SuccessiveHalvingPruner(min_resource=4, reduction_factor=2, min_early_stopping_rate=1).rungs[:3] == [
        8,
        16,
        32,
    ]


@pytest.mark.parametrize(
    "reported, step, judged",
    [
        ({0: 0.1, 1: 0.2}, 1, (1, 3)),  # reaches rung 1
        ({0: 0.1, 1: 0.2, 2: 0.3}, 2, None),  # between rungs: judged at step 1 already
        ({0: 0.1, 1: 0.2, 2: 0.3, 3: 0.4}, 3, (3, 9)),
        ({0: 0.1}, 0, None),  # before the first rung
        ({0: 0.1, 2: 0.2}, 2, (1, 3)),  # skipped step 1: judged at its first report after it
        ({0: 0.1, 2: 0.2, 5: 0.3}, 5, (3, 9)),
        ({10: 0.3}, 10, (9, 27)),
        ({1: 0.3}, 2, None),  # nothing reported at the step asked about
    ],
)
def test_a_trial_is_judged_once_per_rung_at_its_first_report_there(reported, step, judged):
    assert rung_to_judge([1, 3, 9, 27], step, reported) == judged


@pytest.mark.parametrize(
    "own, values, direction, promoted",
    [
        (3.0, [1, 2, 3, 4, 5, 6, 7, 8, 9], MIN, True),  # 9 values, factor 3: the best 3 go on
        (4.0, [1, 2, 3, 4, 5, 6, 7, 8, 9], MIN, False),
        (7.0, [1, 2, 3, 4, 5, 6, 7, 8, 9], MAX, True),
        (6.0, [1, 2, 3, 4, 5, 6, 7, 8, 9], MAX, False),
        (2.0, [1, 2, 3, 4, 5], MIN, False),  # 5 // 3 = 1: only the best
        (1.0, [1, 1, 3, 4], MIN, False),  # an equal value holds the one place: beat it, not match it
        (0.5, [1, 0.5, 0.5, 0.2, 0.1, 0.0], MAX, False),  # 6 // 3 = 2 places: 1 and the earlier 0.5
        (0.5, [1, 0.5, 0.2, 0.1, 0.0, -1], MAX, True),
        (2.0, [2, 2], MIN, False),  # fewer than 3 values: a tie is not "the best so far"
        (5.0, [5], MAX, True),  # alone at the rung: the best so far
        (4.0, [5, 4], MAX, False),  # fewer than 3 values: only the best so far goes on
    ],
)
def test_the_best_fraction_of_a_rung_goes_on_in_both_directions(own, values, direction, promoted):
    assert is_promoted(own, values, 3, direction) is promoted


@pytest.mark.parametrize(
    "own, values, ties_behind, direction, promoted",
    [
        (1.0, [1, 1, 3, 4], 1, MIN, True),  # the equal value ranks behind: own takes the place
        (0.5, [1, 0.5, 0.5, 0.5, 0.1, 0.0], 1, MAX, False),  # one of two equals still ahead
        (0.5, [1, 0.5, 0.5, 0.5, 0.1, 0.0], 2, MAX, True),
    ],
)
def test_equal_values_rank_behind_only_as_many_as_told(own, values, ties_behind, direction, promoted):
    assert is_promoted(own, values, 3, direction, ties_behind=ties_behind) is promoted


def test_a_diverged_value_is_never_promoted_and_a_diverged_peer_holds_no_place():
    nan = float("nan")
    assert not is_promoted(nan, [nan], 3, MAX)
    assert is_promoted(0.1, [0.1, nan, nan, 0.5], 3, MAX) is False  # 4 // 3 = 1: 0.5 holds it
    assert is_promoted(0.4, [0.4, nan, nan, 0.5], 3, MIN) is True  # the NaNs do not rank ahead of 0.4


def test_equal_values_at_a_rung_rank_by_trial_number_so_one_of_two_concurrent_ties_goes_on():
    """Trials 4 and 6 report 0.95 at rung 1 at once, each seeing the other's report."""
    pruner = SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    earlier = [at_rung(1, 1, 0.9, TrialState.COMPLETED), at_rung(2, 1, 0.5), at_rung(3, 1, 0.4)]
    own = {0: 0.5, 1: 0.95}
    # Five values, one place: the lower number (4) keeps it, 6 stops; neither sees itself.
    assert not pruner.should_prune(1, own, [*earlier, at_rung(6, 1, 0.95)], MAX, number=4)
    assert pruner.should_prune(1, own, [*earlier, at_rung(4, 1, 0.95)], MAX, number=6)
    # Without a number every equal peer ranks ahead (a lone caller in code).
    assert pruner.should_prune(1, own, [*earlier, at_rung(6, 1, 0.95)], MAX)


def test_successive_halving_asks_for_every_trial_that_reached_the_rung():
    pruner = SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    assert pruner.peer_query(0, {0: 0.5}) is None
    assert pruner.peer_query(1, {0: 0.5, 1: 0.6}) == PeerQuery(step=1, before=3, states=RUNG_STATES)
    assert pruner.peer_query(2, {0: 0.5, 1: 0.6, 2: 0.7}) is None
    assert TrialState.RUNNING in RUNG_STATES and TrialState.PRUNED in RUNG_STATES


def test_successive_halving_compares_with_running_completed_and_stopped_trials_alike():
    pruner = SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    peers = [
        at_rung(1, 1, 0.9, TrialState.COMPLETED),
        at_rung(2, 1, 0.8, TrialState.PRUNED),
        at_rung(3, 2, 0.7, TrialState.RUNNING),  # first report after rung 1 was at step 2
        at_rung(4, 1, 0.2, TrialState.FAILED),
        at_rung(5, 1, 0.1, TrialState.RUNNING),
    ]
    # Six values at rung 1 when maximising: the best two (0.9, 0.8) go on.
    assert pruner.should_prune(1, {0: 0.5, 1: 0.75}, peers, MAX)
    assert not pruner.should_prune(1, {0: 0.5, 1: 0.85}, peers, MAX)
    # Minimising, the best two are 0.1 and 0.2.
    assert not pruner.should_prune(1, {0: 0.5, 1: 0.15}, peers, MIN)
    assert pruner.should_prune(1, {0: 0.5, 1: 0.3}, peers, MIN)


def test_a_promotion_is_not_taken_back_by_trials_that_reach_the_rung_later():
    """Out of order: trial 7 reaches rung 1 first and goes on; better trials arrive later."""
    pruner = SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)  # rungs 1, 3, 9
    early = {0: 0.4, 1: 0.5}
    assert not pruner.should_prune(1, early, [], MAX)  # alone: the best so far
    later_peers = [at_rung(n, 1, 0.9) for n in range(8, 14)]
    # Its next report (step 2, between rungs 1 and 3) is not judged again ...
    assert not pruner.should_prune(2, {**early, 2: 0.55}, later_peers, MAX)
    # ... while a trial now reaching rung 1 with the same value is stopped by those peers.
    assert pruner.should_prune(1, {0: 0.4, 1: 0.5}, later_peers, MAX)
    # At rung 3 trial 7 is judged among those that got there.
    assert pruner.should_prune(3, {**early, 2: 0.55, 3: 0.6}, [at_rung(9, 3, 0.95)], MAX)
    assert not pruner.should_prune(3, {**early, 2: 0.55, 3: 0.96}, [at_rung(9, 3, 0.95)], MAX)


def test_hyperband_brackets_follow_the_hyperband_table():
    # Li et al. 2018, R = 81, eta = 3: brackets of 81, 34, 15, 8 and 5 configurations.
    assert bracket_count(1, 81, 3) == 5
    assert bracket_weights(5, 3) == [81, 34, 15, 8, 5]
    # Rungs below max_resource from min_resource, plus the bracket that never stops.
    assert bracket_count(1, 80, 3) == 5  # 1, 3, 9, 27; then none
    assert bracket_count(1, 27, 3) == bracket_count(1, 26, 3) == 4  # 1, 3, 9; then none
    assert bracket_count(2, 9, 2) == 4  # 2, 4, 8; then none


def test_hyperband_assigns_each_trial_a_fixed_bracket_in_proportion_to_its_budget():
    pruner = HyperbandPruner(min_resource=1, max_resource=81, reduction_factor=3)
    assert pruner.n_brackets == 5
    counts = Counter(pruner.bracket_of(n) for n in range(14_300))
    shares = [counts[b] / 14_300 for b in range(5)]
    expected = [w / 143 for w in [81, 34, 15, 8, 5]]
    assert shares == pytest.approx(expected, abs=0.02)
    assert [pruner.bracket_of(n) for n in range(50)] == [pruner.bracket_of(n) for n in range(50)]
    # Bracket b's rungs start at min_resource * eta**b and stop below max_resource.
    first = next(n for n in range(100) if pruner.bracket_of(n) == 0)
    second = next(n for n in range(100) if pruner.bracket_of(n) == 2)
    assert pruner.rungs_of(first) == [1, 3, 9, 27]
    assert pruner.rungs_of(second) == [9, 27]


def test_hyperband_judges_a_trial_only_among_its_own_bracket():
    pruner = HyperbandPruner(min_resource=1, max_resource=27, reduction_factor=3)
    bracket0 = [n for n in range(200) if pruner.bracket_of(n) == 0]
    other = [n for n in range(200) if pruner.bracket_of(n) != 0]
    judged, mates, strangers = bracket0[0], bracket0[1:4], other[:6]
    own = {0: 0.5, 1: 0.5}
    assert not pruner.should_prune(1, own, [at_rung(n, 1, 0.9) for n in strangers], MAX, number=judged)
    assert pruner.should_prune(1, own, [at_rung(n, 1, 0.9) for n in mates], MAX, number=judged)
    with pytest.raises(TypeError, match="number="):
        pruner.should_prune(1, own, [], MAX)


def test_hyperband_never_stops_a_trial_of_its_last_bracket():
    pruner = HyperbandPruner(min_resource=1, max_resource=9, reduction_factor=3)
    last = next(n for n in range(500) if pruner.bracket_of(n) == pruner.n_brackets - 1)
    assert pruner.rungs_of(last) == []
    assert pruner.peer_query(5, {5: 0.0}, number=last) is None


@pytest.mark.parametrize(
    "min_resource, max_resource, factor, brackets",
    [
        (1, 27, 3, [[1, 3, 9], [3, 9], [9], []]),
        (1, 26, 3, [[1, 3, 9], [3, 9], [9], []]),  # max_resource as the last step of 27 (0-26)
        (1, 80, 3, [[1, 3, 9, 27], [3, 9, 27], [9, 27], [27], []]),
        (1, 100, 3, [[1, 3, 9, 27, 81], [3, 9, 27, 81], [9, 27, 81], [27, 81], [81], []]),
        (2, 9, 2, [[2, 4, 8], [4, 8], [8], []]),
        (5, 6, 4, [[5], []]),
    ],
)
def test_hyperband_brackets_rungs_by_hand_and_the_last_never_stops(min_resource, max_resource, factor, brackets):
    pruner = HyperbandPruner(min_resource=min_resource, max_resource=max_resource, reduction_factor=factor)
    assert [pruner.bracket_rungs(b) for b in range(pruner.n_brackets)] == brackets
    last = next(n for n in range(1000) if pruner.bracket_of(n) == pruner.n_brackets - 1)
    assert all(pruner.peer_query(step, {step: 0.0}, number=last) is None for step in range(2 * max_resource))


def test_specs_normalise_and_build_both_pruners():
    assert parse_pruner({"type": "successive_halving"}) == {
        "type": "successive_halving",
        "min_resource": 1,
        "reduction_factor": 3,
        "min_early_stopping_rate": 0,
    }
    config = parse_pruner({"type": "hyperband", "max_resource": 27})
    assert config == {"type": "hyperband", "min_resource": 1, "max_resource": 27, "reduction_factor": 3}
    assert isinstance(make_pruner(config), HyperbandPruner)


@pytest.mark.parametrize(
    "build, field, words",
    [
        (lambda: SuccessiveHalvingPruner(min_resource=0), "min_resource", "integer from 1 to 10000000 (got 0)"),
        (lambda: SuccessiveHalvingPruner(reduction_factor=1), "reduction_factor", "integer from 2"),
        (lambda: SuccessiveHalvingPruner(reduction_factor=2.5), "reduction_factor", "(got 2.5)"),
        (lambda: SuccessiveHalvingPruner(min_early_stopping_rate=-1), "min_early_stopping_rate", "non-negative"),
        (lambda: HyperbandPruner(max_resource=3, min_resource=3), "max_resource", "greater than min_resource (3)"),
        (lambda: HyperbandPruner(max_resource=True), "max_resource", "integer from 1"),
    ],
)
def test_constructors_reject_bad_arguments_naming_them(build, field, words):
    with pytest.raises(ValueError, match=rf"^{field}: .*{re.escape(words)}"):
        build()


def test_a_hyperband_spec_without_max_resource_names_the_field():
    with pytest.raises(ValueError, match="max_resource"):
        parse_pruner({"type": "hyperband"})


def test_hyperband_spreads_any_run_of_consecutive_trials_over_the_brackets_by_budget():
    pruner = HyperbandPruner(min_resource=1, max_resource=27, reduction_factor=3)  # budgets 27, 12, 6, 4
    for start in (0, 17, 1000):
        counts = Counter(pruner.bracket_of(n) for n in range(start, start + 49))
        assert all(abs(counts[b] - share) <= 2 for b, share in enumerate([27, 12, 6, 4]))
