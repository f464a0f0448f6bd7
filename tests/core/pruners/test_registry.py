"""The pruner registry: spec sections parsed, defaults filled, pruners built."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

import pytest

from studies.core.errors import SpecError
from studies.core.pruners import (
    PRUNER_TYPES,
    PRUNERS,
    MedianPruner,
    NopPruner,
    PercentilePruner,
    Pruner,
    make_pruner,
    parse_pruner,
)
from studies.core.pruners.base import ArgumentChecks
from studies.core.spec import parse_spec
from studies.core.trials import Direction, FrozenTrial, TrialState
from tests.support.specs import DESIGN_SPEC


def test_every_registered_pruner_is_listed_under_its_own_kind():
    assert PRUNER_TYPES == ("none", "median", "percentile", "successive_halving", "hyperband")
    assert all(cls.kind == kind for kind, cls in PRUNERS.items())


@pytest.mark.parametrize(
    "raw, config, cls",
    [
        (None, {"type": "none"}, NopPruner),
        ({"type": "none"}, {"type": "none"}, NopPruner),
        ({"type": "median"}, {"type": "median", "n_warmup_steps": 0, "n_min_trials": 1}, MedianPruner),
        (
            {"type": "percentile", "percentile": 25, "n_warmup_steps": 3},
            {"type": "percentile", "n_warmup_steps": 3, "n_min_trials": 1, "percentile": 25},
            PercentilePruner,
        ),
    ],
)
def test_a_config_is_normalised_and_builds_its_pruner(raw, config, cls):
    parsed = parse_pruner(raw)
    assert parsed == config
    assert type(make_pruner(parsed)) is cls
    assert parse_pruner(parsed) == parsed


def test_pruner_config_is_validated_with_field_paths():
    with pytest.raises(SpecError) as info:
        parse_pruner({"type": "percentile", "percentile": 150, "extra": 1})
    assert set(dict(info.value.errors)) == {"percentile", "extra"}
    assert "allowed: n_min_trials, n_warmup_steps, percentile, type" in dict(info.value.errors)["extra"]
    with pytest.raises(
        SpecError, match=r"type: must be one of none, median, percentile, successive_halving, hyperband \(got 'asha'\)"
    ):
        parse_pruner({"type": "asha"})
    with pytest.raises(SpecError, match="must be an object"):
        parse_pruner("median")
    assert not make_pruner({"type": "none"}).should_prune(5, {5: -1e9}, [], Direction.MAXIMIZE)


def test_spec_errors_carry_the_pruner_field_path():
    with pytest.raises(SpecError) as info:
        parse_spec(DESIGN_SPEC | {"pruner": {"type": "median", "n_warmup_steps": -1, "n_min_trials": 2.5}})
    assert dict(info.value.errors).keys() == {"pruner.n_warmup_steps", "pruner.n_min_trials"}


class EveryOtherStep(Pruner):
    """A pruner defined outside the package, to show what adding one takes."""

    kind = "every_other"
    options: ClassVar[Mapping[str, object]] = {"offset": 0}

    def __init__(self, offset: int = 0) -> None:
        checks = ArgumentChecks()
        checks.non_negative_int("offset", offset)
        checks.done()
        self.offset = offset

    def should_prune(
        self, step: int, intermediate: Mapping[int, float], others: Sequence[FrozenTrial], direction: Direction
    ) -> bool:
        return (step + self.offset) % 2 == 1


def test_a_new_pruner_needs_only_its_class_and_one_registration(monkeypatch):
    monkeypatch.setitem(PRUNERS, "every_other", EveryOtherStep)
    config = parse_pruner({"type": "every_other", "offset": 1})
    assert config == {"type": "every_other", "offset": 1}
    pruner = make_pruner(config)
    assert pruner.should_prune(2, {2: 0.0}, [], Direction.MINIMIZE)
    assert not pruner.should_prune(3, {3: 0.0}, [], Direction.MINIMIZE)
    with pytest.raises(SpecError, match="offset: must be a non-negative integer"):
        parse_pruner({"type": "every_other", "offset": -1})
    assert parse_pruner({"type": "every_other"}) == {"type": "every_other", "offset": 0}


def test_a_pruner_built_from_its_config_uses_its_options():
    peers = [
        FrozenTrial(i, TrialState.COMPLETED, {}, value=v, intermediate={0: v, 1: v})
        for i, v in enumerate([0.1, 0.2, 0.3, 0.4])
    ]
    # The 25th percentile of the peers is 0.175: only trials below it go on.
    built = make_pruner(parse_pruner({"type": "percentile", "percentile": 25, "n_min_trials": 4}))
    assert [built.should_prune(1, {1: v}, peers, Direction.MINIMIZE) for v in (0.05, 0.15, 0.25, 0.35)] == [
        False,
        False,
        True,
        True,
    ]
    too_few = make_pruner(parse_pruner({"type": "percentile", "percentile": 25, "n_min_trials": 5}))
    assert not too_few.should_prune(1, {1: 0.35}, peers, Direction.MINIMIZE)
    warming = make_pruner(parse_pruner({"type": "percentile", "percentile": 25, "n_warmup_steps": 2}))
    assert not warming.should_prune(1, {1: 0.35}, peers, Direction.MINIMIZE)


# The contract every registered pruner keeps, so one added later is held to it too.
REQUIRED_OPTIONS = {"percentile": {"percentile": 40.0}, "hyperband": {"max_resource": 27}}
REGISTERED = sorted(PRUNERS)


@pytest.mark.parametrize("kind", REGISTERED)
def test_every_pruner_normalises_its_config_to_a_fixed_point(kind):
    config = parse_pruner({"type": kind, **REQUIRED_OPTIONS.get(kind, {})})
    assert parse_pruner(config) == config
    assert set(config) == {"type", *PRUNERS[kind].options}


@pytest.mark.parametrize("kind", REGISTERED)
def test_every_pruner_refuses_an_unknown_option_by_name(kind):
    with pytest.raises(SpecError) as info:
        parse_pruner({"type": kind, **REQUIRED_OPTIONS.get(kind, {}), "bogus": 1})
    assert [path for path, _ in info.value.errors] == ["bogus"]


@pytest.mark.parametrize("kind", REGISTERED)
def test_no_pruner_stops_a_trial_that_has_reported_nothing(kind):
    pruner = make_pruner(parse_pruner({"type": kind, **REQUIRED_OPTIONS.get(kind, {})}))
    peers = [FrozenTrial(i, TrialState.COMPLETED, {}, value=1.0, intermediate={0: 1.0}) for i in range(10)]
    for direction in Direction:
        assert not pruner.should_prune(0, {}, peers, direction, number=3)
