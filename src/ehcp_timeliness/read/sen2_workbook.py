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
from lxml import etree

from ehcp_timeliness.errors import InputError
from ehcp_timeliness.read.dimensions import norm_header
from ehcp_timeliness.read.pseudonym import PseudonymKey
from ehcp_timeliness.read.sen2_data import Module, Notes, Sen2Data, from_modules, name_columns
from ehcp_timeliness.read.xlsx import _cell_text

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
    """A workbook's sheet names, read from its index without loading any sheet (and without
    resolving entities or reaching the network). Empty if it is not a workbook."""
    try:
        with zipfile.ZipFile(path) as z, z.open("xl/workbook.xml") as f:
            parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                                     huge_tree=False)  # fmt: skip
            root = etree.parse(f, parser).getroot()
    except (OSError, KeyError, zipfile.BadZipFile, etree.XMLSyntaxError):
        return []
    return [el.get("name", "") for el in root.iter() if etree.QName(el).localname == "sheet"]


def is_sen2_workbook(path: Path) -> bool:
    """Whether a workbook is a SEN2 pre-submission workbook: it has Person and Requests
    sheets."""
    keys = {norm_header(name) for name in sheet_names(path)}
    return {"person", "requests"} <= keys


def read_sen2_workbook(path: Path, key: PseudonymKey) -> Sen2Data:
    """Read a pre-submission workbook into text tables, identifiers replaced by pseudonyms."""
    from openpyxl import load_workbook

    notes = Notes(str(path))
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise InputError(f"{path}: not a readable XLSX workbook ({type(exc).__name__})") from None
    modules: dict[str, Module] = {}
    try:
        present = {}
        for ws in wb.worksheets:
            record = SHEETS.get(norm_header(ws.title))
            if record is None:
                notes.add("return", None, f"sheet {ws.title}", "sheet-ignored",
                          f"sheet {ws.title!r} is not a record of the SEN2 return")  # fmt: skip
                continue
            present[record] = ws
        for title, record in SHEETS.items():
            ws = present.get(record)
            if ws is None:
                notes.add("return", None, f"sheet {title}", "sen2-missing-file",
                          f"no {record} sheet; its records are taken to be absent")  # fmt: skip
                continue
            modules[record] = _sheet(ws, record, f"{path}[{ws.title}]", notes)
    finally:
        wb.close()
    return from_modules(str(path), "workbook", {}, modules, LINKS, notes, key)


def _sheet(ws, record: str, label: str, notes: Notes) -> Module:  # noqa: ANN001
    rows_iter = ws.iter_rows(values_only=True)
    start = ws.min_row or 1
    header_row, headers = None, []
    for number, values in enumerate(rows_iter, start=start):
        texts = [_cell_text(v).strip() for v in values]
        if sum(bool(t) for t in texts) >= 1:
            header_row, headers = number, texts
            break
    if header_row is None:
        return Module(record, pd.DataFrame(), label, np.zeros(0, dtype=np.int64))
    names = name_columns(record, headers, notes, label, header_row)
    keep = [i for i, n in enumerate(names) if n is not None]
    records, numbers = [], []
    for number, values in enumerate(rows_iter, start=header_row + 1):
        texts = [_cell_text(v).strip() for v in values]
        if not any(texts):
            continue  # a blank row, as Excel leaves at the end of a sheet
        texts += [""] * (len(headers) - len(texts))
        records.append([texts[i] or None for i in keep])
        numbers.append(number)
    frame = pd.DataFrame(records, columns=[names[i] for i in keep], dtype=object)
    frame = frame.loc[:, ~frame.columns.duplicated()]
    return Module(record, frame, label, np.asarray(numbers, dtype=np.int64))
