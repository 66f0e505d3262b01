"""The board pack workbook, reloaded with openpyxl as a reviewer would inspect it."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.utils.cell import range_boundaries
from typer.testing import CliRunner

from ehcp_timeliness.cli.app import app

runner = CliRunner()
SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
BOARD = ["Headline", "Contents", "Summary", "Trend", "Backlog", "Breakdown"]
LISTS = ["Breaches", "Due soon", "Annual reviews", "Findings"]
REFERENCE = ["Monthly rates", "Data quality", "Inputs", "Rules", "Notes"]
SHEETS = BOARD + LISTS + REFERENCE

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


def table(ws, name: str | None = None) -> tuple[list[str], list[dict]]:
    """The header and rows of a sheet's (only) Excel table, as written."""
    tables = list(ws.tables.values())
    t = tables[0] if name is None else next(x for x in tables if x.displayName == name)
    min_col, min_row, max_col, max_row = range_boundaries(t.ref)
    rows = list(ws.iter_rows(min_row=min_row, max_row=max_row, min_col=min_col,
                             max_col=max_col, values_only=True))  # fmt: skip
    header = [str(h) for h in rows[0]]
    return header, [dict(zip(header, r, strict=True)) for r in rows[1:]]


def texts(ws) -> list[str]:
    """The text in column A above the sheet's table (title, warning, notes)."""
    return [c.value for c in ws["A"] if isinstance(c.value, str)]


@pytest.fixture(scope="module")
def sample_pack(tmp_path_factory):
    out = tmp_path_factory.mktemp("pack")
    args = ["report", str(SAMPLE), "--as-at", "2025-03-31", "--period", "2024",
            "--xlsx", str(out / "board.xlsx"), "--council", "Testshire",
            "--max-detail-rows", "50", "--csv-dir", str(out / "csv")]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    (out / "console.txt").write_text(result.stdout)
    return out


def test_three_parts_one_table_a_sheet_and_a_contents_page(sample_pack):
    wb = load_workbook(sample_pack / "board.xlsx")
    assert wb.sheetnames == SHEETS
    for ws in wb.worksheets:
        assert len(ws.tables) <= 1, f"{ws.title} holds more than one table"
        assert ws.page_setup.orientation == "landscape"
        assert ws.page_setup.fitToWidth == 1
        assert ws.merged_cells.ranges == set()
    header, rows = table(wb["Contents"])
    assert header == ["Sheet", "Part", "What it shows"]
    assert [r["Sheet"] for r in rows] == SHEETS
    links = {c.value: c.hyperlink.location for c in wb["Contents"]["A"] if c.hyperlink}
    assert links["Summary"] == "'Summary'!A1" and len(links) == len(SHEETS)
    parts = {r["Sheet"]: r["Part"] for r in rows}
    assert {parts[s] for s in BOARD} == {"Board"} and {parts[s] for s in LISTS} == {
        "Operational list"}  # fmt: skip
    for name in LISTS:
        assert wb[name]["A1"].value.startswith("Operational list: ")


def test_board_sheets_print_on_one_landscape_page_fitted_to_width(sample_pack):
    """A rendering check: each board sheet's print area covers what it holds (table and
    charts), and it prints on one page tall, one page wide, in landscape."""
    wb = load_workbook(sample_pack / "board.xlsx")
    for name in ("Headline", "Summary", "Trend", "Backlog", "Contents"):
        ws = wb[name]
        assert ws.page_setup.fitToHeight == 1 and ws.page_setup.fitToWidth == 1, name
        assert ws.sheet_properties.pageSetUpPr.fitToPage, name
        area = ws.print_area
        assert area, name
        min_col, min_row, max_col, max_row = range_boundaries(area.split("!")[1].replace("$", ""))
        assert (min_col, min_row) == (1, 1)
        assert max_row >= ws.max_row and max_col >= ws.max_column, name  # nothing cut off
        assert max_row <= 80 and max_col <= 30, name  # small enough to read on one page
        for chart in ws._charts:
            anchor = chart.anchor._from
            assert anchor.row + 1 < max_row and anchor.col + 1 <= max_col, name
    for name in LISTS:  # worklists run to as many pages as they need, titles repeated
        ws = wb[name]
        assert ws.page_setup.fitToHeight == 0
        assert ws.print_title_rows, name


def test_the_headline_page(sample_pack):
    ws = load_workbook(sample_pack / "board.xlsx")["Headline"]
    assert ws["A1"].value == "Testshire: EHC plan statutory timeliness, 2024"
    header, rows = table(ws)
    assert header == ["Measure", "This period (%)", "Cases", "Previous period (%)",
                      "Change (points)", "Better or worse", "Target (%)", "Target from",
                      "Status"]  # fmt: skip
    by = {r["Measure"]: r for r in rows}
    twenty = by["Plans within 20 weeks"]
    args = ["report", str(SAMPLE), "--as-at", "2025-03-31", "--period", "2024", "--json", "-"]
    summary = json.loads(runner.invoke(app, args).stdout)
    ex = summary["plan_20w"]["excluding_exceptions"]
    assert twenty["Cases"] == f"{ex['met']:,} of {ex['completed']:,}"
    assert twenty["This period (%)"] == pytest.approx(ex["rate"], rel=1e-12)
    assert (twenty["Target (%)"], twenty["Target from"]) == (0.464, "England 2024, DfE")
    assert twenty["Status"] in {"On target", "Below target", "Well below"}
    change = twenty["This period (%)"] - twenty["Previous period (%)"]
    assert twenty["Change (points)"] == pytest.approx(change * 100)
    assert twenty["Better or worse"] == ("Better" if change > 0 else "Worse")
    assert "Requests decided within 6 weeks (DfE measure)" in by
    assert not [m for m in by if m.startswith("Tribunal")]  # no orders: named, not zeros
    notes = texts(ws)
    assert any(n.startswith("Not shown: the extract has no tribunal orders") for n in notes)
    assert any("requests for assessment were waiting for a final plan at 31 March 2025" in n
               for n in notes)  # fmt: skip
    sentence = next(n for n in notes if "of EHC plans were issued within 20 weeks" in n)
    assert sentence.startswith(f"• {ex['rate'] * 100:.1f}% of EHC plans were issued within 20 "
                               "weeks in 2024")  # fmt: skip
    charts = ws._charts
    assert len(charts) == 2
    assert charts[0].series[0].val.numRef.f.startswith("'Trend'!")
    assert all(not s.smooth for c in charts for s in c.series)  # straight segments


def test_the_console_headline_shows_the_headline_page(sample_pack):
    """What ``ehcp report`` prints is the pack's first page: each measure's row, line for
    line, with the same rate, cases, change and status, and the same sentences under it."""
    console = (sample_pack / "console.txt").read_text()
    _, rows = table(load_workbook(sample_pack / "board.xlsx")["Headline"])
    lines = console.splitlines()
    for r in rows:
        line = next(x for x in lines if x.strip().startswith(r["Measure"] + "  "))
        met, completed = r["Cases"].split(" of ")
        cells = line.split()
        assert f"{r['This period (%)'] * 100:.1f}%" in cells, line
        assert f"{met}/{completed}" in cells, line
        assert f"{r['Change (points)']:+.1f}" in cells, line
        assert r["Status"] in line and r["Better or worse"].lower() in cells, line
    ws = load_workbook(sample_pack / "board.xlsx")["Headline"]
    backlog = next(n for n in texts(ws) if "were waiting for a final plan" in n)
    assert " ".join(backlog.split()) in " ".join(console.split())
    assert "Not shown: the extract has no tribunal orders" in console
    assert "Statutory clocks" not in console  # the detail waits for --detail


def test_summary_one_basis_a_row_with_counts_and_sources(sample_pack):
    header, rows = table(load_workbook(sample_pack / "board.xlsx")["Summary"])
    for column in ("This period (%)", "On time", "Cases", "Previous period (%)",
                   "Previous cases", "Change (points)", "Target (%)", "Target from", "Status",
                   "Open (not yet due)", "Overdue", "Waiting (open + overdue)", "Counts",
                   "Rule id"):  # fmt: skip
        assert column in header
    by = {r["Rule id"]: r for r in rows}
    twenty = by["plan-20w"]
    assert twenty["Counts"] == "issued in the period, excluding exceptions"
    assert twenty["On time"] / twenty["Cases"] == pytest.approx(twenty["This period (%)"])
    assert twenty["Waiting (open + overdue)"] == twenty["Open (not yet due)"] + twenty["Overdue"]
    assert by["dfe-review-decisions"]["Counts"].startswith("DfE measure")
    assert by["decision-6w"]["Target (%)"] == 0.90  # the tool's own rate: not England's figure
    assert by["decision-6w"]["Target from"] == "default: no published figure"


def test_trend_and_its_charts(sample_pack):
    ws = load_workbook(sample_pack / "board.xlsx")["Trend"]
    header, rows = table(ws)
    assert header[:4] == ["Month", "Plans within 20 weeks, excluding exceptions (%)",
                          "Plans issued, excluding exceptions", "Target (%)"]  # fmt: skip
    assert "Requests waiting at month end" in header and "Of which past 20 weeks" in header
    assert len(rows) == 12
    assert len(ws._charts) == 3
    column = chr(ord("A") + header.index("Plans within 20 weeks, excluding exceptions (%)"))
    first = ws.tables[next(iter(ws.tables))].ref.split(":")[0]
    start = int(first[1:])
    reference = f"'Trend'!${column}${start + 1}:${column}${start + 12}"
    assert ws._charts[0].series[0].val.numRef.f == reference


def test_capped_breaches_filtered_to_the_period_and_the_full_history_beside(sample_pack):
    ws = load_workbook(sample_pack / "board.xlsx")["Breaches"]
    note = " ".join(texts(ws))
    assert "Showing the first 50 of " in note and "board-breaches.csv" in note
    header, rows = table(ws)
    assert len(rows) == 50
    assert header[:3] == ["Measure", "Rule id", "Person ID"]
    assert {r["Status"] for r in rows} <= {"Late", "Overdue"}
    days = [r["Days over"] for r in rows]
    assert days == sorted(days, reverse=True)  # most overdue first
    full = pd.read_csv(sample_pack / "board-breaches.csv", encoding="utf-8-sig")
    assert set(full["status"]) == {"late", "overdue"}
    assert full["days_over"].is_monotonic_decreasing
    shown_total = int(note.split("Showing the first 50 of ")[1].split(" rows")[0].replace(",", ""))
    assert len(full) > shown_total  # the sheet: this period's and overdue; the file: every one
    late_before = full[(full["status"] == "late") & (full["end_date"] < "2024-01-01")]
    assert len(late_before)  # the full history holds breaches before the period


def test_capped_annual_reviews_go_beside_too(sample_pack):
    ws = load_workbook(sample_pack / "board.xlsx")["Annual reviews"]
    note = " ".join(texts(ws))
    assert "Showing the first 50 of " in note and "board-annual-reviews.csv" in note
    full = pd.read_csv(sample_pack / "board-annual-reviews.csv", encoding="utf-8-sig")
    assert len(full) == int(note.split("Showing the first 50 of ")[1].split(" rows")[0]
                            .replace(",", ""))  # fmt: skip
    assert set(full["rule"]) == {"review-12m"}
    _, rows = table(ws)
    assert [r["Record ID"] for r in rows] == full["record_id"].head(50).tolist()  # same order
    overdue = full["status"] == "overdue"
    assert overdue.iloc[: overdue.sum()].all()  # overdue first, as on the sheet


def test_capped_findings_go_beside_in_the_findings_format(tmp_path):
    bad = "".join(f"P{i},not a date\n" for i in range(5))
    (tmp_path / "requests.csv").write_text("person_id,received_date\nP0,2024-01-02\n" + bad)
    (tmp_path / "plans.csv").write_text(PLANS)
    args = ["report", str(tmp_path / "requests.csv"), str(tmp_path / "plans.csv"),
            "--as-at", "2025-03-31", "--xlsx", str(tmp_path / "b.xlsx"),
            "--max-detail-rows", "2", "--allow-partial"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code in (0, 1), result.output
    ws = load_workbook(tmp_path / "b.xlsx")["Findings"]
    assert any("b-findings.csv" in t for t in texts(ws))
    full = pd.read_csv(tmp_path / "b-findings.csv", encoding="utf-8-sig")
    assert full["row"].tolist() == [3, 4, 5, 6, 7]
    assert set(full["code"]) == {"invalid-date"}


def test_an_empty_table_says_why_in_a_sentence(tmp_path):
    (tmp_path / "requests.csv").write_text(REQUESTS.replace(",Surname", "").replace(
        ",Smith", "").replace(",Jones", "").replace(",Brown", "").replace(",Green", "")
        .replace(",White", ""))  # fmt: skip
    target = tmp_path / "out" / "b.xlsx"
    args = ["report", str(tmp_path / "requests.csv"), "--as-at", "2025-03-31", "--xlsx",
            str(target)]  # fmt: skip
    assert runner.invoke(app, args).exit_code == 0
    wb = load_workbook(target)
    assert not wb["Annual reviews"].tables
    assert "No annual review is overdue or falls due in the next 3 months." in texts(
        wb["Annual reviews"])  # fmt: skip
    cells = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert "No rows." not in cells


def test_csv_dir_holds_each_table(sample_pack):
    names = sorted(p.name for p in (sample_pack / "csv").iterdir())
    assert {f"{s}.csv" for s in SHEETS} <= set(names)
    summary = pd.read_csv(sample_pack / "csv" / "Summary.csv", encoding="utf-8-sig")
    assert {"dfe-request-decisions", "dfe-review-decisions", "plan-20w"} <= set(summary["Rule id"])


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
    assert "'@East" in set(backlog["Team"])  # CSV cells a spreadsheet would run are defused
    assert sorted(p.name for p in target.parent.iterdir()) == [
        "board-breaches.csv",
        "board.xlsx",
    ]  # no temp files


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


def test_targets_file_with_named_sources(tmp_path):
    (tmp_path / "t.toml").write_text(
        'schema_version = 1\namber_within = 0.05\n[targets]\n"plan-20w" = 0.15\n'
        '[sources]\n"plan-20w" = "SEND strategy 2025"\n'
    )
    target = tmp_path / "b.xlsx"
    args = ["report", str(SAMPLE), "--as-at", "2025-03-31", "--period", "2024",
            "--xlsx", str(target), "--targets", str(tmp_path / "t.toml"),
            "--max-detail-rows", "5"]  # fmt: skip
    assert runner.invoke(app, args).exit_code == 0
    _, rows = table(load_workbook(target)["Summary"])
    by = {r["Rule id"]: r for r in rows}
    assert (by["plan-20w"]["Target (%)"], by["plan-20w"]["Status"]) == (0.15, "On target")
    assert by["plan-20w"]["Target from"] == "SEND strategy 2025"
    assert by["dfe-request-decisions"]["Target (%)"] == 0.848  # England 2024, DfE's measure
    assert by["dfe-review-decisions"]["Target (%)"] == 0.444
    (tmp_path / "bad.toml").write_text('[targets]\n"plan-20w" = 60\n')
    bad = runner.invoke(app, [*args[:-2], "--targets", str(tmp_path / "bad.toml")])
    assert bad.exit_code == 3 and "fractions between 0 and 1" in bad.stderr
    (tmp_path / "orphan.toml").write_text('[sources]\n"plan-20w" = "x"\n')
    orphan = runner.invoke(app, [*args[:-2], "--targets", str(tmp_path / "orphan.toml")])
    assert orphan.exit_code == 3 and "[targets] does not set" in orphan.stderr


def test_human_labels_in_lists_and_breakdown(sample_pack):
    wb = load_workbook(sample_pack / "board.xlsx")
    header, rows = table(wb["Due soon"])
    assert "Team" in header and "Primary need" in header and "team" not in header
    assert {r["Status"] for r in rows} == {"Open (not yet due)"}
    header, rows = table(wb["Breakdown"])
    assert header[:3] == ["Team", "Measure", "Rule id"]
    assert {r["Team"] for r in rows} == {"Central", "East", "North", "South", "West"}
