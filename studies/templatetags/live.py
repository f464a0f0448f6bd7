"""Template tags of the live pages."""

from __future__ import annotations

from django import template
from django.utils.html import json_script

from ..payloads import CLOSE_CODES

register = template.Library()


@register.simple_tag
def close_codes_json():
    """The websocket close codes as a JSON data block (never executed, so CSP-safe) for live.js."""
    return json_script(CLOSE_CODES, "close-codes")
