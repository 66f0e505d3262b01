"""What a SEN2 return will publish: DfE's published measures, computed from the return itself.

DfE's release "Education, health and care plans" is built from the SEN2 returns: requests and
new plans in the calendar year before the census, plans held at the census. This module
computes, from one council's return, the figures DfE will publish for it, under the column
names of DfE's CSV files (``../shared/dfe-ehcp-2025/data-guidance.txt``), so an analyst can
set them beside last year's published row before the return goes in.

Where DfE's method is not written down, the reading here is the one that reproduces DfE's
published totals (checked against the 2025 release's England and Warwickshire rows):

* ``requests.csv``: requests received in the year, by outcome (percentages of all received).
  Decisions within 6 weeks: Y and N outcomes dated within 42 days of receipt; after 6 weeks:
  those dated later, plus requests still undecided at the census whose 6 weeks have run out
  (DfE's within + after exceeds the decided requests by about the overdue undecided ones).
* ``timeliness_20_week.csv``: plans issued in the year after a request received (not
  historical or transferred in), within 20 weeks (140 days), 20 to 52 weeks, over 52 weeks
  (more than 364 days); ``_ex`` figures leave out plans with ``Week20`` = 1.
* ``annual_reviews.csv``: plans held at the census; a review is expected once the period of
  12 months starting with the plan's start date has ended before the census. Of expected
  plans: with a review meeting (by year), without; of those with a meeting: decided (by
  year of decision), not yet due (the 4 weeks still running), outstanding; by outcome; and
  decisions within 4 weeks of the meeting (DfE's way: each plan's latest meeting only).
* ``caseload.csv``: plans held at the census by the setting of their first placement.
  SEN2 does not say whether a URN is a mainstream, special or independent school or an
  academy (that is in GIAS), so those columns are ``x`` and a note counts them.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from ehcp_timeliness.dates import period_end
from ehcp_timeliness.read.sen2_data import (
    Sen2Data,
    first_per_request,
    has_plan,
    historical_only,
    text,
    upper,
)
from ehcp_timeliness.read.sen2_spec import SEN_SETTING, PublishedFile, PublishPreview, ReturnInfo
from ehcp_timeliness.validate.sen2_checks import Context, new_plans

X = "x"  # DfE's mark for a figure that is unavailable


def _pc(part: int, whole: int) -> float | str:
    return round(100 * part / whole, 1) if whole else X


def preview(data: Sen2Data, census: date) -> PublishPreview:
    """DfE's measures for the calendar year before ``census`` and at ``census``."""
    c = Context(data, census)
    year = census.year - 1
    return PublishPreview(
        calendar_year=year,
        census_date=census,
        la_code=data.la_code,
        files=[_requests(c), _timeliness(c), _reviews(c), _caseload(c)],
    )


def _requests(c: Context) -> PublishedFile:
    received = c.day("requests", "ReceivedDate")
    mine = c.in_year(received)
    outcome = c.codes("requests", "RequestOutcome")

    def count(*codes: str) -> int:
        return int((mine & np.isin(outcome, codes)).sum())

    total = int(mine.sum())
    decided = mine & np.isin(outcome, ["Y", "N"])
    days = (c.day("requests", "RequestOutcomeDate") - received) / np.timedelta64(1, "D")
    within = int((decided & (days <= 42)).sum())
    census = np.datetime64(c.census, "D")
    overdue = mine & np.isin(outcome, ["A"]) & (received + np.timedelta64(42, "D") < census)
    over = int((decided & (days > 42)).sum() + overdue.sum())
    mediation = mine & c.is_("requests", "RequestMediation", "1")
    tribunal = mine & c.is_("requests", "RequestTribunal", "1")
    y, n, a, w = count("Y"), count("N"), count("A"), count("W")
    return PublishedFile(
        file="requests.csv",
        measures={
            "requests_received_in_year": total,
            "requests_rya": int((mine & c.is_("requests", "RYA", "1")).sum()),
            "requests_decided_to_assess": y,
            "requests_decided_not_to_assess": n,
            "requests_decision_not_made": a,
            "requests_withdrawn": w,
            "request_assess_pc": _pc(y, total),
            "request_not_assess_pc": _pc(n, total),
            "request_outstanding_pc": _pc(a, total),
            "request_withdrawn_pc": _pc(w, total),
            "request_outcome_six_weeks": within,
            "request_outcome_over_6_weeks": over,
            "request_outcome_six_weeks_pc": _pc(within, within + over),
            "request_outcome_over_6_weeks_pc": _pc(over, within + over),
            "mediation_related_request": int(mediation.sum()),
            "tribunal_related_request": int(tribunal.sum()),
            "tribunal_after_mediation_request": int((mediation & tribunal).sum()),
        },
        notes=[
            "after 6 weeks includes requests still undecided at the census whose 6 weeks "
            "had run out"
        ],  # fmt: skip
    )


def _timeliness(c: Context) -> PublishedFile:
    start = c.day("requests", "Assessment/NamedPlan/StartDate")
    received = c.day("requests", "ReceivedDate")
    new = new_plans(c)
    issued = new & ~np.isnat(received)
    days = (start - received) / np.timedelta64(1, "D")
    excepted = c.is_("requests", "Assessment/Week20", "1")
    measures: dict[str, int | float | str | None] = {"new_ehc_plans": int(new.sum())}
    for suffix, scope in (("", issued), ("_ex", issued & ~excepted)):
        den = int(scope.sum())
        within = int((scope & (days <= 140)).sum())
        middle = int((scope & (days > 140) & (days <= 364)).sum())
        late = int((scope & (days > 364)).sum())
        if suffix:
            measures.update({
                "plans_issued_den_ex": den, "plans_issued_20_weeks_ex": within,
                "PC_plans_issued_20_weeks_ex": _pc(within, den),
                "plans_issued_gt20weeks_ltYear_ex": middle,
                "PC_plans_issued_gt20weeks_ltYear_ex": _pc(middle, den),
                "plans_issued_gt_1_year_ex": late, "PC_plans_issued_gt_1_year_ex": _pc(late, den),
            })  # fmt: skip
        else:
            measures.update({
                "plans_issued_den": den, "plans_issued_within_20_weeks": within,
                "pc_plans_issued_within_20_weeks": _pc(within, den),
                "plans_issued_gt20weeks_ltYear": middle,
                "pc_plans_issued_gt20weeks_ltYear": _pc(middle, den),
                "plans_issued_gt_1_year": late, "pc_plans_issued_gt_1_year": _pc(late, den),
            })  # fmt: skip
    return PublishedFile(
        file="timeliness_20_week.csv",
        measures=measures,
        notes=["new_ehc_plans is newplans.csv's total: plans issued in the year, not "
               "historical or transferred in; the 20-week figures need a received date"],
    )  # fmt: skip


def _reviews(c: Context) -> PublishedFile:
    held = c.active_at_census() & has_plan(c.data)
    census = np.datetime64(c.census, "D")
    start = c.day("requests", "Assessment/NamedPlan/StartDate")
    due = period_end(start, 12)
    expected = held & ~np.isnat(due) & (due < census)
    meeting = c.day("requests", "ActivePlans/ReviewMeeting")
    decision = c.day("requests", "ActivePlans/LastReview")
    met = expected & ~np.isnat(meeting)
    decided = met & ~np.isnat(decision)
    undecided = met & np.isnat(decision)
    not_due = undecided & (meeting + np.timedelta64(28, "D") >= census)
    year = c.census.year - 1 if c.census else 0
    yy, next_yy = f"{year % 100:02d}", f"{(year + 1) % 100:02d}"

    def in_year(days: np.ndarray, y: int) -> np.ndarray:
        return (days >= np.datetime64(f"{y}-01-01")) & (days <= np.datetime64(f"{y}-12-31"))

    outcome = c.codes("requests", "ActivePlans/ReviewOutcome")
    within = decided & ((decision - meeting) <= np.timedelta64(28, "D"))
    n_decided = int(decided.sum())
    return PublishedFile(
        file="annual_reviews.csv",
        measures={
            "total_ehc_plans": int(held.sum()),
            "review_expected": int(expected.sum()),
            "review_not_expected": int((held & ~expected).sum()),
            f"review_meeting_{next_yy}": int((met & in_year(meeting, year + 1)).sum()),
            f"review_meeting_{yy}": int((met & in_year(meeting, year)).sum()),
            f"review_meeting_prior_{yy}": int((met & (meeting < np.datetime64(f"{year}-01-01"))
                                               ).sum()),  # fmt: skip
            "total_review_meeting": int(met.sum()),
            "no_review_meeting": int((expected & np.isnat(meeting)).sum()),
            f"review_decision{next_yy}": int((decided & in_year(decision, year + 1)).sum()),
            f"review_decision{yy}": int((decided & in_year(decision, year)).sum()),
            f"review_decision_prior{yy}": int((decided & (decision < np.datetime64(
                f"{year}-01-01"))).sum()),  # fmt: skip
            "review_decision_not_due": int(not_due.sum()),
            "review_decision_outstanding": int((undecided & ~not_due).sum()),
            "outcome_amend": int((met & (outcome == "A")).sum()),
            "outcome_cease": int((met & (outcome == "C")).sum()),
            "outcome_maintan": int((met & (outcome == "M")).sum()),
            "no_outcome": int((met & ~np.isin(outcome, ["A", "C", "M"])).sum()),
            "number_decsion_4weeks": int(within.sum()),
            "number_decision_gt_4weeks": n_decided - int(within.sum()),
            "pc_decsion_4weeks": _pc(int(within.sum()), n_decided),
            "pc_decision_gt_4weeks": _pc(n_decided - int(within.sum()), n_decided),
        },
        notes=["DfE's review-decision rate: each plan's latest meeting with a decision "
               "recorded, decided within 28 days; outstanding and not-yet-due decisions are "
               "outside the denominator"],
    )  # fmt: skip


CASELOAD_COLUMNS = [
    "mainstream_la_maintained", "mainstream_la_maintained_resourced_provision",
    "mainstream_la_maintained_senunit", "mainstream_academy",
    "mainstream_academy_resourced_provision", "mainstream_academy_senunit",
    "mainstream_free_school", "mainstream_free_school_resourced_provision",
    "mainstream_free_school_senunit", "mainstream_independent", "mainstream_total",
    "special_la_maintained", "special_academy_free", "special_independent",
    "special_non_maintained", "special_total", "ap_pru_total", "general_fe_tertiary_colleges",
    "specialist_post_16_institutions", "ukrlp_provider", "fe_total",
]  # fmt: skip


def _caseload(c: Context) -> PublishedFile:
    held = c.active_at_census() & has_plan(c.data)
    placements = c.data.placement_detail
    rank1 = c.is_("placement_detail", "PlacementRank", "1")
    first = first_per_request(placements, rank1)
    at = pd.Index(first["_request"].to_numpy()).get_indexer(np.flatnonzero(held))
    placed = at >= 0
    code = np.full(int(held.sum()), None, dtype=object)
    code[placed] = upper(first, "SENSetting").to_numpy(zero_copy_only=False)[at[placed]]
    urn = np.zeros(len(code), dtype=bool)
    ukprn = np.zeros(len(code), dtype=bool)
    urn[placed] = _valid(text(first, "URN"))[at[placed]]
    ukprn[placed] = _valid(text(first, "UKPRN"))[at[placed]] & ~urn[placed]
    total = int(held.sum())
    measures: dict[str, int | float | str | None] = {"ehcplans": total}
    measures.update({column: X for column in CASELOAD_COLUMNS})
    for setting, (column, _label) in SEN_SETTING.items():
        measures[column] = int((code == setting).sum())
    none = ~placed | (pd.isna(code) & ~urn & ~ukprn)
    measures["placement_unknown"] = int(none.sum())
    measures["placement_unknown_pc"] = _pc(int(none.sum()), total)
    measures["nm_early_years_pc"] = _pc(int(measures["nm_early_years"] or 0), total)
    return PublishedFile(
        file="caseload.csv",
        measures=measures,
        notes=[
            f"{int(urn.sum()):,} plans are placed at a setting with a URN and "
            f"{int(ukprn.sum()):,} at a provider with only a UKPRN: whether each is "
            "mainstream, special, alternative provision, independent or further education "
            "is in GIAS, not in the return, so those columns are x",
            "neet_other counts every NIEO placement; DfE splits off compulsory school age "
            "(neet_other_csa)",
        ],
    )


def _valid(arr) -> np.ndarray:  # noqa: ANN001
    return np.asarray(arr.is_valid().to_numpy(zero_copy_only=False), dtype=bool)


def summarise(data: Sen2Data, census: date | None) -> ReturnInfo:
    """What the return is and holds, and (with a census date) what it will publish."""
    layout, evidence, _ = data.layout()
    year = (data.header.get("CollectionDetails/Year") or "").strip() or None
    return ReturnInfo(
        file=data.file,
        source=data.source,
        layout=layout,
        layout_evidence=evidence,
        header_year=year,
        reference_date=data.reference_date,
        la_code=data.la_code,
        persons=len(data.persons),
        requests=len(data.requests),
        historical_requests=int(historical_only(data).sum()),
        plans=int(has_plan(data).sum()),
        pseudonym_key=data.key.source,
        publish=preview(data, census) if census is not None else None,
    )
