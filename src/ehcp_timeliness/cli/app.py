"""The ``ehcp`` command: one Typer app, one module per command."""

from __future__ import annotations

import logging
import os
import signal
import sys
import traceback
from importlib import import_module
from pathlib import Path
from typing import Annotated

import typer

from ehcp_timeliness import __version__
from ehcp_timeliness.cli import logs
from ehcp_timeliness.cli.common import Exit
from ehcp_timeliness.errors import OutputError, os_error_line

#: How help names a value of each kind, instead of typer's ``<path>``, ``<list[Path]>``.
READABLE = {"path": "PATH", "str": "TEXT", "int": "N", "float": "NUMBER", "list[Path]": "PATH"}


def _readable_help() -> None:
    """Typer 0.16 and later show a required argument as ``{paths}...`` and a value's type as
    ``<list[Path]>``. Name arguments by their metavar (``EXTRACT...``) and types in words, so
    help reads as an analyst expects. Where this typer has no such hooks, nothing changes."""
    core = typer.core
    argument = getattr(core, "TyperArgument", None)
    parameter = getattr(core, "_TyperParameter", None)
    if argument is None or parameter is None:
        return
    if hasattr(argument, "_usage_display_name"):

        def usage(self) -> str:
            name = self.metavar or self.name.upper()
            name = name if self.nargs == 1 or name.endswith("...") else f"{name}..."
            return name if self.required else f"[{name}]"

        argument._usage_display_name = usage
        argument._rich_display_name = lambda self: self.metavar or self.name.upper()
        argument.display_type_rich = lambda self, ctx: None
    shown = getattr(parameter, "display_type", None)
    if shown is not None:

        def display_type(self, ctx) -> str:
            label = shown(self, ctx).strip("<>")
            return READABLE.get(label, label)

        parameter.display_type = display_type


_readable_help()

#: The commands, in the order help lists them; each is ``command`` in its own module.
COMMANDS = ("validate", "report", "project", "rules", "sample", "run", "benchmark")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ehcp-timeliness {__version__}")
        raise typer.Exit()


def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Statutory timeliness of EHC plans from a council's own casework extract."""


def build(only: str | None = None) -> typer.Typer:
    """The ``ehcp`` app with every command, or with only the one named ``only``.

    A run imports only its own command's module and what that needs: ``ehcp validate`` on a
    council's workbook then starts in about half the time, without the projections, the
    board pack and the benchmark being imported. Help and a mistyped command get them all."""
    app = typer.Typer(
        name="ehcp",
        help="Statutory timeliness of EHC plans from a council's own casework extract.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_show_locals=False,
        rich_markup_mode=None,
    )
    app.callback()(root)
    for name in COMMANDS:
        if only in (None, name):
            app.command(name)(import_module(f"ehcp_timeliness.cli.{name}").command)
    return app


_whole: typer.Typer | None = None


def __getattr__(name: str) -> typer.Typer:
    """``app``: the app with every command, built on first use (tests, docs, ``--help``)."""
    global _whole
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if _whole is None:
        _whole = build()
    return _whole


PACKAGE = Path(__file__).resolve().parents[1]
#: Set to 1 to see the full traceback of an internal error (it may quote extract values).
TRACEBACK_ENV = "EHCP_TRACEBACK"


class Stopped(BaseException):
    """SIGTERM or SIGINT, raised where the run is, so every ``with`` block on the way out
    (an :class:`~ehcp_timeliness.write.atomic.OutputSet`, a private temporary folder) removes
    its temporary files. Not an ``Exception``, so no handler for errors catches it."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _stop(signum: int, frame: object) -> None:
    raise Stopped(signum)


def main() -> None:
    """The console script: the app, with failures outside the input turned into one line.

    Outputs are written atomically, so whatever fails, no file is left half-written. SIGTERM
    and SIGINT (Ctrl-C) stop the run the same way: its temporary files are removed, one line
    says so, and the exit code is 128 plus the signal's number (143, 130). An internal error
    names its type and the line of this package it came through, but not its message, which
    could quote a value from the extract.
    """
    logs.configure()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _stop)
    named = sys.argv[1] if len(sys.argv) > 1 else None
    try:
        build(named if named in COMMANDS else None)()
    except Stopped as stop:
        name = signal.Signals(stop.signum).name
        logs.error(f"stopped by {name}; no file was left half-written and this run's "
                   "temporary files were removed")  # fmt: skip
        raise SystemExit(128 + stop.signum) from None
    except OutputError as exc:  # an output that cannot be written
        logs.error(f"{exc}; no file was left half-written")
        raise SystemExit(Exit.OUTPUT) from None
    except OSError as exc:  # an output folder or file that cannot be written
        logs.error(os_error_line("write", exc) + "; no file was left half-written")
        raise SystemExit(Exit.OUTPUT) from None
    except Exception as exc:
        if os.environ.get(TRACEBACK_ENV) == "1":
            raise
        frames = traceback.extract_tb(exc.__traceback__)
        ours = [f for f in frames if Path(f.filename).is_relative_to(PACKAGE)] or frames
        at = f"{Path(ours[-1].filename).name}:{ours[-1].lineno}"
        logs.error(
            f"internal error: {type(exc).__name__} at {at}; no file was left "
            f"half-written. Please report it; {TRACEBACK_ENV}=1 shows the traceback."
        )
        raise SystemExit(Exit.INTERNAL) from None


def entry() -> None:
    """The console script (and ``python -m ehcp_timeliness``): :func:`main`, then leave
    without tearing the interpreter down.

    By then every output is complete and renamed into place, every file closed and every
    worker thread joined. Freeing a national extract's arrays one by one at exit takes a
    quarter of a second and does nothing for anyone.
    """
    try:
        main()
        code = 0
    except SystemExit as exc:
        if isinstance(exc.code, int) or exc.code is None:
            code = exc.code or 0
        else:  # a message instead of a code: say it, as Python would
            print(exc.code, file=sys.stderr)
            code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    logging.shutdown()
    os._exit(code)
