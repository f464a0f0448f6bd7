"""The history endpoint sends every completed trial in bounded chunks (?after=<number>)."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from studies import services
from studies.core.trials import TrialOutcome
from studies.models import Trial
from tests.web.conftest import quadratic_spec

pytestmark = pytest.mark.django_db


@pytest.fixture
def study():
    created = services.create_study(quadratic_spec("chunks", n_trials=30))
    services.start_study(created)
    for number in range(30):
        trial = services.claim_trial(created, "w").trial
        outcome = TrialOutcome.pruned(1) if number % 4 == 3 else TrialOutcome.completed(30.0 - number / 7, {})
        services.finish_trial(trial, outcome)
    return created


def test_the_chunks_add_up_to_every_completed_trial_in_order(client_logged_in, study, monkeypatch):
    from studies.selectors import plots

    monkeypatch.setattr(plots, "HISTORY_CHUNK", 7)
    url, after, numbers, values, sizes = f"/api/studies/{study.pk}/history/", None, [], [], []
    while True:
        body = client_logged_in.get(url, {} if after is None else {"after": after}).json()
        numbers += np.frombuffer(base64.b64decode(body["numbers"]), dtype="<i4").tolist()
        values += np.frombuffer(base64.b64decode(body["values"]), dtype="<f8").tolist()
        sizes.append(body["count"])
        if not body["more"]:
            break
        after = body["last_number"]
    completed = Trial.objects.filter(study=study, state="completed").order_by("number")
    assert numbers == list(completed.values_list("number", flat=True))
    assert values == list(completed.values_list("value", flat=True))
    assert sizes == [7, 7, 7, 2]  # 23 completed trials: numbers 3, 7, ..., 27 were pruned


@pytest.mark.parametrize("after", ["x", "-2", "1.5"])
def test_a_bad_after_is_a_400_naming_the_field(client_logged_in, study, after):
    response = client_logged_in.get(f"/api/studies/{study.pk}/history/", {"after": after})
    assert response.status_code == 400
    assert "after" in response.content.decode()
