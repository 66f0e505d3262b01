"""Raw text tables: what every reader produces, and how headers are recognised.

A file (CSV or an XLSX sheet) becomes a :class:`RawTable`: all cells as text, columns renamed
to canonical names where recognised, the row number the user sees beside each row, and the
header each canonical column had in that file (findings name columns as the file does).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ehcp_timeliness.dates import as_arrow_text, blank_text
from ehcp_timeliness.read.mapping import Mapping
from ehcp_timeliness.schema import IDENTIFYING_HEADERS, TABLES, columns


@dataclass
class HeaderNote:
    """Something said about a header rather than a row (becomes a finding)."""

    column: str
    code: str
    message: str
    #: Set for a finding about a whole other file (one not read, or named twice), which rides
    #: on the first table read: the finding names that file, no table, row or column.
    file: str | None = None


@dataclass
class RowNote:
    """Something said about one row of a file as a whole (becomes a finding on that row).

    A note whose code is an error stands for a row that was never read into the table (a
    quote that never closed, a cell too long): it is counted as read and rejected.
    """

    row: int
    code: str
    message: str
    column: str | None = None


@dataclass
class RawTable:
    file: str
    table: str
    data: pd.DataFrame  # all text; canonical names where recognised, else the file's header
    rows: np.ndarray  # the row number the user sees, per data row
    header_row: int
    headers: dict[str, str]  # canonical name -> header as written in the file
    blank_rows: int = 0
    notes: list[HeaderNote] = field(default_factory=list)
    malformed: list[tuple[int, str]] = field(default_factory=list)  # (row, what is wrong)
    row_notes: list[RowNote] = field(default_factory=list)


def norm_header(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", str(text).casefold())


def _header_lookup(table: str, mapping: Mapping) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for name, spec in columns(table).items():
        for alias in (*spec.synonyms, name):
            lookup[norm_header(alias)] = name
    for name in columns(table):  # the mapping wins over built-in synonyms
        for header in mapping.headers_for(name):
            lookup[norm_header(header)] = name
    return lookup


def recognise(headers: list[str], mapping: Mapping, hint: str | None = None) -> str | None:
    """Which table a header row belongs to, or None."""
    if hint in TABLES:
        return hint
    found = {t: {_header_lookup(t, mapping).get(norm_header(h)) for h in headers} for t in TABLES}
    if "received_date" in found["requests"]:
        return "requests"
    if "plan_issue_date" in found["plans"] and found["plans"] & {
        "plan_id",
        "review_meeting_date",
        "review_decision_date",
        "review_outcome",
        "cease_date",
    }:
        return "plans"
    return None


def _name_columns(
    headers: list[str], table: str, mapping: Mapping
) -> tuple[list[str | None], dict[str, str], list[HeaderNote]]:
    """Canonical (or kept dimension) name per column position; None drops the column."""
    lookup = _header_lookup(table, mapping)
    names: list[str | None] = []
    canonical: dict[str, str] = {}
    notes: list[HeaderNote] = []
    seen: set[str] = set()
    for header in headers:
        key = norm_header(header)
        name = lookup.get(key)
        if not key:
            names.append(None)  # an unnamed column: Excel's stray empty columns
        elif name is not None and name not in canonical:
            canonical[name] = header
            names.append(name)
        elif name is not None:
            notes.append(
                HeaderNote(
                    header,
                    "duplicate-column",
                    f"a second column for {name}; the first, {canonical[name]!r}, is used",
                )
            )
            names.append(None)
        elif key in IDENTIFYING_HEADERS:
            notes.append(
                HeaderNote(
                    header,
                    "identifying-column-dropped",
                    "identifies a child, so it is dropped on read and never reaches an output",
                )
            )
            names.append(None)
        elif header in seen:  # a second column with the same header: say so, keep the first
            notes.append(
                HeaderNote(header, "duplicate-column",
                           f"a second column headed {header!r}; the first is used")
            )  # fmt: skip
            names.append(None)
        else:
            names.append(header)
        seen.add(header)
    return names, canonical, notes


def make_table(
    file: str,
    table: str,
    headers: list[str],
    data: pd.DataFrame,
    rows: np.ndarray,
    header_row: int,
    mapping: Mapping,
    malformed: list[tuple[int, str]] | None = None,
) -> RawTable:
    names, canonical, notes = _name_columns(headers, table, mapping)
    for i, header in enumerate(headers):  # values under no header are not read: say so
        if not norm_header(header):
            filled = int((~blank_text(as_arrow_text(data.iloc[:, i]))).sum())
            if filled:
                notes.append(
                    HeaderNote(f"column {i + 1}", "unnamed-column",
                               f"column {i + 1} has no header but holds values in {filled:,} "
                               f"row{'s' * (filled != 1)}; they are not read")
                )  # fmt: skip
    keep = [i for i, n in enumerate(names) if n is not None]
    data = data.iloc[:, keep]
    data.columns = [names[i] for i in keep]
    # Blank rows (every cell empty or spaces, as Excel leaves at the end of a sheet): narrow
    # the candidates column by column, so a full extract costs about one column's check.
    candidates = np.arange(len(data))
    for name in data.columns:
        if not candidates.size:
            break
        cells = as_arrow_text(data[name])
        if len(candidates) < len(data):
            cells = pc.take(cells, pa.array(candidates))
        candidates = candidates[blank_text(cells)]
    blank = np.zeros(len(data), dtype=bool)
    blank[candidates] = True
    blank_count = int(blank.sum())
    if blank_count:
        data, rows = data.loc[~blank], rows[~blank]
    return RawTable(
        file,
        table,
        data.reset_index(drop=True),
        rows,
        header_row,
        canonical,
        blank_count,
        notes,
        malformed or [],
    )
