"""The scorecard the console headline and the pack's first sheets are made from."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ehcp_timeliness.analysis import Options, analyse
from ehcp_timeliness.clocks.rules import load_rules
from ehcp_timeliness.scorecard import build_scorecard
from ehcp_timeliness.targets import Targets

AS_AT = date(2025, 3, 31)
#: 2024: five plans issued, one with the exception flag; 2023: four, one met. Everything else
#: about them is in the comments.
REQUESTS = (
    "person_id,received_date,request_outcome,request_outcome_date,assessment_outcome,"
    "plan_issue_date,week20_exception\n"
    "P1,2024-01-01,Y,2024-02-01,Y,2024-04-01,0\n"  # 2024: 91 days, met
    "P2,2024-01-01,Y,2024-02-12,Y,2024-05-20,0\n"  # 2024: 140 days, met
    "P3,2024-01-01,Y,2024-02-13,Y,2024-05-21,0\n"  # 2024: 141 days, late
    "P4,2024-02-01,Y,2024-03-01,Y,2024-09-01,0\n"  # 2024: late
    "P5,2024-02-01,Y,2024-03-01,Y,2024-09-01,1\n"  # 2024: late, exception: out of the rate
    "P6,2023-01-01,Y,2023-02-01,Y,2023-04-01,0\n"  # 2023: met
    "P7,2023-01-01,Y,2023-02-01,Y,2023-09-01,0\n"  # 2023: late
    "P8,2023-02-01,Y,2023-03-01,Y,2023-09-01,0\n"  # 2023: late
    "P9,2023-02-01,Y,2023-03-01,Y,2023-10-01,0\n"  # 2023: late
    "P10,2025-03-01,,,,,\n"  # open at the as-at date
    "P11,2024-10-01,Y,2024-11-01,,,\n"  # waiting, past 20 weeks since 18 February 2025
)


@pytest.fixture(scope="module")
def card(tmp_path_factory):
    folder: Path = tmp_path_factory.mktemp("card")
    (folder / "requests.csv").write_text(REQUESTS)
    analysis = analyse([folder], load_rules(), Options(as_at=AS_AT, period="2024"))
    targets = Targets(targets={"decision-6w": 0.95}, sources={"decision-6w": "SEND strategy"})
    return build_scorecard(analysis.report, analysis.previous, targets)


def row(card, key):
    return next(r for r in card.rows if r.key == key)


def test_the_20_week_row_is_on_dfes_basis_with_its_own_denominator(card):
    r = row(card, "plan-20w")
    assert (r.met, r.completed, r.rate) == (2, 4, 0.5)  # P5's exception is out of both
    assert (r.previous_met, r.previous_completed, r.previous_rate) == (1, 4, 0.25)
    assert r.change == pytest.approx(0.25) and r.direction == "better"
    assert (r.target, r.target_source, r.status) == (0.464, "England 2024, DfE", "On target")
    assert r.basis == "issued in the period, excluding exceptions"
    assert r.few_cases
    assert r.sentence == (
        "50.0% of EHC plans were issued within 20 weeks in 2024 (4 cases), up 25.0 points on "
        "the year before and 3.6 points above England (46.4%); fewer than 10 cases, so read "
        "it with care."
    )


def test_targets_come_with_their_source(card):
    decision = row(card, "decision-6w")
    assert (decision.target, decision.target_source) == (0.95, "SEND strategy")
    dfe = row(card, "dfe-request-decisions")
    assert dfe.rule == "decision-6w" and dfe.basis.startswith("DfE measure")
    assert dfe.target_source == "England 2024, DfE"


def test_rules_without_any_case_are_named_not_shown_as_zeros(card):
    keys = [r.key for r in card.rows]
    assert keys == ["decision-6w", "dfe-request-decisions", "plan-20w"]
    assert {"no-plan-16w", "review-12m", "tribunal-assess-2w"} <= set(card.without_cases)
    assert not set(card.without_cases) & set(keys)


def test_backlog_line_compares_with_the_previous_month_end(card):
    line = card.backlog
    assert line is not None
    assert (line.now.date, line.now.open, line.now.past_20_weeks) == (AS_AT, 2, 1)
    assert line.before is not None and line.before.date == date(2025, 2, 28)
    assert (line.before.open, line.before.past_20_weeks) == (1, 1)
    assert line.sentence == (
        "2 requests for assessment were waiting for a final plan at 31 March 2025, 1 of them "
        "past 20 weeks; 1 more than at 28 February 2025 (1, 1 past 20 weeks)."
    )


def test_open_and_overdue_are_separate_and_the_backlog_is_their_sum(card):
    r = row(card, "plan-20w")
    assert (r.open, r.overdue, r.backlog) == (1, 1, 2)


def test_a_targets_file_may_set_dfes_measures_as_board_pack_md_shows(tmp_path):
    from ehcp_timeliness.targets import DFE_REVIEW_DECISIONS, load_targets

    path = tmp_path / "targets.toml"
    path.write_text('schema_version = 1\n[targets]\n"plan-20w" = 0.60\n'
                    '"dfe-review-decisions" = 0.50\n')  # fmt: skip
    targets = load_targets(path, known=[r.id for r in load_rules().rules])
    assert targets.target(DFE_REVIEW_DECISIONS) == 0.50
    path.write_text('schema_version = 1\n[targets]\n"dfe-reviews" = 0.50\n')
    with pytest.raises(Exception, match="dfe-reviews: no rule in force"):
        load_targets(path, known=[r.id for r in load_rules().rules])
