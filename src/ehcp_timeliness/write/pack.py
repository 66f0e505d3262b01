"""The Partnership Board pack, as data: sheets of titled tables.

:func:`~ehcp_timeliness.write.board.assemble` turns one run's result into :class:`Sheet`
objects, each holding a :class:`Block` (a pandas table with one header row and a format per
column). :mod:`ehcp_timeliness.write.xlsx` writes them as a workbook and ``--csv-dir`` as CSV
files; neither decides what the figures are.

The pack reads in three parts, as a board paper does:

* **the board sheets** (Headline, Contents, Summary, Trend, Backlog, Breakdown, and Benchmark
  and Projections when asked for), each printing on a page or two;
* **operational lists** (Breaches, Due soon, Annual reviews, Findings), the case-level
  worklists for team leaders, after them and marked as such;
* **reference** (Data quality, Inputs, Rules, Notes): what the figures rest on.

Sheet and column names are fixed, so the pack looks the same month after month. Each sheet
holds one table, as GSS guidance asks, except Benchmark and Projections, whose tables are
charted together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd

from ehcp_timeliness.write.atomic import OutputSet, write_csv_to

Format = Literal["text", "date", "month", "percent", "points", "change", "int", "number",
                 "link"]  # fmt: skip
Section = Literal["board", "list", "reference"]
#: The most rows Excel holds in a sheet, less the header.
EXCEL_MAX_ROWS = 1_048_575


@dataclass
class Block:
    """One table: a title, a frame with one header row, and how to show each column."""

    title: str
    frame: pd.DataFrame
    formats: dict[str, Format] = field(default_factory=dict)
    #: What an empty table shows instead: a sentence saying why it is empty.
    empty: str = "Nothing to show."

    def format_of(self, column: str) -> Format:
        return self.formats.get(column, "text")


@dataclass
class Chart:
    kind: Literal["line", "bar", "stacked"]
    title: str
    y_title: str
    columns: list[str]  # series: columns of the chart's block; categories: its first column
    percent: bool = False
    #: Which of the sheet's blocks holds the data. A sheet of one block has its charts below
    #: the table, side by side; a sheet of several has them beside the tables, one under
    #: another.
    block: int = 0
    #: Series drawn dashed (a projection), and a shaded band between two columns (line charts).
    dashed: list[str] = field(default_factory=list)
    band: tuple[str, str] | None = None
    #: The sheet whose block holds the data, when it is not the chart's own (the Headline's
    #: small charts read the Trend sheet).
    sheet: str | None = None
    #: A small chart (half the usual size), for a page that must hold more.
    small: bool = False


@dataclass
class Sheet:
    name: str
    title: str
    notes: list[str]
    blocks: list[Block]
    charts: list[Chart] = field(default_factory=list)
    #: Column holding a scorecard status word, to fill red/amber/green beside the word.
    status_column: str | None = None
    #: A warning shown in bold under the title (a run that crossed a failure threshold).
    warning: str | None = None
    section: Section = "board"
    #: One line for the Contents sheet; the title when not given.
    description: str = ""
    #: Pages tall the sheet prints on, fitted to one page wide; 0 for as many as it needs.
    pages: int = 0


@dataclass
class Pack:
    sheets: list[Sheet]
    #: Full lists of capped detail sheets: file name -> cases (written beside the workbook).
    full_lists: dict[str, pd.DataFrame] = field(default_factory=dict)
    #: File name for every finding, when the Findings sheet's list is capped.
    findings_csv: str | None = None


def write_csv_dir(pack: Pack, folder: Path, outputs: OutputSet, *, raw: bool = False) -> list[Path]:
    """Each sheet's tables as CSV (``Sheet.csv``, or ``Sheet - Table.csv`` where a sheet holds
    several). Text cells and headers a spreadsheet would take for a formula get a leading
    apostrophe unless ``raw`` (:mod:`.csvsafe`)."""
    written = []
    for sheet in pack.sheets:
        for block in sheet.blocks:
            name = sheet.name if len(sheet.blocks) == 1 else f"{sheet.name} - {block.title}"
            frame = block.frame.copy()
            for column in frame.columns:  # text by format: a "text" column of numbers too
                if block.format_of(column) in ("text", "link"):
                    frame[column] = frame[column].astype("string")
            target = folder / f"{name}.csv"
            write_csv_to(frame, outputs.path(target), raw=raw)
            written.append(target)
    return written
