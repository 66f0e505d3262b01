"""Reading extract files into raw text tables, keeping every value as the user wrote it.

A file (CSV or an XLSX sheet) becomes a :class:`RawTable`: all cells as text, columns renamed
to canonical names where recognised, the row number the user sees beside each row, and the
header each canonical column had in that file (findings name columns as the file does).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ehcp_timeliness.dates import as_arrow_text, blank_text
from ehcp_timeliness.errors import InputError
from ehcp_timeliness.mapping import Mapping
from ehcp_timeliness.schema import IDENTIFYING_HEADERS, TABLES, columns

SUFFIXES = {".csv", ".xlsx", ".xlsm"}


@dataclass
class HeaderNote:
    """Something said about a header rather than a row (becomes a finding)."""

    column: str
    code: str
    message: str


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


def _make_table(
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


# --- CSV -------------------------------------------------------------------------------------


_NOT_UTF8 = object()  # _csv_fast's answer when the body is not valid UTF-8


def _decode(data: bytes, bom: bool) -> str:
    """UTF-8 when it decodes (or the file says so with a BOM), else Windows-1252 as Excel
    saves it."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("utf-8" if bom else "cp1252", errors="replace")


def read_csv(path: Path, mapping: Mapping) -> RawTable:
    """Read a CSV as Excel saves it: UTF-8 with or without a BOM, or cp1252."""
    raw = path.read_bytes()
    bom = raw.startswith(codecs.BOM_UTF8)
    body = raw[len(codecs.BOM_UTF8) :] if bom else raw
    end = body.find(b"\n")
    header_text = _decode(body[: end if end >= 0 else len(body)], bom)
    headers = next(csv.reader([header_text.rstrip("\r")]), [])
    table = recognise(headers, mapping)
    if table is None:
        raise InputError(
            f"{path}: no recognisable columns (neither a requests nor a plans table;"
            " use --mapping to name them)"
        )
    result = _csv_fast(body, "utf8", len(headers))
    if result is _NOT_UTF8 and not bom:
        result = _csv_fast(body, "cp1252", len(headers))
    if result is None or result is _NOT_UTF8:
        result = _csv_exact(body, bom, len(headers))
    data, rows, malformed = result
    return _make_table(str(path), table, headers, data, rows, 1, mapping, malformed)


def _csv_fast(body: bytes, encoding: str, width: int):
    """pyarrow's parser, used when each line is one record (so row numbers are exact)."""
    try:
        table = pacsv.read_csv(
            pa.BufferReader(body),
            read_options=pacsv.ReadOptions(
                encoding=encoding,
                skip_rows=1,
                column_names=[f"c{i}" for i in range(width)],
            ),
            parse_options=pacsv.ParseOptions(newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(
                column_types={f"c{i}": pa.large_string() for i in range(width)},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError) as exc:
        if "UTF8" in str(exc):
            return _NOT_UTF8
        return None  # ragged rows, stray quotes...: read slowly and say which
    lines = body.count(b"\n") + (0 if body.endswith(b"\n") else 1)
    if table.num_rows + 1 != lines:
        return None  # blank lines or line breaks inside cells: count exactly
    # Wrapping the Arrow columns (large_string, as pandas keeps them) is ~10x cheaper than
    # to_pandas(), which copies them.
    data = pd.DataFrame(
        {name: pd.arrays.ArrowStringArray(table.column(name)) for name in table.column_names}
    )
    return data, np.arange(2, table.num_rows + 2), []


def _csv_exact(body: bytes, bom: bool, width: int):
    """Python's csv module: slower, but numbers rows as a spreadsheet shows them."""
    text = _decode(body, bom)
    reader = csv.reader(io.StringIO(text, newline=""))
    next(reader, None)
    records, rows, malformed = [], [], []
    for number, record in enumerate(reader, start=2):
        if len(record) > width and any(v.strip() for v in record[width:]):
            malformed.append((number, f"{len(record)} cells where the header has {width}"))
            continue
        records.append((record + [""] * width)[:width])
        rows.append(number)
    data = pd.DataFrame(records, columns=[f"c{i}" for i in range(width)], dtype="string")
    return data, np.asarray(rows, dtype=np.int64), malformed


# --- XLSX ------------------------------------------------------------------------------------


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_xlsx(path: Path, mapping: Mapping) -> list[RawTable]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise InputError(f"{path}: not a readable XLSX workbook ({type(exc).__name__})") from None
    tables, ignored = [], []
    try:
        for ws in wb.worksheets:
            hint = ws.title.strip().casefold()
            rows_iter = ws.iter_rows(values_only=True)
            start = ws.min_row or 1
            header_row, headers = None, []
            for number, values in enumerate(rows_iter, start=start):
                texts = [_cell_text(v).strip() for v in values]
                if sum(bool(t) for t in texts) >= 2:
                    header_row, headers = number, texts
                    break
            if header_row is None:
                continue
            table = recognise(headers, mapping, hint if hint in TABLES else None)
            if table is None:
                ignored.append(ws.title)
                continue
            records, numbers = [], []
            for number, values in enumerate(rows_iter, start=header_row + 1):
                records.append([_cell_text(v) for v in values])
                numbers.append(number)
            width = max([len(headers), *map(len, records)])  # cells past the header: unnamed
            headers += [""] * (width - len(headers))
            for texts in records:
                texts += [""] * (width - len(texts))
            data = pd.DataFrame(records, columns=[f"c{i}" for i in range(width)], dtype="string")
            tables.append(
                _make_table(
                    f"{path}[{ws.title}]",
                    table,
                    headers,
                    data,
                    np.asarray(numbers, dtype=np.int64),
                    header_row,
                    mapping,
                )
            )
    finally:
        wb.close()
    if not tables:
        raise InputError(
            f"{path}: no sheet has recognisable columns (sheets: "
            f"{', '.join(ws.title for ws in wb.worksheets)})"
        )
    for title in ignored:
        tables[0].notes.append(
            HeaderNote(
                f"sheet {title}", "sheet-ignored", f"sheet {title!r} is neither requests nor plans"
            )
        )
    return tables


# --- Paths -----------------------------------------------------------------------------------


def expand(paths: list[Path]) -> list[Path]:
    """Files named, and the CSV/XLSX files directly inside directories named, in order."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(
                p
                for p in path.iterdir()
                if p.suffix.lower() in SUFFIXES and not p.name.startswith(("~$", "."))
            )
            if not found:
                raise InputError(f"{path}: directory holds no CSV or XLSX files")
            out.extend(found)
        elif path.is_file():
            if path.suffix.lower() not in SUFFIXES:
                raise InputError(f"{path}: not a CSV or XLSX file")
            out.append(path)
        else:
            raise InputError(f"{path}: no such file or directory")
    return out
