"""The services behind the admin's editing: update_study_spec and clone_study."""

from __future__ import annotations

import pytest

from studies import services
from studies.core.errors import SpecError
from studies.core.spec import NAME_PATTERN
from studies.models import Study

pytestmark = pytest.mark.django_db


def spec(name: str = "edited", **changes) -> dict:
    raw = {
        "name": name,
        "executor": "quadratic",
        "objective": {"metric": "loss", "direction": "minimize"},
        "sampler": {"type": "random", "seed": 1},
        "n_trials": 4,
        "search_space": [
            {"name": "x", "type": "float", "low": -1, "high": 1},
            {"name": "y", "type": "float", "low": -1, "high": 1},
        ],
    }
    raw.update(changes)
    return raw


def test_an_invalid_update_raises_and_changes_nothing():
    study = services.create_study(spec())
    with pytest.raises(SpecError) as caught:
        services.update_study_spec(study, spec(n_trials=0, executor="nope"))
    assert {path for path, _ in caught.value.errors} == {"n_trials", "executor"}
    study.refresh_from_db()
    assert study.spec == services.validate_spec(spec()).to_dict() and study.n_trials == 4


def test_an_update_may_not_take_another_studys_name():
    services.create_study(spec("taken"))
    study = services.create_study(spec())
    with pytest.raises(services.StudyExists):
        services.update_study_spec(study, spec("taken"))


def test_an_update_fills_a_missing_seed_so_the_study_stays_replayable():
    study = services.create_study(spec())
    updated = services.update_study_spec(study, spec(sampler={"type": "random"}))
    assert isinstance(updated.spec["sampler"]["seed"], int)


def test_clone_names_stay_valid_for_long_names():
    long_name = "a" * 100
    services.create_study(spec(long_name))
    first = services.clone_study(Study.objects.get(name=long_name))
    second = services.clone_study(Study.objects.get(name=long_name))
    assert first.name.endswith("-copy") and second.name.endswith("-copy-2")
    assert all(len(s.name) <= 100 and NAME_PATTERN.match(s.name) for s in (first, second))
    assert {**first.spec, "name": long_name} == Study.objects.get(name=long_name).spec
