"""Reading CSV files as Excel and case-management systems save them."""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from ehcp_timeliness.errors import InputError
from ehcp_timeliness.read.mapping import Mapping
from ehcp_timeliness.read.tables import RawTable, make_table, recognise

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
    return make_table(str(path), table, headers, data, rows, 1, mapping, malformed)


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
