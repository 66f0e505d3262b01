"""The ``ehcp`` command: one Typer app, one module per command."""

from __future__ import annotations

from typing import Annotated

import typer

from ehcp_timeliness import __version__
from ehcp_timeliness.cli import report, rules, sample, validate

app = typer.Typer(
    name="ehcp",
    help="Statutory timeliness of EHC plans from a council's own casework extract.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ehcp-timeliness {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Statutory timeliness of EHC plans from a council's own casework extract."""


app.command("validate")(validate.command)
app.command("report")(report.command)
app.command("rules")(rules.command)
app.command("sample")(sample.command)


def main() -> None:
    app()
