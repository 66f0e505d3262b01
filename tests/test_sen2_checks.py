"""Each SEN2 pre-submission check on its own: a clean return it leaves alone, and the one
change that makes it speak, at the row and element it should name."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from sen2_build import active, header, historical, issued, person, refused, to_xml

from ehcp_timeliness.read.pseudonym import PseudonymKey
from ehcp_timeliness.read.sen2 import read_sen2
from ehcp_timeliness.validate.findings import CODES
from ehcp_timeliness.validate.sen2_checks import CHECKS, run_checks

KEY = PseudonymKey(b"a test key, sixteen bytes or more", "tests")
DOCS = Path(__file__).resolve().parents[1] / "docs"


def clean() -> tuple[list[dict], dict]:
    """A small 2025 return that no check flags."""
    persons = [
        person(1, historical(start="2019-03-01")),
        person(2, issued(received="2024-02-01", decided="2024-03-10", start="2024-06-01")),
        person(3, refused("2024-04-01", "2024-05-01")),
    ]
    return persons, header()


def _req(persons, n, k=0):
    return persons[n - 1]["Requests"][k]


def _set(path: str, value):
    """A change setting (or, with None, deleting) one element of person n's request k."""

    def change(persons, head):
        n, *keys = path.split("/")
        target = persons[int(n) - 1]
        for key in keys[:-1]:
            target = target[int(key)] if key.isdigit() else target[key]
        if value is None:
            del target[keys[-1]]
        else:
            target[keys[-1]] = value

    return change


def _many_week20(persons, head):
    for n in range(10, 22):
        persons.append(person(n, issued(received="2024-01-05", decided="2024-02-10",
                                        start="2024-07-01", week20="1")))  # fmt: skip


def _two_same_day(persons, head):
    persons[2]["Requests"].append(refused("2024-04-01", "2024-05-03"))


def _same_upn(persons, head):
    persons[1]["UPN"] = persons[0]["UPN"]


def _no_ids(persons, head):
    del persons[2]["UPN"], persons[2]["UniqueLearnerNumber"]


def _assessed_refusal(persons, head):
    _req(persons, 3)["Assessment"] = {"AssessmentOutcome": "A"}


def _ceased_but_active(persons, head):
    plan = _req(persons, 2)["Assessment"]["NamedPlan"]
    plan["CeaseDate"], plan["CeaseReason"] = "2024-12-01", "2"


def _drop_active(persons, head):
    del _req(persons, 2)["ActivePlans"]


def _year_2024(persons, head):
    head["CollectionDetails"]["ReferenceDate"] = "2024-01-18"
    _req(persons, 1)["ActivePlans"]["ReviewMeeting"] = "2023-06-10"
    _req(persons, 1)["ActivePlans"]["LastReview"] = "2023-06-20"
    _req(persons, 2)["ReceivedDate"] = "2023-02-01"
    _req(persons, 2)["RequestOutcomeDate"] = "2023-03-10"
    _req(persons, 2)["Assessment"]["AssessmentOutcomeDate"] = "2023-06-01"
    _req(persons, 2)["Assessment"]["NamedPlan"]["StartDate"] = "2023-06-01"
    _req(persons, 3)["ReceivedDate"], _req(persons, 3)["RequestOutcomeDate"] = (
        "2023-04-01", "2023-05-01")  # fmt: skip
    del _req(persons, 1)["ActivePlans"]["ReviewMeeting"]


def _year_2026_no_source(persons, head):
    head["CollectionDetails"]["ReferenceDate"] = "2026-01-15"
    del _req(persons, 2)["RequestSource"]
    for p, k in ((2, "ReceivedDate"), (2, "RequestOutcomeDate")):
        _req(persons, p)[k] = _req(persons, p)[k].replace("2024", "2025")
    plan = _req(persons, 2)["Assessment"]
    plan["AssessmentOutcomeDate"] = plan["NamedPlan"]["StartDate"] = "2025-06-01"
    _req(persons, 3)["ReceivedDate"], _req(persons, 3)["RequestOutcomeDate"] = (
        "2025-04-01", "2025-05-01")  # fmt: skip
    _req(persons, 1)["ActivePlans"]["ReviewMeeting"] = "2025-06-10"
    _req(persons, 1)["ActivePlans"]["LastReview"] = "2025-06-20"


def _header(key: str, value):
    def change(persons, head):
        group, name = key.split("/")
        if value is None:
            del head[group][name]
        else:
            head[group][name] = value

    return change


#: code -> (change, [(row, element path)] it must flag, severity)
CASES = {
    "SEN2-001": (_set("1/UPN", "B937000000001"), [(1, "Person/UPN")], "error"),
    "SEN2-002": (_set("1/UPN", "A93700000000"), [(1, "Person/UPN")], "error"),
    "SEN2-003": (_set("1/UniqueLearnerNumber", "12345"), [(1, "Person/UniqueLearnerNumber")],
                 "error"),
    "SEN2-004": (_set("1/UniqueLearnerNumber", "1000000042"),
                 [(1, "Person/UniqueLearnerNumber")], "error"),
    "SEN2-005": (_same_upn, [(2, "Person/UPN")], "error"),
    "SEN2-006": (_no_ids, [(3, "Person/UPNunknown")], "error"),
    "SEN2-007": (_set("1/UPNunknown", "UN4"), [(1, "Person/UPNunknown")], "error"),
    "SEN2-008": (_set("2/PersonBirthDate", "2012-13-40"), [(2, "Person/PersonBirthDate")],
                 "error"),
    "SEN2-009": (_set("3/Sex", "X"), [(3, "Person/Sex")], "error"),
    "SEN2-010": (_set("2/Requests/0/ReceivedDate", None), [(2, "Person/Requests/ReceivedDate")],
                 "error"),
    "SEN2-011": (_set("3/Requests/0/RequestOutcomeDate", "2024-03-01"),
                 [(3, "Person/Requests/RequestOutcomeDate")], "error"),
    "SEN2-012": (_set("3/Requests/0/RequestOutcomeDate", None),
                 [(3, "Person/Requests/RequestOutcomeDate")], "error"),
    "SEN2-013": (_set("3/Requests/0/RequestOutcome", "Q"), [(3, "Person/Requests/RequestOutcome")],
                 "error"),
    "SEN2-014": (_year_2026_no_source, [(2, "Person/Requests/RequestSource")], "error"),
    "SEN2-015": (_two_same_day, [(3, "Person/Requests/ReceivedDate")], "query"),
    "SEN2-016": (_set("2/Requests/0/Assessment/AssessmentOutcomeDate", None),
                 [(2, "Person/Requests/Assessment/AssessmentOutcomeDate")], "error"),
    "SEN2-017": (_set("2/Requests/0/Assessment/AssessmentOutcome", "Z"),
                 [(2, "Person/Requests/Assessment/AssessmentOutcome")], "error"),
    "SEN2-018": (_set("2/Requests/0/Assessment/NamedPlan/StartDate", None),
                 [(2, "Person/Requests/Assessment/NamedPlan/StartDate")], "error"),
    "SEN2-019": (_set("2/Requests/0/Assessment/NamedPlan/StartDate", "2024-01-20"),
                 [(2, "Person/Requests/Assessment/NamedPlan/StartDate")], "error"),
    "SEN2-020": (_set("2/Requests/0/Assessment/Week20", None),
                 [(2, "Person/Requests/Assessment/Week20")], "error"),
    "SEN2-021": (_many_week20, [(None, "Assessment/Week20")], "query"),
    "SEN2-022": (_set("2/Requests/0/Assessment/Week20", "1"),
                 [(2, "Person/Requests/Assessment/Week20")], "query"),
    "SEN2-023": (_assessed_refusal, [(3, "Person/Requests/Assessment/AssessmentOutcome")],
                 "query"),
    "SEN2-024": (_set("2/Requests/0/Assessment/NamedPlan/CeaseReason", "2"),
                 [(2, "Person/Requests/Assessment/NamedPlan/CeaseDate")], "error"),
    "SEN2-025": (_set("2/Requests/0/Assessment/NamedPlan/CeaseReason", "0"),
                 [(2, "Person/Requests/Assessment/NamedPlan/CeaseReason")], "error"),
    "SEN2-026": (_set("2/Requests/0/Assessment/NamedPlan/CeaseDate", "2024-05-01"),
                 [(2, "Person/Requests/Assessment/NamedPlan/CeaseDate")], "error"),
    "SEN2-027": (_set("2/Requests/0/Assessment/NamedPlan/PlanDetail/0/UKPRN", "10001234"),
                 [(2, "Person/Requests/Assessment/NamedPlan/PlanDetail/URN")], "error"),
    "SEN2-028": (_set("2/Requests/0/Assessment/NamedPlan/PlanDetail", None),
                 [(2, "Person/Requests/Assessment/NamedPlan")], "error"),
    "SEN2-029": (_set("1/Requests/0/ActivePlans/LastReview", "2024-06-01"),
                 [(1, "Person/Requests/ActivePlans/LastReview")], "error"),
    "SEN2-030": (_set("1/Requests/0/ActivePlans/ReviewMeeting", None),
                 [(1, "Person/Requests/ActivePlans/ReviewMeeting")], "error"),
    "SEN2-031": (_set("1/Requests/0/ActivePlans/LastReview", None),
                 [(1, "Person/Requests/ActivePlans/LastReview")], "error"),
    "SEN2-032": (_set("1/Requests/0/ActivePlans/PhaseTransferDueDate", "2025-02-14"),
                 [(1, "Person/Requests/ActivePlans/PhaseTransferDueDate")], "error"),
    "SEN2-033": (_set("1/Requests/0/ActivePlans/SENneed/0/SENtypeRank", "2"),
                 [(1, "Person/Requests/ActivePlans/SENneed")], "error"),
    "SEN2-034": (_ceased_but_active, [(2, "Person/Requests/ActivePlans")], "error"),
    "SEN2-035": (_drop_active, [(2, "Person/Requests/ActivePlans")], "error"),
    "SEN2-036": (_set("1/Requests/0/ActivePlans/PlacementDetail/0/URN", None),
                 [(1, "Person/Requests/ActivePlans/PlacementDetail/URN")], "error"),
    "SEN2-037": (_set("1/Requests/0/ActivePlans/ReviewDraft", "2024-06-01"),
                 [(1, "Person/Requests/ActivePlans/ReviewDraft")], "query"),
    "SEN2-040": (_set("3/Requests/0/RequestMediation", "X"),
                 [(3, "Person/Requests/RequestMediation")], "error"),
    "SEN2-041": (_set("3/Requests/0/Exported", "XX"), [(3, "Person/Requests/Exported")], "error"),
    "SEN2-042": (_set("1/Ethnicity", "XXXX"), [(1, "Person/Ethnicity")], "error"),
    "SEN2-043": (_set("1/Requests/0/ActivePlans/PlacementDetail/0/LeavingDate", "2023-08-01"),
                 [(1, "Person/Requests/ActivePlans/PlacementDetail/LeavingDate")], "error"),
    "SEN2-044": (_set("1/Requests/0/ActivePlans/PlacementDetail/0/URN", "12345"),
                 [(1, "Person/Requests/ActivePlans/PlacementDetail/URN")], "error"),
    "SEN2-038": (_header("CollectionDetails/Collection", "SEN3"),
                 [(None, "Header/CollectionDetails/Collection")], "error"),
    "SEN2-039": (_header("Source/LEA", "93"), [(None, "Header/Source/LEA")], "error"),
}  # fmt: skip


def _run(write, change=None, code=None):
    persons, head = copy.deepcopy(clean())
    if change is not None:
        change(persons, head)
    data = read_sen2(write("return.xml", to_xml(persons, head)), KEY)
    census = data.reference_date or date(2025, 1, 16)
    only = [c for c in CHECKS if c.code == code] if code else None
    return run_checks(data, census, only)


def test_the_clean_return_passes_every_check(write):
    found = _run(write)
    assert found.empty, found[["row", "column", "code", "message"]].to_string()


def test_every_check_has_a_case_here_and_a_line_in_the_docs():
    assert sorted(CASES) == sorted(c.code for c in CHECKS)
    findings = (DOCS / "findings.md").read_text()
    for c in CHECKS:
        assert CODES[c.code] == (c.severity, c.message)
        assert f"| `{c.code}` | {c.severity} |" in findings, c.code
        assert c.fields, c.code


@pytest.mark.parametrize("code", sorted(CASES))
def test_each_check(write, code):
    change, expected, severity = CASES[code]
    found = _run(write, change, code)
    got = [(None if pd.isna(r) else int(r), c) for r, c in
           found[["row", "column"]].itertuples(index=False)]  # fmt: skip
    assert got == expected, found.to_string()
    assert set(found["severity"]) == {severity}
    assert (found["code"] == code).all()
    assert _run(write, None, code).empty


def test_review_meeting_missing_is_only_a_query_before_2025(write):
    found = _run(write, _year_2024, "SEN2-030")
    assert found[["row", "severity"]].values.tolist() == [[1, "query"]]
    assert "voluntary before 2025" in found["message"].iloc[0]


def test_request_source_is_optional_before_2026(write):
    assert _run(write, _set("2/Requests/0/RequestSource", None), "SEN2-014").empty


def test_identifier_checks_never_quote_the_value(write):
    for code in ("SEN2-001", "SEN2-002", "SEN2-003", "SEN2-004", "SEN2-005", "SEN2-008"):
        change, _, _ = CASES[code]
        found = _run(write, change, code)
        assert found["value"].isna().all(), code
    found = _run(write, CASES["SEN2-002"][0], "SEN2-002")
    assert found["message"].iloc[0].endswith("the UPN has 12 characters; a UPN has 13")
    assert "A93700000000" not in found.to_csv()


def test_the_same_upn_names_the_first_person(write):
    found = _run(write, _same_upn, "SEN2-005")
    assert found["message"].iloc[0].endswith("the same UPN as the person at row 1")


def test_week20_share_needs_enough_plans(write):
    def few(persons, head):
        for n in range(10, 14):
            persons.append(person(n, issued(received="2024-01-05", decided="2024-02-10",
                                            start="2024-07-01", week20="1")))  # fmt: skip

    assert _run(write, few, "SEN2-021").empty
    found = _run(write, _many_week20, "SEN2-021")
    assert "12 of 13 plans issued in 2024 (92%)" in found["message"].iloc[0]


def test_phase_transfer_due_dates_allowed(write):
    for due in ("2025-02-15", "2026-03-31"):
        assert _run(write, _set("1/Requests/0/ActivePlans/PhaseTransferDueDate", due),
                    "SEN2-032").empty  # fmt: skip


def test_twelve_months_is_the_period_starting_with_the_start_date(write):
    # A plan started 17 Jan 2024: its 12 months run to 16 Jan 2025, the census day itself,
    # so no review was yet owed; one started a day earlier owed one.
    def started(day):
        def change(persons, head):
            persons.append(person(9, historical(start=day, review=active(
                meeting=None, decision=None, outcome=None))))  # fmt: skip

        return change

    assert _run(write, started("2024-01-17"), "SEN2-030").empty
    found = _run(write, started("2024-01-16"), "SEN2-030")
    assert found["row"].tolist() == [4]
