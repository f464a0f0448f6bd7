"""What the dashboard marks, from the pruner config: each trial's rungs and the study's rung grid."""

import pytest

from studies.core.pruners import HyperbandPruner, rung_grid, trial_rungs

SH = {"type": "successive_halving", "min_resource": 1, "reduction_factor": 3, "min_early_stopping_rate": 0}
HB = {"type": "hyperband", "min_resource": 1, "max_resource": 27, "reduction_factor": 3}


def in_bracket(bracket: int, config=HB) -> int:
    pruner = HyperbandPruner(**{k: v for k, v in config.items() if k != "type"})
    return next(n for n in range(1000) if pruner.bracket_of(n) == bracket)


def test_a_successive_halving_trial_is_judged_at_every_rung_up_to_its_last_step():
    assert trial_rungs(SH, 0, 9) == [1, 3, 9]
    assert trial_rungs(SH, 5, 8) == [1, 3]
    assert trial_rungs({**SH, "min_resource": 2, "min_early_stopping_rate": 1}, 0, 20) == [6, 18]
    assert trial_rungs({"type": "median"}, 0, 100) == []


@pytest.mark.parametrize("bracket, rungs", [(0, [1, 3, 9]), (1, [3, 9]), (2, [9]), (3, [])])
def test_a_hyperband_trial_is_marked_with_its_own_brackets_rungs(bracket, rungs):
    assert trial_rungs(HB, in_bracket(bracket), 26) == rungs


def test_the_study_grid_joins_every_brackets_rungs_within_the_curves_steps():
    assert rung_grid(SH, 10) == [1, 3, 9]
    assert rung_grid(HB, 26) == [1, 3, 9]
    assert rung_grid(HB, 5) == [1, 3]
    assert rung_grid({**HB, "max_resource": 100}, 99) == [1, 3, 9, 27, 81]
    assert rung_grid({"type": "none"}, 50) == []
