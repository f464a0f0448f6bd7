"""Configurations as feature vectors: round trips, bounds, conditional columns."""

from __future__ import annotations

import numpy as np
import pytest

from studies.core.samplers.base import sample_uniform
from studies.core.samplers.encoding import (
    INACTIVE_CATEGORY,
    INACTIVE_NUMERIC,
    Encoding,
    params_key,
    startup_point,
)
from studies.core.space import parse_space

MIXED = [
    {"name": "x", "type": "float", "low": -2.0, "high": 3.0},
    {"name": "lr", "type": "float", "low": 1e-5, "high": 1.0, "scale": "log"},
    {"name": "layers", "type": "int", "low": 1, "high": 4},
    {"name": "width", "type": "int", "low": 8, "high": 512, "scale": "log"},
    {"name": "act", "type": "categorical", "choices": ["relu", "tanh", True, 3]},
]
CONDITIONAL = [
    {"name": "kernel", "type": "categorical", "choices": ["rbf", "poly"]},
    {"name": "degree", "type": "int", "low": 2, "high": 5, "when": {"kernel": ["poly"]}},
    {"name": "coef", "type": "categorical", "choices": ["zero", "one"], "when": {"kernel": ["poly"]}},
    {"name": "C", "type": "float", "low": 0.01, "high": 100.0, "scale": "log"},
]


def same_config(a, b):
    assert a.keys() == b.keys()
    for key, value in a.items():
        if isinstance(value, float):
            assert b[key] == pytest.approx(value, rel=1e-12)
        else:
            assert b[key] == value and type(b[key]) is type(value)


@pytest.mark.parametrize("raw", [MIXED, CONDITIONAL])
def test_decode_inverts_encode_for_every_kind_of_dimension(raw):
    space = parse_space(raw)
    enc = Encoding(space)
    rng = np.random.default_rng(0)
    for _ in range(200):
        params = sample_uniform(space, rng)
        same_config(params, enc.decode(enc.encode(params)))


def test_numeric_columns_span_the_unit_interval_on_their_own_scale():
    enc = Encoding(parse_space(MIXED))
    low = enc.encode({"x": -2.0, "lr": 1e-5, "layers": 1, "width": 8, "act": "relu"})
    high = enc.encode({"x": 3.0, "lr": 1.0, "layers": 4, "width": 512, "act": 3})
    np.testing.assert_allclose(low[:2], [0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(high[:2], [1.0, 1.0], atol=1e-12)
    # Integers sit on the centres of equal buckets: 4 values -> 1/8, ..., 7/8.
    assert low[2] == pytest.approx(0.125) and high[2] == pytest.approx(0.875)
    assert 0.0 < low[3] < 0.05 and 0.95 < high[3] < 1.0
    # The log axis: 1e-3 is 40% of the way from 1e-5 to 1.
    assert enc.encode({"x": 0.0, "lr": 1e-3, "layers": 1, "width": 8, "act": "relu"})[1] == pytest.approx(0.4)
    # Categorical columns hold the choice index; True is its own choice, not 1.
    assert low[4] == 0 and high[4] == 3
    assert enc.encode({"x": 0.0, "lr": 1e-3, "layers": 1, "width": 8, "act": True})[4] == 2


def test_out_of_range_and_unknown_values_stay_inside_the_encoding():
    enc = Encoding(parse_space(MIXED))
    row = enc.encode({"x": 99.0, "lr": 1e-9, "layers": 1, "width": 8, "act": "gelu"})
    assert row[0] == 1.0 and row[1] == 0.0
    assert row[4] == INACTIVE_CATEGORY  # a choice removed from the spec is a level of its own


def test_inactive_dimensions_get_their_fillers_and_are_ignored_when_decoding():
    space = parse_space(CONDITIONAL)
    enc = Encoding(space)
    names = [d.name for d in enc.dims]
    row = enc.encode({"kernel": "rbf", "C": 1.0})
    assert row[names.index("degree")] == INACTIVE_NUMERIC
    assert row[names.index("coef")] == INACTIVE_CATEGORY
    noisy = row.copy()
    noisy[names.index("degree")] = 0.9
    noisy[names.index("coef")] = 1.0
    assert enc.decode(noisy) == {"kernel": "rbf", "C": pytest.approx(1.0)}
    # Two rbf configurations agree on the inactive columns whatever they once held.
    np.testing.assert_array_equal(enc.canonical(noisy[None, :])[0], row)


def test_canonical_rows_are_real_configurations_and_canonical_is_idempotent():
    enc = Encoding(parse_space(MIXED))
    rng = np.random.default_rng(1)
    raw = rng.uniform(-0.2, 1.2, size=(100, enc.width))
    raw[:, 4] = rng.uniform(-1.0, 5.0, size=100)
    rows = enc.canonical(raw)
    assert ((rows[:, :4] >= 0) & (rows[:, :4] <= 1)).all()
    assert set(np.unique(rows[:, 4])) <= {0.0, 1.0, 2.0, 3.0}
    np.testing.assert_array_equal(enc.canonical(rows), rows)
    for row in rows:
        np.testing.assert_allclose(enc.encode(enc.decode(row)), row, atol=1e-12)


def test_only_active_numeric_columns_are_free_for_the_optimiser():
    enc = Encoding(parse_space(CONDITIONAL))
    rows = np.array(
        [enc.encode({"kernel": "rbf", "C": 1.0}), enc.encode({"kernel": "poly", "degree": 3, "coef": "one", "C": 1.0})]
    )
    names = [d.name for d in enc.dims]
    free = enc.active_numeric(rows)
    assert [names[j] for j in np.flatnonzero(free[0])] == ["C"]
    assert sorted(names[j] for j in np.flatnonzero(free[1])) == ["C", "degree"]


def test_startup_points_are_fixed_by_the_seed_and_distinct():
    space = parse_space(MIXED)
    first = [startup_point(space, 7, n) for n in range(8)]
    assert first == [startup_point(space, 7, n) for n in range(8)]
    assert len({params_key(p) for p in first}) == 8
    assert first != [startup_point(space, 8, n) for n in range(8)]
    assert all(not space.problems(p) for p in first)


def test_params_key_tells_true_from_one():
    assert params_key({"a": True}) != params_key({"a": 1})
    assert params_key({"a": 1, "b": "x"}) == params_key({"b": "x", "a": 1})
