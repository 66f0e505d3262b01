"""Reading XLSX workbooks: every visible sheet that holds a requests, plans or tribunal_orders
table.

Cells are read by python-calamine (Rust), about ten times faster than openpyxl's reader. Rows
keep the numbers a spreadsheet shows (a title row above the header, blank rows between), real
date cells become ISO dates, and cells to the right of the header are reported
(``unnamed-column``).

calamine holds a sheet as a dense grid from A1 to its last cell, so before it reads anything
each sheet's XML is scanned, streaming, for the extent of its cells (see :func:`scan_sheet`):

* cells past column ``MAX_COLUMNS`` (a stray keystroke at XFD1048576) are left out of the read,
  with a ``stray-cells`` finding naming the first;
* a sheet whose grid would exceed ``MAX_XLSX_CELLS`` cells, or whose XML unzips past
  ``MAX_XLSX_XML_BYTES`` (a zip bomb), or that has rows past Excel's last row, stops the run
  (exit 3); both limits can be raised with an environment variable;
* corrupt XML, a shared-string index out of range, or a file that is not a workbook at all
  stops the run too, with one line naming the file (and sheet).

Hidden sheets are not read, and are reported (``sheet-hidden``).
"""

from __future__ import annotations

import html
import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ehcp_timeliness.errors import InputError
from ehcp_timeliness.limits import (
    MAX_COLUMNS,
    MAX_XLSX_CELLS,
    MAX_XLSX_CELLS_ENV,
    MAX_XLSX_XML_BYTES,
    MAX_XLSX_XML_BYTES_ENV,
    from_env,
)
from ehcp_timeliness.read.csv import check_header, long_cells
from ehcp_timeliness.read.mapping import Mapping
from ehcp_timeliness.read.pseudonym import PseudonymKey
from ehcp_timeliness.read.tables import HeaderNote, RawTable, make_table, recognise
from ehcp_timeliness.validate.schema import TABLES

#: Excel's own grid: a row or column past these is not a sheet Excel could have written.
EXCEL_ROWS = 1_048_576
EXCEL_COLUMNS = 16_384
_CHUNK = 1 << 22


def column_name(number: int) -> str:
    """Excel's letters for a 1-based column number (1 -> A, 1000 -> ALL)."""
    name = ""
    while number:
        number, rest = divmod(number - 1, 26)
        name = chr(65 + rest) + name
    return name


@dataclass
class SheetScan:
    """What a sheet's XML holds, found without parsing it."""

    part: str
    rows: int = 0  # the last row with a cell (within the column limit)
    columns: int = 0  # the last column with a cell (within the column limit)
    bytes: int = 0
    stray: int = 0  # cells past MAX_COLUMNS
    first_stray: str = ""

    @property
    def cells(self) -> int:
        return self.rows * self.columns


#: What reading a damaged or unusual zip can raise: not a zip, a damaged member, a compression
#: method zipfile lacks, an encrypted member.
ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError,
              NotImplementedError, RuntimeError, ValueError)  # fmt: skip


def _workbook_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> the zip member holding its XML, from workbook.xml and its relationships
    (read as text: these small files are never given to an XML parser that expands entities)."""
    try:
        book = zf.read("xl/workbook.xml").decode("utf-8", errors="replace")
        rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8", errors="replace")
    except KeyError:
        return {}
    targets = {}
    for tag in re.findall(r"<(?:\w+:)?Relationship\b[^>]*>", rels):
        attrs = dict(re.findall(r'([\w:]+)\s*=\s*["\']([^"\']*)["\']', tag))
        target = html.unescape(attrs.get("Target", ""))
        targets[attrs.get("Id", "")] = (
            target.lstrip("/") if target.startswith("/") else "xl/" + target.removeprefix("./")
        )
    parts = {}
    for tag in re.findall(r"<(?:\w+:)?sheet\b[^>]*>", book):
        attrs = dict(re.findall(r'([\w:]+)\s*=\s*["\']([^"\']*)["\']', tag))
        rid = next((v for k, v in attrs.items() if k.endswith(":id")), "")
        if rid in targets:
            parts[html.unescape(attrs.get("name", ""))] = targets[rid]
    return parts


def _chunks(zf: zipfile.ZipFile, part: str, limit: int, where: str) -> Iterator[bytes]:
    """A member's XML in pieces that end on a tag's ``>``, stopping past ``limit`` bytes."""
    total, tail = 0, b""
    with zf.open(part) as stream:
        while chunk := stream.read(_CHUNK):
            total += len(chunk)
            if total > limit:
                raise InputError(
                    f"{where} unzips to more than {limit:,} bytes of XML (a zip bomb, or far "
                    f"more than an extract); set {MAX_XLSX_XML_BYTES_ENV} to read it anyway"
                )
            buf = tail + chunk
            cut = buf.rfind(b">") + 1
            yield buf[:cut]
            tail = buf[cut:]
    if tail:
        yield tail


def _refs(buf: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Column and row numbers of every ``r="A1"`` cell reference in ``buf``, vectorised.

    Column 0 marks a row element's ``r="12"``; a reference with four or more letters is given
    a column past Excel's last, so it counts as stray.
    """
    a = np.frombuffer(buf, dtype=np.uint8)
    n = len(a)
    if n < 5:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    space = (a[:-4] == 32) | (a[:-4] == 9) | (a[:-4] == 10) | (a[:-4] == 13)
    quote = (a[3:-1] == 34) | (a[3:-1] == 39)
    at = np.flatnonzero(space & (a[1:-3] == 114) & (a[2:-2] == 61) & quote) + 4
    col = np.zeros(len(at), np.int64)
    row = np.zeros(len(at), np.int64)
    pos, going = at.copy(), np.ones(len(at), dtype=bool)
    for _ in range(4):  # letters
        ch = a[np.minimum(pos, n - 1)].astype(np.int64)
        letter = going & (pos < n) & (ch >= 65) & (ch <= 90)
        col = np.where(letter, col * 26 + ch - 64, col)
        pos += letter
        going &= letter
    col[going] = EXCEL_COLUMNS + 1  # a fifth letter: no such column
    going = np.ones(len(at), dtype=bool)
    for _ in range(9):  # digits
        ch = a[np.minimum(pos, n - 1)].astype(np.int64)
        digit = going & (pos < n) & (ch >= 48) & (ch <= 57)
        row = np.where(digit, row * 10 + ch - 48, row)
        pos += digit
        going &= digit
    row[going] = EXCEL_ROWS + 1  # ten digits or more
    return col, row


def scan_sheet(zf: zipfile.ZipFile, part: str, where: str) -> SheetScan:
    """The extent of a sheet's cells, streaming its XML (bounded memory, about 30 ms a MB).

    Raises :class:`InputError` past the XML size limit, the cell limit, or Excel's grid.
    """
    scan = SheetScan(part)
    max_bytes = from_env(MAX_XLSX_XML_BYTES_ENV, MAX_XLSX_XML_BYTES)
    max_cells = from_env(MAX_XLSX_CELLS_ENV, MAX_XLSX_CELLS)
    rows_seen = row_refs = widest_unref = 0
    prefix = b""  # the sheet's namespace prefix, if it writes <x:row> and <x:c>
    for buf in _chunks(zf, part, max_bytes, where):
        if not scan.bytes and (m := re.search(rb"<(\w+:)?worksheet\b", buf)):
            prefix = m[1] or b""
        scan.bytes += len(buf)
        col, row = _refs(buf)
        is_cell = col > 0
        if (row > EXCEL_ROWS).any():
            raise InputError(f"{where} has rows past {EXCEL_ROWS:,}, Excel's last row: not a "
                             "sheet Excel could have written")  # fmt: skip
        stray = is_cell & (col > MAX_COLUMNS)
        if stray.any():
            if not scan.stray:
                i = int(np.flatnonzero(stray)[0])
                scan.first_stray = f"{column_name(min(int(col[i]), EXCEL_COLUMNS))}{row[i]}"
            scan.stray += int(stray.sum())
        kept = is_cell & ~stray
        if kept.any():
            scan.rows = max(scan.rows, int(row[kept].max()))
            scan.columns = max(scan.columns, int(col[kept].max()))
        row_refs += int((~is_cell).sum())
        rows_seen += buf.count(b"<" + prefix + b"row")
        cells = buf.count(b"<" + prefix + b"c ") + buf.count(b"<" + prefix + b"c>")
        if cells > int(is_cell.sum()):  # cells without r="": calamine places them in turn
            widest_unref = max(widest_unref, _widest_row(buf))
        if _bound(scan, rows_seen, row_refs, widest_unref) > max_cells:
            break
    scan.columns += widest_unref
    if rows_seen > row_refs:  # rows without r="" follow one another
        scan.rows = max(scan.rows, rows_seen)
    if scan.cells > max_cells:
        raise InputError(
            f"{where} spans at least {scan.rows:,} rows by {scan.columns:,} columns, more than "
            f"{max_cells:,} cells; set {MAX_XLSX_CELLS_ENV} to read it anyway"
        )
    return scan


def _bound(scan: SheetScan, rows_seen: int, row_refs: int, widest_unref: int) -> int:
    rows = max(scan.rows, rows_seen) if rows_seen > row_refs else scan.rows
    return rows * (scan.columns + widest_unref)


def _widest_row(buf: bytes) -> int:
    """The most cells in any one row of ``buf``."""
    rows = np.array([m.start() for m in re.finditer(rb"<(?:\w+:)?row\b", buf)], np.int64)
    cells = np.array([m.start() for m in re.finditer(rb"<(?:\w+:)?c[\s>/]", buf)], np.int64)
    if not cells.size:
        return 0
    return int(np.bincount(np.searchsorted(rows, cells, side="right")).max())


_CELL = re.compile(rb'<((?:\w+:)?c)\b[^>]*?\sr=["\']([A-Z]+)\d+["\'][^>]*?(?:/>|>.*?</\1>)', re.S)


def _without_stray(zf: zipfile.ZipFile, parts: set[str]) -> io.BytesIO:
    """The workbook again, with cells past ``MAX_COLUMNS`` taken out of the given sheets."""

    def keep(m: re.Match[bytes]) -> bytes:
        letters = m[2].decode()
        number = 0
        for ch in letters:
            number = number * 26 + ord(ch) - 64
        return m[0] if number <= MAX_COLUMNS else b""

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst:
        for info in zf.infolist():
            if info.filename not in parts:
                dst.writestr(info, zf.read(info))
                continue
            with dst.open(info.filename, "w") as sink:
                tail = b""
                limit = from_env(MAX_XLSX_XML_BYTES_ENV, MAX_XLSX_XML_BYTES)
                for buf in _chunks(zf, info.filename, limit, info.filename):
                    buf = tail + buf
                    cut = buf.rfind(b"</row>") + len(b"</row>") if b"</row>" in buf else 0
                    sink.write(_CELL.sub(keep, buf[:cut]))
                    tail = buf[cut:]
                sink.write(_CELL.sub(keep, tail))
    out.seek(0)
    return out


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


def _column(values: tuple[object, ...]) -> pd.arrays.ArrowStringArray:
    """A column of cells as text: strings as they are (the usual case, one C call), anything
    else (numbers, dates) through :func:`_cell_text`."""
    try:
        arr = pa.array(values, type=pa.large_string())
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        arr = _typed(values)
    return pd.arrays.ArrowStringArray(arr)


def _typed(values: tuple[object, ...]) -> pa.Array:
    """Text for a column of dates only, or whole numbers only (and blanks), in a few Arrow
    kernels; any other mixture cell by cell (Arrow would read a number as a date)."""
    cleaned = [None if v == "" else v for v in values]
    kinds = set(map(type, cleaned)) - {type(None)}
    if kinds == {date} or kinds == {int}:
        typed = pa.array(cleaned, type=pa.date32() if kinds == {date} else pa.int64())
        return pc.fill_null(typed.cast(pa.large_string()), "")
    return pa.array([v if type(v) is str else _cell_text(v) for v in values],
                    type=pa.large_string())  # fmt: skip


def _open(path: Path):
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        with zipfile.ZipFile(path) as zf:
            parts = _workbook_parts(zf)
            scans = {name: scan_sheet(zf, part, f"{path}[{name}]")
                     for name, part in parts.items() if part in zf.NameToInfo}  # fmt: skip
            if "xl/sharedStrings.xml" in zf.NameToInfo:  # calamine holds every one in memory
                limit = from_env(MAX_XLSX_XML_BYTES_ENV, MAX_XLSX_XML_BYTES)
                for _ in _chunks(zf, "xl/sharedStrings.xml", limit, f"{path} (shared strings)"):
                    pass
            stray = {s.part for s in scans.values() if s.stray}
            source: Path | io.BytesIO = _without_stray(zf, stray) if stray else path
        try:
            return CalamineWorkbook.from_object(source), scans
        except BaseException as exc:
            if not _panic(exc):
                raise
            raise InputError(f"{path}: not a readable XLSX workbook (the reader failed on it; "
                             "is the file damaged?)") from None  # fmt: skip
    except (*ZIP_ERRORS, CalamineError) as exc:
        raise InputError(f"{path}: not a readable XLSX workbook ({_why(exc)})") from None


def _panic(exc: BaseException) -> bool:
    """Whether ``exc`` is a Rust panic surfacing through pyo3 (a BaseException, so that
    ``except Exception`` misses it), as opposed to an interrupt or exit."""
    return type(exc).__name__ == "PanicException"


def _why(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def read_xlsx(path: Path, mapping: Mapping, key: PseudonymKey | None = None) -> list[RawTable]:
    from python_calamine import CalamineError, SheetTypeEnum, SheetVisibleEnum

    wb, scans = _open(path)
    names = [m.name for m in wb.sheets_metadata]
    tables: list[RawTable] = []
    ignored, hidden, notes = [], [], []
    try:
        for meta in wb.sheets_metadata:
            if meta.typ is not SheetTypeEnum.WorkSheet:
                continue  # chart and macro sheets hold no cells
            if meta.visible is not SheetVisibleEnum.Visible:
                hidden.append(meta.name)
                continue
            where = f"{path}[{meta.name}]"
            if meta.name not in scans:  # never read a sheet whose size was not checked
                raise InputError(f"{where}: the sheet's XML is not where workbook.xml says")
            try:
                grid = wb.get_sheet_by_name(meta.name).to_python(skip_empty_area=False)
            except CalamineError as exc:
                raise InputError(f"{where}: the sheet cannot be read ({_why(exc)})") from None
            except BaseException as exc:  # a panic in calamine (pyo3's PanicException)
                if not _panic(exc):
                    raise
                raise InputError(f"{where}: the sheet cannot be read (the reader failed on "
                                 "it; is the file damaged?)") from None  # fmt: skip
            table = _sheet_table(grid, meta.name, where, mapping, key)
            if table is None:
                if _header(grid)[0] >= 0:  # a table, but neither requests nor plans
                    ignored.append(meta.name)
                continue
            scan = scans.get(meta.name)
            if scan is not None and scan.stray:
                table.notes.append(
                    HeaderNote(f"sheet {meta.name}", "stray-cells",
                               f"{scan.stray:,} cell{'s' * (scan.stray != 1)} past column "
                               f"{column_name(MAX_COLUMNS)} (the first at {scan.first_stray}) "
                               "not read; delete them in Excel")
                )  # fmt: skip
            tables.append(table)
    finally:
        wb.close()
    if not tables:
        hint = f"; hidden sheets, not read: {', '.join(hidden)}" if hidden else ""
        raise InputError(
            f"{path}: no visible sheet has recognisable columns (sheets: {', '.join(names)}{hint})"
        )
    for title in ignored:
        notes.append(HeaderNote(f"sheet {title}", "sheet-ignored",
                                f"sheet {title!r} is none of requests, plans or tribunal "
                                "orders"))  # fmt: skip
    for title in hidden:
        notes.append(HeaderNote(f"sheet {title}", "sheet-hidden",
                                f"sheet {title!r} is hidden, so it is not read; unhide it in "
                                "Excel to include it"))  # fmt: skip
    tables[0].notes.extend(notes)
    return tables


def _header(grid: list[list[object]]) -> tuple[int, list[str]]:
    """The first row with two or more filled cells, as (index, texts); (-1, []) if none."""
    for index, values in enumerate(grid):
        texts = [_cell_text(v).strip() for v in values]
        if sum(bool(t) for t in texts) >= 2:
            return index, texts
    return -1, []


def _sheet_table(
    grid: list[list[object]], title: str, where: str, mapping: Mapping, key: PseudonymKey | None
) -> RawTable | None:
    """One sheet's table: the header is the first row with two or more filled cells."""
    hint = title.strip().casefold()
    index, headers = _header(grid)
    if index < 0:
        return None
    header_row = index + 1
    table = recognise(headers, mapping, hint if hint in TABLES else None)
    if table is None:
        return None
    check_header(headers, where)
    body = grid[index + 1 :]
    width = len(headers)
    columns = list(zip(*body, strict=True)) if body else [() for _ in range(width)]
    data = pd.DataFrame({f"c{i}": _column(col) for i, col in enumerate(columns)})
    rows = np.arange(header_row + 1, header_row + 1 + len(body), dtype=np.int64)
    data, rows, too_long = long_cells(data, rows, headers)  # Excel's own limit, so crafted
    out = make_table(where, table, headers, data, rows, header_row, mapping, key=key)
    out.row_notes = too_long
    return out
