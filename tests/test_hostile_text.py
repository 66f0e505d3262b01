"""Hostile text in values, headers and options: control characters, terminal escapes, Rich
markup, formula prefixes. None may crash a command, reach the terminal as escapes, or reach a
CSV as a live formula."""

from __future__ import annotations

import csv
from datetime import date

import pyarrow as pa
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from ehcp_timeliness.cli import common
from ehcp_timeliness.cli.app import app
from ehcp_timeliness.clocks.engine import CASE_COLUMNS
from ehcp_timeliness.load import load
from ehcp_timeliness.text import strip_controls

AS_AT = date(2025, 3, 31)


def test_control_characters_are_removed_as_read_with_a_finding(write):
    path = write(
        "r.csv",
        "person_id,received_date,team\x00\n"
        "P1,2024-01-02,North\x00\n"
        "P2,2024-01-03,\x1b[31mSouth\x1b[0m\n"
        "P3,2024-01-04,East\x0b\x01\n"
        "P4,2024-01-05,£ West\n"
        "P5,bad\x00date,North\n",
    )
    result = load([path], as_at=AS_AT)
    assert result.tables["requests"]["team"].tolist() == ["North", "South", "East", "£ West"]
    f = result.findings
    shown = f[["row", "column", "code", "value"]].astype(object)
    assert shown.where(shown.notna(), None).values.tolist() == [
        [1, "team", "control-characters-removed", None],
        [2, "team", "control-characters-removed", "North"],
        [3, "team", "control-characters-removed", "South"],
        [4, "team", "control-characters-removed", "East"],
        [6, "received_date", "control-characters-removed", "baddate"],
        [6, "received_date", "invalid-date", "baddate"],
    ]
    assert result.summaries[0].rows_read == 5 and result.summaries[0].rows_rejected == 1


def test_a_row_of_nothing_but_control_characters_is_blank(write):
    path = write("r.csv", "person_id,received_date\nP1,2024-01-02\n\x00,\x01\n")
    result = load([path], as_at=AS_AT)
    assert result.summaries[0].blank_rows_ignored == 1
    assert result.summaries[0].rows_read == 1


def test_strip_controls_keeps_tabs_newlines_and_text():
    assert strip_controls("a\tb\nc\r£°é") == "a\tb\nc\r£°é"
    assert strip_controls("\x1b]8;;https://x.example\x07link\x1b]8;;\x07\x9b2J") == "link2J"


# --- the terminal: Rich markup and escapes ----------------------------------------------------

runner = CliRunner()
PLANS = "person_id,plan_id,plan_issue_date\nP9,E9,2023-06-01\n"


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    """Tables a line wide per row, so that a cell's text is never folded across lines."""
    monkeypatch.setattr(common.out, "width", 2000)


def test_markup_and_escapes_in_values_print_literally(tmp_path):
    (tmp_path / "requests.csv").write_text(
        "person_id,received_date,request_outcome,team\n"
        "P1,[/],Y,[/]\n"  # a closing tag with nothing open: Rich's MarkupError
        "P2,2024-01-02,[link=https://evil.example]click[/link],North\n"
        "P3,2024-01-03,Y,\x1b]8;;https://evil.example\x07South\x1b]8;;\x07\n"
        "P4,2024-01-04,Y,[bold]East\n"
    )
    (tmp_path / "plans.csv").write_text(PLANS)
    result = runner.invoke(app, ["validate", str(tmp_path), "--as-at", "2025-03-31"])
    assert result.exit_code == 0, result.output
    assert "[/]" in result.stdout
    assert "[link=https://evil.example]click[/link]" in result.stdout
    assert "\x1b" not in result.output
    report = runner.invoke(app, ["report", str(tmp_path), "--as-at", "2025-03-31",
                                 "--by", "team", "--detail"])  # fmt: skip
    assert report.exit_code == 0, report.output
    assert "[bold]East" in report.stdout and "\x1b" not in report.output


def test_a_file_name_with_escapes_or_markup_is_shown_without_them(tmp_path):
    name = tmp_path / "req[b]\x1b[2J.csv"  # no "[/]": a file name cannot hold a slash
    name.write_text("person_id,received_date\nP1,bad\n")
    found = tmp_path / "out[b]\x1b[2J.csv"
    result = runner.invoke(app, ["validate", str(name), "--as-at", "2025-03-31",
                                 "--findings-out", str(found)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "req[b].csv" in result.stdout  # ESC [2J gone whole
    assert "out[b].csv" in result.stderr
    missing = runner.invoke(app, ["validate", str(tmp_path / "no[b]\x1b[2J.csv")])
    assert missing.exit_code == 3 and "\x1b" not in missing.output and "no[b]" in missing.stderr


def test_rule_titles_print_literally(tmp_path):
    (tmp_path / "local.toml").write_text(
        'schema_version = 1\n[[rule]]\nid = "local-2w"\nkind = "interval"\n'
        'title = "[bold]Local[/bold] rule [/] \\u001b[31m\\u0001"\n'
        'citation = "[link=https://evil.example]Local policy[/link]"\n'
        'table = "requests"\nstart = "received_date"\nstop = "request_outcome_date"\n'
        "limit = { weeks = 2 }\n"
    )
    result = runner.invoke(app, ["rules", "--rules", str(tmp_path / "local.toml")])
    assert result.exit_code == 0, result.output
    assert "[bold]Local[/bold] rule [/] " in result.stdout
    assert "[link=https://evil.example]Local policy[/link]" in result.stdout
    assert "\x1b" not in result.output and "\x01" not in result.output


# --- the workbook: control characters anywhere -------------------------------------------------


def test_control_characters_anywhere_never_break_the_pack(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "requests.csv").write_text(
        "person_id,received_date,request_outcome,request_outcome_date,team\n"
        "P1,2024-01-02,Y,2024-02-01,North\x00\x0b\n"
        "P2,2024\x01-01-03,Y,2024-02-01,South\n"  # a bad date shown on Data quality
    )
    (tmp_path / "in" / "plans.csv").write_text(PLANS)
    (tmp_path / "rules.toml").write_text(
        'schema_version = 1\n[[rule]]\nid = "local-2w"\nkind = "interval"\n'
        'title = "Local\\u0000 rule\\u000b"\ncitation = "Policy \\u0001"\n'
        'table = "requests"\nstart = "received_date"\nstop = "request_outcome_date"\n'
        "limit = { weeks = 2 }\n"
    )
    target = tmp_path / "out" / "board.xlsx"
    args = ["report", str(tmp_path / "in"), "--as-at", "2025-03-31", "--xlsx", str(target),
            "--council", "Test\x00shire\x1b[31m", "--rules", str(tmp_path / "rules.toml"),
            "--csv-dir", str(tmp_path / "out" / "csv")]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    wb = load_workbook(target)
    values = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    text = "\n".join(str(v) for v in values if v is not None)
    assert "Testshire" in text and "Local rule" in text and "Policy " in text
    assert not any(ch in text for ch in "\x00\x01\x0b\x1b")


# --- CSV files: formulas defused in every one, headers too -------------------------------------

FORMULA = '=HYPERLINK("http://evil.example","x")'


def test_every_csv_defuses_formulas_unless_raw(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "m.toml").write_text('schema_version = 1\ndimensions = ["=Band"]\n')
    rows = "".join(
        f'P{i},2024-01-0{i},Y,2024-03-0{i},"{FORMULA.replace(chr(34), chr(34) * 2)}",-{i},@x\n'
        for i in range(1, 4)
    )
    (tmp_path / "in" / "requests.csv").write_text(
        "person_id,received_date,request_outcome,request_outcome_date,team,=Band,"
        "request_source\n" + rows + "P9,+bad,Y,,North,1,2\n"
    )
    (tmp_path / "in" / "plans.csv").write_text(PLANS)
    out = tmp_path / "out"

    def run(*extra: str) -> None:
        args = ["report", str(tmp_path / "in"), "--as-at", "2025-03-31", "--mapping",
                str(tmp_path / "m.toml"), "--cases-out", str(out / "cases.csv"),
                "--xlsx", str(out / "board.xlsx"), "--max-detail-rows", "1",
                "--csv-dir", str(out / "csv"), "--by", "=Band", "--allow-partial",
                *extra]  # fmt: skip
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        result = runner.invoke(app, ["validate", str(tmp_path / "in"), "--as-at", "2025-03-31",
                                     "--findings-out", str(out / "findings.csv"),
                                     *extra])  # fmt: skip
        assert result.exit_code == 0, result.output

    def cells() -> dict[str, list[str]]:
        found = {}
        for path in sorted(out.rglob("*.csv")):
            with open(path, newline="", encoding="utf-8-sig") as f:
                found[str(path.relative_to(out))] = [c for row in csv.reader(f) for c in row]
        return found

    run()
    written = cells()
    assert {"cases.csv", "findings.csv", "board-breaches.csv", "csv/Backlog.csv"} <= set(written)
    for name, values in written.items():
        risky = [v for v in values if v.startswith(("=", "+", "@", "\t", "\r"))
                 or (v.startswith("-") and not v.lstrip("-").isdigit())]  # fmt: skip
        assert risky == [], name
    assert "'" + FORMULA in written["cases.csv"] and "'=Band" in written["cases.csv"]
    assert "'=Band" in written["csv/Backlog.csv"] and "'-1" in written["cases.csv"]
    assert "'+bad" in written["findings.csv"]
    assert "'" + FORMULA in written["board-breaches.csv"]

    run("--raw-csv")
    raw = cells()
    assert FORMULA in raw["cases.csv"] and "=Band" in raw["cases.csv"]
    assert "+bad" in raw["findings.csv"] and "=Band" in raw["csv/Backlog.csv"]


# --- dimensions named like the columns written beside them ------------------------------------


def test_a_status_dimension_is_renamed_and_every_output_holds(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "m.toml").write_text(
        'schema_version = 1\ndimensions = ["Status", "rule", "Due Date", "days_over"]\n'
    )
    (tmp_path / "in" / "requests.csv").write_text(
        "person_id,received_date,request_outcome,request_outcome_date,Status,rule,Due Date,"
        "days_over\nP1,2024-01-02,Y,2024-03-01,Open,r,d,5\nP2,2024-01-03,,,Closed,r,d,6\n"
    )
    (tmp_path / "in" / "plans.csv").write_text(PLANS)
    out = tmp_path / "out"
    args = ["report", str(tmp_path / "in"), "--as-at", "2025-03-31", "--mapping",
            str(tmp_path / "m.toml"), "--cases-out", str(out / "cases.csv"), "--xlsx",
            str(out / "board.xlsx"), "--csv-dir", str(out / "csv"), "--by", "dim_Status",
            "--json", str(out / "r.json"), "--allow-partial"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    with open(out / "cases.csv", newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    assert rows[0][-4:] == ["dim_Status", "dim_rule", "dim_Due Date", "dim_days_over"]
    assert {len(r) for r in rows} == {len(rows[0])}
    assert rows[0][:9] == CASE_COLUMNS
    breaches = load_workbook(out / "board.xlsx")["Breaches"]
    header = [c.value for c in next(r for r in breaches.iter_rows() if r[0].value == "Measure")]
    assert header[-4:] == ["dim_Status", "dim_rule", "dim_Due Date", "dim_days_over"]


def test_byte_level_filters_read_sliced_arrays():
    from ehcp_timeliness.text import strip_controls_arrow
    from ehcp_timeliness.write.csvsafe import defuse_text

    arr = pa.array(["=x\x00", "ok", "£ fine", "-1", "\x9b"], pa.string())
    cleaned, found = strip_controls_arrow(arr.slice(1, 2))  # "ok", "£ fine": nothing to do
    assert found is None and cleaned.to_pylist() == ["ok", "£ fine"]
    cleaned, found = strip_controls_arrow(arr.slice(3))
    assert cleaned.to_pylist() == ["-1", ""] and found.tolist() == [False, True]
    assert defuse_text(arr.slice(1, 2)).to_pylist() == ["ok", "£ fine"]
    assert defuse_text(arr.slice(2, 2)).to_pylist() == ["£ fine", "'-1"]
