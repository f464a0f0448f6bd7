import numpy as np

from studies.core.importance import column_importance, explained_variance, param_importance
from studies.core.space import parse_space

SPACE = parse_space(
    [
        {"name": "lr", "type": "float", "low": 1e-4, "high": 1.0, "scale": "log"},
        {"name": "noise", "type": "float", "low": 0, "high": 1},
        {"name": "kind", "type": "categorical", "choices": ["a", "b"]},
    ]
)


def trials(n, objective, seed=0):
    rng = np.random.default_rng(seed)
    params = [
        {"lr": float(10 ** rng.uniform(-4, 0)), "noise": float(rng.uniform()), "kind": str(rng.choice(["a", "b"]))}
        for _ in range(n)
    ]
    return params, [objective(p, rng) for p in params]


def test_the_parameter_that_drives_the_objective_ranks_first():
    params, values = trials(600, lambda p, rng: np.log10(p["lr"]) ** 2 + 0.05 * rng.normal())
    importance = param_importance(SPACE, params, values)
    assert max(importance, key=importance.get) == "lr"
    assert importance["lr"] > 0.8
    assert abs(sum(importance.values()) - 1.0) < 1e-9


def test_a_categorical_parameter_is_measured_by_its_choices():
    params, values = trials(400, lambda p, rng: (5.0 if p["kind"] == "b" else 0.0) + 0.1 * rng.normal())
    importance = param_importance(SPACE, params, values)
    assert max(importance, key=importance.get) == "kind"


def test_a_flat_objective_gives_no_parameter_any_importance():
    params, values = trials(50, lambda p, rng: 1.0)
    assert param_importance(SPACE, params, values) == {"lr": 0.0, "noise": 0.0, "kind": 0.0}


def test_inactive_and_non_finite_entries_do_not_break_the_estimate():
    params = [{"lr": 0.01, "kind": "a"}, {"lr": 0.5, "noise": 0.3, "kind": "b"}, {"lr": 0.2, "kind": "b"}]
    importance = param_importance(SPACE, params, [1.0, float("nan"), 3.0])
    assert all(0.0 <= v <= 1.0 for v in importance.values())


def test_columns_give_the_same_importance_as_rows_with_inactive_values_and_nan_objectives():
    params, values = trials(300, lambda p, rng: p["noise"] * 3 + np.log10(p["lr"]) + 0.1 * rng.normal(), seed=4)
    for i in range(0, 300, 7):
        del params[i]["noise"]  # inactive in some trials
    values[5] = values[11] = float("nan")
    columns = {name: [p.get(name) for p in params] for name in ("lr", "noise", "kind")}

    assert column_importance(SPACE, columns, values) == param_importance(SPACE, params, values)
    assert column_importance(SPACE, {"lr": columns["lr"]}, values)["noise"] < 1e-12  # a column missing: all inactive


def test_explained_variance_is_one_when_bins_separate_the_values_exactly():
    codes = np.array([0, 0, 1, 1])
    assert explained_variance(codes, np.array([1.0, 1.0, 3.0, 3.0])) == 1.0
    assert explained_variance(np.array([0, 1, 0, 1]), np.array([1.0, 1.0, 3.0, 3.0])) == 0.0


def test_choices_are_binned_as_json_compares_them():
    """Each stored value lands in the bin of the first choice JSON calls equal to it
    (True is not 1, 1 is 1.0); None, non-choices and malformed values are inactive."""
    from studies.core.importance import INACTIVE, _bin_codes

    space = parse_space([{"name": "c", "type": "categorical", "choices": [1, True, "1", 2.5, None, False]}])
    values = [1, 1.0, True, "1", 2.5, None, False, 0, 2, "x", [1], {"a": 1}, float("nan")]
    expected = [0, 0, 1, 2, 3, INACTIVE, 5, INACTIVE, INACTIVE, INACTIVE, INACTIVE, INACTIVE, INACTIVE]
    assert _bin_codes(space, "c", values).tolist() == expected
