"""``ehcp validate``: read and check extracts, report what is wrong row by row."""

from __future__ import annotations

import sys
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
    RawCsvOpt,
    StrictOpt,
    as_at_or_today,
    cell,
    out,
    refuse_outputs_among_inputs,
    run,
    say,
)
from ehcp_timeliness.load import load
from ehcp_timeliness.validate.checks import Validated
from ehcp_timeliness.write.atomic import write_csv

SHOWN = 20


def command(
    paths: Paths,
    mapping: MappingOpt = None,
    as_at: AsAtOpt = None,
    findings_out: Annotated[
        Path | None, typer.Option("--findings-out", help="Write every finding to this CSV file.")
    ] = None,
    format: FormatOpt = Format.table,
    strict: StrictOpt = False,
    log_format: LogFormatOpt = logs.LogFormat.text,
    log_level: LogLevelOpt = logs.LogLevel.info,
    raw_csv: RawCsvOpt = False,
) -> None:
    """Check extracts and list what is wrong, by file, row and column."""
    logs.configure(log_format, log_level)
    when = as_at_or_today(as_at)
    refuse_outputs_among_inputs(paths, [findings_out])
    result = run(lambda: load(paths, mapping_file=mapping, as_at=when))
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
