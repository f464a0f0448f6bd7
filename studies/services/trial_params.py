"""The typed parameter rows (``TrialParam``) written alongside a trial's JSON params.

Called inside the transaction that creates the trial (a claim or an enqueue), so a
trial is never visible without its rows. Also used by the data migration that fills
them for existing trials and by bench/synthetic.py's bulk-built studies.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..core.paramcolumns import param_columns
from ..core.space import SearchSpace
from ..models import Trial, TrialParam


def param_rows(space: SearchSpace, trials: Iterable[Trial]) -> list[TrialParam]:
    return [
        TrialParam(
            study_id=trial.study_id,
            trial_id=trial.pk,
            number=trial.number,
            name=name,
            num_value=num,
            text_value=text,
        )
        for trial in trials
        for name, num, text in param_columns(space, trial.params)
    ]


def record_trial_params(space: SearchSpace, trials: Iterable[Trial]) -> None:
    """Store the typed rows of new ``trials`` (saved, so they have a pk) of one study."""
    TrialParam.objects.bulk_create(param_rows(space, trials), batch_size=5000)
