"""Random mutations of the sample files, through ``validate`` and ``report`` as a user runs them.

Issue 12 rebuilt as a test: hypothesis mutates slices of the sample extract (CSV: byte flips,
truncation, inserted quotes, line breaks and NULs, header edits, encoding swaps, duplicated rows,
a huge cell; XLSX: the same on the sheet's XML, or on the zip itself) and runs each mutant
through ``ehcp validate`` (JSON with ``--findings-out``, and the console table) and ``ehcp
report --json - --cases-out --csv-dir`` via the console script's ``main()``. Every run must:

* exit 0 or 3 (a finding, or one line naming the file), never 5 (an internal error);
* account for every row: rows read = usable + rejected, and rows read + blank rows agrees with
  an independent count of the file's physical records (CSV: its lines, less those a quote can
  have joined; XLSX: openpyxl's non-blank rows below the header);
* let no planted identifier (a surname and a UPN column, dropped on read, even when a
  mutation renames their headers) reach any output: stdout, stderr or any CSV written.

In a workbook every cell has its own address, so cutting XML between two cells can splice a
surname onto the end of a coded cell in another column ("0Quuxworthington29"), which a
finding then quotes as the unknown code: no reader can tell that apart from a local code.
XLSX mutants are therefore held to the identifiers findings withhold wherever they appear
(the UPN); in a CSV such a splice makes a row of the wrong width, set aside unquoted.

``EHCP_FUZZ=long`` runs 400 examples of each kind instead of CI's 25.
"""

from __future__ import annotations

import codecs
import io
import json
import os
import re
import sys
import zipfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from ehcp_timeliness.cli import logs
from ehcp_timeliness.cli.app import main

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
LONG = os.environ.get("EHCP_FUZZ") == "long"
FUZZ = settings(
    max_examples=400 if LONG else 25,
    deadline=None,
    derandomize=not LONG,  # CI sees the same examples every run
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SURNAME, UPN = "Quuxworthington", "K804511927363"
PLANTED = [SURNAME, UPN]


def _base(name: str, rows: int = 30) -> list[list[str]]:
    lines = (SAMPLE / name).read_text(encoding="utf-8").splitlines()[: rows + 1]
    table = [line.split(",") for line in lines]
    return [["Child Surname", "UPN", *table[0]]] + [
        [f"{SURNAME}{i}", f"{UPN[:-2]}{i:02d}", *row] for i, row in enumerate(table[1:])
    ]


BASES = {name: _base(name) for name in ("requests.csv", "plans.csv")}


def run(argv: list[str]) -> tuple[int, str, str]:
    """``ehcp ARGV`` in this process: the exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with mock.patch.object(sys, "argv", ["ehcp", *argv]), redirect_stdout(out), \
            redirect_stderr(err):  # fmt: skip
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    logs.configure()  # the log handler back to the real stderr
    return code, out.getvalue(), err.getvalue()


def check_run(path: Path, tmp: Path, planted: list[str] = PLANTED) -> dict | None:  # noqa: B006
    """Validate (JSON, findings CSV, console) and report (JSON, case list, CSV folder) ``path``;
    the validate JSON when it was read (exit 0)."""
    out = tmp / "out"
    code, stdout, stderr = run(["validate", str(path), "--as-at", "2025-03-31", "--format",
                                "json", "--findings-out", str(out / "findings.csv")])  # fmt: skip
    assert code in (0, 3), stderr[-2000:]
    console = run(["validate", str(path), "--as-at", "2025-03-31"])
    assert console[0] == code, console[2][-2000:]
    report_code, *printed = run(["report", str(path), "--as-at", "2025-03-31", "--json", "-",
                                 "--cases-out", str(out / "cases.csv"), "--csv-dir",
                                 str(out / "csv")])  # fmt: skip
    if report_code != code:  # report refuses to publish what validate only reports on
        assert code == 0, printed[1][-2000:]
        why = {3: "no usable rows in", 1: "no board pack was written"}.get(report_code)
        assert why is not None and why in printed[1], printed[1][-2000:]
    seen = stdout + stderr + console[1] + console[2] + "".join(printed)
    seen += "".join(f.read_text("utf-8-sig") for f in out.rglob("*.csv"))
    for token in planted:
        assert token not in seen, f"planted {token} reached an output"
    if code != 0:
        assert stderr.count("\n") == 1 and stderr.startswith(f"error: {path}")  # one line
        return None
    report = json.loads(stdout)
    for s in report["tables"]:
        assert s["rows_read"] == s["rows_usable"] + s["rows_rejected"]
    return report


# CSV ---------------------------------------------------------------------------------------

TOKENS = [b'"', b"\n", b"\r", b"\r\n", b"\0", b",", b'""', b",,", b"\xe9", "ë".encode()]


@st.composite
def csv_mutant(draw) -> bytes:
    rows = [list(r) for r in BASES[draw(st.sampled_from(sorted(BASES)))]]
    edits = draw(st.lists(st.sampled_from(["header", "duplicate", "long"]), max_size=2))
    for edit in edits:
        if edit == "header":
            i = draw(st.integers(0, len(rows[0]) - 1))
            names = ["", "x" * 50, "déjà vu", rows[0][i][::-1]]
            if i >= 2:  # an identifying column renamed person_id or Team would be read as one
                names += [rows[0][2], "Team"]
            rows[0][i] = draw(st.sampled_from(names))
        elif edit == "duplicate":
            rows.insert(draw(st.integers(1, len(rows))), rows[draw(st.integers(1, len(rows) - 1))])
        else:
            rows[draw(st.integers(1, len(rows) - 1))][-1] = "y" * 40_000
    data = "".join(",".join(r) + "\n" for r in rows).encode("utf-8")
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]
        elif kind == "insert":
            data = data[:at] + draw(st.sampled_from(TOKENS)) + data[at:]
        elif kind == "delete":
            data = data[:at] + data[at + draw(st.integers(1, 20)) :]
        else:
            data = data[:at]
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "cp1252", "bom-cp1252",
                                     "utf-16", "cr"]))  # fmt: skip
    text = data.decode("utf-8", errors="surrogateescape")
    if encoding == "utf-16":
        return text.encode("utf-16", errors="surrogatepass")
    if encoding in ("cp1252", "bom-cp1252"):
        bom = codecs.BOM_UTF8 if encoding == "bom-cp1252" else b""
        return bom + text.encode("cp1252", errors="surrogateescape") if _cp1252(text) else data
    if encoding == "utf-8-sig":
        return codecs.BOM_UTF8 + data
    if encoding == "cr":
        return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r")
    return data


def _cp1252(text: str) -> bool:
    try:
        text.encode("cp1252", errors="surrogateescape")
        return True
    except UnicodeEncodeError:
        return False


def physical_lines(data: bytes) -> tuple[int, int]:
    """Lines after the header, and how many line breaks lie between quotes (the most lines a
    quoted cell can have joined), counted without the reader's code."""
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF8, "utf-8-sig")):
        if data.startswith(bom):
            text = data.decode(codec, errors="replace")
            break
    else:
        text = data.decode("utf-8", errors="replace")
    ends = re.findall(r"\r\n|\r|\n", text)
    lines = len(ends) + (0 if re.search(r"(\r\n|\r|\n)\Z", text) or not text else 1)
    quoted, inside = 0, False
    for m in re.finditer(r'"|\r\n|\r|\n', text):
        if m[0] == '"':
            inside = not inside
        elif inside:
            quoted += 1
    return lines - 1, quoted


@FUZZ
@given(data=csv_mutant())
def test_csv_mutants(data, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("csv")
    path = tmp / "extract.csv"
    path.write_bytes(data)
    report = check_run(path, tmp)
    if report is None:
        return
    (s,) = report["tables"]
    lines, quoted = physical_lines(data)
    accounted = s["rows_read"] + s["blank_rows_ignored"]
    assert lines - quoted <= accounted <= lines, (accounted, lines, quoted)


# XLSX --------------------------------------------------------------------------------------

SHEET = "xl/worksheets/sheet1.xml"


def _workbook() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Requests"
    for row in BASES["requests.csv"]:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


WORKBOOK = _workbook()
XML_TOKENS = [b"<", b">", b"&", b'"', b"</row>", b'<c r="XFD9">', b"\0", b'<c r="B2" t="s"><v>9'
              b"</v></c>", b'<row r="1048577">', "é".encode()]  # fmt: skip


@st.composite
def xlsx_mutant(draw) -> bytes:
    with zipfile.ZipFile(io.BytesIO(WORKBOOK)) as src:
        members = {info.filename: src.read(info) for info in src.infolist()}
    xml = members[SHEET]
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "truncate", "duplicate",
                                     "header"]))  # fmt: skip
        at = draw(st.integers(0, max(len(xml) - 1, 0)))
        if kind == "flip":
            xml = xml[:at] + bytes([draw(st.integers(32, 126))]) + xml[at + 1 :]
        elif kind == "insert":
            xml = xml[:at] + draw(st.sampled_from(XML_TOKENS)) + xml[at:]
        elif kind == "delete":
            xml = xml[:at] + xml[at + draw(st.integers(1, 40)) :]
        elif kind == "truncate":
            xml = xml[:at]
        elif kind == "duplicate" and (rows := re.findall(rb"<row .*?</row>", xml)):
            xml = xml.replace(b"</sheetData>", draw(st.sampled_from(rows)) + b"</sheetData>")
        elif kind == "header":
            xml = xml.replace(b"<t>person_id</t>", b"<t>" + draw(st.sampled_from(
                [b"", b"person", b"received_date"])) + b"</t>", 1)  # fmt: skip
    members[SHEET] = xml
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in members.items():
            dst.writestr(name, data)
    data = out.getvalue()
    if draw(st.booleans()) and draw(st.booleans()):  # now and then, damage the zip itself
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]
    return data


def non_blank_rows(path: Path) -> int | None:
    """Rows with a value below the header (the first row with two filled cells), counted by
    openpyxl rather than the tool's reader; None where openpyxl cannot read the sheet."""
    try:
        ws = load_workbook(path, data_only=True)["Requests"]
        rows = [[v for v in row[:1000]] for row in ws.iter_rows(values_only=True)]
    except Exception:
        return None
    filled = [sum(v is not None and str(v).strip() != "" for v in row) for row in rows]
    header = next((i for i, n in enumerate(filled) if n >= 2), None)
    return None if header is None else sum(n > 0 for n in filled[header + 1 :])


@FUZZ
@given(data=xlsx_mutant())
def test_xlsx_mutants(data, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("xlsx")
    path = tmp / "extract.xlsx"
    path.write_bytes(data)
    report = check_run(path, tmp, planted=[UPN])
    if report is None:
        return
    expected = non_blank_rows(path)
    if expected is not None and len(report["tables"]) == 1:
        assert report["tables"][0]["rows_read"] == expected
