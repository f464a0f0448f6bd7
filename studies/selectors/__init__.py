"""The read side: every query an adapter, a worker or a sampler needs, by subject.

- ``cursor``: the event cursor, the log, and ``read_at_cursor`` (cursor first, then
  the snapshot: the one place that rule lives);
- ``studies``: summaries, lists, a study's detail and page, lookups for adapters;
- ``trials``: filtered and sorted trial pages, one trial's detail and page;
- ``plots``: bounded plot series of the study page; ``metrics``: its metric names;
- ``snapshots``: frozen trials for samplers and pruners;
- ``exports``: the rows behind ``export_study``.

Adapters (views, API, consumers, admin, commands, runner, workers) call these and
never ``Model.objects``; writes go through ``studies.services``. Use
``from studies import selectors`` and the names below.
"""

from .cursor import (
    EVENT_PAGE,
    LogRead,
    event_page,
    events_after,
    horizon,
    issued_event_id,
    last_event_id,
    read_at_cursor,
    read_log,
    read_tail,
)
from .exports import intermediate_by_trial, pareto_front_numbers, trial_rows
from .metrics import check_metric, metric_names
from .pareto import pareto_data
from .plots import history_all, plot_data
from .snapshots import history_snapshots, peers_at_step, reported_values
from .studies import (
    has_running_trials,
    list_snapshot,
    progress_percent,
    running_studies,
    studies_by_name,
    study_detail,
    study_exists,
    study_get,
    study_list,
    study_name_taken,
    study_page,
    study_snapshot,
    study_space,
    study_summary,
)
from .trials import trial_curve, trial_detail, trial_get, trial_page, trial_row, trial_view

__all__ = [
    "EVENT_PAGE",
    "LogRead",
    "check_metric",
    "event_page",
    "events_after",
    "has_running_trials",
    "history_all",
    "history_snapshots",
    "horizon",
    "intermediate_by_trial",
    "issued_event_id",
    "last_event_id",
    "list_snapshot",
    "metric_names",
    "pareto_data",
    "pareto_front_numbers",
    "peers_at_step",
    "plot_data",
    "progress_percent",
    "read_at_cursor",
    "read_log",
    "read_tail",
    "reported_values",
    "running_studies",
    "studies_by_name",
    "study_detail",
    "study_exists",
    "study_get",
    "study_list",
    "study_name_taken",
    "study_page",
    "study_snapshot",
    "study_space",
    "study_summary",
    "trial_curve",
    "trial_detail",
    "trial_get",
    "trial_page",
    "trial_row",
    "trial_rows",
    "trial_view",
]
