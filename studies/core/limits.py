"""Limits on what a spec may hold, and the checks every parser shares. No Django here.

Every value a spec carries is stored in the database and shown in pages, exports and
plots, so it must be something all of them accept: finite numbers that a float (and a
browser) can hold exactly, strings without NUL and of bounded length. The size caps
keep validation and the samplers' set-up fast (each is well under a second at the
cap) and are generous for real studies; each is reported as a field error naming it.
"""

from __future__ import annotations

import math
import re
from typing import Any

# Bayesian optimisation, importance and parallel-coordinates plots stop being useful
# long before 100 dimensions, and the grid's counting recurses once per dimension.
MAX_DIMENSIONS = 100
# A categorical with more values is better written as an int dimension; the Bayesian
# sampler compares choices one by one, so its cost grows with the count.
MAX_CHOICES = 1_000
# A finer grid than this per dimension is a job for the random or Bayesian sampler
# (a million points on two dimensions already); at the cap, 100 dimensions lay out in 0.3 s.
MAX_POINTS_PER_DIM = 1_000
# Integers must survive a round trip through a double (JSON readers in browsers, the
# float columns of the database, numpy): 2**53 is the last exactly representable one.
MAX_SAFE_INTEGER = 2**53
MAX_NAME_LENGTH = 64  # dimension names: table columns, plot axes, filter fields
MAX_METRIC_LENGTH = 200  # the Study.metric column
MAX_TEXT_VALUE_LENGTH = 200  # a string choice or condition value
MAX_DESCRIPTION_LENGTH = 10_000

DIMENSION_NAME = re.compile(rf"[A-Za-z0-9_][A-Za-z0-9_.-]{{0,{MAX_NAME_LENGTH - 1}}}")
DIMENSION_NAME_RULE = (
    f"must be a non-empty name of up to {MAX_NAME_LENGTH} letters, digits, '_', '.' or '-', "
    "not starting with '.' or '-'"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def shown(value: Any, limit: int = 40) -> str:
    """A short, one-line repr of a user's value for an error message.

    Containers are named, not printed: a deeply nested or huge value must not make the
    message itself fail or run over a screen.
    """
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return "an integer too large to store"
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 5]}...{text[-1]}"


def number_problem(value: Any) -> str | None:
    """Why a number cannot be stored (NaN, infinite, an integer beyond 2**53), else None."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"must be a finite number (got {shown(value)})"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_SAFE_INTEGER:
        return f"must be an integer between -2**53 and 2**53 (got {shown(value)})"
    return None


def text_problem(value: str, max_length: int, controls: bool = False) -> str | None:
    """Why a string cannot be stored: NUL (or any control character), or too long."""
    if "\x00" in value:
        return "must not contain a NUL character (\\x00)"
    if not controls and _CONTROL.search(value):
        return "must not contain control characters such as newlines or tabs"
    if len(value) > max_length:
        return f"must be at most {max_length} characters (got {len(value)})"
    return None


def scalar_problem(value: Any) -> str | None:
    """Why a choice or condition value is not a storable JSON scalar, else None."""
    if isinstance(value, str):
        return text_problem(value, MAX_TEXT_VALUE_LENGTH, controls=True)
    if isinstance(value, (bool, type(None))):
        return None
    if isinstance(value, (int, float)):
        return number_problem(value)
    return "must be a string, number, boolean or null"


def is_dimension_name(value: Any) -> bool:
    return isinstance(value, str) and DIMENSION_NAME.fullmatch(value) is not None


def scalar_key(value: Any) -> tuple[str, Any]:
    """A hashable key equal exactly when two scalars are equal as JSON (``True`` is not ``1``)."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (int, float)):
        return ("number", value)
    return (type(value).__name__, value)


def key_path(path: str, key: Any) -> str:
    """``path.key`` for a plain key; a key with odd characters is quoted so the path stays one line."""
    plain = isinstance(key, str) and re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", key) is not None
    dotted = f"{path}.{key}" if path else str(key)
    return dotted if plain else f"{path}[{shown(key)}]"


def check_choices(choices: Any, path: str, errors: list[tuple[str, str]], stored: bool = False) -> None:
    """A categorical's choices: 1 to MAX_CHOICES distinct storable scalars (no cap when ``stored``)."""
    if not isinstance(choices, list) or not choices:
        errors.append((path, "must be a non-empty list of values"))
        return
    if len(choices) > MAX_CHOICES and not stored:
        errors.append((path, f"has {len(choices)} values; at most {MAX_CHOICES} are allowed (use an int dimension)"))
        return
    seen: set[tuple[str, Any]] = set()  # a set, not pairwise comparisons: 1,000 choices check in a millisecond
    for j, c in enumerate(choices):
        problem = scalar_problem(c)
        if problem is not None:
            errors.append((f"{path}[{j}]", problem))
        elif scalar_key(c) in seen:
            errors.append((f"{path}[{j}]", f"duplicate choice {shown(c)}"))
        else:
            seen.add(scalar_key(c))


SCALAR_TYPES = (str, int, float, bool, type(None))


def json_equal(a: Any, b: Any) -> bool:
    """Equality as JSON sees it: ``True`` is not ``1``, but ``1`` is ``1.0``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return bool(a == b)


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
