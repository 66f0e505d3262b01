"""Options shared by several commands, declared once; exit codes; error wrapping."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date, datetime
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from ehcp_timeliness.errors import InputError

# Wider than rich's 80-column fallback when stdout is a file or a pipe (scheduled runs).
out = Console(highlight=False, width=None if sys.stdout.isatty() else 140)
err = Console(stderr=True, highlight=False, soft_wrap=True)  # one-line messages


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
        help="Extract files (CSV, XLSX), SEN2 returns (XML, COLLECT's CSV export, the "
        "pre-submission workbook), or directories of them.",
        show_default=False,
    ),
]
MappingOpt = Annotated[
    Path | None,
    typer.Option(
        "--mapping", help="TOML file naming local headers and codes (see docs/extract-format.md)."
    ),
]
AsAtOpt = Annotated[
    str | None,
    typer.Option(
        "--as-at",
        metavar="YYYY-MM-DD",
        help="The date the extract was taken; dates after it are findings. Default: a SEN2 "
        "return's ReferenceDate, else today.",
    ),
]
PseudonymKeyOpt = Annotated[
    Path | None,
    typer.Option(
        "--pseudonym-key-file",
        help="File holding the secret key for SEN2 person ids (else EHCP_PSEUDONYM_KEY; "
        "without either, ids are random for the run).",
    ),
]
FormatOpt = Annotated[
    Format,
    typer.Option("--format", help="table: a summary for people; json: the report model on stdout."),
]


RulesOpt = Annotated[Path | None, typer.Option(
    "--rules", help="A folder of TOML rule files (or one file) adding to or replacing the "
    "built-in rules by id (see docs/rules.md).")]  # fmt: skip
StrictOpt = Annotated[bool, typer.Option(
    "--strict", help="Exit 1 when any error-severity finding exists.")]  # fmt: skip


def parse_date_option(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date in YYYY-MM-DD form",
                                 param_hint=option) from None  # fmt: skip


def as_at_or_today(value: str | None) -> date:
    parsed = parse_date_option(value, "--as-at")
    return parsed if parsed is not None else date.today()


def say_as_at(as_at: date, source: str) -> None:
    """Say on stderr which as-at date a run used when it was not given."""
    if source != "--as-at":
        say(f"as-at date {as_at:%Y-%m-%d} (from the {source})" if source != "today"
            else f"as-at date {as_at:%Y-%m-%d} (today; give --as-at to choose)")  # fmt: skip


T = TypeVar("T")


def run(body: Callable[[], T]) -> T:
    """Run a step that reads input, turning unreadable input into one line and exit 3."""
    try:
        return body()
    except typer.Exit:
        raise
    except InputError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}")
        raise typer.Exit(Exit.INPUT) from None
    except OSError as exc:  # the file system refused: no permission, a device, a lost mount
        err.print(system_refused("read", exc))
        raise typer.Exit(Exit.INPUT) from None
    except KeyboardInterrupt:
        err.print("interrupted; no output was written")
        raise typer.Exit(130) from None


def system_refused(verb: str, exc: OSError) -> str:
    """One line for a file the system would not let us read or write."""
    where = f" {exc.filename}" if exc.filename else ""
    why = exc.strerror or type(exc).__name__
    return f"[bold red]error:[/] cannot {verb}{escape(where)}: {escape(why)}"


def say(message: str) -> None:
    """A progress message: to stderr, never stdout (stdout carries data)."""
    err.print(message, markup=False)
