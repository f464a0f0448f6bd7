"""Log formatting."""

from __future__ import annotations

import logging


class OneLineFormatter(logging.Formatter):
    """The record's level, logger and message on one line: no traceback, no newlines."""

    def __init__(self):
        super().__init__("%(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        record = logging.makeLogRecord(record.__dict__)
        record.exc_info = record.exc_text = record.stack_info = None
        return super().format(record).replace("\n", " ")
