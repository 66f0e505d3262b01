"""COLLECT's Blade CSV export and the pre-submission workbook: the same return as the XML
must give the same tables, findings aside from where they point."""

from __future__ import annotations

import csv
from datetime import date

import pandas as pd
import pytest
from sen2_build import (
    active,
    historical,
    issued,
    person,
    refused,
    to_xml,
    write_blade,
    write_workbook,
)

from ehcp_timeliness.load import load
from ehcp_timeliness.read.blade import read_blade, split_blade
from ehcp_timeliness.read.pseudonym import PseudonymKey
from ehcp_timeliness.read.sen2_workbook import is_sen2_workbook, read_sen2_workbook

KEY = PseudonymKey(b"a test key, sixteen bytes or more", "tests")
AS_AT = date(2025, 1, 16)


def persons() -> list[dict]:
    return [
        person(1, refused("2024-01-10", "2024-02-15"),
               issued(received="2024-05-01", decided="2024-06-05", start="2024-09-10")),
        person(2, historical(start="2021-09-01", transfer_la="201",
                             review=active(meeting="2024-10-01", decision="2024-11-15",
                                           outcome="A", ReviewDraft="2024-11-20"))),
        person(3, issued(received="2022-01-10", decided="2022-02-10", start="2022-06-01",
                         plan_extra={"CeaseDate": "2024-07-31", "CeaseReason": "3"})),
    ]  # fmt: skip


def _tables(result) -> dict[str, pd.DataFrame]:
    out = {}
    for name, frame in result.tables.items():
        key = "request_id" if name == "requests" else "plan_id"
        frame = frame.drop(columns=["_file"]).sort_values(["_row", key], kind="stable")
        out[name] = frame.drop(columns=["_row"]).reset_index(drop=True)
    return out


@pytest.fixture
def xml_result(write):
    return load([write("return.xml", to_xml(persons()))], as_at=AS_AT, pseudonym_key=KEY)


def test_blade_export_gives_the_same_tables_as_the_xml(tmp_path, xml_result):
    folder = write_blade(tmp_path / "export", persons())
    result = load([folder], as_at=AS_AT, pseudonym_key=KEY)
    got, expected = _tables(result), _tables(xml_result)
    for name in ("requests", "plans"):
        pd.testing.assert_frame_equal(got[name], expected[name], check_like=True)
    assert result.returns[0].source == "blade-csv"
    assert result.returns[0].reference_date == date(2025, 1, 16)  # from "2025-Jan-16 00:00:00"
    assert result.returns[0].layout == xml_result.returns[0].layout == 2025
    assert result.findings[["code", "column"]].values.tolist() == (
        xml_result.findings[["code", "column"]].values.tolist()
    )


def test_blade_rows_are_the_person_files_rows(tmp_path):
    folder = write_blade(tmp_path / "export", persons())
    result = load([folder], as_at=AS_AT, pseudonym_key=KEY)
    assert result.tables["requests"]["_row"].tolist() == [2, 2, 4]  # header is row 1
    assert result.returns[0].file.endswith("Blade-Export_20-01-2025_*.csv")


def test_blade_files_can_be_named_one_by_one_beside_other_extracts(tmp_path, write):
    folder = write_blade(tmp_path / "export", persons())
    extra = write("extra.csv", "person_id,received_date\nP9,2024-03-01\n")
    files = sorted(folder.iterdir())
    exports, rest = split_blade([*files, extra])
    assert len(exports) == 1 and rest == [extra]
    result = load([*files, extra], as_at=AS_AT, pseudonym_key=KEY)
    assert len(result.tables["requests"]) == 4


def test_blade_orphans_and_missing_files_are_findings(tmp_path):
    folder = write_blade(tmp_path / "export", persons(), skip=("senneed",))
    path = folder / "Blade-Export_20-01-2025_requests.csv"
    rows = list(csv.reader(path.open()))
    link = rows[0].index("persontableid")
    rows[2][link] = "999999"  # the second request points at no person
    with path.open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    data = read_blade(split_blade(sorted(folder.iterdir()))[0][0], KEY)
    f = data.findings
    orphan = f[f["code"] == "sen2-orphan-record"]
    assert orphan[["file", "row", "column", "value"]].values.tolist()[0] == [
        str(path),
        3,
        "persontableid",
        "999999",
    ]
    assert "sen2-missing-file" in set(f["code"])
    # The orphan's own records cannot be placed either: each is named, none silently lost.
    assert len(data.requests) == 3
    children = orphan[orphan["file"] != str(path)]
    assert sorted(children["table"]) == [
        "activeplans", "assessment", "namedplan", "placementdetail", "plandetail"]  # fmt: skip


def test_a_blade_export_without_persons_is_an_input_error(tmp_path):
    from ehcp_timeliness.errors import InputError

    folder = write_blade(tmp_path / "export", persons(), skip=("person",))
    with pytest.raises(InputError, match="person.csv"):
        load([folder], as_at=AS_AT, pseudonym_key=KEY)


def test_pre_submission_workbook_gives_the_same_tables_as_the_xml(tmp_path, xml_result):
    path = write_workbook(tmp_path / "presubmission.xlsx", persons())
    assert is_sen2_workbook(path)
    result = load([path], as_at=AS_AT, pseudonym_key=KEY)
    got, expected = _tables(result), _tables(xml_result)
    for name in ("requests", "plans"):
        # The workbook has no header, so no LA code.
        pd.testing.assert_frame_equal(got[name].drop(columns=["la_code"]),
                                      expected[name].drop(columns=["la_code"]),
                                      check_like=True)  # fmt: skip
    info = result.returns[0]
    assert (info.source, info.reference_date, info.la_code) == ("workbook", None, None)
    assert result.tables["requests"]["_row"].tolist() == [2, 2, 4]


def test_workbook_without_as_at_needs_one(tmp_path):
    from ehcp_timeliness.load import NoAsAtDate

    path = write_workbook(tmp_path / "presubmission.xlsx", persons())
    with pytest.raises(NoAsAtDate):
        load([path], as_at=None, pseudonym_key=KEY)


def test_an_ordinary_workbook_is_not_taken_for_a_return(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "requests"
    wb.active.append(["person_id", "received_date"])
    wb.active.append(["P1", "2024-01-02"])
    wb.save(tmp_path / "extract.xlsx")
    assert not is_sen2_workbook(tmp_path / "extract.xlsx")
    assert len(load([tmp_path / "extract.xlsx"], as_at=AS_AT).tables["requests"]) == 1


def test_workbook_identifiers_never_reach_the_tables(tmp_path):
    path = write_workbook(tmp_path / "p.xlsx", persons())
    data = read_sen2_workbook(path, KEY)
    text = data.persons.to_csv() + data.requests.to_csv()
    for p in persons():
        for key in ("Surname", "Forename", "PostCode", "UPN", "UniqueLearnerNumber"):
            assert p[key] not in text


def test_a_blade_row_with_too_many_cells_is_a_finding(tmp_path):
    folder = write_blade(tmp_path / "export", persons())
    path = folder / "Blade-Export_20-01-2025_senneed.csv"
    lines = path.read_text().splitlines()
    lines[1] += ",stray,cells"
    path.write_text("\n".join(lines) + "\n")
    data = read_blade(split_blade(sorted(folder.iterdir()))[0][0], KEY)
    bad = data.findings[data.findings["code"] == "malformed-row"]
    assert bad[["file", "row", "table"]].values.tolist() == [[str(path), 2, "senneed"]]


def test_control_characters_in_an_export_are_removed_and_reported(tmp_path):
    folder = write_blade(tmp_path / "export", persons())
    path = folder / "Blade-Export_20-01-2025_requests.csv"
    path.write_text(path.read_text().replace(",N,", ",\x1b[31mN,", 1))
    result = load([folder], as_at=AS_AT, pseudonym_key=KEY)
    found = result.findings[result.findings["code"] == "control-characters-removed"]
    assert found["column"].tolist() == ["Person/Requests/RequestOutcome"]
    assert "\x1b" not in result.findings.to_csv()
    assert result.tables["requests"]["request_outcome"].tolist()[0] == "N"


def test_the_pre_submission_workbook_is_held_to_the_xlsx_limits(tmp_path, monkeypatch):
    """It is opened as any XLSX extract: a stray cell far to the right is left out (it once
    made openpyxl walk every empty cell up to it), and the cell limit applies."""
    from openpyxl import load_workbook

    from ehcp_timeliness.errors import InputError
    from ehcp_timeliness.limits import MAX_XLSX_CELLS_ENV

    path = write_workbook(tmp_path / "presubmission.xlsx", persons())
    clean = read_sen2_workbook(path, KEY)
    wb = load_workbook(path)
    wb["Person"]["XFD3000"] = "stray"
    wb.save(path)
    data = read_sen2_workbook(path, KEY)
    assert "stray" not in data.persons.to_csv()
    pd.testing.assert_frame_equal(data.requests, clean.requests)
    monkeypatch.setenv(MAX_XLSX_CELLS_ENV, "100")
    write_workbook(path, persons() * 20)
    with pytest.raises(InputError, match="more than 100 cells"):
        read_sen2_workbook(path, KEY)
