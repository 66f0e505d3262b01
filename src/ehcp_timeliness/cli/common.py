"""Options shared by several commands, declared once; exit codes; error wrapping."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable
from datetime import date
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from ehcp_timeliness.cli import logs
from ehcp_timeliness.dates import parse_date
from ehcp_timeliness.errors import InputError, OutputError, os_error_line
from ehcp_timeliness.limits import EARLIEST_YEAR, LATEST_YEAR, date_in_range
from ehcp_timeliness.read.paths import SUFFIXES
from ehcp_timeliness.text import strip_controls
from ehcp_timeliness.write.atomic import outputs_among_inputs

# Wider than rich's 80-column fallback when stdout is a file or a pipe (scheduled runs).
out = Console(highlight=False, width=None if sys.stdout.isatty() else 140)


def cell(value: object) -> Text:
    """Text from an extract, a file name or a rules file, as a Rich table cell: shown
    literally (``[/]`` and ``[link=...]`` are not markup), without ESC sequences or other
    control characters."""
    return Text(strip_controls(str(value)))


def plain(value: object) -> str:
    """The same text for use inside a markup string: escaped, without control characters."""
    return escape(strip_controls(str(value)))


class Exit(IntEnum):
    OK = 0
    FINDINGS = 1  # --strict and an error-severity finding exists
    USAGE = 2
    INPUT = 3  # input, mapping or rules that cannot be read at all
    OUTPUT = 4  # an output file that cannot be written
    INTERNAL = 5  # a fault in the tool itself


class Format(StrEnum):
    table = "table"
    json = "json"


Paths = Annotated[
    list[Path],
    typer.Argument(
        metavar="EXTRACT...",
        help="Extract files (CSV, XLSX), SEN2 returns (XML, COLLECT's CSV export, the "
        "pre-submission workbook), or directories of them.",
        show_default=False,
    ),
]
MappingOpt = Annotated[
    Path | None,
    typer.Option(
        "--mapping",
        metavar="FILE",
        help="TOML file naming local headers and codes (see docs/extract-format.md).",
    ),
]
AsAtOpt = Annotated[
    str | None,
    typer.Option(
        "--as-at",
        metavar="DATE",
        help="The date the extract was taken (2025-03-31 or 31/03/2025); dates after it are "
        "findings. Default: a SEN2 return's ReferenceDate, else today; the run says which.",
    ),
]
PseudonymKeyOpt = Annotated[
    Path | None,
    typer.Option(
        "--pseudonym-key-file",
        metavar="FILE",
        help="File holding the secret key for SEN2 person ids (else EHCP_PSEUDONYM_KEY; "
        "without either, ids are random for the run).",
    ),
]
CouncilOpt = Annotated[str, typer.Option(
    "--council", metavar="NAME", help="Council name for the pack's cover.")]  # fmt: skip
TargetsOpt = Annotated[Path | None, typer.Option(
    "--targets", metavar="FILE",
    help="TOML file of KPI targets for the pack's scorecard.")]  # fmt: skip
FormatOpt = Annotated[
    Format,
    typer.Option(
        "--format",
        metavar="table|json",
        help="table: a summary for people; json: the report model on stdout.",
    ),
]


LogFormatOpt = Annotated[logs.LogFormat, typer.Option(
    "--log-format", metavar="text|json",
    help="Log lines on stderr as plain text (default) or JSON lines, one "
    "object per line, for a scheduler.")]  # fmt: skip
LogLevelOpt = Annotated[logs.LogLevel, typer.Option(
    "--log-level", metavar="LEVEL",
    help="The least severe log lines shown: debug, info (default), warning "
    "or error.")]  # fmt: skip


RulesOpt = Annotated[Path | None, typer.Option(
    "--rules", metavar="DIR",
    help="A folder of TOML rule files (or one file) adding to or replacing the "
    "built-in rules by id (see docs/rules.md).")]  # fmt: skip
StrictOpt = Annotated[bool, typer.Option(
    "--strict", help="Exit 1 when any error-severity finding exists.")]  # fmt: skip
RawCsvOpt = Annotated[bool, typer.Option(
    "--raw-csv", help="Write CSV values exactly as read: do not defuse text a spreadsheet "
    "would run as a formula (for tools that never evaluate formulas).")]  # fmt: skip


#: A date as an option takes it: ISO, or day first with slashes as the extracts write dates.
_DATE_OPTION = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4}")


def parse_date_option(value: str | None, option: str) -> date | None:
    """A date option's value: ``2025-03-31``, or ``31/03/2025`` (always day first)."""
    if value is None:
        return None
    try:
        day = parse_date(value) if _DATE_OPTION.fullmatch(value.strip()) else None
        if day is None:
            raise ValueError(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date: give 2025-03-31 or 31/03/2025 (day "
                                 "first)", param_hint=option) from None  # fmt: skip
    if not date_in_range(day):
        raise typer.BadParameter(
            f"{value} is outside the years this tool counts ({EARLIEST_YEAR} to {LATEST_YEAR})",
            param_hint=option,
        )
    return day


def say_as_at(as_at: date, source: str) -> None:
    """Say on stderr which as-at date a run used when it was not given."""
    if source != "--as-at":
        say(f"as-at date {as_at:%Y-%m-%d} (from the {source})" if source != "today"
            else f"as-at date {as_at:%Y-%m-%d} (today; give --as-at to choose)")  # fmt: skip


T = TypeVar("T")


def run(body: Callable[[], T]) -> T:
    """Run a step that reads input, turning unreadable input into one line and exit 3 (and an
    output that cannot be written, where the step writes as it goes, into exit 4)."""
    try:
        return body()
    except typer.Exit:
        raise
    except InputError as exc:
        logs.error(str(exc))
        raise typer.Exit(Exit.INPUT) from None
    except OutputError as exc:  # before OSError: an output, not an input, was refused
        logs.error(f"{exc}; no file was left half-written")
        raise typer.Exit(Exit.OUTPUT) from None
    except OSError as exc:  # the file system refused: no permission, a device, a lost mount
        logs.error(os_error_line("read", exc))
        raise typer.Exit(Exit.INPUT) from None


def analysed(body: Callable[[], T]) -> T:
    """Run the pipeline: unreadable input exits 3; a ``--by`` or period it cannot use, or no
    as-at date given or found in the input, 2."""
    from ehcp_timeliness.analysis import UnknownDimension
    from ehcp_timeliness.load import NoAsAtDate

    def guarded() -> T:
        try:
            return body()
        except UnknownDimension as exc:
            raise typer.BadParameter(str(exc), param_hint="--by") from None
        except NoAsAtDate:
            raise typer.BadParameter("is required: the input has no SEN2 ReferenceDate to use",
                                     param_hint="--as-at") from None  # fmt: skip

    return run(guarded)


def refuse_outputs_among_inputs(inputs: list[Path], outputs: list[Path | None]) -> None:
    """Usage error (exit 2), before anything is read, for an output that is an input, or a
    file output named ``-`` (standard output is for ``--json -`` only; a file called ``-``
    is never what was meant)."""
    if any(p is not None and str(p) == "-" for p in outputs):
        raise typer.BadParameter("'-' (standard output) is only for --json; give the other "
                                 "outputs a file or folder name")  # fmt: skip
    problems = outputs_among_inputs(inputs, outputs, SUFFIXES)
    if problems:
        message = "; ".join(problems) + ". Choose another output path."
        raise typer.BadParameter(strip_controls(message))


def say(message: str) -> None:
    """A progress message: a log line on stderr, never stdout (stdout carries data)."""
    logging.getLogger("ehcp_timeliness.cli").info(message)
