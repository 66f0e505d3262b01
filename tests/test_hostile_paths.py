"""Paths: a file named twice is read once; a folder's other spreadsheets are named, not lost."""

from __future__ import annotations

from datetime import date

from typer.testing import CliRunner

from ehcp_timeliness.cli.app import app
from ehcp_timeliness.load import load

AS_AT = date(2025, 3, 31)
TEXT = "person_id,received_date\nP1,2024-01-02\nP2,2024-01-03\n"


def test_the_same_file_named_twice_is_read_once_with_a_finding(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    path = folder / "r.csv"
    path.write_text(TEXT)
    link = tmp_path / "link.csv"
    link.symlink_to(path)
    result = load([path, folder, link], as_at=AS_AT)  # by name, in its folder, by a link
    assert [s.rows_read for s in result.summaries] == [2]
    assert len(result.tables["requests"]) == 2  # not double-counted, no duplicate findings
    f = result.findings
    assert sorted(f[["file", "table", "code"]].values.tolist()) == [
        [str(path), "", "file-repeated"],
        [str(link), "", "file-repeated"],
    ]
    assert f["message"].iloc[0] == f"the same file as {path}, named again; it is read once"
    assert f["row"].isna().all()


def test_a_folder_holding_xls_and_ods_names_them(tmp_path):
    (tmp_path / "r.csv").write_text(TEXT)
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    (tmp_path / "calc.ods").write_bytes(b"PK")
    (tmp_path / "~$lock.xls").write_bytes(b"")  # Excel's lock file: not a spreadsheet
    result = load([tmp_path], as_at=AS_AT)
    f = result.findings
    assert f[["file", "code"]].values.tolist() == [
        [str(tmp_path / "calc.ods"), "file-not-read"],
        [str(tmp_path / "old.xls"), "file-not-read"],
    ]
    assert "an old Excel workbook, which this tool does not read" in f["message"].iloc[1]
    assert len(result.tables["requests"]) == 2


def test_a_folder_of_only_unread_spreadsheets_exits_3_naming_them(tmp_path):
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    result = CliRunner().invoke(app, ["validate", str(tmp_path), "--as-at", "2025-03-31"])
    assert result.exit_code == 3
    assert "holds no CSV, XLSX or XML files (not read: old.xls)" in result.stderr


def test_whole_file_findings_reach_the_json_and_the_console(tmp_path):
    (tmp_path / "r.csv").write_text(TEXT)
    (tmp_path / "old.xls").write_bytes(b"")
    args = ["validate", str(tmp_path), "--as-at", "2025-03-31"]
    result = CliRunner().invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0 and '"file-not-read": 1' in result.stdout
    assert "file-not-read" in CliRunner().invoke(app, args).stdout
