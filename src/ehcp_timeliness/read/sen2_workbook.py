"""Reading the SEN2 pre-submission workbook that DfE's COLLECT service produces.

One sheet per record: ``Person``, ``Requests``, ``Assessments``, ``Named Plan``,
``Plan Detail``, ``Active Plan``, ``Placement Detail``, ``SEN Need``. Columns are element
names (any case) and the ids that link rows: every record below a person carries
``requeststableid``, and requests carry ``persontableid``. The workbook has no header
record, so it has no reference date: give ``--as-at``.

Findings name the person's row in the Person sheet (the sheet's own row number) and the
element's path, as for the XML; a row that cannot be linked is named by its own sheet and row.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from ehcp_timeliness.errors import InputError
from ehcp_timeliness.read.dimensions import norm_header
from ehcp_timeliness.read.pseudonym import PseudonymKey
from ehcp_timeliness.read.sen2_data import Module, Notes, Sen2Data, from_modules, name_columns
from ehcp_timeliness.read.xlsx import ZIP_ERRORS, _cell_text, _open, _why, _workbook_parts

#: Sheet (spaces and case ignored) -> record.
SHEETS = {
    "person": "person",
    "requests": "requests",
    "assessments": "assessment",
    "namedplan": "namedplan",
    "plandetail": "plandetail",
    "activeplan": "activeplans",
    "placementdetail": "placementdetail",
    "senneed": "senneed",
}
LINKS = {
    "requests": "persontableid",
    "assessment": "requeststableid",
    "namedplan": "requeststableid",
    "plandetail": "requeststableid",
    "activeplans": "requeststableid",
    "placementdetail": "requeststableid",
    "senneed": "requeststableid",
}


def sheet_names(path: Path) -> list[str]:
    """A workbook's sheet names, read from its index without loading any sheet. Empty if it
    is not a workbook."""
    try:
        with zipfile.ZipFile(path) as zf:
            return list(_workbook_parts(zf))
    except (OSError, *ZIP_ERRORS):  # not a workbook, or a damaged one: read_xlsx says so
        return []


def is_sen2_workbook(path: Path) -> bool:
    """Whether a workbook is a SEN2 pre-submission workbook: it has Person and Requests
    sheets."""
    keys = {norm_header(name) for name in sheet_names(path)}
    return {"person", "requests"} <= keys


def read_sen2_workbook(path: Path, key: PseudonymKey) -> Sen2Data:
    """Read a pre-submission workbook into text tables, identifiers replaced by pseudonyms.

    The workbook is opened as any XLSX extract is (:func:`~ehcp_timeliness.read.xlsx._open`):
    its size limits hold, and cells past the last column read are left out."""
    from python_calamine import CalamineError

    notes = Notes(str(path))
    wb, _ = _open(path)
    modules: dict[str, Module] = {}
    present = {}
    for name in wb.sheet_names:
        record = SHEETS.get(norm_header(name))
        if record is None:
            notes.add("return", None, f"sheet {name}", "sheet-ignored",
                      f"sheet {name!r} is not a record of the SEN2 return")  # fmt: skip
            continue
        present[record] = name
    for title, record in SHEETS.items():
        name = present.get(record)
        if name is None:
            notes.add("return", None, f"sheet {title}", "sen2-missing-file",
                      f"no {record} sheet; its records are taken to be absent")  # fmt: skip
            continue
        where = f"{path}[{name}]"
        try:
            grid = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except CalamineError as exc:
            raise InputError(f"{where}: the sheet cannot be read ({_why(exc)})") from None
        modules[record] = _sheet(grid, record, where, notes)
    return from_modules(str(path), "workbook", {}, modules, LINKS, notes, key)


def _sheet(grid: list[list[object]], record: str, label: str, notes: Notes) -> Module:
    """One record's sheet: the header is its first row with a filled cell; row numbers are
    the sheet's own (the grid starts at A1)."""
    rows = iter(enumerate(grid, start=1))
    header_row, headers = None, []
    for number, values in rows:
        texts = [_cell_text(v).strip() for v in values]
        if any(texts):
            header_row, headers = number, texts
            break
    if header_row is None:
        return Module(record, pd.DataFrame(), label, np.zeros(0, dtype=np.int64))
    names = name_columns(record, headers, notes, label, header_row)
    keep = [i for i, n in enumerate(names) if n is not None]
    records, numbers = [], []
    for number, values in rows:
        texts = [_cell_text(v).strip() for v in values]
        if not any(texts):
            continue  # a blank row, as Excel leaves at the end of a sheet
        texts += [""] * (len(headers) - len(texts))
        records.append([texts[i] or None for i in keep])
        numbers.append(number)
    frame = pd.DataFrame(records, columns=[names[i] for i in keep], dtype=object)
    frame = frame.loc[:, ~frame.columns.duplicated()]
    return Module(record, frame, label, np.asarray(numbers, dtype=np.int64))
