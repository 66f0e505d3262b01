"""Small made-up files in DfE's layout, for tests (never copies of DfE's own files)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ehcp_timeliness.read.published import FILES, ID_COLUMNS

T20 = "timeliness_20_week"


def made_up(folder: Path, rows: list[dict[str, str]], name: str = T20,
            drop: tuple[str, ...] = ()) -> Path:  # fmt: skip
    """A file with DfE's columns for ``name`` and the rows given (other cells blank)."""
    columns = [c for c in (*ID_COLUMNS, *FILES[name].columns) if c not in drop]
    text = io.StringIO()
    out = csv.writer(text)  # Excel's dialect: CRLF line ends, quotes where a cell needs them
    out.writerow(columns)
    out.writerows([row.get(c, "") for c in columns] for row in rows)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FILES[name].filename
    path.write_bytes(b"\xef\xbb\xbf" + text.getvalue().encode())  # a BOM, as DfE's files have
    return path


def england(year: str, **values: str) -> dict[str, str]:
    return {"time_period": year, "time_identifier": "Calendar year",
            "geographic_level": "National", "country_code": "E92000001",
            "country_name": "England", "breakdown_topic": "All EHC plans issued",
            "breakdown": "All EHC plans issued", **values}  # fmt: skip


def region(year: str, **values: str) -> dict[str, str]:
    return {**england(year), "geographic_level": "Regional", "region_code": "E12000005",
            "region_name": "West Midlands", **values}  # fmt: skip


def council(year: str, old: str = "937", new: str = "E10000031", name: str = "Warwickshire",
            **values: str) -> dict[str, str]:  # fmt: skip
    return {**region(year), "geographic_level": "Local authority", "new_la_code": new,
            "old_la_code": old, "la_name": name, **values}  # fmt: skip
