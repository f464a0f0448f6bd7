"""The study add/change form: fields in, the spec's JSON out, the core's verdict back on the fields.

The form does not judge a spec itself. It builds the raw spec a user would have
written by hand, runs it through ``services.validate_spec`` (the code ``create_study``
uses) and puts each ``(path, message)`` error on the field or dimension row it
concerns. Saving goes through ``services.create_study`` / ``services.update_study_spec``.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.forms.fields import InvalidJSONInput

from studies import selectors, services
from studies.core.errors import SpecError
from studies.core.pruners import PRUNER_TYPES
from studies.core.samplers import SAMPLERS
from studies.executors import registry
from studies.models import Study

from .dimensions import DimensionFormSet, initial_rows

# spec path -> form field; the labels below are what users see.
FIELD_FOR_PATH = {
    "name": "name",
    "description": "description",
    "executor": "executor",
    "objective": "metric",
    "objective.metric": "metric",
    "objective.direction": "direction",
    "sampler": "sampler_type",
    "sampler.type": "sampler_type",
    "sampler.seed": "sampler_seed",
    "sampler.points_per_dim": "points_per_dim",
    "sampler.n_startup": "n_startup",
    "pruner": "pruner_type",
    "pruner.type": "pruner_type",
    "pruner.n_warmup_steps": "n_warmup_steps",
    "pruner.n_min_trials": "n_min_trials",
    "pruner.percentile": "percentile",
    "pruner.min_resource": "min_resource",
    "pruner.max_resource": "max_resource",
    "pruner.reduction_factor": "reduction_factor",
    "pruner.min_early_stopping_rate": "min_early_stopping_rate",
    "n_trials": "n_trials",
}
SAMPLER_OPTION_FIELDS = {"sampler_seed": "seed", "points_per_dim": "points_per_dim", "n_startup": "n_startup"}
PRUNER_OPTION_FIELDS = (
    "n_warmup_steps",
    "n_min_trials",
    "percentile",
    "min_resource",
    "max_resource",
    "reduction_factor",
    "min_early_stopping_rate",
)
ROW_PATH = re.compile(r"^search_space\[(\d+)\](?:\.(\w+))?(.*)$")
ROW_REFERENCE = re.compile(r"at \[(\d+)\]")
ROW_FIELD_FOR_KEY = {
    "name": "name",
    "type": "type",
    "low": "low",
    "high": "high",
    "scale": "scale",
    "choices": "choices",
    "when": "condition",
}
# Fields that stay editable once the spec is locked (see services.EDITABLE_WHEN_LOCKED).
EDITABLE_WHEN_LOCKED = ("description", "n_trials")


def executor_choices():
    return [("", "none: trials come from remote clients (the HTTP API)")] + [
        (i.name, f"{i.name} — {i.description}" if i.description else i.name) for i in registry.all()
    ]


def sampler_choices():
    return [(name, name) for name in SAMPLERS]


def sentence(message: str) -> str:
    """The core's messages describe a value ("must be ..."); beside a field they read as a sentence."""
    message = message.replace("(got None)", "(none given)").replace("(got '')", "(none given)")
    if message.startswith(("is not an option of", "is not a field of")):
        return f"Clear this field: it {message}."
    if message.startswith(("must ", "is ")):
        return f"This value {message}."
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


class OptionalJSONField(forms.JSONField):
    """A JSON field that shows nothing, rather than ``null``, when it holds nothing."""

    def prepare_value(self, value):
        return "" if value is None else super().prepare_value(value)

    def to_python(self, value):
        # Django's JSONField lets the parser's RecursionError (deep nesting) escape as a 500.
        try:
            return super().to_python(value)
        except RecursionError:
            raise forms.ValidationError("This JSON is nested too deeply; give a flat JSON object.") from None

    def bound_data(self, data, initial):
        try:
            return super().bound_data(data, initial)
        except RecursionError:
            return InvalidJSONInput(data)


class StudyForm(forms.ModelForm):
    name = forms.CharField(
        max_length=100,
        required=False,
        help_text="Letters, digits, '.', '_' or '-'; the name used by run_study and export_study.",
    )
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    # Select widgets on plain text fields: the registry decides what is valid, on the
    # server, through the same check create_study uses; nothing here imports code.
    executor = forms.CharField(
        required=False,
        widget=forms.Select(choices=executor_choices),  # type: ignore[arg-type]  # Django 5 takes a callable
        help_text="A registered executor (see list_executors); code cannot be named here. "
        "None: trials come only from remote clients (POST /api/studies/<id>/ask/).",
    )
    metric = forms.CharField(
        required=False,
        label="Objective metric",
        help_text="The metric the executor returns that the study optimises, e.g. accuracy.",
    )
    direction = forms.CharField(
        required=False,
        widget=forms.Select(choices=[("", "---------"), ("minimize", "minimize"), ("maximize", "maximize")]),
    )
    objectives = OptionalJSONField(
        label="Several objectives",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text="2-4 objectives in place of the metric and direction above (leave those blank), e.g. "
        '[{"metric": "accuracy", "direction": "maximize"}, {"metric": "latency", "direction": "minimize"}].',
    )
    constraints = OptionalJSONField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text='Limits a trial must meet to count, e.g. [{"metric": "memory", "max": 2048}] (min, max or both).',
    )
    sampler_type = forms.CharField(
        label="Sampler",
        widget=forms.Select(choices=sampler_choices),  # type: ignore[arg-type]  # Django 5 takes a callable
        required=False,
    )
    sampler_seed = forms.IntegerField(
        label="Seed", required=False, help_text="random and bayesian; blank picks one and stores it."
    )
    points_per_dim = forms.IntegerField(
        required=False, help_text="grid only; points per numeric dimension (default 5)."
    )
    n_startup = forms.IntegerField(
        label="Startup trials",
        required=False,
        help_text="bayesian only; space-filling trials before the model is used.",
    )
    sampler_options = OptionalJSONField(
        label="Other sampler options",
        required=False,
        widget=forms.Textarea(attrs={"rows": 1, "cols": 40}),
        help_text="JSON object of options that have no field above (for samplers added later).",
    )
    pruner_type = forms.CharField(
        label="Pruner", required=False, widget=forms.Select(choices=[(p, p) for p in PRUNER_TYPES])
    )
    n_warmup_steps = forms.IntegerField(required=False, help_text="median and percentile; default 0.")
    n_min_trials = forms.IntegerField(required=False, help_text="median and percentile; default 1.")
    percentile = forms.FloatField(required=False, help_text="percentile pruner only; between 0 and 100.")
    min_resource = forms.IntegerField(
        required=False, help_text="successive_halving and hyperband: step of the first rung; default 1."
    )
    max_resource = forms.IntegerField(required=False, help_text="hyperband only (required): a trial's last step.")
    reduction_factor = forms.IntegerField(
        required=False, help_text="successive_halving and hyperband: 1 in this many go on at each rung; default 3."
    )
    min_early_stopping_rate = forms.IntegerField(
        required=False, help_text="successive_halving only: rungs skipped before the first; default 0."
    )
    n_trials = forms.IntegerField(
        label="Budget (trials)",
        required=False,
        help_text="Total number of trials; may be left blank for grid (the grid's size).",
    )
    # The lock state the form was rendered with, so a spec edit that raced a worker
    # starting trials is refused instead of silently dropped.
    rendered_locked = forms.CharField(required=False, widget=forms.HiddenInput)

    # Set by StudyAdmin.get_form for users with view permission only.
    view_only = False

    class Meta:
        model = Study
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        study = self.instance if self.instance.pk else None
        self.locked_reason = services.spec_locked_reason(study) if study else None
        spec: dict[str, Any] = (
            study.spec if study else {"sampler": {"type": "random"}, "pruner": {"type": "none"}, "search_space": []}
        )
        for key, value in self._initial_from_spec(spec).items():
            self.fields[key].initial = value
        self.fields["rendered_locked"].initial = "1" if self.locked_reason else ""
        rows = initial_rows(spec.get("search_space", []))
        # Rows are shown read-only when the spec is locked or the user may only view.
        self.rows_editable = not (self.locked_reason or self.view_only)
        if self.locked_reason:
            for name, field in self.fields.items():
                if name not in EDITABLE_WHEN_LOCKED and name != "rendered_locked":
                    field.disabled = True
        if not self.rows_editable:
            self.dimensions = DimensionFormSet(initial=rows, prefix="dim")
            self.dimensions.extra = 0
            for form in self.dimensions.forms:
                for field in form.fields.values():
                    field.disabled = True
        else:
            self.dimensions = DimensionFormSet(self.data if self.is_bound else None, initial=rows, prefix="dim")
        self.raw_spec: dict | None = None

    @staticmethod
    def _initial_from_spec(spec: dict) -> dict[str, Any]:
        sampler, pruner = dict(spec.get("sampler", {})), dict(spec.get("pruner", {}))
        initial = {
            "name": spec.get("name", ""),
            "description": spec.get("description", ""),
            "executor": spec.get("executor", ""),
            "metric": spec.get("objective", {}).get("metric", ""),
            "direction": spec.get("objective", {}).get("direction", ""),
            "objectives": spec.get("objectives"),
            "constraints": spec.get("constraints"),
            "n_trials": spec.get("n_trials"),
            "sampler_type": sampler.pop("type", "random"),
            "pruner_type": pruner.pop("type", "none"),
        }
        for field, key in SAMPLER_OPTION_FIELDS.items():
            initial[field] = sampler.pop(key, None)
        initial["sampler_options"] = sampler or None
        for key in PRUNER_OPTION_FIELDS:
            initial[key] = pruner.get(key)
        return initial

    # --- raw spec -----------------------------------------------------------------

    def _rows(self) -> list:
        """The dimension rows that count: neither blank nor marked for deletion, in order."""
        return [f for f in self.dimensions.forms if not f["DELETE"].data and not f.is_blank()]

    def build_raw_spec(self) -> dict:
        data = self.cleaned_data
        raw: dict[str, Any] = {
            "name": data.get("name", "").strip(),
            "description": data.get("description", ""),
            "executor": data.get("executor") or None,
        }
        objective = {"metric": data.get("metric", "").strip(), "direction": data.get("direction") or None}
        # Several objectives replace the single one; both given is reported by the core.
        if data.get("objectives") is None or objective["metric"] or objective["direction"]:
            raw["objective"] = objective
        for key in ("objectives", "constraints"):
            if data.get(key) is not None:
                raw[key] = data[key]
        sampler: dict[str, Any] = {"type": data.get("sampler_type") or None}
        extra = data.get("sampler_options") or {}
        if isinstance(extra, dict):
            sampler.update({k: v for k, v in extra.items() if k not in sampler})
        for field, key in SAMPLER_OPTION_FIELDS.items():
            if data.get(field) is not None:
                sampler[key] = data[field]
        raw["sampler"] = sampler
        pruner: dict[str, Any] = {"type": data.get("pruner_type") or "none"}
        for key in PRUNER_OPTION_FIELDS:
            if data.get(key) is not None:
                pruner[key] = data[key]
        raw["pruner"] = pruner
        if data.get("n_trials") is not None:
            raw["n_trials"] = data["n_trials"]
        if self.locked_reason:
            raw["search_space"] = self.instance.spec["search_space"]
        else:
            raw["search_space"] = [row.to_raw() for row in self._rows()]
        retries = (getattr(self.instance, "spec", None) or {}).get("max_retries")
        if retries:
            raw["max_retries"] = retries  # not on the form: kept as the spec (API, file) set it
        return raw

    # --- validation ---------------------------------------------------------------

    def clean_sampler_options(self):
        value = self.cleaned_data.get("sampler_options")
        if value in (None, ""):
            return None
        if not isinstance(value, dict):
            raise forms.ValidationError('Enter a JSON object such as {"option": 1}, or leave it blank.')
        own = {"type", *SAMPLER_OPTION_FIELDS.values()} & set(value)
        if own:
            raise forms.ValidationError(f"Set {', '.join(sorted(own))} in its own field, not here.")
        return value

    def clean(self):
        cleaned = super().clean()
        assert cleaned is not None  # ModelForm.clean returns cleaned_data
        if self.locked_reason and not self.data.get(self.add_prefix("rendered_locked")):
            raise forms.ValidationError(
                f"This study can no longer change its search space or objective: {self.locked_reason}. "
                f"Nothing was saved. Reload the page to change the budget or description, or clone the study."
            )
        if not self.locked_reason and not self.dimensions.is_valid():
            # A row that cannot be read (a bad number, malformed choices) is shown on
            # that row; the spec cannot be built until it is fixed.
            self.add_error(None, "Fix the search-space rows marked below.")
            return cleaned
        if self.errors:
            return cleaned
        name = cleaned.get("name", "").strip()
        if name and selectors.study_name_taken(name, exclude_pk=self.instance.pk):
            self.add_error("name", f"A study named {name!r} already exists; choose another name or clone that study.")
        self.raw_spec = self.build_raw_spec()
        try:
            spec = services.validate_spec(self.raw_spec)
        except SpecError as exc:
            self._show_spec_errors(exc.errors)
            return cleaned
        if self.instance.pk:
            try:
                services.check_spec_update(self.instance, spec)
            except services.StudyLocked as exc:
                self.add_error("n_trials" if exc.fields == ["n_trials"] else None, sentence(str(exc)))
        return cleaned

    def _show_spec_errors(self, errors: list[tuple[str, str]]) -> None:
        rows = self._rows()
        row_errors = False
        for path, message in errors:
            field = FIELD_FOR_PATH.get(path)
            if field is not None:
                self.add_error(field, sentence(message))
                continue
            if path.startswith(("objectives", "constraints")):
                field = "objectives" if path.startswith("objectives") else "constraints"
                self.add_error(field, f"{path}: {message}")
                continue
            if path.startswith("sampler."):
                self.add_error("sampler_options", f"{path.removeprefix('sampler.')}: {message}")
                continue
            if path == "search_space" and message.startswith("must be a non-empty list"):
                self.add_error(None, "Add at least one dimension to the search space (a row with a name and a type).")
                continue
            if path == "search_space":
                self.add_error(None, f"Search space: {message}.")
                continue
            match = ROW_PATH.match(path)
            if match and int(match.group(1)) < len(rows) and not self.locked_reason:
                index, key, rest = int(match.group(1)), match.group(2), match.group(3)
                row_field = ROW_FIELD_FOR_KEY.get(key)
                detail = f"{rest.lstrip('.')}: {message}" if rest and key == "when" else message
                if key == "choices" and rest:
                    detail = f"choice {int(rest.strip('[]')) + 1}: {message}"
                # The core counts dimensions from 0; the editor shows rows from 1.
                detail = ROW_REFERENCE.sub(lambda m: f"in row {int(m.group(1)) + 1}", detail)
                rows[index].add_error(row_field, sentence(detail))
                row_errors = True
                continue
            self.add_error(None, f"{path}: {message}" if path else sentence(message))
        if row_errors:
            self.add_error(None, "Fix the search-space rows marked below.")
