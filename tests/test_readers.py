from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from ehcp_timeliness.errors import InputError
from ehcp_timeliness.load import load

AS_AT = date(2025, 3, 31)


def _rows(result, table="requests"):
    return result.tables[table]["_row"].tolist()


def test_utf8_bom_and_crlf(write):
    path = write("r.csv", "\ufeffPerson ID,Received Date\r\nP1,2024-01-02\r\nP2,2024-01-03\r\n")
    result = load([path], as_at=AS_AT)
    assert result.findings.empty
    assert _rows(result) == [2, 3]


def test_blank_lines_and_multiline_cells_keep_spreadsheet_row_numbers(write):
    text = (
        "person_id,received_date,team\n"
        'P1,2024-01-02,"two\nlines"\n'  # row 2 spans two lines
        "\n"  # row 3 blank
        "P2,bad,\n"  # row 4
        ",,\n"  # row 5 blank
    )
    result = load([write("r.csv", text)], as_at=AS_AT)
    assert result.findings[["row", "code"]].values.tolist() == [[4, "invalid-date"]]
    assert result.summaries[0].blank_rows_ignored == 2
    assert result.tables["requests"]["team"].tolist() == ["two\nlines"]


def test_row_with_too_many_cells_is_a_finding_not_a_crash(write):
    text = "person_id,received_date\nP1,2024-01-02\nP2,2024-01-03,oops\nP3,2024-01-04\n"
    result = load([write("r.csv", text)], as_at=AS_AT)
    assert result.findings[["row", "code"]].values.tolist() == [[3, "malformed-row"]]
    s = result.summaries[0]
    assert (s.rows_read, s.rows_usable, s.rows_rejected) == (3, 2, 1)


def test_missing_required_column_sets_the_file_aside(write):
    result = load([write("r.csv", "received_date,team\n2024-01-02,North\n")], as_at=AS_AT)
    assert result.findings[["row", "column", "code"]].values.tolist() == [
        [1, "person_id", "missing-column"]
    ]
    assert result.summaries[0].rows_rejected == 1


def test_a_missing_column_names_the_headers_that_nearly_match_and_the_fix_works(write):
    text = "Child Ref,received_date,Case Officer Notes,team\nP1,2024-01-02,x,North\n"
    result = load([write("r.csv", text)], as_at=AS_AT)
    missing = result.findings[result.findings["code"] == "missing-column"]
    assert missing["column"].tolist() == ["person_id"]
    message = missing["message"].iloc[0]
    assert "headers that nearly match person_id: 'Child Ref'." in message
    assert "Notes" not in message  # nothing like it, and dropped as free text anyway
    fix = message.split("name it in a mapping file: ")[1]
    assert fix == '[columns] person_id = "Child Ref"'
    mapping = write("m.toml", fix.replace("] ", "]\n"))
    fixed = load([write("r.csv", text)], as_at=AS_AT, mapping_file=mapping)
    assert "missing-column" not in set(fixed.findings["code"])
    assert fixed.summaries[0].rows_usable == 1


def test_an_unrecognised_file_names_the_header_that_nearly_matches(write):
    with pytest.raises(InputError, match="nearly match received_date: 'Date Recieved'"):
        load([write("r.csv", "Person ID,Date Recieved\nP1,2024-01-02\n")], as_at=AS_AT)
    with pytest.raises(InputError, match=r"to name them\)$"):  # nothing near: no suggestion
        load([write("r.csv", "Person ID,Colour\nP1,blue\n")], as_at=AS_AT)


def test_a_missing_column_with_no_header_near_it_suggests_nothing(write):
    result = load([write("r.csv", "received_date,Colour\n2024-01-02,blue\n")], as_at=AS_AT)
    message = result.findings.set_index("code").loc["missing-column", "message"]
    assert message == "required column person_id not found"


def test_xlsx_title_rows_notes_sheet_and_real_dates(tmp_path):
    wb = Workbook()
    notes = wb.active
    notes.title = "Notes"
    notes.append(["This extract was taken on 31 March"])
    ws = wb.create_sheet("Sheet2")
    ws.append(["Monthly EHC extract"])  # a title row above the header
    ws.append([])
    ws.append(["Child ID", "Date Request Received", "Decision to Assess", "Plan Issued Date"])
    ws.append(["P1", datetime(2024, 1, 5), "Y", 45352])  # row 4
    ws.append(["P2", date(2024, 2, 5), "N", None])  # row 5
    ws.append(["P3", "2024-02-30", "Y", None])  # row 6
    wb.save(tmp_path / "book.xlsx")
    result = load([tmp_path / "book.xlsx"], as_at=AS_AT)
    f = result.findings
    assert f[["row", "column", "code"]].values.tolist() == [
        [6, "Date Request Received", "invalid-date"]
    ]
    assert _rows(result) == [4, 5]
    assert result.tables["requests"]["plan_issue_date"].iloc[0] == datetime(2024, 3, 1)


def test_sheet_named_plans_is_plans_and_other_sheet_is_reported(tmp_path):
    wb = Workbook()
    wb.active.title = "Plans"
    wb.active.append(["person_id", "plan_id", "plan_issue_date"])
    wb.active.append(["P1", "E1", "2024-01-01"])
    extra = wb.create_sheet("Lookup")
    extra.append(["code", "meaning"])
    wb.save(tmp_path / "b.xlsx")
    result = load([tmp_path / "b.xlsx"], as_at=AS_AT)
    assert len(result.tables["plans"]) == 1
    assert result.findings["code"].tolist() == ["sheet-ignored"]


def test_formula_like_and_code_words(write):
    text = (
        "person_id,received_date,request_outcome,assessment_outcome\nP1,2024-01-02,ASSESS,no plan\n"
    )
    result = load([write("r.csv", text)], as_at=AS_AT)
    row = result.tables["requests"].iloc[0]
    assert (row["request_outcome"], row["assessment_outcome"]) == ("Y", "N")


def test_duplicates_across_files_name_the_kept_row(write):
    a = write("a.csv", "person_id,received_date\nP1,2024-01-02\n")
    b = write("b.csv", "person_id,received_date\nP2,2024-01-02\nP1,02/01/2024\n")
    result = load([a, b], as_at=AS_AT)
    f = result.findings
    assert f[["row", "code"]].values.tolist() == [[3, "duplicate-record"]]
    assert f["message"].iloc[0] == f"the same record as row 2 of {a}"
    assert f["file"].iloc[0] == str(b)


def test_duplicate_plan_reviews_and_request_ids(write):
    plans = write(
        "plans.csv",
        "person_id,plan_id,plan_issue_date,review_meeting_date\n"
        "P1,E1,2023-01-01,2024-01-05\n"  # 2
        "P1,E1,2023-01-01,2025-01-03\n"  # 3: another review of the same plan
        "P1,E1,2023-01-01,05/01/2024\n"  # 4: row 2 again
        "P2,E2,2023-01-01,\n"  # 5
        "P2,E2,2023-01-01,\n",  # 6: row 5 again
    )
    requests = write(
        "requests.csv",
        "person_id,request_id,received_date\nP1,R1,2024-01-02\nP2,R2,2024-01-02\nP3,R1,2024-02-01\n",
    )
    result = load([plans, requests], as_at=AS_AT)
    f = result.findings
    got = [
        (Path(p).name, r, col) for p, r, col in zip(f["file"], f["row"], f["message"], strict=True)
    ]
    assert got == [
        ("plans.csv", 4, f"the same record as row 2 of {plans}"),
        ("plans.csv", 6, f"the same record as row 5 of {plans}"),
        ("requests.csv", 4, f"the same record as row 2 of {requests}"),
    ]


def test_a_repeated_dimension_header_is_reported_not_silently_dropped(write):
    path = write("r.csv", "person_id,received_date,team,team\nP1,2024-01-02,North,South\n")
    result = load([path], as_at=AS_AT)
    assert result.findings[["row", "column", "code"]].values.tolist() == [
        [1, "team", "duplicate-column"]
    ]
    assert result.tables["requests"]["team"].tolist() == ["North"]


def test_values_under_no_header_are_reported_not_silently_dropped(write, tmp_path):
    csv_path = write("r.csv", "person_id,received_date,,\nP1,2024-01-02,,\nP2,2024-01-03,x,\n")
    f = load([csv_path], as_at=AS_AT).findings
    assert f[["row", "column", "code"]].values.tolist() == [[1, "column 3", "unnamed-column"]]
    assert "values in 1 row;" in f["message"].iloc[0]

    wb = Workbook()
    ws = wb.active
    ws.title = "requests"
    ws.append(["person_id", "received_date"])
    ws.append(["P1", "2024-01-02", None, "stray"])  # a cell beyond the header
    ws.append(["P2", "2024-01-03"])
    wb.save(tmp_path / "r.xlsx")
    result = load([tmp_path / "r.xlsx"], as_at=AS_AT)
    f = result.findings
    assert f[["column", "code", "severity"]].values.tolist() == [
        ["column 4", "unnamed-column", "warning"]
    ]
    assert _rows(result) == [2, 3]  # the rows themselves are kept
