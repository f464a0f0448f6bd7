"""Reading a spec's JSON text: every failure becomes one line, never a traceback. No Django here."""

from __future__ import annotations

import json
from typing import Any


class JSONTextError(ValueError):
    """Text that is not JSON we can read; the message is one line naming where and why."""


def load_json(text: str) -> Any:
    """``json.loads`` whose every failure is a JSONTextError.

    NaN and Infinity literals (which Python's json accepts) are read as floats here and
    refused by the spec parser with their field's path, like 1e999.
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise JSONTextError(f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        # The C parser gives up on deep nesting with RecursionError; no spec nests this deep.
        raise JSONTextError("invalid JSON: nested too deeply (a spec nests at most a few levels)") from None
