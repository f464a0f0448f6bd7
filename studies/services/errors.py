"""Errors the services raise, each with a message a user can act on."""

from __future__ import annotations


class StudyNotFound(LookupError):
    def __init__(self, name: str):
        super().__init__(f"no study named {name!r}; see list_studies")


class StudyExists(ValueError):
    def __init__(self, name: str):
        super().__init__(f"a study named {name!r} already exists; pass --replace to overwrite it or rename the spec")


class StudyLocked(ValueError):
    """A change that would make a study's existing trials meaningless (or race its workers)."""

    def __init__(self, name: str, reason: str, fields: list[str]):
        self.fields = fields
        super().__init__(
            f"study {name!r} cannot change {', '.join(fields)}: {reason}; clone it to run a changed version"
        )
