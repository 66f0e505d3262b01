"""The board pack workbook, reloaded with openpyxl as a reviewer would inspect it."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from ehcp_timeliness.cli.app import app
from ehcp_timeliness.clocks.rules import load_rules

runner = CliRunner()
SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
SHEETS = ["Cover", "Summary", "Trend", "Breaches", "Due soon", "Backlog", "Annual reviews",
          "Data quality", "Breakdown"]  # fmt: skip

REQUESTS = (
    "person_id,received_date,request_outcome,request_outcome_date,assessment_outcome,"
    "plan_issue_date,team,Surname\n"
    'P1,2024-01-01,Y,2024-02-01,Y,2024-04-01,=HYPERLINK("http://x"),Smith\n'
    "P2,2024-01-01,Y,2024-03-01,Y,2024-09-01,+North,Jones\n"
    "P3,2024-02-01,Y,2024-03-20,Y,2024-10-01,-South,Brown\n"
    "P4,2024-11-01,,,,,@East,Green\n"
    "P5,2024-12-01,,,,,North,White\n"
)
PLANS = (
    "person_id,plan_id,plan_issue_date,review_meeting_date,review_decision_date,team\n"
    "P1,E1,2023-01-10,2024-01-05,2024-02-20,North\n"
    "P9,E9,2023-06-01,,,South\n"
)


@pytest.fixture(scope="module")
def sample_pack(tmp_path_factory):
    out = tmp_path_factory.mktemp("pack")
    args = ["report", str(SAMPLE), "--as-at", "2025-03-31", "--period", "2024",
            "--xlsx", str(out / "board.xlsx"), "--council", "Testshire",
            "--max-detail-rows", "50", "--csv-dir", str(out / "csv")]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return out


def test_sheets_tables_and_layout(sample_pack):
    wb = load_workbook(sample_pack / "board.xlsx")
    assert wb.sheetnames == SHEETS
    for ws in wb.worksheets:
        assert ws.tables, f"{ws.title} has no Excel table"
        assert ws.page_setup.orientation == "landscape"
        assert ws.page_setup.fitToWidth == 1
        assert ws.merged_cells.ranges == set()
    summary = wb["Summary"]
    assert summary.freeze_panes == "A5"
    assert summary.print_title_rows == "$4:$4"
    assert [c.value for c in summary[4]][:8] == [
        "Measure", "Rule", "This period", "Previous period", "Change", "Target", "Status",
        "Completed",
    ]  # fmt: skip
    row = [c for c in summary[5]]
    assert row[2].number_format == "0.0%" and isinstance(row[2].value, float)
    assert row[7].number_format == "#,##0" and isinstance(row[7].value, int)
    assert row[6].value in {"On target", "Below target", "Well below", "No cases"}
    rules = list(summary.conditional_formatting)
    assert len(rules) == 1 and {r.formula[0].split("=")[1] for r in rules[0].rules} == {
        '"On target"', '"Below target"', '"Well below"',
    }  # fmt: skip
    assert wb["Cover"]["B6"].value == "Testshire"


def test_dates_are_real_dates_with_a_day_first_format(sample_pack):
    ws = load_workbook(sample_pack / "board.xlsx")["Breaches"]
    header = [c.value for c in ws[5]]
    due = ws.cell(row=6, column=header.index("Due date") + 1)
    assert due.is_date and due.number_format == "dd/mm/yyyy"
    days = [ws.cell(row=r, column=header.index("Days over") + 1).value for r in range(6, 20)]
    assert days == sorted(days, reverse=True)  # most overdue first


def test_trend_charts_reference_the_trend_table(sample_pack):
    ws = load_workbook(sample_pack / "board.xlsx")["Trend"]
    assert len(ws._charts) == 3
    header = [c.value for c in ws[4]]
    line = ws._charts[0]
    col = chr(ord("A") + header.index("plan-20w excluding exceptions"))
    assert line.series[0].val.numRef.f == f"'Trend'!${col}$5:${col}$16"
    assert len(ws._charts[1].series) == 6  # backlog bands
    assert ws._charts[1].grouping == "stacked"
    assert len(ws._charts[2].series) == 2  # reviews due and held


def test_capped_detail_sheet_says_so_and_full_list_is_beside(sample_pack):
    ws = load_workbook(sample_pack / "board.xlsx")["Breaches"]
    note = ws["A3"].value
    assert note.startswith("Showing the first 50 of ") and "board-breaches.csv" in note
    assert ws.max_row == 5 + 50
    full = pd.read_csv(sample_pack / "board-breaches.csv", encoding="utf-8-sig")
    total = int(note.split(" of ")[1].split(" rows")[0].replace(",", ""))
    assert len(full) == total
    assert set(full["status"]) == {"late", "overdue"}
    assert full["days_over"].is_monotonic_decreasing  # the sheet's order, most days over first
    assert full["rule"].nunique() > 1  # rules of both tables, interleaved


def test_capped_annual_reviews_go_beside_too(sample_pack):
    ws = load_workbook(sample_pack / "board.xlsx")["Annual reviews"]
    note = ws["A3"].value
    assert note.startswith("Showing the first 50 of ") and "board-annual-reviews.csv" in note
    full = pd.read_csv(sample_pack / "board-annual-reviews.csv", encoding="utf-8-sig")
    assert len(full) == int(note.split(" of ")[1].split(" rows")[0].replace(",", ""))
    assert set(full["rule"]) == {"review-12m"}
    header = [c.value for c in ws[5]]
    shown = [dict(zip(header, (c.value for c in row), strict=True)) for row in ws.iter_rows(6)]
    assert [r["Record ID"] for r in shown] == full["record_id"].head(50).tolist()  # same order
    overdue = full["status"] == "overdue"
    assert overdue.iloc[: overdue.sum()].all()  # overdue first, as on the sheet


def test_capped_findings_go_beside_in_the_findings_format(tmp_path):
    bad = "".join(f"P{i},not a date\n" for i in range(5))
    (tmp_path / "requests.csv").write_text("person_id,received_date\nP0,2024-01-02\n" + bad)
    (tmp_path / "plans.csv").write_text(PLANS)
    args = ["report", str(tmp_path / "requests.csv"), str(tmp_path / "plans.csv"),
            "--as-at", "2025-03-31", "--xlsx", str(tmp_path / "b.xlsx"),
            "--max-detail-rows", "2"]  # fmt: skip
    assert runner.invoke(app, args).exit_code == 0
    ws = load_workbook(tmp_path / "b.xlsx")["Data quality"]
    assert any("b-findings.csv" in str(c.value) for c in ws["A"])
    full = pd.read_csv(tmp_path / "b-findings.csv", encoding="utf-8-sig")
    assert full["row"].tolist() == [3, 4, 5, 6, 7]
    assert set(full["code"]) == {"invalid-date"}


def test_csv_dir_holds_each_table(sample_pack):
    names = sorted(p.name for p in (sample_pack / "csv").iterdir())
    assert "Summary.csv" in names and "Breaches.csv" in names
    assert "Data quality - Findings by code.csv" in names
    summary = pd.read_csv(sample_pack / "csv" / "Summary.csv", encoding="utf-8-sig")
    # one row per rule in force, and DfE's two reproduced measures beside their rules
    assert len(summary) == len(load_rules().enabled) + 2
    dfe = summary[summary["Rule"].str.startswith("dfe-")]
    assert dfe["Rule"].tolist() == ["dfe-request-decisions", "dfe-review-decisions"]
    assert dfe["Measure"].str.contains("DfE measure").all()
    # the 20-week row's cases are those behind its rate: plans issued, less exceptions
    report = runner.invoke(app, ["report", str(SAMPLE), "--as-at", "2025-03-31", "--period",
                                 "2024", "--json", "-"])  # fmt: skip
    excluding = json.loads(report.stdout)["plan_20w"]["excluding_exceptions"]
    row = summary[summary["Rule"] == "plan-20w"].iloc[0]
    assert row["Completed"] == excluding["completed"]
    assert row["This period"] == pytest.approx(excluding["rate"], rel=1e-12)


def test_same_inputs_same_cells(sample_pack, tmp_path):
    args = ["report", str(SAMPLE), "--as-at", "2025-03-31", "--period", "2024",
            "--xlsx", str(tmp_path / "board.xlsx"), "--council", "Testshire",
            "--max-detail-rows", "50"]  # fmt: skip
    assert runner.invoke(app, args).exit_code == 0
    a, b = load_workbook(sample_pack / "board.xlsx"), load_workbook(tmp_path / "board.xlsx")
    for name in SHEETS:
        rows_a = [[c.value for c in r] for r in a[name].iter_rows()]
        rows_b = [[c.value for c in r] for r in b[name].iter_rows()]
        assert rows_a == rows_b, name


def test_formula_like_text_is_stored_as_text_and_nothing_identifying(tmp_path):
    (tmp_path / "requests.csv").write_text(REQUESTS)
    (tmp_path / "plans.csv").write_text(PLANS)
    target = tmp_path / "out" / "board.xlsx"
    args = ["report", str(tmp_path), "--as-at", "2025-03-31", "--period", "2024",
            "--xlsx", str(target), "--csv-dir", str(tmp_path / "csv")]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    wb = load_workbook(target)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    formula_like = [c for c in cells if isinstance(c.value, str) and c.value.startswith("=HYP")]
    assert formula_like and all(c.data_type == "s" for c in formula_like)
    assert not [c for c in cells if c.data_type == "f"]
    text = " ".join(str(c.value) for c in cells if c.value is not None)
    for secret in ("Smith", "Jones", "Brown", "Green", "White"):
        assert secret not in text
    backlog = pd.read_csv(tmp_path / "csv" / "Backlog.csv", encoding="utf-8-sig", dtype=str)
    assert "'@East" in set(backlog["team"])  # CSV cells a spreadsheet would run are defused
    assert sorted(p.name for p in target.parent.iterdir()) == ["board.xlsx"]  # no temp files


def test_a_failed_run_leaves_last_months_pack_alone(tmp_path, monkeypatch):
    (tmp_path / "requests.csv").write_text(REQUESTS)
    target = tmp_path / "board.xlsx"
    target.write_bytes(b"last month")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("ehcp_timeliness.write.xlsx._sheet", broken)
    args = ["report", str(tmp_path / "requests.csv"), "--as-at", "2025-03-31",
            "--xlsx", str(target)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code != 0
    assert target.read_bytes() == b"last month"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["board.xlsx", "requests.csv"]


def test_targets_file(tmp_path):
    (tmp_path / "t.toml").write_text("schema_version = 1\namber_within = 0.05\n"
                                     "[targets]\n\"plan-20w\" = 0.15\n")  # fmt: skip
    target = tmp_path / "b.xlsx"
    args = ["report", str(SAMPLE), "--as-at", "2025-03-31", "--period", "2024",
            "--xlsx", str(target), "--targets", str(tmp_path / "t.toml"),
            "--max-detail-rows", "5"]  # fmt: skip
    assert runner.invoke(app, args).exit_code == 0
    ws = load_workbook(target)["Summary"]
    rows = {r[1]: r for r in ws.iter_rows(min_row=5, values_only=True) if r[1]}
    assert rows["plan-20w"][5] == 0.15 and rows["plan-20w"][6] == "On target"
    assert rows["dfe-request-decisions"][5] == 0.848  # England 2024, on DfE's measure
    assert rows["dfe-review-decisions"][5] == 0.444
    assert rows["decision-6w"][5] == 0.90  # the tool's own rate: not England's figure
    (tmp_path / "bad.toml").write_text('[targets]\n"plan-20w" = 60\n')
    bad = runner.invoke(app, [*args[:-2], "--targets", str(tmp_path / "bad.toml")])
    assert bad.exit_code == 3 and "fractions between 0 and 1" in bad.stderr
