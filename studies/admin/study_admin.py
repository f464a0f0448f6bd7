"""The Study admin: list, add/change through StudyForm, and the study actions.

Every write goes through ``studies.services``; this module only adapts requests.
The change page's buttons post to the changelist's actions, so each operation has
one implementation and one permission check.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from studies import export, services
from studies.core.errors import SpecError
from studies.models import Study, Trial

from .forms import PRUNER_OPTION_FIELDS, StudyForm

# Buttons on a study's change page: (action name, label).
CHANGE_PAGE_BUTTONS = [
    ("queue_selected", "Queue"),
    ("clone_selected", "Clone"),
    ("export_json", "Export JSON"),
    ("export_csv", "Export CSV"),
    ("fail_stale_selected", "Fail stale trials"),
]
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "csv": "text/csv; charset=utf-8"}


class SaveRefused(Exception):
    """The services refused a save the form had accepted (the study changed meanwhile)."""


def trials_url(study: Study) -> str:
    return reverse("admin:studies_trial_changelist") + f"?study__id__exact={study.pk}"


def names(studies) -> str:
    return ", ".join(s.name for s in studies)


@admin.register(Study)
class StudyAdmin(admin.ModelAdmin):
    form = StudyForm
    list_display = ("name", "state", "progress", "best", "executor", "updated_at", "trials")
    list_filter = ("state", "executor")
    search_fields = ("name",)
    actions = ["queue_selected", "clone_selected", "export_json", "export_csv", "fail_stale_selected"]
    fieldsets = (
        (None, {"fields": ("name", "description", "rendered_locked")}),
        ("Executor and objective", {"fields": ("executor", "metric", "direction", "objectives", "constraints")}),
        ("Sampler", {"fields": ("sampler_type", "sampler_seed", "points_per_dim", "n_startup", "sampler_options")}),
        (
            "Pruner",
            {"fields": ("pruner_type", *PRUNER_OPTION_FIELDS)},
        ),
        ("Budget", {"fields": ("n_trials",)}),
    )

    # --- change list columns ---------------------------------------------------------

    @admin.display(description="progress", ordering="n_done")
    def progress(self, study: Study) -> str:
        return f"{study.n_done}/{study.n_trials}"

    @admin.display(description="best value", ordering="best_value")
    def best(self, study: Study) -> str:
        if study.best_value is None:
            return "-"
        return f"{study.best_value:.6g} (trial {study.best_trial_number})"

    @admin.display(description="trials")
    def trials(self, study: Study) -> str:
        return format_html('<a href="{}">trials</a>', trials_url(study))

    # --- add / change ----------------------------------------------------------------

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if change and not self.has_change_permission(request, obj):
            form = type(form.__name__, (form,), {"view_only": True})
        return form

    def save_model(self, request, obj, form, change):
        # The form already ran the spec through validate_spec and the lock rules; the
        # services repeat both inside their transaction, so a race cannot slip by.
        try:
            if change:
                services.update_study_spec(obj, form.raw_spec)
            else:
                study = services.create_study(form.raw_spec)
                obj.pk = study.pk
                obj._state.adding = False
                obj.refresh_from_db()
        except (SpecError, services.StudyExists, services.StudyLocked) as exc:
            raise SaveRefused(str(exc)) from exc

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return self._study_changeform_view(request, object_id, form_url, extra_context)
        except SaveRefused as exc:
            # Only when something changed between validating the form and saving it
            # (a worker claimed the first trial, another user took the name).
            self.message_user(request, f"Nothing was saved: {exc}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def _study_changeform_view(self, request, object_id, form_url, extra_context):
        extra_context = dict(extra_context or {})
        if object_id is not None:
            study = self.get_object(request, object_id)
            if study is not None:
                extra_context["trials_url"] = trials_url(study)
                extra_context["trial_count"] = study.trials.count()
                extra_context["changelist_url"] = reverse("admin:studies_study_changelist")
                allowed = self.get_actions(request)
                extra_context["study_buttons"] = [(a, label) for a, label in CHANGE_PAGE_BUTTONS if a in allowed]
        return super().changeform_view(request, object_id, form_url, extra_context)

    def get_deleted_objects(self, objs, request):
        # Trials are read-only in the admin (no one deletes one alone), but they belong
        # to their study: permission to delete the study covers them.
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        perms_needed.discard(Trial._meta.verbose_name)
        return deleted, counts, perms_needed, protected

    # --- actions ---------------------------------------------------------------------

    @admin.action(description="Queue selected studies for run_worker", permissions=["change"])
    def queue_selected(self, request, queryset):
        queued: list[Study] = []
        refused: list[Study] = []
        for study in queryset:
            (queued if services.queue_study(study) else refused).append(study)
        if queued:
            self.message_user(
                request,
                f"Queued {names(queued)}; a run_worker process will pick {'it' if len(queued) == 1 else 'them'} up.",
                messages.SUCCESS,
            )
        if refused:
            detail = ", ".join(f"{s.name} ({s.state})" for s in refused)
            self.message_user(
                request,
                f"Not queued: {detail}. Only created or stopped studies can be queued; "
                f"clone a completed study to run it again.",
                messages.WARNING,
            )

    @admin.action(description="Clone selected studies (same spec, new name, no trials)", permissions=["add"])
    def clone_selected(self, request, queryset):
        clones = []
        for study in queryset:
            try:
                clones.append((study, services.clone_study(study)))
            except (SpecError, services.StudyExists) as exc:
                self.message_user(request, f"Could not clone {study.name}: {exc}", messages.ERROR)
        for study, clone in clones:
            self.message_user(request, f"Cloned {study.name} as {clone.name}.", messages.SUCCESS)
        if len(clones) == 1:
            return HttpResponseRedirect(reverse("admin:studies_study_change", args=[clones[0][1].pk]))
        return None

    def _export(self, request, queryset, fmt: str):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one study to export.", messages.WARNING)
            return None
        study = queryset.get()
        response = HttpResponse(export.render(study, fmt), content_type=CONTENT_TYPES[fmt])
        response["Content-Disposition"] = f'attachment; filename="{study.name}.{fmt}"'
        return response

    @admin.action(description="Export as JSON (as export_study --format json)", permissions=["view"])
    def export_json(self, request, queryset):
        return self._export(request, queryset, "json")

    @admin.action(description="Export as CSV (as export_study --format csv)", permissions=["view"])
    def export_csv(self, request, queryset):
        return self._export(request, queryset, "csv")

    @admin.action(
        description="Mark stale running trials failed (no heartbeat within the grace period)", permissions=["change"]
    )
    def fail_stale_selected(self, request, queryset):
        grace = settings.SOMATIZE_HEARTBEAT_GRACE
        failed = {study.name: services.fail_stale_trials(study, grace) for study in queryset}
        total = sum(failed.values())
        detail = ", ".join(f"{name}: {n}" for name, n in failed.items() if n)
        self.message_user(
            request,
            f"Marked {total} stale trial{'s' if total != 1 else ''} failed "
            f"(no heartbeat for over {grace:g} s){f' — {detail}' if detail else ''}.",
            messages.SUCCESS if total else messages.INFO,
        )
