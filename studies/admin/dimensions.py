"""The search-space editor: a formset with a row per dimension.

Rows only translate text into the spec's JSON form (numbers, lists of choices, a
``when`` mapping); whether the dimension makes sense is decided by the core parser,
whose errors the study form puts back on the row fields they concern.
"""

from __future__ import annotations

import json
import math
from typing import Any

from django import forms

DIMENSION_TYPES = [("", "---------"), ("float", "float"), ("int", "int"), ("categorical", "categorical")]
SCALES = [("", "---------"), ("linear", "linear"), ("log", "log")]
ROW_FIELDS = ("name", "type", "low", "high", "scale", "choices", "condition")


class ValueSyntaxError(ValueError):
    pass


def _reject_constant(name: str) -> None:
    raise ValueError(name)  # NaN / Infinity stay strings: they are never useful values


def _loads(text: str) -> Any:
    """json.loads that reports deep nesting (RecursionError in the C parser) as a syntax error."""
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise ValueSyntaxError(exc.msg) from None
    except ValueError as exc:  # the constant _reject_constant refused: say which
        raise ValueSyntaxError(f"{exc} is not a usable value") from None
    except RecursionError:
        raise ValueSyntaxError("nested too deeply") from None


def parse_scalar(token: str) -> Any:
    """``2`` -> 2, ``0.5`` -> 0.5, ``true`` -> True, ``null`` -> None, ``"a b"`` -> 'a b', ``rbf`` -> 'rbf'."""
    token = token.strip()
    try:
        value = _loads(token)
    except ValueSyntaxError:
        return token
    if isinstance(value, (list, dict)):
        raise ValueSyntaxError(f"{token} is not a single value")
    if isinstance(value, float) and not math.isfinite(value):
        return token
    return value


def parse_values(text: str) -> list:
    """A JSON list (``["rbf", "poly"]``) or comma-separated values (``rbf, poly``)."""
    text = text.strip()
    if not text:
        return []
    if text.startswith("["):
        try:
            values = _loads(text)
        except ValueSyntaxError as exc:
            raise ValueSyntaxError(f"this looks like a JSON list but is not valid JSON ({exc})") from None
        return values
    tokens = text.split(",")
    if any(not token.strip() for token in tokens):
        raise ValueSyntaxError("there is an empty value (two commas together, or one at an end)")
    return [parse_scalar(token) for token in tokens]


def parse_condition(text: str) -> dict | None:
    """``kernel: poly, sigmoid`` (parents separated by ``;``) or JSON ``{"kernel": ["poly"]}``."""
    text = text.strip()
    if not text:
        return None
    if text.startswith("{"):
        try:
            return _loads(text)
        except ValueSyntaxError as exc:
            raise ValueSyntaxError(f"this looks like JSON but is not valid ({exc})") from None
    when: dict[str, list] = {}
    for clause in text.split(";"):
        if not clause.strip():
            continue
        parent, colon, values = clause.partition(":")
        if not colon or not parent.strip():
            raise ValueSyntaxError(f"write {clause.strip()!r} as 'parent: value1, value2'")
        when[parent.strip()] = parse_values(values)
    return when or None


def format_values(values: list) -> str:
    """Comma-separated when that reads back as the same list, else JSON."""
    text = ", ".join(v if isinstance(v, str) else json.dumps(v) for v in values)
    try:
        same = _same(parse_values(text), values)
    except ValueSyntaxError:
        same = False
    return text if same and not any(";" in str(v) or ":" in str(v) for v in values) else json.dumps(values)


def format_condition(when: dict | None) -> str:
    if not when:
        return ""
    text = "; ".join(f"{parent}: {format_values(list(values))}" for parent, values in when.items())
    try:
        same = _same(parse_condition(text), {p: list(v) for p, v in when.items()})
    except ValueSyntaxError:
        same = False
    return text if same else json.dumps(when)


def _same(a: Any, b: Any) -> bool:
    """JSON equality that tells ``1`` from ``"1"`` and ``True`` from ``1``."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def format_number(value: Any) -> str:
    return "" if value is None else json.dumps(value)


class NumberField(forms.CharField):
    """Text that must be a number: an int when written as one, else a float."""

    def to_python(self, value: Any) -> Any:
        text = (super().to_python(value) or "").strip()
        if not text:
            return None
        try:
            return int(text)
        except ValueError:
            pass
        try:
            number = float(text)
        except ValueError:
            raise forms.ValidationError(f"Enter a number such as 0.001, 10 or 1e-4 (got {text!r}).") from None
        if not math.isfinite(number):
            raise forms.ValidationError("Enter a finite number.")
        return number


class DimensionForm(forms.Form):
    name = forms.CharField(required=False, widget=forms.TextInput(attrs={"size": 10}))
    type = forms.ChoiceField(choices=DIMENSION_TYPES, required=False)
    low = NumberField(required=False, widget=forms.TextInput(attrs={"size": 8}))
    high = NumberField(required=False, widget=forms.TextInput(attrs={"size": 8}))
    scale = forms.ChoiceField(choices=SCALES, required=False, help_text="numeric only; linear when blank")
    choices = forms.CharField(
        required=False,
        widget=forms.TextInput(attrs={"size": 16}),
        help_text='categorical only: rbf, poly or ["rbf", "poly"]',
    )
    condition = forms.CharField(
        required=False,
        widget=forms.TextInput(attrs={"size": 16}),
        help_text='optional: kernel: poly, sigmoid or {"kernel": ["poly"]}',
    )

    def clean_choices(self):
        try:
            return parse_values(self.cleaned_data["choices"])
        except ValueSyntaxError as exc:
            raise forms.ValidationError(
                f'{str(exc)[0].upper()}{str(exc)[1:]}; write rbf, poly or ["rbf", "poly"].'
            ) from None

    def clean_condition(self):
        try:
            return parse_condition(self.cleaned_data["condition"])
        except ValueSyntaxError as exc:
            raise forms.ValidationError(
                f'{str(exc)[0].upper()}{str(exc)[1:]}; write kernel: poly, sigmoid or {{"kernel": ["poly"]}}.'
            ) from None

    def is_blank(self) -> bool:
        return not any((self.data.get(self.add_prefix(f)) or "").strip() for f in ROW_FIELDS)

    def to_raw(self) -> dict:
        """The dimension as the spec's JSON; fields left blank are left out."""
        data = self.cleaned_data
        raw: dict[str, Any] = {"name": data.get("name", "").strip(), "type": data.get("type") or None}
        for key in ("low", "high"):
            if data.get(key) is not None:
                raw[key] = data[key]
        if data.get("scale"):
            raw["scale"] = data["scale"]
        if data.get("choices") or raw["type"] == "categorical":
            raw["choices"] = data.get("choices") or []
        if data.get("condition"):
            raw["when"] = data["condition"]
        if raw["type"] is None:
            del raw["type"]
        return raw


def initial_rows(search_space: list[dict]) -> list[dict]:
    return [
        {
            "name": dim.get("name", ""),
            "type": dim.get("type", ""),
            "low": format_number(dim.get("low")),
            "high": format_number(dim.get("high")),
            "scale": dim.get("scale", ""),
            "choices": format_values(dim["choices"]) if "choices" in dim else "",
            "condition": format_condition(dim.get("when")),
        }
        for dim in search_space
    ]


DimensionFormSet = forms.formset_factory(DimensionForm, extra=3, can_delete=True)
