"""Reading DfE COLLECT's SEN2 "Blade" CSV export: a folder of linked CSV files.

COLLECT exports a return as ``Blade-Export_DD-MM-YYYY_{record}.csv``, one file per record
(``sen2`` for the header, ``person``, ``requests``, ``assessment``, ``namedplan``,
``plandetail``, ``activeplans``, ``placementdetail``, ``senneed``). Columns are the element
names in lower case, plus bookkeeping (``nativeid``, ``*orderseqcolumn``, ``sourceid``) and
ids that link each row to its parent (``persontableid``, ``requeststableid``,
``assessmenttableid``, ``namedplantableid``, ``activeplanstableid``). Dates look like
``2022-Sep-28 00:00:00``, which the project's date parser reads.

Findings name the person's row in the person file (as a spreadsheet shows it, the header
being row 1) and the element's path, as for the XML; a row that cannot be linked is named by
its own file and row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ehcp_timeliness.errors import InputError
from ehcp_timeliness.read.csv import Cells, read_cells
from ehcp_timeliness.read.dimensions import norm_header
from ehcp_timeliness.read.pseudonym import PseudonymKey
from ehcp_timeliness.read.sen2_data import (
    Module,
    Notes,
    Sen2Data,
    from_modules,
    name_columns,
)
from ehcp_timeliness.read.sen2_spec import HEADER

NAME = re.compile(
    r"^Blade-Export_(?P<date>\d{2}-\d{2}-\d{4})_(?P<record>sen2|person|requests|assessment|"
    r"namedplan|plandetail|activeplans|placementdetail|senneed)\.csv$",
    re.IGNORECASE,
)
#: The id column each record links to its parent by.
LINKS = {
    "requests": "persontableid",
    "assessment": "requeststableid",
    "namedplan": "assessmenttableid",
    "plandetail": "namedplantableid",
    "activeplans": "requeststableid",
    "placementdetail": "activeplanstableid",
    "senneed": "activeplanstableid",
}
RECORDS = ("person", "requests", "assessment", "namedplan", "plandetail", "activeplans",
           "placementdetail", "senneed")  # fmt: skip


@dataclass(frozen=True)
class BladeExport:
    """The files of one export: one folder, one export date."""

    folder: Path
    date: str
    files: dict[str, Path]

    @property
    def label(self) -> str:
        return str(self.folder / f"Blade-Export_{self.date}_*.csv")


def split_blade(paths: list[Path]) -> tuple[list[BladeExport], list[Path]]:
    """The COLLECT exports among ``paths`` (grouped by folder and export date), and the rest."""
    groups: dict[tuple[Path, str], dict[str, Path]] = {}
    rest = []
    for path in paths:
        m = NAME.match(path.name)
        if m is None:
            rest.append(path)
            continue
        groups.setdefault((path.parent, m["date"]), {})[m["record"].lower()] = path
    exports = [BladeExport(folder, day, files) for (folder, day), files in groups.items()]
    return exports, rest


def _read(path: Path, record: str, notes: Notes) -> Cells:
    """A COLLECT CSV file's cells, read as an extract's are; what reading found about its
    rows (malformed rows, lines not in UTF-8, stray quotes, huge cells) becomes findings."""
    cells = read_cells(path)
    for row, what in cells.malformed:
        notes.add(record, row, None, "malformed-row", what, file=str(path))
    for note in cells.notes:
        notes.add(record, note.row, note.column, note.code, note.message, file=str(path))
    return cells


def read_blade(export: BladeExport, key: PseudonymKey) -> Sen2Data:
    """Read one COLLECT CSV export into text tables, identifiers replaced by pseudonyms."""
    notes = Notes(export.label)
    if "person" not in export.files or "requests" not in export.files:
        missing = [r for r in ("person", "requests") if r not in export.files]
        raise InputError(
            f"{export.label}: a COLLECT export needs its "
            f"{' and '.join(f'Blade-Export_{export.date}_{m}.csv' for m in missing)}"
        )
    modules: dict[str, Module] = {}
    for record in RECORDS:
        path = export.files.get(record)
        if path is None:
            notes.add("return", None, f"Blade-Export_{export.date}_{record}.csv",
                      "sen2-missing-file", f"no {record} file in the export; its records are "
                      "taken to be absent")  # fmt: skip
            continue
        cells = _read(path, record, notes)
        headers, data, rows = cells.headers, cells.data, cells.rows
        names = name_columns(record, headers, notes, str(path), 1)
        keep = [i for i, n in enumerate(names) if n is not None]
        frame = data.iloc[:, keep].copy() if len(data.columns) else pd.DataFrame()
        frame.columns = [names[i] for i in keep]
        frame = frame.loc[:, ~frame.columns.duplicated()]
        modules[record] = Module(record, _objects(frame), str(path), rows)
    return from_modules(export.label, "blade-csv", _header(export, notes), modules, LINKS, notes,
                        key)  # fmt: skip


def _objects(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells as Python objects, None where empty (as the XML reader gives them)."""
    out = frame.astype(object)
    return out.where(out.notna() & (out != ""), None)


def _header(export: BladeExport, notes: Notes) -> dict[str, str]:
    path = export.files.get("sen2")
    if path is None:
        return {}
    cells = _read(path, "return", notes)
    headers, data = cells.headers, cells.data
    where = {name.casefold(): f"{group}/{name}" for group, names in HEADER.items()
             for name in names}  # fmt: skip
    out: dict[str, str] = {}
    if data.empty:
        return out
    first = data.iloc[0]
    for i, header in enumerate(headers):
        key = norm_header(header)
        if key in where:
            out[where[key]] = str(first.iloc[i] if first.iloc[i] is not None else "").strip()
    if len(data) > 1:
        notes.add("return", None, str(path), "sen2-repeated-element",
                  f"the sen2 file has {len(data):,} rows; the first is the header used",
                  file=str(path))  # fmt: skip
    return out
