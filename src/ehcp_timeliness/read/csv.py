"""Reading CSV files as Excel and case-management systems save them.

* **Encodings.** UTF-8 with or without a BOM; Windows-1252 (Excel's plain "CSV" on Windows);
  UTF-16 or UTF-32 with a BOM (Excel's "Unicode text"), decoded. A file that is UTF-8 but for
  some lines (one pasted from elsewhere) reads those lines as Windows-1252, each with an
  ``encoding-fallback`` finding naming the line; so does a file whose UTF-8 BOM is wrong. A file
  with no UTF-8 in it at all is Windows-1252, read as such.
* **Line endings.** ``\\n``, ``\\r\\n``, or ``\\r`` alone (old Mac, Excel for Mac).
* **Rows** are numbered as a spreadsheet shows them: the header is row 1, and a quoted cell that
  runs over several lines is one row.
* **Quotes.** A quote that opens and never closes cleanly does not swallow the lines after it:
  the row where it opens is set aside (``unclosed-quote``, naming the line) and reading goes on
  from the next line, so every line of the file is a row read, a blank row, or that finding.
* **Size.** A cell longer than Excel's 32,767 characters sets its row aside (``cell-too-long``).
  A header cell longer than ``MAX_HEADER_CHARS``, a header wider than ``MAX_COLUMNS``, binary
  data (a first line over 5% NUL and control bytes, or a ZIP, XLS or PDF file renamed) is not
  an extract at all: :class:`InputError`, exit 3.

Clean files take pyarrow's parser; anything else (blank lines, cells over several lines, ragged
rows, stray quotes) takes Python's csv module, slower but exact about rows and lines.
"""

from __future__ import annotations

import bisect
import codecs
import csv
import hashlib
import io
import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ehcp_timeliness.dates import as_arrow_text
from ehcp_timeliness.errors import InputError
from ehcp_timeliness.limits import MAX_CELL_CHARS, MAX_COLUMNS, MAX_HEADER_CHARS
from ehcp_timeliness.read.mapping import Mapping
from ehcp_timeliness.read.pseudonym import PseudonymKey
from ehcp_timeliness.read.tables import (
    RawTable,
    RowNote,
    _header_lookup,
    make_table,
    norm_header,
    recognise,
    suggestion,
)

# Cells are limited by MAX_CELL_CHARS, with a finding, not by the csv module's 128 KiB, which
# raises mid-file. (A process-wide setting: this module is the only user of the csv module.)
csv.field_size_limit(2**31 - 1)

_NOT_UTF8 = object()  # _csv_fast's answer when the body is not valid UTF-8
_MAGIC = {
    b"PK\x03\x04": "a ZIP archive (an XLSX workbook renamed .csv?)",
    b"\xd0\xcf\x11\xe0": "an old Excel (.xls) or other Office binary file",
    b"%PDF": "a PDF document",
    b"\x1f\x8b": "a gzip archive",
}
_WIDE_BOMS = [  # UTF-32 first: its little-endian BOM starts with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
]
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
#: Bytes Arrow parses as one block. Each block becomes a chunk of every column, and many
#: kernels pay per chunk (parsing a column's dates took twice as long in 1 MB chunks, the
#: default, as in one), while a few blocks still keep both cores of a small machine parsing.
_BLOCK = 16 << 20
#: The longest first line that could be a header within the limits.
_MAX_HEADER_LINE = MAX_COLUMNS * (MAX_HEADER_CHARS + 3)


def read_csv(path: Path, mapping: Mapping, key: PseudonymKey | None = None) -> RawTable:
    """Read a CSV as Excel and case systems save it (see the module's notes); given a
    pseudonym ``key``, person ids are replaced by their keyed hashes as they are read."""
    table: str | None = None

    def solid(headers: list[str]) -> list[int]:  # ids, dates and codes never hold line breaks
        nonlocal table
        table = recognise(headers, mapping)
        if table is None:
            near = (suggestion(headers, "requests", "received_date")
                    or suggestion(headers, "plans", "plan_issue_date"))  # fmt: skip
            raise InputError(
                f"{path}: no recognisable columns (neither a requests nor a plans table;"
                f" use --mapping to name them){near}"
            )
        lookup = _header_lookup(table, mapping)
        return [i for i, h in enumerate(headers) if norm_header(h) in lookup]

    cells = read_cells(path, solid)
    assert table is not None
    out = make_table(str(path), table, cells.headers, cells.data, cells.rows, 1, mapping,
                     cells.malformed, key)  # fmt: skip
    out.row_notes = cells.notes
    out.sha256 = cells.sha256
    return out


@dataclass
class Cells:
    """A CSV file's header, every cell as text, the row numbers a spreadsheet shows, the rows
    with more cells than the header (not read), and notes on rows (encoding, quotes, sizes)."""

    headers: list[str]
    data: pd.DataFrame
    rows: np.ndarray
    malformed: list[tuple[int, str]]
    notes: list[RowNote]
    #: The SHA-256 of the file's bytes as read, for the run's manifest.
    sha256: str = ""


def read_cells(path: Path, solid: Callable[[list[str]], list[int]] = lambda _: []) -> Cells:
    """Read a CSV file's cells, as :func:`read_csv` does for an extract; other CSV files (a
    COLLECT export's) are read the same way. ``solid`` gives the columns, by the header, that
    never hold a line break: a record running over lines in one of them is a stray quote.

    The bytes read are hashed while they are parsed (hashlib and Arrow both release the
    GIL), so the manifest names what was read without reading the file again."""
    raw = path.read_bytes()
    with ThreadPoolExecutor(1, thread_name_prefix="hash") as hashing:
        digest = hashing.submit(lambda: hashlib.sha256(raw).hexdigest())
        cells = _cells(path, raw, solid)
        cells.sha256 = digest.result()
    return cells


def _cells(path: Path, raw: bytes, solid: Callable[[list[str]], list[int]]) -> Cells:
    body, bom = _unwrap(raw, path)
    headers = _header(body, path)
    solid_columns = solid(headers)
    width = len(headers)
    lines: list[tuple[int, str]] = []  # (line, what): lines read as Windows-1252
    row_of_line = _same_line
    result = _csv_fast(body, "utf8", width)
    if result is _NOT_UTF8:
        text, lines = _decode(body, bom)
        body = text.encode("utf-8")
        result = _csv_fast(body, "utf8", width)
    if isinstance(result, tuple):
        data, rows = result
        malformed: list[tuple[int, str]] = []
        notes: list[RowNote] = []
    else:  # not clean: read it exactly
        text, more = _decode(body, bom)
        lines = lines or more
        data, rows, malformed, notes, starts = _csv_exact(text, width, solid_columns)
        row_of_line = _record_row(starts)
    data, rows, too_long = long_cells(data, rows, headers)
    row_notes = [
        *(RowNote(row_of_line(line), "encoding-fallback", what) for line, what in lines),
        *notes,
        *too_long,
    ]
    return Cells(headers, data, rows, malformed, row_notes)


def _unwrap(raw: bytes, path: Path) -> tuple[bytes, bool]:
    """The file's bytes as UTF-8 (or, unknown yet, Windows-1252) with ``\\n`` line ends, and
    whether it began with a UTF-8 BOM. Files that are plainly not CSV text stop here."""
    for magic, what in _MAGIC.items():
        if raw.startswith(magic):
            raise InputError(f"{path}: {what}, not a CSV file")
    for bom, codec, name in _WIDE_BOMS:
        if raw.startswith(bom):
            try:
                text = raw[len(bom) :].decode(codec)
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"{path}: starts as {name} text (a {name} byte-order mark) but is not valid "
                    f"{name} at byte {exc.start + len(bom):,}"
                ) from None
            body, bom_utf8 = text.encode("utf-8"), True  # now UTF-8 through and through
            break
    else:
        bom_utf8 = raw.startswith(codecs.BOM_UTF8)
        body = raw[len(codecs.BOM_UTF8) :] if bom_utf8 else raw
    if b"\n" not in body and b"\r" in body:  # old Mac line ends: one \r per line
        body = body.replace(b"\r", b"\n")
    return body, bom_utf8


def _header(body: bytes, path: Path) -> list[str]:
    end = body.find(b"\n", 0, _MAX_HEADER_LINE + 1)
    if end < 0 and len(body) > _MAX_HEADER_LINE:
        cell = body.count(b",", 0, _MAX_HEADER_LINE) + 1
        raise InputError(
            f"{path}: the header line runs past {_MAX_HEADER_LINE:,} bytes (in header cell "
            f"{cell:,}); a header cell is at most {MAX_HEADER_CHARS:,} characters: not a CSV "
            "extract"
        )
    line = body[: end if end >= 0 else len(body)]
    controls = sum(line.count(bytes([c])) for c in (*range(9), *range(14, 32), 127))
    if b"\0" in line and controls * 20 > len(line):  # over 5%: not a stray NUL in a header
        raise InputError(
            f"{path}: binary data (NUL and other control bytes in the first line), not CSV "
            "text; if it is UTF-16 text without a byte-order mark, save it as CSV UTF-8"
        )
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        text = line.decode("cp1252", errors="replace")
    try:
        headers = next(csv.reader([text.rstrip("\r")]), [])
    except csv.Error as exc:
        raise InputError(f"{path}: the header line is not CSV ({exc})") from None
    if len(headers) > MAX_COLUMNS:
        raise InputError(
            f"{path}: the header has {len(headers):,} columns; an extract has at most "
            f"{MAX_COLUMNS:,}"
        )
    check_header(headers, str(path))
    for i, header in enumerate(headers, start=1):
        if len(header) > MAX_HEADER_CHARS:
            raise InputError(
                f"{path}: header cell {i} is {len(header):,} characters long; a header is at "
                f"most {MAX_HEADER_CHARS:,}: not a CSV extract"
            )
    return headers


_DATE_CELL = re.compile(r"\s*(\d{4}-\d{1,2}-\d{1,2}([ T]00:00(:00)?)?|\d{1,2}/\d{1,2}/\d{4})\s*")


def check_header(headers: list[str], where: str) -> None:
    """Refuse a header row holding a date: the header has run into the data (a lost line
    break, a deleted header row), and findings name columns by their headers, so the row's
    values would be quoted as column names."""
    for i, header in enumerate(headers, start=1):
        if _DATE_CELL.fullmatch(header):
            raise InputError(
                f"{where}: header cell {i} is a date, so the header row holds data (a line "
                "break after the header lost, or the header row deleted?)"
            )


def _decode(body: bytes, bom: bool) -> tuple[str, list[tuple[int, str]]]:
    """The text, and the lines that had to be read as Windows-1252 (with why).

    UTF-8 when it decodes. A file with no UTF-8 sequence in it, and no UTF-8 BOM, is
    Windows-1252 throughout, as Excel saves CSV. Otherwise the file is UTF-8 and only the lines
    that are not are read as Windows-1252, so one pasted line cannot turn every "Zoë" in the file
    into "ZoÃ«".
    """
    try:
        return body.decode("utf-8"), []
    except UnicodeDecodeError:
        pass
    if _UTF8_SEQUENCE.search(body) is None:  # no UTF-8 at all: Windows-1252 throughout
        text = body.decode("cp1252", errors="replace")
        if not bom:
            return text, []
        first = re.search(rb"[\x80-\xff]", body)
        line = body.count(b"\n", 0, first.start() if first else 0) + 1
        return text, [(line, f"the file starts with a UTF-8 byte-order mark but is Windows-1252 "
                             f"text (line {line} is the first that is not UTF-8); read as "
                             "Windows-1252")]  # fmt: skip
    why = (
        "is not UTF-8, as the file's byte-order mark says it is"
        if bom
        else "is not UTF-8 like the rest of the file"
    )
    view, parts, lines = memoryview(body), [], []
    pos, line, counted = 0, 1, 0
    while True:
        try:
            parts.append(str(view[pos:], "utf-8"))
            break
        except UnicodeDecodeError as exc:
            bad = pos + exc.start
            start = body.rfind(b"\n", 0, bad) + 1
            end = body.find(b"\n", bad)
            end = len(body) if end < 0 else end + 1
            line += body.count(b"\n", counted, start)
            counted = start
            parts.append(str(view[pos:start], "utf-8"))
            parts.append(body[start:end].decode("cp1252", errors="replace"))
            lines.append((line, f"line {line} {why}; read as Windows-1252"))
            pos = end
    return "".join(parts), lines


def _csv_fast(body: bytes, encoding: str, width: int):
    """pyarrow's parser, used when each line is one record (so row numbers are exact)."""
    try:
        table = pacsv.read_csv(
            pa.BufferReader(body),
            read_options=pacsv.ReadOptions(
                encoding=encoding,
                skip_rows=1,
                column_names=[f"c{i}" for i in range(width)],
                block_size=_BLOCK,
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
        return None  # ragged rows, stray quotes, a huge cell...: read slowly and say which
    lines = body.count(b"\n") + (0 if body.endswith(b"\n") else 1)
    if table.num_rows + 1 != lines:
        return None  # blank lines or line breaks inside cells: count exactly
    # Wrapping the Arrow columns (large_string, as pandas keeps them) is ~10x cheaper than
    # to_pandas(), which copies them.
    data = pd.DataFrame(
        {name: pd.arrays.ArrowStringArray(table.column(name)) for name in table.column_names}
    )
    return data, np.arange(2, table.num_rows + 2)


class _Lines:
    """The file's lines, handed to csv.reader one at a time; ``at`` is the next one's index."""

    def __init__(self, lines: list[str], at: int):
        self.lines, self.at = lines, at

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        if self.at >= len(self.lines):
            raise StopIteration
        self.at += 1
        return self.lines[self.at - 1]


def _csv_exact(text: str, width: int, solid: list[int] = []):  # noqa: B006 (read only)
    """Python's csv module, record by record, knowing the line each record starts on.

    A record over several lines is taken as written only when it has the header's cells and
    no line break falls in a ``solid`` column (the extract's ids, dates and codes); otherwise a
    stray quote has swallowed lines, and its first line is set aside instead.

    Returns the cells, each row's number, malformed rows, ``unclosed-quote`` notes, and the
    index of the line each row (header first) starts on.
    """
    lines = io.StringIO(text, newline="").readlines()  # \n, \r\n or \r, as csv splits them
    src = _Lines(lines, 1)
    reader = csv.reader(src, strict=True)
    records, rows, malformed, notes, starts = [], [], [], [], [0]
    number = 1
    while True:
        start, unclosed = src.at, False
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error:  # a quote in trouble: on this line alone, or running past it?
            one = _one_line(lines[start])
            unclosed, record, src.at = one is None, one or [], start + 1
            reader = csv.reader(src, strict=True)
        else:
            if src.at - start > 1 and not _whole(record, width, solid):
                unclosed, src.at = True, start + 1  # lines swallowed by a stray quote: undo
                reader = csv.reader(src, strict=True)
        number += 1
        starts.append(start)
        if unclosed:
            notes.append(
                RowNote(number, "unclosed-quote",
                        f"line {start + 1}: a quote opens and does not close cleanly; the line "
                        f"is set aside and reading goes on from line {start + 2}")
            )  # fmt: skip
            continue
        if len(record) > width and any(v.strip() for v in record[width:]):
            malformed.append((number, f"{len(record)} cells where the header has {width}"))
            continue
        records.append((record + [""] * width)[:width])
        rows.append(number)
    data = pd.DataFrame(records, columns=[f"c{i}" for i in range(width)], dtype="string")
    return data, np.asarray(rows, dtype=np.int64), malformed, notes, starts


def _one_line(line: str) -> list[str] | None:
    """A single line's cells, read leniently (``5" tall``), or None when a quote opened on it
    runs past its end."""
    try:
        return next(csv.reader([line], strict=True), [])
    except csv.Error as exc:
        if "end of data" in str(exc):
            return None
        return next(csv.reader([line]), [])


def _whole(record: list[str], width: int, solid: list[int]) -> bool:
    """Whether a record over several lines is one row with a genuine line break in a cell: it
    has the header's cells (extra ones blank), and the breaks are in free-text cells."""
    if len(record) < width or any(v.strip() for v in record[width:]):
        return False
    return not any("\n" in record[i] or "\r" in record[i] for i in solid)


def _same_line(line: int) -> int:
    return line


def _record_row(starts: list[int]):
    """Row number of the row holding a line (1-based), from each row's first line index."""
    return lambda line: bisect.bisect_right(starts, line - 1)


def long_cells(
    data: pd.DataFrame, rows: np.ndarray, headers: list[str]
) -> tuple[pd.DataFrame, np.ndarray, list[RowNote]]:
    """Rows holding a cell longer than Excel's limit, set aside with a finding on each cell.

    A column's byte lengths bound its character lengths, so a clean extract costs one length
    kernel per column."""
    over = np.zeros(len(data), dtype=bool)
    notes = []
    for i, name in enumerate(data.columns):
        cells = as_arrow_text(data[name])
        if (pc.max(pc.binary_length(cells)).as_py() or 0) <= MAX_CELL_CHARS:
            continue
        chars = pc.utf8_length(cells)
        long = pc.fill_null(pc.greater(chars, MAX_CELL_CHARS), False).to_numpy(zero_copy_only=False)
        where = np.flatnonzero(long)
        sizes = pc.take(chars, pa.array(where)).to_pylist()
        for at, size in zip(where, sizes, strict=True):
            breaks = int(pc.count_substring(pc.take(cells, pa.array([at])), "\n")[0].as_py())
            span = f" over {breaks + 1:,} lines" if breaks else ""
            notes.append(
                RowNote(int(rows[at]), "cell-too-long",
                        f"{size:,} characters{span}; a cell holds at most {MAX_CELL_CHARS:,} "
                        "(Excel's limit)", column=headers[i] or f"column {i + 1}")
            )  # fmt: skip
        over |= long
    if not over.any():
        return data, rows, []
    return data.loc[~over].reset_index(drop=True), rows[~over], notes
