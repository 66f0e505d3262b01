"""Findings are held as columns (categoricals and Arrow strings), and streamed as JSON.

A million rows whose every date is invalid took 9 GB and was killed (issue 12): a Python
object per cell of the findings, then a dictionary and a model per finding for the JSON.
"""

from __future__ import annotations

import json
from datetime import date

from typer.testing import CliRunner

from ehcp_timeliness.cli.app import app
from ehcp_timeliness.load import load

AS_AT = date(2025, 3, 31)
MESSY = (
    "person_id,received_date,request_outcome,plan_issue_date,request_outcome_date,team\n"
    "P1,2024-01-05,Y,,,Nörth\n"
    'P2,31/02/2024,Y,,,"quote "" and / slash"\n'
    "P3,2024-02-01,maybe,,,\n"
    "P4,2024-03-01,Y,2024-02-01,,x\n"  # a date-order finding, whose message is per row
    "P4,2024-03-01,Y,,,x,extra\n"  # malformed: no column
    "P1,2024-01-05,Y,,,\n"  # duplicate: message per row
)


def _messy(tmp_path):
    (tmp_path / "r.csv").write_text(MESSY, encoding="utf-8")
    (tmp_path / "old.xls").write_bytes(b"")  # a whole-file finding: no table, row or column
    return load([tmp_path], as_at=AS_AT)


def test_findings_are_columns_not_python_objects(tmp_path):
    f = _messy(tmp_path).findings
    kinds = {name: str(dtype) for name, dtype in f.dtypes.items()}
    assert kinds == {
        "file": "category", "table": "category", "row": "Int64", "column": "category",
        "value": "string", "code": "category", "severity": "category", "message": "category",
    }  # fmt: skip
    assert set(f["code"]) >= {"invalid-date", "unknown-code", "date-order", "malformed-row",
                              "duplicate-record", "file-not-read"}  # fmt: skip
    assert f["file"].tolist() == sorted(f["file"].tolist())  # by file, then row


def test_streamed_json_is_the_report_model(tmp_path):
    result = _messy(tmp_path)
    streamed = json.loads("".join(result.json_chunks(rows=2)))  # several chunks
    assert streamed == json.loads(result.report().model_dump_json())
    assert len(streamed["findings"]) == len(result.findings) >= 6


def test_validate_json_on_the_command_line_streams_the_same(tmp_path):
    result = _messy(tmp_path)
    args = ["validate", str(tmp_path), "--as-at", "2025-03-31", "--format", "json"]
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout) == json.loads(result.report().model_dump_json())


def test_no_findings_streams_an_empty_list_and_counts_no_code(write):
    result = load([write("r.csv", "person_id,received_date\nP1,2024-01-02\n")], as_at=AS_AT)
    streamed = json.loads("".join(result.json_chunks()))
    assert streamed["findings"] == [] and streamed["findings_by_code"] == {}
    assert result.findings["code"].value_counts().to_dict() == {}  # as the report counts them


def test_a_sen2_returns_findings_are_columns_of_the_same_types(shared):
    """The reader's and the SEN2 checks' findings, merged with the rest, keep the same types
    (they once came out as Python objects when a return was read)."""
    from ehcp_timeliness.read.pseudonym import PseudonymKey

    path = shared / "sen2-samples" / "bad_sen2_sample_2024.xml"
    f = load([path], as_at=None, pseudonym_key=PseudonymKey(b"k" * 32, "tests")).findings
    assert {name: str(dtype) for name, dtype in f.dtypes.items()} == {
        "file": "category", "table": "category", "row": "Int64", "column": "category",
        "value": "string", "code": "category", "severity": "category", "message": "category",
    }  # fmt: skip
    assert any(code.startswith("SEN2-") for code in f["code"])
    rows = f["row"].fillna(-1).tolist()  # one file: by row, a whole file's findings first
    assert rows == sorted(rows)
