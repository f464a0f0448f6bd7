from studies.core.series import Bucket, best_so_far, bucket_best, bucket_width, history_points, rate_and_eta
from studies.core.trials import Direction


def test_small_studies_are_not_bucketed_and_large_ones_fit_the_limit():
    assert bucket_width(900, 899, 1000) == 1
    width = bucket_width(100_000, 99_999, 1500)
    assert (99_999 // width) + 1 <= 1500


def test_best_so_far_keeps_only_the_points_where_the_best_changes_and_spans_the_plot():
    points = [(0, 5.0), (1, 7.0), (2, 3.0), (3, 4.0), (4, 3.0), (5, 6.0)]
    assert best_so_far(points, Direction.MINIMIZE) == ([0, 2, 5], [5.0, 3.0, 3.0])
    assert best_so_far(points, Direction.MAXIMIZE) == ([0, 1, 5], [5.0, 7.0, 7.0])


def test_bucketed_history_keeps_each_buckets_extremes_and_the_exact_best():
    values = [((n * 37) % 101) / 10 for n in range(1000)]
    width = 100
    buckets = [
        Bucket(
            b * width,
            b * width + width - 1,
            min(values[b * width : (b + 1) * width]),
            max(values[b * width : (b + 1) * width]),
        )
        for b in range(10)
    ]
    xs, ys = history_points(buckets)
    assert len(xs) <= 20 and min(ys) == min(values) and max(ys) == max(values)
    best_x, best_y = best_so_far(bucket_best(buckets, Direction.MINIMIZE), Direction.MINIMIZE)
    assert best_y[-1] == min(values) and best_x[-1] == 999


def test_rate_and_eta_need_something_to_measure():
    assert rate_and_eta(0, 10.0, 5) == (None, None)
    assert rate_and_eta(10, 5.0, 20) == (2.0, 10.0)
    assert rate_and_eta(10, 5.0, 0) == (2.0, 0.0)
