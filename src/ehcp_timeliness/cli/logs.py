"""Where the run's log lines go: stderr, as plain lines for people or JSON lines for
schedulers. The library logs to the ``ehcp_timeliness`` logger; only the CLI decides how."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from enum import StrEnum

from rich.console import Console
from rich.markup import escape
from rich.status import Status

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


class _Spinner(logging.Handler):
    """On a terminal, a transient spinner naming the stages that are running (the projections
    run beside the summaries), so a stage of more than a moment shows progress; it never
    reaches a file, a pipe or a scheduler's log."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self._status: Status | None = None
        self._running: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:  # called under the handler's lock
        event = getattr(record, "event", None)
        stage = getattr(record, "stage", "working")
        if event == "start":
            self._running.append(stage)
        elif event in ("end", "failed") and stage in self._running:
            self._running.remove(stage)
        else:
            return
        if not self._running:
            self._stop()
        elif self._status is None:
            self._status = Status(f"{', '.join(self._running)}...", console=Console(stderr=True))
            self._status.start()
        else:
            self._status.update(f"{', '.join(self._running)}...")

    def _stop(self) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None

    def close(self) -> None:
        self._stop()
        super().close()


class _Plain(logging.Formatter):
    """The message alone, without control characters: a file name may hold ESC sequences."""

    def format(self, record: logging.LogRecord) -> str:
        return strip_controls(super().format(record))


_format = LogFormat.text


def configure(fmt: LogFormat = LogFormat.text, level: LogLevel = LogLevel.info) -> None:
    """Send the tool's log records to stderr in ``fmt``, from ``level`` up (replacing any
    earlier configuration, so a command's options override the defaults). On a terminal, in
    text, stages show a spinner while they run."""
    global _format
    _format = fmt
    logger = logging.getLogger(LOGGER)
    for old in list(logger.handlers):
        logger.removeHandler(old)
        old.close()
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(level.upper())
    handler.setFormatter(_JsonLines() if fmt is LogFormat.json else _Plain("%(message)s"))
    logger.addHandler(handler)
    if fmt is LogFormat.text and sys.stderr.isatty():
        logger.addHandler(_Spinner())
    logger.setLevel(logging.DEBUG)
    logger.propagate = False


def is_json() -> bool:
    return _format is LogFormat.json


def error(message: str) -> None:
    """A one-line error: as a JSON line in JSON mode, else ``error: ...`` in red on stderr."""
    if is_json():
        logging.getLogger(LOGGER).error(message)
    else:
        Console(stderr=True, highlight=False, soft_wrap=True).print(
            f"[bold red]error:[/] {escape(strip_controls(message))}"
        )
