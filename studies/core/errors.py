"""Errors raised by the study core. No Django here."""

from __future__ import annotations


class SpecError(ValueError):
    """A study spec (or part of one) broke a rule.

    Holds every violation found as ``(path, message)`` pairs, where ``path`` is the
    field's location in the spec (``search_space[2].low``), so callers can show each
    error beside the field it concerns. ``str()`` is one line, for command output.
    """

    def __init__(self, errors: list[tuple[str, str]]):
        if not errors:
            raise ValueError("SpecError needs at least one error")
        self.errors = list(errors)
        super().__init__("; ".join(f"{path}: {msg}" if path else msg for path, msg in self.errors))

    def prefixed(self, prefix: str) -> SpecError:
        """The same errors with ``prefix`` put before each path."""

        def join(path: str) -> str:
            if not path:
                return prefix
            return f"{prefix}{path}" if path.startswith("[") else f"{prefix}.{path}"

        return SpecError([(join(path), msg) for path, msg in self.errors])


class ObjectiveError(ValueError):
    """An executor's result cannot give the objective value (missing, NaN, infinite)."""


class SamplerExhausted(LookupError):
    """The sampler has no configuration for the requested trial number (grid spent)."""
