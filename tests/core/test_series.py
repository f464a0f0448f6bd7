from studies.core.series import best_so_far, bucket_width, rate_and_eta
from studies.core.trials import Direction


def test_small_studies_are_not_bucketed_and_large_ones_fit_the_limit():
    assert bucket_width(900, 899, 1000) == 1
    width = bucket_width(100_000, 99_999, 1500)
    assert (99_999 // width) + 1 <= 1500


def test_best_so_far_keeps_only_the_points_where_the_best_changes_and_spans_the_plot():
    points = [(0, 5.0), (1, 7.0), (2, 3.0), (3, 4.0), (4, 3.0), (5, 6.0)]
    assert best_so_far(points, Direction.MINIMIZE) == ([0, 2, 5], [5.0, 3.0, 3.0])
    assert best_so_far(points, Direction.MAXIMIZE) == ([0, 1, 5], [5.0, 7.0, 7.0])


def test_rate_and_eta_need_something_to_measure():
    assert rate_and_eta(0, 10.0, 5) == (None, None)
    assert rate_and_eta(10, 5.0, 20) == (2.0, 10.0)
    assert rate_and_eta(10, 5.0, 0) == (2.0, 0.0)
