"""A messy extract yields exactly the findings a careful analyst would list."""

from __future__ import annotations

from datetime import date

import pandas as pd
from openpyxl import Workbook

from ehcp_timeliness.load import load

AS_AT = date(2025, 3, 31)

MAPPING = """
schema_version = 1
[columns]
person_id = "Child Ref"
received_date = "Date Request Received"
request_outcome = "Decision"
request_outcome_date = "Decision Date"
assessment_outcome = "Assessment Result"
plan_issue_date = ["Final EHCP Issued", "Plan Start"]
week20_exception = "Exception?"
plan_id = "EHCP Ref"
review_meeting_date = "AR Meeting"
review_decision_date = "AR Decision"
review_outcome = "AR Outcome"
[values.assessment_outcome]
"Issue EHCP" = "Y"
"No Plan" = "N"
[values.request_outcome]
"Agreed" = "Y"
"Refused" = "N"
"""

# cp1252: the team name has an e-acute (0xE9), which is not UTF-8.
REQUESTS = (
    "Child Ref,Date Request Received,Decision,Decision Date,Assessment Result,"
    "Final EHCP Issued,Exception?,Team,Surname\r\n"
    "C1,03/02/2024,Agreed,10/03/2024,Issue EHCP,45450,0,Caf\xe9 North,Smith\r\n"  # 2 ok
    "C2,2024-02-05,Refused,2024-03-01,,,,South,Jones\r\n"  # 3 ok
    "C3,31/02/2024,Agreed,,,,,South,Brown\r\n"  # 4 bad date
    "C4,2024-04-01,Maybe,,,,,East,Green\r\n"  # 5 unknown code
    "C5,2024-05-10,Agreed,2024-05-01,,,,East,White\r\n"  # 6 decision before receipt
    "C6,2024-06-01,Agreed,2024-06-20,No Plan,2024-09-01,0,West,Black\r\n"  # 7 contradiction
    "C1,3/2/2024,Agreed,10/03/2024,Issue EHCP,45450,0,Caf\xe9 North,Smith\r\n"  # 8 duplicate of 2
    ",2024-07-01,Agreed,,,,,West,Grey\r\n"  # 9 person missing
    "C7,2025-06-01,,,,,,West,Grey\r\n"  # 10 after as-at
    ",,,,,,,,\r\n"
    ",,,,,,,,\r\n"
)


def _plans_workbook(path):
    wb = Workbook()
    ws = wb.active
    ws.title = "Plans"
    ws.append(
        [
            "EHCP Ref",
            "Child Ref",
            "Plan Start",
            "AR Meeting",
            "AR Decision",
            "AR Outcome",
            "Postcode",
        ]
    )
    ws.append(
        ["E1", "C1", date(2023, 1, 10), date(2024, 1, 5), date(2024, 1, 20), "Maintain", "CV1 1AA"]
    )  # 2 ok, real Excel dates
    ws.append(["E1", "C1", "10/01/2023", "2025-01-03", "2024-12-20", "amend", "CV1 1AA"])
    # 3: decision before its meeting
    ws.append(["E2", "C2", "2022-05-01", None, None, None, "CV2 2BB"])  # 4 ok, no review yet
    ws.append(["E3", "C3", None, None, None, None, None])  # 5 plan issue date missing
    wb.save(path)


def test_messy_extract(tmp_path):
    (tmp_path / "mapping.toml").write_text(MAPPING)
    (tmp_path / "requests.csv").write_bytes(REQUESTS.encode("cp1252"))
    _plans_workbook(tmp_path / "plans.xlsx")

    result = load([tmp_path], as_at=AS_AT, mapping_file=tmp_path / "mapping.toml")

    f = result.findings
    got = {
        (p.split("/")[-1], r, c, code)
        for p, r, c, code in zip(f["file"], f["row"], f["column"], f["code"], strict=True)
    }
    assert got == {
        ("plans.xlsx[Plans]", 1, "Postcode", "identifying-column-dropped"),
        ("plans.xlsx[Plans]", 3, "AR Decision", "date-order"),
        ("plans.xlsx[Plans]", 5, "Plan Start", "missing-value"),
        ("requests.csv", 1, "Surname", "identifying-column-dropped"),
        ("requests.csv", 4, "Date Request Received", "invalid-date"),
        ("requests.csv", 5, "Decision", "unknown-code"),
        ("requests.csv", 6, "Decision Date", "date-order"),
        ("requests.csv", 7, "Final EHCP Issued", "outcome-contradiction"),
        ("requests.csv", 8, "Child Ref", "duplicate-record"),
        ("requests.csv", 9, "Child Ref", "missing-value"),
        ("requests.csv", 10, "Date Request Received", "future-date"),
    }
    raw = dict(zip(zip(f["row"], f["code"], strict=True), f["value"], strict=True))
    assert raw[(4, "invalid-date")] == "31/02/2024"
    assert raw[(5, "unknown-code")] == "Maybe"

    counts = {
        s.table: (s.rows_read, s.rows_usable, s.rows_rejected, s.blank_rows_ignored)
        for s in result.summaries
    }
    assert counts == {"requests": (9, 2, 7, 2), "plans": (4, 2, 2, 0)}

    req = result.tables["requests"].set_index("person_id")
    assert req.loc["C1", "received_date"] == pd.Timestamp("2024-02-03")  # day first
    assert req.loc["C1", "plan_issue_date"] == pd.Timestamp("2024-06-07")  # Excel serial
    assert req.loc["C1", "assessment_outcome"] == "Y"  # local code mapped
    assert req.loc["C1", "team"] == "Caf\u00e9 North"  # cp1252 decoded, a known dimension
    assert "Surname" not in result.tables["requests"].columns
    assert "Postcode" not in result.tables["plans"].columns
    plans = result.tables["plans"]
    assert plans["plan_issue_date"].tolist() == [
        pd.Timestamp("2023-01-10"),
        pd.Timestamp("2022-05-01"),
    ]
    # privacy: nothing identifying anywhere in the findings
    text = f.astype(str).to_csv()
    for secret in ("Smith", "Jones", "CV1 1AA", "CV2"):
        assert secret not in text
