"""Trials in the admin: read-only. Their data is written by workers through services only."""

from __future__ import annotations

import json

from django.contrib import admin
from django.utils.html import format_html

from studies.models import Trial

DETAIL_FIELDS = (
    "study",
    "number",
    "state",
    "parameters",
    "value",
    "final_metrics",
    "duration",
    "pruned_step",
    "error",
    "traceback_text",
    "started_at",
    "finished_at",
    "worker_id",
    "heartbeat_at",
    "retries",
)


def short(value) -> str:
    """A parameter or value at a glance: floats to 6 significant digits, the rest as JSON."""
    if isinstance(value, float):
        return f"{value:.6g}"
    return json.dumps(value)


def params_line(params: dict, limit: int = 120) -> str:
    text = ", ".join(f"{name}={short(value)}" for name, value in params.items())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@admin.register(Trial)
class TrialAdmin(admin.ModelAdmin):
    list_display = (
        "number",
        "study",
        "state",
        "objective",
        "duration",
        "params_summary",
        "error_summary",
        "finished_at",
    )
    list_display_links = ("number",)
    list_filter = ("state", "study")
    search_fields = ("study__name",)
    list_select_related = ("study",)
    fields = DETAIL_FIELDS
    readonly_fields = DETAIL_FIELDS

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="duration", ordering="duration_ms")
    def duration(self, trial: Trial) -> str:
        return "-" if trial.duration_ms is None else f"{trial.duration_ms / 1000:.3g} s"

    @admin.display(description="value", ordering="value")
    def objective(self, trial: Trial) -> str:
        return "-" if trial.value is None else short(trial.value)

    @admin.display(description="params")
    def params_summary(self, trial: Trial) -> str:
        return params_line(trial.params)

    @admin.display(description="error")
    def error_summary(self, trial: Trial) -> str:
        return (trial.error[:80] + "…") if len(trial.error) > 80 else trial.error

    @admin.display(description="parameters")
    def parameters(self, trial: Trial) -> str:
        return format_html("<pre>{}</pre>", json.dumps(trial.params, indent=2))

    @admin.display(description="metrics")
    def final_metrics(self, trial: Trial) -> str:
        return format_html("<pre>{}</pre>", json.dumps(trial.metrics, indent=2))

    @admin.display(description="traceback")
    def traceback_text(self, trial: Trial) -> str:
        return format_html("<pre>{}</pre>", trial.traceback) if trial.traceback else "-"
