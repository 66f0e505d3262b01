"""DfE's published timeliness measures, reproduced from a council's own extract.

DfE's "Education, health and care plans" release does not count reviews decided in a
period, nor decisions made in a period. Its data guidance (``annual_reviews.csv``,
``requests.csv``) defines:

* **Review decisions within 4 weeks** (``pc_decsion_4weeks``): for each EHC plan held at the
  January census, its review meeting as recorded (SEN2 holds the latest, ``ReviewMeeting``)
  and the date the review decision was communicated (``LastReview``). Plans whose meeting has
  a decision recorded form the denominator (``number_decsion_4weeks`` +
  ``number_decision_gt_4weeks``), whatever year the meeting was in; those communicated within
  4 weeks of the meeting are the numerator. Decisions still outstanding
  (``review_decision_outstanding``) and not yet due (``review_decision_not_due``) fall outside
  both. England 2024: 154,924 of 348,759 = 44.4%.
* **Request decisions within 6 weeks** (``request_outcome_six_weeks_pc``): requests received
  in the calendar year whose decision whether to assess has been made, and of them those made
  within 6 weeks. England 2024: 126,160 of 148,753 = 84.8%.

Both are reproduced as at a census date the caller gives (the as-at date for the report):
an event dated after the census has not happened yet.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from ehcp_timeliness.clocks.engine import LATE, MET
from ehcp_timeliness.history import plan_codes, sort_order

D = "datetime64[D]"
#: reg 20(10): the decision within 4 weeks of the review meeting.
REVIEW_DECISION_DAYS = 28
DECISION_6W = "decision-6w"


class DfeMeasure(BaseModel):
    """A DfE measure reproduced: numerator, denominator and rate, with the counts around it."""

    model_config = ConfigDict(frozen=True)

    label: str
    #: DfE's file and column this reproduces.
    source: str
    census: date
    numerator: int
    denominator: int
    rate: float | None
    #: Counts DfE publishes beside the measure (outstanding, not yet due...).
    counts: dict[str, int] = {}


def _rate(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def review_decisions(plans: pd.DataFrame, census: date) -> DfeMeasure | None:
    """DfE's review-decision measure for the plans held at ``census`` (see the module doc).

    One sort by (plan, meeting), none when the rows already come in that order (whatever the
    census), then reductions over each plan's run of rows."""
    if plans.empty:
        return None
    at = np.datetime64(census, "D")
    code = plan_codes(plans["plan_id"])
    meeting = plans["review_meeting_date"].to_numpy(D)
    order = sort_order(code, meeting.astype(np.int64))  # NaT is the smallest int64: first
    code = code[order]
    starts = np.flatnonzero(np.r_[True, code[1:] != code[:-1]])
    issue = np.minimum.reduceat(plans["plan_issue_date"].to_numpy(D).astype(np.int64)[order],
                                starts).astype(D)  # fmt: skip
    cease = np.maximum.reduceat(plans["cease_date"].to_numpy(D).astype(np.int64)[order],
                                starts).astype(D)  # NaT is the smallest int64  # fmt: skip
    held = (issue <= at) & (np.isnat(cease) | (cease > at))
    # each plan's latest meeting on or before the census: the last such row of its run
    on_or_before = meeting[order] <= at  # NaT compares False
    latest = np.maximum.reduceat(np.where(on_or_before, np.arange(len(order)), -1), starts)
    last = order[latest[held & (latest >= 0)]]
    m = meeting[last]
    dec = plans["review_decision_date"].to_numpy(D)[last]
    decided = dec <= at
    within = decided & ((dec - m) <= np.timedelta64(REVIEW_DECISION_DAYS, "D"))
    not_due = ~decided & (at <= m + np.timedelta64(REVIEW_DECISION_DAYS, "D"))
    numerator, denominator = int(within.sum()), int(decided.sum())
    return DfeMeasure(
        label="Outcome of review communicated within 4 weeks (DfE measure: latest review of "
        "each plan held)",
        source="annual_reviews.csv: pc_decsion_4weeks = number_decsion_4weeks / "
        "(number_decsion_4weeks + number_decision_gt_4weeks)",
        census=census,
        numerator=numerator,
        denominator=denominator,
        rate=_rate(numerator, denominator),
        counts={
            "plans_held": int(held.sum()),
            "review_meeting_recorded": len(last),
            "no_review_meeting": int(held.sum()) - len(last),
            "decision_within_4_weeks": numerator,
            "decision_after_4_weeks": denominator - numerator,
            "decision_outstanding": int((~decided & ~not_due).sum()),
            "decision_not_due": int(not_due.sum()),
        },
    )


def request_decisions(
    cases: pd.DataFrame, start: date, end: date, census: date
) -> DfeMeasure | None:
    """DfE's request-decision measure for requests received from ``start`` to ``end``: of those
    decided by ``census`` (the cases' as-at date), the share decided within 6 weeks (the
    ``decision-6w`` cases)."""
    mine = (cases["rule"] == DECISION_6W).to_numpy()
    if not mine.any():
        return None
    received = cases["start_date"].to_numpy()[mine]
    status = cases["status"].cat.codes.to_numpy()[mine]
    cohort = (received >= np.datetime64(start)) & (received <= np.datetime64(end))
    decided = cohort & ((status == MET) | (status == LATE))
    numerator, denominator = int((cohort & (status == MET)).sum()), int(decided.sum())
    return DfeMeasure(
        label="Requests where decision made within 6 weeks (DfE measure: requests received in "
        "the period)",
        source="requests.csv: request_outcome_six_weeks_pc = request_outcome_six_weeks / "
        "(request_outcome_six_weeks + request_outcome_over_6_weeks)",
        census=census,
        numerator=numerator,
        denominator=denominator,
        rate=_rate(numerator, denominator),
        counts={
            "requests_received": int(cohort.sum()),
            "decided_within_6_weeks": numerator,
            "decided_after_6_weeks": denominator - numerator,
            "decision_not_made": int(cohort.sum()) - denominator,
        },
    )
