"""The rung marks of the trial table and the trial page, for successive halving and Hyperband."""

import pytest

from studies.selectors.trials import rungs_so_far, stopped_at_rung
from tests.core.pruners.test_rung_marks import HB, SH, in_bracket


@pytest.mark.parametrize(
    "bracket, step, rung",
    [(0, 1, 1), (0, 3, 2), (0, 9, 3), (1, 3, 1), (1, 9, 2), (2, 9, 1), (1, 5, 1)],  # (1, 5): judged at rung 3
)
def test_a_stopped_hyperband_trial_names_the_rung_of_its_own_bracket(bracket, step, rung):
    assert stopped_at_rung(HB, in_bracket(bracket), step) == rung


def test_a_trial_page_shows_the_rungs_reached_and_the_next():
    assert rungs_so_far(SH, 0, 4) == [1, 3, 9]
    assert rungs_so_far(SH, 0, 0) == [1]
    assert rungs_so_far(HB, in_bracket(1), 4) == [3, 9]
    assert rungs_so_far(HB, in_bracket(3), 26) == []
    assert stopped_at_rung(SH, 0, None) is None
    assert stopped_at_rung({"type": "median"}, 0, 7) is None
