"""What a return will publish: DfE's measures from a return built to land on each boundary.

Census 16 January 2025, so the calendar year is 2024. Each person is one case; the expected
figures are counted by hand from the comments.
"""

from __future__ import annotations

from datetime import date

import pytest
from sen2_build import active, historical, issued, person, refused, to_xml

from ehcp_timeliness.load import load
from ehcp_timeliness.read.pseudonym import PseudonymKey

KEY = PseudonymKey(b"a test key, sixteen bytes or more", "tests")


def _pending(received: str) -> dict:
    return {"ReceivedDate": received, "RequestSource": "1", "RYA": "0", "RequestOutcome": "A",
            "RequestMediation": "0", "RequestTribunal": "0"}  # fmt: skip


def _withdrawn(received: str) -> dict:
    return _pending(received) | {"RequestOutcome": "W"}


def _review(meeting, decision, outcome, **extra):
    return active(meeting=meeting, decision=decision, outcome=outcome, **extra)


def return_persons() -> list[dict]:
    p3 = issued(received="2023-03-01", decided="2023-04-01", start="2024-02-29")
    mediated = refused("2024-06-01", "2024-06-20")
    mediated["RequestMediation"] = mediated["RequestTribunal"] = "1"
    ehe = _review("2024-06-10", "2024-06-20", "M")
    ehe["PlacementDetail"] = [{"SENSetting": "EHE", "PlacementRank": "1"}]
    return [
        # 1: decided in exactly 42 days; issued in exactly 140 days
        person(1, issued(received="2024-03-01", decided="2024-04-12", start="2024-07-19")),
        # 2: decided in 43 days; issued in 141 days, with the exception flag
        person(2, issued(received="2024-03-01", decided="2024-04-13", start="2024-07-20",
                         week20="1")),  # fmt: skip
        # 3: requested in 2023, issued 29 Feb 2024: 365 days, over 52 weeks
        person(3, p3),
        # 4: refused within 6 weeks, with mediation and a tribunal
        person(4, mediated),
        # 5: undecided and past its 6 weeks at the census; 6: undecided, still within them
        person(5, _pending("2024-11-01")),
        person(6, _pending("2024-12-20")),
        # 7: withdrawn
        person(7, _withdrawn("2024-05-01")),
        # 8: review decided in 28 days (maintain); 9: in 29 days (amend)
        person(8, historical(start="2019-03-01", review=_review("2024-06-10", "2024-07-08", "M"))),
        person(9, historical(start="2020-01-01", review=_review("2024-06-10", "2024-07-09", "A"))),
        # 10: met on 1 Jan 2025, no decision yet, not due; 11: met in October, outstanding
        person(10, historical(start="2020-01-01", review=_review("2025-01-01", None, None))),
        person(11, historical(start="2020-01-01", review=_review("2024-10-01", None, None))),
        # 12: no review meeting recorded
        person(12, historical(start="2020-01-01", review=_review(None, None, None))),
        # 13: decided in 10 days; educated at home
        person(13, historical(start="2019-05-01", review=ehe)),
        # 14: ceased before the census: not held
        person(14, issued(received="2021-01-05", decided="2021-02-01", start="2021-05-01",
                          plan_extra={"CeaseDate": "2024-05-01", "CeaseReason": "2"})),
    ]  # fmt: skip


@pytest.fixture
def published(write):
    path = write("return.xml", to_xml(return_persons()))
    result = load([path], as_at=None, pseudonym_key=KEY)
    preview = result.returns[0].publish
    assert preview is not None
    assert (preview.calendar_year, preview.census_date) == (2024, date(2025, 1, 16))
    return {f.file: f.measures for f in preview.files}


def test_requests(published):
    assert published["requests.csv"] == {
        "requests_received_in_year": 6,
        "requests_rya": 0,
        "requests_decided_to_assess": 2,
        "requests_decided_not_to_assess": 1,
        "requests_decision_not_made": 2,
        "requests_withdrawn": 1,
        "request_assess_pc": 33.3,
        "request_not_assess_pc": 16.7,
        "request_outstanding_pc": 33.3,
        "request_withdrawn_pc": 16.7,
        "request_outcome_six_weeks": 2,  # persons 1 (42 days) and 4
        "request_outcome_over_6_weeks": 2,  # person 2 (43 days) and 5 (undecided, overdue)
        "request_outcome_six_weeks_pc": 50.0,
        "request_outcome_over_6_weeks_pc": 50.0,
        "mediation_related_request": 1,
        "tribunal_related_request": 1,
        "tribunal_after_mediation_request": 1,
    }


def test_twenty_weeks(published):
    m = published["timeliness_20_week.csv"]
    assert m["new_ehc_plans"] == 3
    assert (
        m["plans_issued_den"],
        m["plans_issued_within_20_weeks"],
        m["plans_issued_gt20weeks_ltYear"],
        m["plans_issued_gt_1_year"],
    ) == (3, 1, 1, 1)
    assert (
        m["plans_issued_den_ex"],
        m["plans_issued_20_weeks_ex"],
        m["plans_issued_gt20weeks_ltYear_ex"],
        m["plans_issued_gt_1_year_ex"],
    ) == (2, 1, 0, 1)
    assert (m["pc_plans_issued_within_20_weeks"], m["PC_plans_issued_20_weeks_ex"]) == (33.3, 50.0)


def test_annual_reviews_dfe_way(published):
    m = published["annual_reviews.csv"]
    assert (m["total_ehc_plans"], m["review_expected"], m["review_not_expected"]) == (9, 6, 3)
    assert (m["review_meeting_25"], m["review_meeting_24"], m["review_meeting_prior_24"]) == (
        1,
        4,
        0,
    )
    assert (m["total_review_meeting"], m["no_review_meeting"]) == (5, 1)
    assert (m["review_decision25"], m["review_decision24"], m["review_decision_prior24"]) == (
        0,
        3,
        0,
    )
    assert (m["review_decision_not_due"], m["review_decision_outstanding"]) == (1, 1)
    assert (m["outcome_amend"], m["outcome_cease"], m["outcome_maintan"], m["no_outcome"]) == (
        1,
        0,
        2,
        2,
    )
    assert (m["number_decsion_4weeks"], m["number_decision_gt_4weeks"]) == (2, 1)
    assert (m["pc_decsion_4weeks"], m["pc_decision_gt_4weeks"]) == (66.7, 33.3)


def test_caseload_by_setting(published):
    m = published["caseload.csv"]
    assert m["ehcplans"] == 9
    assert m["elective_home_education"] == 1
    assert m["placement_unknown"] == 0
    assert m["mainstream_total"] == "x" and m["special_total"] == "x"  # in GIAS, not SEN2


def test_the_preview_uses_dfe_column_names(published, shared):
    guidance = (shared / "dfe-ehcp-2025" / "data-guidance.txt").read_text(encoding="utf-8")
    headers = {}
    for name in ("requests.csv", "timeliness_20_week.csv", "annual_reviews.csv", "caseload.csv"):
        with (shared / "dfe-ehcp-2025" / name).open(encoding="utf-8-sig") as f:
            headers[name] = set(f.readline().strip().split(","))
    for name, measures in published.items():
        extra = set(measures) - headers[name]
        if name == "timeliness_20_week.csv":
            extra -= {"new_ehc_plans"}  # newplans.csv's total, carried beside
            assert "new_ehc_plans" in guidance
        assert not extra, (name, extra)
