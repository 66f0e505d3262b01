"""Hostile text in values, headers and options: control characters, terminal escapes, Rich
markup, formula prefixes. None may crash a command, reach the terminal as escapes, or reach a
CSV as a live formula."""

from __future__ import annotations

from datetime import date

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
    assert f[["row", "column", "code", "value"]].values.tolist() == [
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
