"""Hostile and broken CSV files: read, or exit 3 in one line; never exit 5, never a lost row.

Issue 12's table, CSV rows. Every fixture is generated here. Each check also reconciles the
file's physical lines: rows read + blank rows = lines after the header (cells over several
lines excepted, where named).
"""

from __future__ import annotations

import codecs
import random
from datetime import date

import pytest
from typer.testing import CliRunner

from ehcp_timeliness.cli.app import app
from ehcp_timeliness.limits import MAX_CELL_CHARS
from ehcp_timeliness.load import load

AS_AT = date(2025, 3, 31)
runner = CliRunner()
HEADER = "person_id,received_date,team\n"
ROWS = [f"P{i},2024-01-{i % 28 + 1:02d},North\n" for i in range(200)]
NAMES = [r.replace("North", "Zoë") for r in ROWS]


def accounted(result, data_lines: int) -> None:
    """Every data line is a row read (usable or rejected) or a blank row."""
    (s,) = result.summaries
    assert s.rows_read == s.rows_usable + s.rows_rejected
    assert s.rows_read + s.blank_rows_ignored == data_lines


def exit_code(path) -> tuple[int, str]:
    result = runner.invoke(app, ["validate", str(path), "--as-at", "2025-03-31"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, " ".join(result.stderr.split())


def codes(result) -> list[str]:
    return result.findings["code"].tolist()


def test_cr_only_line_endings_are_read(write):
    path = write("r.csv", (HEADER + "".join(ROWS)).replace("\n", "\r"))
    result = load([path], as_at=AS_AT)
    assert codes(result) == []
    assert result.tables["requests"]["_row"].tolist() == list(range(2, 202))
    accounted(result, 200)


def test_cr_only_with_a_blank_line_and_a_cell_over_two_lines(write):
    text = HEADER + ROWS[0] + "\n" + 'P9,2024-01-02,"two\nlines"\n' + ROWS[1]
    result = load([write("r.csv", text.replace("\n", "\r"))], as_at=AS_AT)
    assert result.tables["requests"]["_row"].tolist() == [2, 4, 5]
    assert result.tables["requests"]["team"].tolist()[1] == "two\nlines"


def test_a_10_mb_header_cell_exits_3(write):
    path = write("r.csv", "person_id,received_date," + "x" * 10_000_000 + "\n" + "".join(ROWS))
    code, err = exit_code(path)
    assert code == 3
    assert f"{path}: the header line runs past" in err and "in header cell 3" in err


def test_a_long_but_bounded_header_cell_exits_3_naming_it(write):
    path = write("r.csv", "person_id,received_date," + "x" * 5_000 + "\n" + "".join(ROWS))
    code, err = exit_code(path)
    assert code == 3 and "header cell 3 is 5,000 characters long" in err


@pytest.mark.parametrize(
    "data, says",
    [
        (random.Random(1).randbytes(100_000), "binary data"),
        (random.Random(2).randbytes(100_000).replace(b"\0", b"\1"), "no recognisable"),
        (b"PK\x03\x04" + bytes(100), "a ZIP archive"),
        (b"\xd0\xcf\x11\xe0" + bytes(100), "an old Excel (.xls)"),
        (b"%PDF-1.7\n" + bytes(100), "a PDF document"),
        (("person_id,received_date\n").encode("utf-16-le"), "binary data"),
        (codecs.BOM_UTF16_LE + b"p\x00\x00\xd8", "not valid UTF-16"),
    ],
    ids=["random", "random-no-nul", "zip", "xls", "pdf", "utf16-no-bom", "bad-utf16"],
)
def test_binary_garbage_named_csv_exits_3(write, data, says):
    path = write("r.csv", data)
    code, err = exit_code(path)
    assert code == 3, err
    assert str(path) in err and says in err


@pytest.mark.parametrize("size", [10_000_000, MAX_CELL_CHARS + 1])
def test_a_huge_data_cell_is_a_finding_and_its_row_is_accounted(write, size):
    text = HEADER + "".join(ROWS[:5]) + "P9,2024-01-02," + "y" * size + "\n" + "".join(ROWS[5:])
    result = load([write("r.csv", text)], as_at=AS_AT)
    f = result.findings
    assert f[["row", "column", "code"]].values.tolist() == [[7, "team", "cell-too-long"]]
    assert f["message"].iloc[0].startswith(f"{size:,} characters;")
    assert f["value"].isna().all()  # never quoted
    accounted(result, 201)


def test_a_200_kb_multiline_cell_is_a_finding_and_later_rows_keep_their_numbers(write):
    cell = ("z" * 99 + "\n") * 2_000
    text = HEADER + "".join(ROWS[:5]) + f'P9,2024-01-02,"{cell}"\n' + "".join(ROWS[5:])
    result = load([write("r.csv", text)], as_at=AS_AT)
    f = result.findings
    assert f[["row", "column", "code"]].values.tolist() == [[7, "team", "cell-too-long"]]
    assert "over 2,001 lines" in f["message"].iloc[0]
    assert result.tables["requests"]["_row"].tolist() == [*range(2, 7), *range(8, 203)]
    s = result.summaries[0]
    assert (s.rows_read, s.rows_rejected) == (201, 1)  # 2,001 lines, one row


def test_a_cell_at_the_limit_is_read(write):
    text = HEADER + "P9,2024-01-02," + "y" * MAX_CELL_CHARS + "\n"
    result = load([write("r.csv", text)], as_at=AS_AT)
    assert codes(result) == [] and len(result.tables["requests"]) == 1


def test_utf16_with_a_bom_is_decoded(write):
    text = HEADER + "".join(NAMES)
    for encoding in ("utf-16", "utf-16-be", "utf-32"):
        bom = {"utf-16-be": codecs.BOM_UTF16_BE}.get(encoding, b"")
        result = load([write("r.csv", bom + text.encode(encoding))], as_at=AS_AT)
        assert codes(result) == [], encoding
        assert set(result.tables["requests"]["team"]) == {"Zoë"}
        accounted(result, 200)


def test_utf16_with_crlf_line_ends(write):
    text = (HEADER + "".join(NAMES)).replace("\n", "\r\n")
    result = load([write("r.csv", text.encode("utf-16"))], as_at=AS_AT)
    assert codes(result) == [] and set(result.tables["requests"]["team"]) == {"Zoë"}


def test_one_cp1252_line_in_utf8_is_named_and_does_not_garble_the_rest(write):
    data = (HEADER + "".join(NAMES)).encode("utf-8")
    line_57 = NAMES[55].encode("utf-8")
    data = data.replace(line_57, NAMES[55].encode("cp1252"))
    result = load([write("r.csv", data)], as_at=AS_AT)
    f = result.findings
    assert f[["row", "code", "severity"]].values.tolist() == [[57, "encoding-fallback", "warning"]]
    assert f["message"].iloc[0] == (
        "line 57 is not UTF-8 like the rest of the file; read as Windows-1252"
    )
    assert set(result.tables["requests"]["team"]) == {"Zoë"}  # every line, both encodings
    accounted(result, 200)


def test_mixed_encodings_in_a_messy_file_name_the_row_the_line_is_in(write):
    # A cell over two lines (rows and lines part) and a blank line: the exact reader.
    text = HEADER + 'P0,2024-01-02,"two\nlines"\n\n' + "".join(NAMES[1:4])
    data = text.encode("utf-8").replace(NAMES[2].encode(), NAMES[2].encode("cp1252"))
    result = load([write("r.csv", data)], as_at=AS_AT)
    f = result.findings
    assert f[["row", "code"]].values.tolist() == [[5, "encoding-fallback"]]
    assert f["message"].iloc[0].startswith("line 6 is not UTF-8")
    assert result.tables["requests"]["team"].tolist() == ["two\nlines", "Zoë", "Zoë", "Zoë"]


def test_cp1252_with_a_utf8_bom_is_one_finding_and_read_right(write):
    data = codecs.BOM_UTF8 + (HEADER + "".join(NAMES)).encode("cp1252")
    result = load([write("r.csv", data)], as_at=AS_AT)
    f = result.findings
    assert f["code"].tolist() == ["encoding-fallback"]
    assert "starts with a UTF-8 byte-order mark but is Windows-1252" in f["message"].iloc[0]
    assert "line 2 is the first" in f["message"].iloc[0]
    assert set(result.tables["requests"]["team"]) == {"Zoë"}


def test_plain_cp1252_is_read_without_a_word(write):
    result = load([write("r.csv", (HEADER + "".join(NAMES)).encode("cp1252"))], as_at=AS_AT)
    assert codes(result) == [] and set(result.tables["requests"]["team"]) == {"Zoë"}


def test_an_unbalanced_quote_costs_one_row_not_the_rest_of_the_file(write):
    rows = list(ROWS)
    rows[10] = 'P10,"2024-01-11,North\n'  # line 12: the quote never closes
    result = load([write("r.csv", HEADER + "".join(rows))], as_at=AS_AT)
    f = result.findings
    assert f[["row", "code"]].values.tolist() == [[12, "unclosed-quote"]]
    assert f["message"].iloc[0].startswith("line 12: a quote opens")
    assert len(result.tables["requests"]) == 199
    accounted(result, 200)


def test_a_stray_quote_closed_by_a_later_one_does_not_swallow_the_lines_between(write):
    rows = list(ROWS)
    rows[10] = 'P10,"2024-01-11,North\n'
    rows[20] = 'P20,2024-01-21,"North"x\n'  # a later quote that "closes" it
    result = load([write("r.csv", HEADER + "".join(rows))], as_at=AS_AT)
    assert result.findings["code"].tolist()[0] == "unclosed-quote"
    assert result.findings["row"].tolist()[0] == 12
    assert len(result.tables["requests"]) == 199  # rows 13 to 201, row 22 read leniently
    accounted(result, 200)


def test_quotes_swallowing_lines_into_a_record_of_the_wrong_width_are_undone(write):
    rows = list(ROWS)
    rows[10] = 'P10,"2024-01-11\n'  # runs into the next line and closes there, cleanly
    rows[11] = 'P11",North\n'
    result = load([write("r.csv", HEADER + "".join(rows))], as_at=AS_AT)
    f = result.findings
    assert f[["row", "code"]].values.tolist()[0] == [12, "unclosed-quote"]
    accounted(result, 200)


def test_a_quote_opening_in_every_cell_quoted_file(write):
    rows = ['"' + r.strip().replace(",", '","') + '"\n' for r in ROWS]
    rows[10] = rows[10].replace('"P10"', '"P10')
    result = load([write("r.csv", '"person_id","received_date","team"\n' + "".join(rows))],
                  as_at=AS_AT)  # fmt: skip
    assert result.findings["row"].tolist() == [12]  # that one row, read leniently and rejected
    accounted(result, 200)


def test_a_genuine_cell_over_several_lines_is_still_one_row(write):
    text = HEADER + ROWS[0] + 'P9,2024-01-02,"a note\nover three\nlines"\n' + ROWS[1]
    result = load([write("r.csv", text)], as_at=AS_AT)
    assert codes(result) == []
    assert result.tables["requests"]["_row"].tolist() == [2, 3, 4]


def test_inserted_nul_bytes_after_the_header_do_not_crash(write):
    text = HEADER + "".join(ROWS[:3]) + "P\x009,2024-01-02,No\x00rth\n"
    result = load([write("r.csv", text)], as_at=AS_AT)
    accounted(result, 4)


def test_a_header_that_ran_into_the_data_exits_3_without_quoting_it(write):
    path = write("r.csv", "person_id,received_date,team P1,2024-01-02,North\n" + ROWS[1])
    code, err = exit_code(path)
    assert code == 3 and "header cell 4 is a date, so the header row holds data" in err
    assert "North" not in err
