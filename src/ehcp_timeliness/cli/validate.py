"""``ehcp validate``: read and check extracts, report what is wrong row by row."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.table import Table
from rich.text import Text

from ehcp_timeliness.cli import logs
from ehcp_timeliness.cli.common import (
    AsAtOpt,
    Exit,
    Format,
    FormatOpt,
    LogFormatOpt,
    LogLevelOpt,
    MappingOpt,
    Paths,
    PseudonymKeyOpt,
    RawCsvOpt,
    StrictOpt,
    cell,
    out,
    parse_date_option,
    refuse_outputs_among_inputs,
    run,
    say,
    say_as_at,
)
from ehcp_timeliness.load import load
from ehcp_timeliness.read.sen2_spec import ReturnInfo
from ehcp_timeliness.validate.checks import Validated
from ehcp_timeliness.write.atomic import write_csv

SHOWN = 20


def command(
    paths: Paths,
    mapping: MappingOpt = None,
    as_at: AsAtOpt = None,
    findings_out: Annotated[
        Path | None,
        typer.Option(
            "--findings-out", metavar="FILE", help="Write every finding to this CSV file."
        ),
    ] = None,
    format: FormatOpt = Format.table,
    strict: StrictOpt = False,
    log_format: LogFormatOpt = logs.LogFormat.text,
    log_level: LogLevelOpt = logs.LogLevel.info,
    raw_csv: RawCsvOpt = False,
    pseudonym_key_file: PseudonymKeyOpt = None,
) -> None:
    """Check extracts and list what is wrong, by file, row and column; for a SEN2 return,
    also what DfE's collection would query and what the return will publish."""
    logs.configure(log_format, log_level)
    when = parse_date_option(as_at, "--as-at")
    refuse_outputs_among_inputs(paths, [findings_out])
    result = run(lambda: load(paths, mapping_file=mapping, as_at=when,
                              pseudonym_key_file=pseudonym_key_file,
                              default_as_at=date.today()))  # fmt: skip
    say_as_at(result.as_at, result.as_at_source)
    if findings_out is not None:
        write_csv(result.findings, findings_out, raw=raw_csv)
        say(f"wrote {len(result.findings):,} findings to {findings_out}")
    if format is Format.json:  # streamed: a million findings need not be a million models
        for piece in result.json_chunks():
            sys.stdout.write(piece)
        sys.stdout.write("\n")
    else:
        render(result)
    if strict and result.has_errors:
        raise typer.Exit(Exit.FINDINGS)


def render(result: Validated, shown: int = SHOWN) -> None:
    summary = Table(title=f"Rows as at {result.as_at:%d %B %Y}", title_justify="left")
    for name in ("File", "Table", "Read", "Usable", "Rejected", "Blank rows ignored"):
        summary.add_column(name, justify="left" if name in ("File", "Table") else "right")
    for s in result.summaries:
        summary.add_row(
            cell(s.file),
            s.table,
            f"{s.rows_read:,}",
            f"{s.rows_usable:,}",
            f"{s.rows_rejected:,}",
            f"{s.blank_rows_ignored:,}",
        )
    out.print(summary)
    for info in result.returns:
        render_return(info)
    f = result.findings
    if f.empty:
        out.print("No findings.")
        return
    by_code = Table(title="Findings by code", title_justify="left")
    for name in ("Code", "Severity", "Count"):
        by_code.add_column(name, justify="right" if name == "Count" else "left")
    counts = f.groupby(["code", "severity"]).size().reset_index(name="n")
    for code, severity, n in counts.sort_values(["severity", "n"], ascending=[True, False])[
        ["code", "severity", "n"]
    ].itertuples(index=False):
        by_code.add_row(cell(code), cell(severity), f"{n:,}")
    out.print(by_code)
    first = Table(title=f"First {min(shown, len(f))} of {len(f):,} findings", title_justify="left")
    for name in ("File", "Row", "Column", "Value", "Code", "Message"):
        first.add_column(name, overflow="fold")
    for file, row, column, value, code, message in f.head(shown)[
        ["file", "row", "column", "value", "code", "message"]
    ].itertuples(index=False):
        first.add_row(cell(Path(str(file)).name), _blank(row), _blank(column), _blank(value),
                      cell(code), cell(message))  # fmt: skip
    out.print(first)


def _blank(value: Any) -> Text:
    return cell("" if pd.isna(value) else value)


def render_return(info: ReturnInfo) -> None:
    """A SEN2 return: what it is, and the figures DfE will publish from it."""
    layout = f"{info.layout} layout" if info.layout else "layout not told apart"
    key = ("with a random key for this run (they will not match another run's)"
           if info.pseudonym_key == "random" else f"key from the {info.pseudonym_key}")  # fmt: skip
    line = Text("SEN2 return ", style="bold")
    line.append(cell(
        f"{info.file} ({info.source}, {layout}; header year {info.header_year or '-'}, "
        f"reference date {info.reference_date or '-'}, LA {info.la_code or '-'}): "
        f"{info.persons:,} persons, {info.requests:,} requests ({info.historical_requests:,} "
        f"historical, carried for their plans), {info.plans:,} plans. Person ids: keyed "
        f"hashes, {key}."
    ))  # fmt: skip
    out.print(line)
    if info.publish is None:
        return
    p = info.publish
    table = Table(title=f"What this return will publish (DfE's columns): calendar year "
                  f"{p.calendar_year}, plans at {p.census_date:%d %B %Y}",
                  title_justify="left")  # fmt: skip
    for name in ("File", "Column", "Value"):
        table.add_column(name, justify="right" if name == "Value" else "left")
    unavailable = 0
    for f in p.files:
        for column, value in f.measures.items():
            if value == "x":
                unavailable += 1
                continue
            shown = f"{value:,}" if isinstance(value, int) else str(value)
            table.add_row(f.file, column, shown)
    out.print(table)
    for f in p.files:
        for note in f.notes:
            out.print(cell(f"{f.file}: {note}"))
    if unavailable:
        out.print(f"{unavailable} more columns are x (not available from the return alone, or "
                  "a rate with nothing to divide by); --format json lists them.")  # fmt: skip
