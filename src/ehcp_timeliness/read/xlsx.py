"""Reading XLSX workbooks: every sheet that holds a requests, plans or tribunal_orders table."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import numpy as np
import pandas as pd

from ehcp_timeliness.errors import InputError
from ehcp_timeliness.read.mapping import Mapping
from ehcp_timeliness.read.tables import HeaderNote, RawTable, make_table, recognise
from ehcp_timeliness.schema import TABLES


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
                make_table(
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
                f"sheet {title}",
                "sheet-ignored",
                f"sheet {title!r} is none of requests, plans or tribunal orders",
            )
        )
    return tables
