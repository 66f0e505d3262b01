"""Hostile and broken XLSX workbooks: read in bounded memory, or exit 3 in one line.

Issue 12's table, XLSX rows; every fixture is made here, by openpyxl and then by editing the
sheet XML inside the zip.
"""

from __future__ import annotations

import re
import zipfile
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from ehcp_timeliness.cli.app import app
from ehcp_timeliness.limits import MAX_XLSX_CELLS_ENV, MAX_XLSX_XML_BYTES_ENV
from ehcp_timeliness.load import load
from ehcp_timeliness.read.xlsx import column_name

AS_AT = date(2025, 3, 31)
runner = CliRunner()
SHEET = "xl/worksheets/sheet1.xml"


def book(path: Path, rows: int = 5, hidden: bool = False) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "Requests"
    ws.append(["person_id", "received_date", "team"])
    for i in range(rows):
        ws.append([f"P{i}", date(2024, 1, 2), "North"])
    if hidden:
        secret = wb.create_sheet("Old requests")
        secret.sheet_state = "hidden"
        secret.append(["person_id", "received_date"])
        secret.append(["P9", "2024-01-02"])
    wb.save(path)
    return path


def edit(path: Path, part: str, change) -> Path:
    """Rewrite one member of the zip with ``change(bytes) -> bytes``."""
    with zipfile.ZipFile(path) as src:
        members = [(info, src.read(info)) for info in src.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info, data in members:
            dst.writestr(info, change(data) if info.filename == part else data)
    return path


def cli(path: Path, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = runner.invoke(app, ["validate", str(path), "--as-at", "2025-03-31"], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, " ".join(result.stderr.split())


def test_column_names():
    assert [column_name(n) for n in (1, 26, 27, 702, 703, 1000, 16384)] == [
        "A", "Z", "AA", "ZZ", "AAA", "ALL", "XFD"
    ]  # fmt: skip


def test_a_corrupt_sheet_exits_3(tmp_path):
    path = edit(book(tmp_path / "b.xlsx"), SHEET, lambda d: d[: len(d) // 2])
    code, err = cli(path)
    assert code == 3 and f"{path}[Requests]: the sheet cannot be read" in err


def test_a_shared_string_index_out_of_range_exits_3(tmp_path):
    def to_shared(data: bytes) -> bytes:
        return re.sub(rb'<c r="A2" t="inlineStr"><is><t>P0</t></is></c>',
                      b'<c r="A2" t="s"><v>999</v></c>', data)  # fmt: skip

    path = edit(book(tmp_path / "b.xlsx"), SHEET, to_shared)
    code, err = cli(path)
    assert code == 3 and "string index not found in shared strings" in err


@pytest.mark.parametrize("data", [b"not a zip at all", b"PK\x03\x04" + bytes(64)])
def test_not_a_workbook_exits_3(tmp_path, data):
    path = tmp_path / "b.xlsx"
    path.write_bytes(data)
    code, err = cli(path)
    assert code == 3 and f"{path}: not a readable XLSX workbook" in err


def test_a_stray_cell_at_xfd1048576_is_left_out_with_a_finding(tmp_path):
    stray = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    path = edit(book(tmp_path / "b.xlsx"), SHEET,
                lambda d: d.replace(b"</sheetData>", stray + b"</sheetData>"))  # fmt: skip
    result = load([path], as_at=AS_AT)  # calamine alone aborts the process on this file
    f = result.findings
    assert f[["column", "code", "severity"]].values.tolist() == [
        ["sheet Requests", "stray-cells", "warning"]
    ]
    assert "1 cell past column ALL (the first at XFD1048576) not read" in f["message"].iloc[0]
    s = result.summaries[0]
    assert (s.rows_read, s.rows_usable, s.blank_rows_ignored) == (5, 5, 0)
    assert result.tables["requests"]["_row"].tolist() == [2, 3, 4, 5, 6]


def test_a_stray_cell_far_down_column_a_is_read_as_blank_rows(tmp_path):
    stray = b'<row r="200000"><c r="A200000" t="inlineStr"><is><t> </t></is></c></row>'
    path = edit(book(tmp_path / "b.xlsx"), SHEET,
                lambda d: d.replace(b"</sheetData>", stray + b"</sheetData>"))  # fmt: skip
    s = load([path], as_at=AS_AT).summaries[0]
    assert (s.rows_read, s.blank_rows_ignored) == (5, 199_994)  # every row accounted


def test_a_sheet_past_the_cell_limit_exits_3_and_the_limit_can_be_raised(tmp_path):
    path = book(tmp_path / "b.xlsx", rows=2_000)
    code, err = cli(path, env={MAX_XLSX_CELLS_ENV: "3000"})
    assert code == 3
    assert f"{path}[Requests] spans at least" in err and "more than 3,000 cells" in err
    assert f"set {MAX_XLSX_CELLS_ENV} to read it anyway" in err
    assert cli(path, env={MAX_XLSX_CELLS_ENV: "7000"})[0] == 0


def test_a_sheet_unzipping_past_the_byte_limit_exits_3(tmp_path):
    path = book(tmp_path / "b.xlsx", rows=2_000)
    code, err = cli(path, env={MAX_XLSX_XML_BYTES_ENV: "10000"})
    assert code == 3 and "unzips to more than 10,000 bytes of XML" in err


def test_rows_past_excels_last_row_exit_3(tmp_path):
    # A zip bomb's rows run on past 1,048,576; the scan stops at the first such row.
    bomb = b'<row r="1048577"><c r="A1048577"><v>1</v></c></row>'
    path = edit(book(tmp_path / "b.xlsx"), SHEET,
                lambda d: d.replace(b"</sheetData>", bomb + b"</sheetData>"))  # fmt: skip
    code, err = cli(path)
    assert code == 3 and "has rows past 1,048,576, Excel's last row" in err


def test_cells_without_references_are_placed_in_turn(tmp_path):
    path = edit(book(tmp_path / "b.xlsx"), SHEET, lambda d: re.sub(rb' r="[A-Z]+\d+"', b"", d))
    result = load([path], as_at=AS_AT)
    assert result.findings.empty
    assert result.tables["requests"]["team"].tolist() == ["North"] * 5


def test_hidden_sheets_are_a_finding_and_not_read(tmp_path):
    result = load([book(tmp_path / "b.xlsx", hidden=True)], as_at=AS_AT)
    f = result.findings
    assert f[["column", "code"]].values.tolist() == [["sheet Old requests", "sheet-hidden"]]
    assert len(result.tables["requests"]) == 5  # not the hidden sheet's row


def test_a_workbook_with_only_hidden_tables_says_so(tmp_path):
    path = edit(book(tmp_path / "b.xlsx"), "xl/workbook.xml",
                lambda d: d.replace(b'state="visible"', b'state="hidden"'))  # fmt: skip
    code, err = cli(path)
    assert code == 3 and "hidden sheets, not read: Requests" in err


def test_dates_numbers_and_blank_rows_keep_spreadsheet_rows(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["Extract"])
    ws.append(["person_id", "received_date", "team", "request_outcome"])
    ws.append(["P1", date(2024, 1, 2), True, "Y"])
    ws.append([])
    ws.append(["P2", 45352, 7.5, "Y"])
    wb.save(tmp_path / "b.xlsx")
    result = load([tmp_path / "b.xlsx"], as_at=AS_AT)
    t = result.tables["requests"]
    assert t["_row"].tolist() == [3, 5]
    assert t["received_date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-02", "2024-03-01"]
    assert t["team"].tolist() == ["1", "7.5"]  # TRUE, as Excel counts it
    assert result.summaries[0].blank_rows_ignored == 1
    assert result.findings.empty


def test_a_cell_past_excels_limit_is_a_finding_and_its_row_accounted(tmp_path):
    long = b"y" * 40_000
    path = edit(book(tmp_path / "b.xlsx"), SHEET,
                lambda d: d.replace(b"<t>North</t>", b"<t>" + long + b"</t>", 1))  # fmt: skip
    result = load([path], as_at=AS_AT)
    f = result.findings
    assert f[["row", "column", "code"]].values.tolist() == [[2, "team", "cell-too-long"]]
    s = result.summaries[0]
    assert (s.rows_read, s.rows_usable, s.rows_rejected) == (5, 4, 1)


def test_a_sheet_named_requests_whose_header_row_is_data_exits_3(tmp_path):
    path = edit(book(tmp_path / "b.xlsx"), SHEET,
                lambda d: re.sub(rb'<row r="1">.*?</row>', b"", d, count=1))  # fmt: skip
    code, err = cli(path)
    assert code == 3 and "header cell 2 is a date" in err and "P0" not in err
