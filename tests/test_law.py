"""The clocks as the law counts them (issue 8): ceased and transferred plans, decisions not to
amend, phase transfer, the Devon judgment, tribunal orders, premature final plans and review
histories with gaps. Each test names the provision it checks."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from ehcp_timeliness.clocks.engine import case_details, evaluate
from ehcp_timeliness.clocks.rules import load_rules
from ehcp_timeliness.read.mapping import Mapping
from ehcp_timeliness.read.tables import RawTable, recognise
from ehcp_timeliness.validate.checks import validate

RULES = load_rules()
FAR = date(2030, 1, 1)


def checked(table: str, rows: list[dict], as_at: date = FAR):
    data = pd.DataFrame(rows, dtype="string")
    raw = RawTable("t.csv", table, data, np.arange(2, len(rows) + 2), 1,
                   {c: c for c in data.columns})  # fmt: skip
    result = validate([raw], as_at=as_at)
    errors = result.findings[result.findings["severity"] == "error"]
    assert errors.empty, errors.to_dict("records")
    return result


def run(table: str, rows: list[dict], as_at: date = FAR, rules=RULES) -> pd.DataFrame:
    result = checked(table, rows, as_at)
    cases = evaluate(result.tables, rules, as_at=as_at)
    return case_details(cases, result.tables, rules)


def of(cases: pd.DataFrame, rule: str) -> pd.DataFrame:
    return cases[cases["rule"] == rule].reset_index(drop=True)


def one(cases: pd.DataFrame, rule: str) -> pd.Series:
    mine = of(cases, rule)
    assert len(mine) == 1, mine
    return mine.iloc[0]


def findings(table: str, rows: list[dict], code: str, as_at: date = FAR) -> pd.DataFrame:
    f = checked(table, rows, as_at).findings
    return f[f["code"] == code].reset_index(drop=True)


def d(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


def plan(**extra) -> dict:
    return {"person_id": "P1", "plan_id": "E1", "plan_issue_date": "2023-01-01", **extra}


def local_rules(tmp_path, text: str):
    (tmp_path / "r.toml").write_text("schema_version = 1\n" + text)
    return load_rules(tmp_path)


# --- 1. Plans that cease: a plan no longer maintained owes no more steps (issue 8, case 1) ----

# An amendment notice on 5 Jan 2024: the final amended plan is due 1 Mar 2024 (reg 22(3)).
AMENDING = {"review_meeting_date": "2023-12-01", "amendment_notice_date": "2024-01-05"}


@pytest.mark.parametrize(
    ("cease", "status", "over"),
    [
        ("2024-02-10", "not-owed", 0),  # ceased before the amended plan fell due
        ("2024-03-01", "not-owed", 0),  # ceased on the due day itself (the default reading)
        ("2024-03-02", "overdue", 1),  # ceased the day after, nothing issued: a breach
        ("2024-06-01", "overdue", 92),  # ...whose days over run to the cease date, not as-at
    ],
)
def test_amended_plan_clock_ends_with_the_plan(cease, status, over):
    case = one(run("plans", [plan(**AMENDING, cease_date=cease)]), "amended-plan-8w")
    assert case["due_date"] == d("2024-03-01")
    assert (case["status"], case["days_over"]) == (status, over)


def test_a_plan_ceased_on_the_due_day_can_be_read_as_a_missed_deadline(tmp_path):
    rules = local_rules(tmp_path, """
[[rule]]
id = "amended-plan-8w"
kind = "interval"
title = "t"
citation = "reg 22(3)"
table = "plans"
start = "amendment_notice_date"
stop = "amended_plan_date"
limit = { weeks = 8 }
ceased_on_due_date = "missed"
""")  # fmt: skip
    cases = run("plans", [plan(**AMENDING, cease_date="2024-03-01")], rules=rules)
    case = one(cases, "amended-plan-8w")
    assert (case["status"], case["days_over"]) == ("overdue", 0)


def test_a_cease_date_given_on_one_review_row_ends_the_clocks_of_every_row():
    rows = [
        plan(review_meeting_date="2023-12-01", review_decision_date=None),
        plan(review_meeting_date="2023-06-01", review_decision_date="2023-06-20",
             cease_date="2023-12-10"),
    ]  # fmt: skip
    cases = run("plans", rows)
    decisions = of(cases, "review-decision-4w")  # reg 20(10): due 29 Dec 2023
    assert sorted(decisions["status"]) == ["met", "not-owed"]
    review = of(cases, "review-12m")
    assert review["status"].iloc[-1] == "not-owed"  # the next review: the plan had ended


REVIEW_CHAIN = """
[[rule]]
id = "review-12m"
kind = "review-chain"
title = "t"
citation = "s.44(1)"
start = "review_meeting_date"
stop = "review_meeting_date"
limit = { months = 12 }
"""


def test_a_review_chain_may_run_on_after_the_plan_ceases(tmp_path):
    """ceases_with_plan = false: the next review stays owed (here overdue) after the cease."""
    row = plan(review_meeting_date="2023-06-01", cease_date="2023-12-10")
    kept = run("plans", [row], rules=local_rules(tmp_path, REVIEW_CHAIN))
    assert of(kept, "review-12m")["status"].iloc[-1] == "not-owed"
    (tmp_path / "r.toml").unlink()
    on = run(
        "plans", [row], rules=local_rules(tmp_path, REVIEW_CHAIN + "ceases_with_plan = false\n")
    )
    assert of(on, "review-12m")["status"].iloc[-1] == "overdue"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('also_stops = ["review_decision_date"]\n', "also_stops does not apply"),
        ('exception = "week20_exception"\n', "exception"),
    ],
)
def test_keys_a_review_chain_cannot_honour_are_refused(tmp_path, extra, message):
    from ehcp_timeliness.errors import RulesError

    with pytest.raises(RulesError, match=message):
        local_rules(tmp_path, REVIEW_CHAIN + extra)


def test_a_stopped_clock_is_judged_whatever_the_cease_date():
    row = plan(**AMENDING, amended_plan_date="2024-03-05", cease_date="2024-02-01")
    assert one(run("plans", [row]), "amended-plan-8w")["status"] == "late"


# --- 2. Decisions not to amend (reg 22(4)) ---------------------------------------------------


@pytest.mark.parametrize(
    ("notice", "status", "over"),
    [("2024-03-01", "met", 0), ("2024-03-02", "late", 1)],
)
def test_a_decision_not_to_amend_stops_the_8_week_clock(notice, status, over):
    case = one(run("plans", [plan(**AMENDING, no_amend_notice_date=notice)]), "amended-plan-8w")
    assert (case["end_date"], case["status"], case["days_over"]) == (d(notice), status, over)


def test_the_earlier_of_an_amended_plan_and_a_notice_not_to_amend_counts():
    row = plan(**AMENDING, amended_plan_date="2024-04-01", no_amend_notice_date="2024-02-20")
    case = one(run("plans", [row]), "amended-plan-8w")
    assert (case["end_date"], case["status"]) == (d("2024-02-20"), "met")


# --- 3. Plans transferred in from another council (reg 15(5)) --------------------------------


@pytest.mark.parametrize(
    ("transfer", "meeting", "due", "status"),
    [
        # 12 months from the issue end 31 Dec 2023; 3 months from a transfer on 1 Dec 2023 end
        # 29 Feb 2024 (a leap year): the later date counts.
        ("2023-12-01", "2024-02-29", "2024-02-29", "met"),
        ("2023-12-01", "2024-03-01", "2024-02-29", "late"),
        # A transfer early in the year: the 12-month date is the later one.
        ("2023-02-01", "2023-12-31", "2023-12-31", "met"),
        ("2023-02-01", "2024-01-01", "2023-12-31", "late"),
    ],
)
def test_first_review_after_a_transfer_in_is_due_by_the_later_date(transfer, meeting, due, status):
    rows = [plan(transfer_in_date=transfer, review_meeting_date=meeting)]
    case = of(run("plans", rows), "review-12m").iloc[0]
    assert (case["due_date"], case["status"]) == (d(due), status)


def test_only_the_first_review_after_the_transfer_gets_the_later_date():
    rows = [
        plan(transfer_in_date="2023-12-01", review_meeting_date="2024-02-20"),
        plan(review_meeting_date="2025-02-20"),  # 12 months from 20 Feb 2024 end 19 Feb 2025
    ]
    got = of(run("plans", rows), "review-12m")
    assert got["due_date"].tolist() == [d("2024-02-29"), d("2025-02-19"), d("2026-02-19")]
    assert got["status"].tolist()[:2] == ["met", "late"]


def test_a_pending_first_review_after_a_transfer_in():
    rows = [plan(transfer_in_date="2023-12-01")]
    case = one(run("plans", rows, as_at=date(2024, 2, 1)), "review-12m")
    assert (case["due_date"], case["status"]) == (d("2024-02-29"), "open")


# --- 4. Phase transfer (reg 18) -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("transfer", "kind", "final", "due", "status"),
    [
        # reg 18(1)(b): "before ... 15 February in the calendar year of the ... transfer"
        ("2025-09-01", "school", "2025-02-14", "2025-02-14", "met"),
        ("2025-09-01", "school", "2025-02-15", "2025-02-14", "late"),
        ("2025-09-01", None, "2025-02-15", "2025-02-14", "late"),  # no type: a school transfer
        # reg 18(1)(a): "before ... 31 March" for secondary school to post-16
        ("2025-09-01", "post16", "2025-03-30", "2025-03-30", "met"),
        ("2025-09-01", "post16", "2025-03-31", "2025-03-30", "late"),
        # reg 18(2): "at least five months before that transfer takes place"
        ("2025-09-01", "post16-post16", "2025-04-01", "2025-04-01", "met"),
        ("2025-09-01", "post16-post16", "2025-04-02", "2025-04-01", "late"),
        ("2025-07-31", "post16-post16", "2025-02-28", "2025-02-28", "met"),  # no 31 February
        ("2024-07-31", "post16-post16", "2024-02-29", "2024-02-29", "met"),
        ("2024-07-31", "post16-post16", "2024-03-01", "2024-02-29", "late"),
    ],
)
def test_phase_transfer_deadline_from_the_transfer_date(transfer, kind, final, due, status):
    row = plan(phase_transfer_date=transfer, phase_transfer_final_date=final)
    if kind:
        row["phase_transfer_type"] = kind
    case = one(run("plans", [row]), "phase-transfer")
    assert (case["due_date"], case["status"]) == (d(due), status)


def test_phase_transfer_dates_repeated_unevenly_are_one_case():
    rows = [
        plan(review_meeting_date="2023-11-01", phase_transfer_due_date="2025-02-15"),
        plan(review_meeting_date="2024-11-01", phase_transfer_due_date="2025-02-15",
             phase_transfer_final_date="2025-02-10"),
        plan(review_meeting_date="2023-06-01"),
    ]  # fmt: skip
    case = one(run("plans", rows), "phase-transfer")
    assert (case["status"], case["end_date"]) == ("met", d("2025-02-10"))


def test_phase_transfer_clock_ends_with_the_plan():
    row = plan(phase_transfer_due_date="2025-02-15", cease_date="2024-12-01")
    assert one(run("plans", [row], as_at=date(2025, 6, 1)), "phase-transfer")["status"] == (
        "not-owed"
    )


@pytest.mark.parametrize(
    ("due", "kind", "flagged"),
    [
        ("2025-02-15", None, False),
        ("2025-03-31", None, False),
        ("2025-02-15", "school", False),
        ("2025-03-31", "school", True),  # a school transfer's date is 15 February
        ("2025-02-15", "post16", True),
        ("2025-02-14", None, True),  # the day before: not a date reg 18 names
        ("2025-04-01", "post16-post16", False),  # five months before: any date
    ],
)
def test_a_due_date_that_is_not_a_reg_18_date_is_a_finding(due, kind, flagged):
    row = plan(phase_transfer_due_date=due)
    if kind:
        row["phase_transfer_type"] = kind
    assert len(findings("plans", [row], "phase-transfer-due-date")) == int(flagged)


def test_a_due_date_that_disagrees_with_the_transfer_date_is_a_finding_and_the_law_wins():
    row = plan(phase_transfer_due_date="2024-02-15", phase_transfer_date="2025-09-01",
               phase_transfer_final_date="2025-02-01")  # fmt: skip
    found = findings("plans", [row], "phase-transfer-date-disagrees")
    assert len(found) == 1 and "2025-02-15" in found["message"][0]
    case = one(run("plans", [row]), "phase-transfer")
    assert (case["due_date"], case["status"]) == (d("2025-02-14"), "met")


# --- 5. The Devon judgment: 12 weeks from the review meeting ---------------------------------


@pytest.mark.parametrize(
    ("final", "status", "over"),
    [("2024-02-23", "met", 0), ("2024-02-24", "late", 1)],
)
def test_amended_plan_within_12_weeks_of_the_review_meeting(final, status, over):
    # R (L, M and P) v Devon CC [2022] EWHC 493 (Admin): 4 weeks (reg 20(10)) + 8 (reg 22(3)).
    row = plan(review_meeting_date="2023-12-01", review_outcome="A",
               amendment_notice_date="2023-12-20", amended_plan_date=final)  # fmt: skip
    case = one(run("plans", [row]), "amended-plan-12w")
    assert (case["due_date"], case["status"], case["days_over"]) == (d("2024-02-23"), status, over)


def test_a_late_amendment_notice_no_longer_hides_a_late_plan():
    # Notice 9 weeks after the meeting, plan 7 weeks after that: on time by reg 22(3) alone.
    row = plan(review_meeting_date="2023-12-01", amendment_notice_date="2024-02-02",
               amended_plan_date="2024-03-22")  # fmt: skip
    cases = run("plans", [row])
    assert one(cases, "amended-plan-8w")["status"] == "met"
    assert one(cases, "amended-plan-12w")["status"] == "late"


def test_the_devon_clock_applies_only_to_reviews_that_led_to_amendment():
    rows = [plan(review_meeting_date="2023-12-01", review_outcome="M")]
    assert of(run("plans", rows), "amended-plan-12w").empty
    rows = [plan(review_meeting_date="2023-12-01", no_amend_notice_date="2024-01-10")]
    assert one(run("plans", rows), "amended-plan-12w")["status"] == "met"


# --- 6. Tribunal orders (reg 44) and unopposed appeals (reg 45) ------------------------------

TRIBUNAL = [
    # rule, order type, the step's column, weeks
    ("tribunal-assess-2w", "assess", "assessment_notice_date", 2),  # reg 44(2)(b)
    ("tribunal-plan-14w", "assess", "final_plan_date", 14),  # reg 44(2)(b)(ii)
    ("tribunal-draft-5w", "plan", "draft_plan_date", 5),  # reg 44(2)(c)(i)
    ("tribunal-plan-11w", "plan", "final_plan_date", 11),  # reg 44(2)(c)(ii)
    ("tribunal-amend-5w", "amend", "final_plan_date", 5),  # reg 44(2)(e)
    ("tribunal-setting-2w", "setting", "final_plan_date", 2),  # reg 44(2)(f)
    ("tribunal-assess-2w", "unopposed-assess", "assessment_notice_date", 2),  # reg 45(3)
    ("tribunal-plan-14w", "unopposed-assess", "final_plan_date", 14),  # reg 45(3A)(b)
    ("tribunal-amend-5w", "unopposed-amend", "final_plan_date", 5),  # reg 45(4)
]


@pytest.mark.parametrize(("rule", "kind", "column", "weeks"), TRIBUNAL)
@pytest.mark.parametrize(("offset", "status"), [(0, "met"), (1, "late")])
def test_tribunal_order_compliance_periods(rule, kind, column, weeks, offset, status):
    order = pd.Timestamp("2024-01-31")
    step = order + pd.Timedelta(days=7 * weeks + offset)
    row = {"person_id": "P1", "order_id": "T1", "order_date": "2024-01-31", "order_type": kind,
           column: step.date().isoformat()}  # fmt: skip
    case = one(run("tribunal_orders", [row]), rule)
    assert case["due_date"] == order + pd.Timedelta(days=7 * weeks)
    assert (case["status"], case["days_over"], case["record_id"]) == (status, offset, "T1")


def test_an_order_to_assess_ending_in_no_plan_is_judged_on_10_weeks():
    # reg 44(2)(b)(i): notice of a decision not to issue within 10 weeks of the order.
    row = {"person_id": "P1", "order_date": "2024-01-31", "order_type": "assess",
           "no_plan_notice_date": "2024-04-11"}  # fmt: skip
    cases = run("tribunal_orders", [row])
    case = one(cases, "tribunal-no-plan-10w")
    assert (case["due_date"], case["status"]) == (d("2024-04-10"), "late")
    assert of(cases, "tribunal-plan-14w").empty


def test_an_open_order_is_open_then_overdue():
    row = {"person_id": "P1", "order_date": "2024-01-31", "order_type": "setting"}
    assert one(run("tribunal_orders", [row], as_at=date(2024, 2, 14)),
               "tribunal-setting-2w")["status"] == "open"  # fmt: skip
    case = one(run("tribunal_orders", [row], as_at=date(2024, 2, 15)), "tribunal-setting-2w")
    assert (case["status"], case["days_over"]) == ("overdue", 1)


def test_the_tribunal_orders_table_is_recognised_from_its_headers():
    headers = ["Pseudo ID", "Appeal reference", "Date of order", "Type of order",
               "Final plan issued"]  # fmt: skip
    assert recognise(headers, Mapping()) == "tribunal_orders"
    assert recognise(["Person ID", "Date request received"], Mapping()) == "requests"


def test_tribunal_order_codes_and_dates_are_validated():
    data = [{"person_id": "P1", "order_date": "2024-01-31", "order_type": "maybe"},
            {"person_id": "P2", "order_date": "2024-01-31", "order_type": "make and maintain",
             "final_plan_date": "2024-01-01"}]  # fmt: skip
    frame = pd.DataFrame(data, dtype="string")
    raw = RawTable("t.csv", "tribunal_orders", frame, np.arange(2, 4), 1,
                   {c: c for c in frame.columns})  # fmt: skip
    f = validate([raw], as_at=FAR).findings
    assert sorted(f["code"]) == ["date-order", "unknown-code"]


# --- 7. Premature final plans (regs 13(1)(a) and 22(2)(c)) -----------------------------------


@pytest.mark.parametrize(("issued", "flagged"), [("2024-03-15", True), ("2024-03-16", False)])
def test_a_final_plan_within_the_15_days_to_comment_is_a_finding(issued, flagged):
    # "at least 15 days, beginning with the day on which the draft plan was served": served
    # 1 March, the parent may comment up to and including 15 March.
    row = {"person_id": "P1", "received_date": "2024-01-02", "request_outcome": "Y",
           "request_outcome_date": "2024-01-20", "assessment_outcome": "Y",
           "draft_plan_date": "2024-03-01", "plan_issue_date": issued}  # fmt: skip
    found = findings("requests", [row], "premature-final-plan")
    assert len(found) == int(flagged)
    if flagged:
        assert found["column"][0] == "plan_issue_date" and "2024-03-15" in found["message"][0]


@pytest.mark.parametrize(("issued", "flagged"), [("2024-01-19", True), ("2024-01-20", False)])
def test_an_amended_plan_within_the_15_days_to_comment_is_a_finding(issued, flagged):
    row = plan(review_meeting_date="2023-12-01", amendment_notice_date="2024-01-05",
               amended_plan_date=issued)  # fmt: skip
    assert len(findings("plans", [row], "premature-final-plan")) == int(flagged)


# --- Review histories with gaps: unknown, not late ----------------------------------------------


def test_a_gap_of_more_than_two_periods_is_unknown_with_a_finding():
    rows = [plan(review_meeting_date="2023-12-01"), plan(review_meeting_date="2026-01-10")]
    got = of(run("plans", rows, as_at=date(2026, 2, 1)), "review-12m")
    assert got["status"].tolist() == ["met", "unknown", "open"]
    assert got["days_over"].tolist() == [0, 0, 0]
    found = findings("plans", rows, "review-history-gap", as_at=date(2026, 2, 1))
    assert found["row"].tolist() == [3]


def test_a_late_review_within_two_periods_is_late():
    rows = [plan(review_meeting_date="2023-12-01"), plan(review_meeting_date="2025-01-10")]
    got = of(run("plans", rows), "review-12m")
    assert got["status"].tolist()[:2] == ["met", "late"]
    assert findings("plans", rows, "review-history-gap").empty


def _latest_only() -> list[dict]:
    # One row per plan, the latest review only, as SEN2 holds it: no plan has two reviews,
    # and E1's only review is six years after its issue.
    return [
        {"person_id": "P1", "plan_id": "E1", "plan_issue_date": "2018-03-01",
         "review_meeting_date": "2024-03-10"},
        {"person_id": "P2", "plan_id": "E2", "plan_issue_date": "2023-01-01",
         "review_meeting_date": "2024-06-01"},
        {"person_id": "P3", "plan_id": "E3", "plan_issue_date": "2023-06-01",
         "review_meeting_date": "2024-05-01"},
    ]  # fmt: skip


def test_a_latest_only_extract_invents_no_late_chains():
    got = of(run("plans", _latest_only(), as_at=date(2024, 7, 1)), "review-12m")
    held = got[got["end_date"].notna()]
    assert held["status"].tolist() == ["unknown", "unknown", "met"]
    assert (got["status"] != "late").all()
    found = findings("plans", _latest_only(), "review-history-gap", as_at=date(2024, 7, 1))
    assert found["row"].tolist() == [2, 3]
    assert "only each plan's latest review" in found["message"][0]


def test_the_history_reading_can_be_set(tmp_path):
    rules = local_rules(tmp_path, REVIEW.replace('history = "auto"', 'history = "full"'))
    got = of(run("plans", _latest_only(), as_at=date(2024, 7, 1), rules=rules), "review-12m")
    assert got[got["end_date"].notna()]["status"].tolist() == ["unknown", "late", "met"]


REVIEW = """
[[rule]]
id = "review-12m"
kind = "review-chain"
title = "t"
citation = "CFA 2014 s.44(1)"
start = "plan_issue_date"
stop = "review_meeting_date"
limit = { months = 12 }
history = "auto"
"""


# --- Readings made explicit -------------------------------------------------------------------


def test_the_meeting_is_the_review_by_default_and_the_decision_can_be():
    # Meeting on time (31 Dec 2023), decision after the 12 months (20 Jan 2024).
    rows = [plan(review_meeting_date="2023-12-31", review_decision_date="2024-01-20")]
    assert of(run("plans", rows), "review-12m")["status"].iloc[0] == "met"


def test_the_decision_is_the_review_when_the_rule_says_so(tmp_path):
    rules = local_rules(tmp_path, REVIEW.replace('stop = "review_meeting_date"',
                                                 'stop = "review_decision_date"'))  # fmt: skip
    rows = [plan(review_meeting_date="2023-12-31", review_decision_date="2024-01-20")]
    got = of(run("plans", rows, rules=rules), "review-12m")
    assert got[["due_date", "status"]].values.tolist()[0] == [d("2023-12-31"), "late"]
    assert got["start_date"].iloc[1] == d("2024-01-20")  # the next period runs from it


# --- the new statuses reach every output ---------------------------------------------------------


def test_case_list_and_console_show_the_new_statuses(tmp_path):
    from typer.testing import CliRunner

    from ehcp_timeliness.cli.app import app

    (tmp_path / "plans.csv").write_text(
        "person_id,plan_id,plan_issue_date,review_meeting_date,cease_date\n"
        "P1,E1,2022-01-10,,2022-06-01\n"  # ceased before its first review fell due: not owed
        "P2,E2,2018-01-10,2024-01-05,\n"  # a single review six years on, and...
        "P3,E3,2023-01-10,2023-12-01,\n"  # ...no plan with two: the latest review only
    )
    out = tmp_path / "cases.csv"
    result = CliRunner().invoke(app, ["report", str(tmp_path / "plans.csv"), "--as-at",
                                      "2024-06-01", "--cases-out", str(out),
                                      "--detail"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Not owed" in result.stdout and "Unknown" in result.stdout
    cases = pd.read_csv(out, dtype=str, encoding="utf-8-sig")
    reviews = cases[cases["rule"] == "review-12m"]
    assert sorted(reviews["status"]) == ["met", "not-owed", "open", "open", "unknown"]
    assert "review-history-gap" in result.stdout


@pytest.mark.parametrize("sort", [True, False])
def test_plan_codes_group_like_factorize(sort):
    from ehcp_timeliness.history import plan_codes

    ids = ["E3", "E1", "E10", "E1", "E2", "E3", "E3"]
    ids = sorted(ids) if sort else ids
    codes = plan_codes(pd.Series(ids, dtype="string"))
    expected = pd.factorize(pd.Series(ids))[0]
    assert codes.tolist() == expected.tolist()


def test_a_transferred_plans_first_review_within_3_months_is_met_not_a_gap():
    # reg 15(5): the old council's reviews are not in the new council's extract, but a first
    # review within 3 months of the transfer is on time whatever came before.
    rows = [plan(plan_issue_date="2018-03-01", transfer_in_date="2024-01-10"),
            plan(plan_issue_date="2018-03-01", review_meeting_date="2024-03-20")]  # fmt: skip
    got = of(run("plans", rows, as_at=date(2024, 6, 1)), "review-12m")
    assert got["status"].tolist() == ["met", "open"]
    assert findings("plans", rows, "review-history-gap", as_at=date(2024, 6, 1)).empty
    rows[1]["review_meeting_date"] = "2024-04-20"  # after the 3 months: a gap, unknown
    got = of(run("plans", rows, as_at=date(2024, 6, 1)), "review-12m")
    assert got["status"].tolist() == ["unknown", "open"]
    assert len(findings("plans", rows, "review-history-gap", as_at=date(2024, 6, 1))) == 1
