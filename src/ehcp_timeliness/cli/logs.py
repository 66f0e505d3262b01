"""Where the run's log lines go: stderr, as plain lines for people or JSON lines for
schedulers. The library logs to the ``ehcp_timeliness`` logger; only the CLI decides how."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from enum import StrEnum

from ehcp_timeliness.text import strip_controls

LOGGER = "ehcp_timeliness"


class LogFormat(StrEnum):
    text = "text"
    json = "json"


class LogLevel(StrEnum):
    debug = "debug"
    info = "info"
    warning = "warning"
    error = "error"


class _JsonLines(logging.Formatter):
    """One JSON object per line: time, level, message, and the stage's figures if any."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="seconds"),
            "level": record.levelname.lower(),
            "message": record.getMessage(),
        }
        for key in ("stage", "event", "seconds", "counts"):
            if hasattr(record, key):
                line[key] = getattr(record, key)
        return json.dumps(line, ensure_ascii=False)


class _Plain(logging.Formatter):
    """The message alone, without control characters: a file name may hold ESC sequences."""

    def format(self, record: logging.LogRecord) -> str:
        return strip_controls(super().format(record))


def configure(fmt: LogFormat = LogFormat.text, level: LogLevel = LogLevel.info) -> None:
    """Send the tool's log records to stderr in ``fmt``, from ``level`` up (replacing any
    earlier configuration, so a command's options override the defaults)."""
    logger = logging.getLogger(LOGGER)
    for old in list(logger.handlers):
        logger.removeHandler(old)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_JsonLines() if fmt is LogFormat.json else _Plain("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level.upper())
    logger.propagate = False
