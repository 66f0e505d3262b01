"""Pre-submission checks of a SEN2 return: what DfE's collection would reject or query.

Each check is a small declared unit: a code in the tool's own namespace (``SEN2-001``...), a
severity (``error``: DfE would not accept the return as it is; ``query``: DfE would ask the
council to confirm or explain), a message, the elements it looks at, and a function from the
return to the rows it flags. They run on the return's own records (not on the canonical
tables, whose checks run as well), so they can see what only SEN2 has: UPNs (through what
the reader found wrong with them, never their value), placements, needs, the header.

They are the tool's reading of DfE's published guide and technical specification for the
person-level return, not DfE's own rule list, which is not published as code; the public
XSDs beside the repository are known to be wrong in places and are not used as truth.
Every check is documented in docs/findings.md and has its own test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from ehcp_timeliness.dates import PHASE_DAY, period_end, ymd
from ehcp_timeliness.read.sen2_data import (
    Sen2Data,
    dates_of,
    text,
    upper,
)
from ehcp_timeliness.read.sen2_spec import (
    ASSESSMENT_OUTCOMES,
    CEASE_REASONS,
    CODED,
    ETHNICITY,
    PATHS,
    REQUEST_OUTCOMES,
    REQUEST_SOURCE,
    REVIEW_OUTCOMES,
    SEN_SETTING,
    SEN_TYPES,
    SEXES,
    UPN_UNKNOWN,
)
from ehcp_timeliness.validate.findings import FINDING_COLUMNS, register

Level = Literal["error", "query"]
#: Share of a year's new plans carrying the 20-week exception flag above which the council is
#: asked to confirm it (England 2024: 6%; DfE named two councils that flagged every plan).
WEEK20_SHARE = 0.25
WEEK20_MIN_PLANS = 10


@dataclass(frozen=True)
class Hit:
    """Rows a check flags in one of the return's records, and the element it names."""

    record: str  # persons, requests, plan_detail, placement_detail, sen_need, return
    mask: np.ndarray
    field: str  # path below the record (``Assessment/Week20``)
    message: np.ndarray | None = None  # per flagged row, when it says more than the check's
    quote: bool = True  # whether the value may be shown (never for identifiers)
    severity: Level | None = None  # when not the check's own (a query in an older layout)


@dataclass(frozen=True)
class Check:
    code: str
    severity: Level
    message: str
    fields: tuple[str, ...]
    run: Callable[[Context], list[Hit]]


CHECKS: list[Check] = []


def check(code: str, severity: Level, message: str, *fields: str):
    def declare(run: Callable[[Context], list[Hit]]) -> Callable[[Context], list[Hit]]:
        CHECKS.append(Check(code, severity, message, fields, run))
        return run

    return declare


class Context:
    """A return and what the checks share: parsed dates (each parsed once), the census
    date and the collection year (the calendar year before the census)."""

    def __init__(self, data: Sen2Data, census: date | None) -> None:
        self.data = data
        self.census = census
        self.year = census.year - 1 if census else None
        self.collection_year = census.year if census else None
        self._dates: dict[tuple[str, str], np.ndarray] = {}

    def frame(self, record: str) -> pd.DataFrame:
        return getattr(self.data, record)

    def day(self, record: str, column: str) -> np.ndarray:
        key = (record, column)
        if key not in self._dates:
            self._dates[key] = dates_of(self.frame(record), column)[0]
        return self._dates[key]

    def has(self, record: str, column: str) -> np.ndarray:
        return pc.is_valid(text(self.frame(record), column)).to_numpy(zero_copy_only=False)

    def code(self, record: str, column: str) -> pd.Series:
        return pd.Series(upper(self.frame(record), column).to_pandas(), dtype="string")

    def codes(self, record: str, column: str) -> np.ndarray:
        """A coded column, trimmed and upper case, as a numpy array with "" for blank."""
        return self.code(record, column).fillna("").to_numpy(dtype=object)

    def is_(self, record: str, column: str, *codes: str) -> np.ndarray:
        return np.array(self.code(record, column).isin(codes).fillna(False), dtype=bool)

    def not_code(self, record: str, column: str, codes: tuple[str, ...]) -> np.ndarray:
        values = self.code(record, column)
        return np.array((values.notna() & ~values.isin(codes)).fillna(False), dtype=bool)

    def in_year(self, days: np.ndarray) -> np.ndarray:
        if self.year is None:
            return np.zeros(len(days), dtype=bool)
        start = np.datetime64(f"{self.year}-01-01")
        return (days >= start) & (days <= np.datetime64(f"{self.year}-12-31"))

    def active_at_census(self) -> np.ndarray:
        """Named plans held at the census: started on or before it, not ceased before it."""
        if self.census is None:
            return np.zeros(len(self.data.requests), dtype=bool)
        census = np.datetime64(self.census, "D")
        start = self.day("requests", "Assessment/NamedPlan/StartDate")
        cease = self.day("requests", "Assessment/NamedPlan/CeaseDate")
        return (start <= census) & (np.isnat(cease) | (cease > census))


def _lt(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a < b) & ~np.isnat(a) & ~np.isnat(b)


# --- Person -------------------------------------------------------------------------------


@check("SEN2-001", "error", "the UPN's check letter is wrong", "UPN")
def upn_check_letter(c: Context) -> list[Hit]:
    p = c.data.persons
    return [Hit("persons", p["upn_bad_check"].to_numpy(dtype=bool), "UPN", quote=False)]


@check("SEN2-002", "error", "the UPN is not 13 characters of the right form", "UPN")
def upn_form(c: Context) -> list[Hit]:
    p = c.data.persons
    problem = p["upn_problem"]
    mask = (problem.notna() & ~p["upn_bad_check"]).to_numpy(dtype=bool)
    return [Hit("persons", mask, "UPN", problem.to_numpy(dtype=object)[mask], quote=False)]


@check("SEN2-003", "error", "the ULN is not 10 digits", "UniqueLearnerNumber")
def uln_form(c: Context) -> list[Hit]:
    p = c.data.persons
    problem = p["uln_problem"]
    mask = (problem.notna() & ~p["uln_bad_check"]).to_numpy(dtype=bool)
    return [Hit("persons", mask, "UniqueLearnerNumber", problem.to_numpy(dtype=object)[mask],
                quote=False)]  # fmt: skip


@check("SEN2-004", "error", "the ULN's check digit is wrong", "UniqueLearnerNumber")
def uln_check_digit(c: Context) -> list[Hit]:
    mask = c.data.persons["uln_bad_check"].to_numpy(dtype=bool)
    return [Hit("persons", mask, "UniqueLearnerNumber", quote=False)]


@check("SEN2-005", "error", "two persons have the same UPN", "UPN")
def duplicate_upn(c: Context) -> list[Hit]:
    p = c.data.persons
    by_upn = (p["id_source"] == "UPN").fillna(False).to_numpy(dtype=bool)
    ids = p["person_id"].where(by_upn)
    repeat = (ids.duplicated(keep="first") & ids.notna()).to_numpy(dtype=bool)
    first_row = p.loc[by_upn].groupby("person_id")["_person"].first()
    rows = ids[repeat].map(first_row).to_numpy()
    message = np.array([f"the same UPN as the person at row {r}" for r in rows], dtype=object)
    return [Hit("persons", repeat, "UPN", message, quote=False)]


@check("SEN2-006", "error", "no UPN, no ULN and no reason (UPNunknown) for their absence",
       "UPN", "UniqueLearnerNumber", "UPNunknown")  # fmt: skip
def no_identifier(c: Context) -> list[Hit]:
    p = c.data.persons
    source = p["id_source"].fillna("")
    mask = ~source.isin(["UPN", "ULN"]).to_numpy(dtype=bool) & ~c.has("persons", "UPNunknown")
    return [Hit("persons", mask, "UPNunknown")]


@check("SEN2-007", "error", "UPNunknown is not one of UN1, UN2, UN3, UN5, UN8, UN9, UN10",
       "UPNunknown")  # fmt: skip
def upn_unknown_code(c: Context) -> list[Hit]:
    return [Hit("persons", c.not_code("persons", "UPNunknown", UPN_UNKNOWN), "UPNunknown")]


@check("SEN2-008", "error", "the birth date is missing or not a date", "PersonBirthDate")
def birth_date(c: Context) -> list[Hit]:
    problem = c.data.persons["birth_problem"]
    mask = problem.notna().to_numpy(dtype=bool)
    message = ("PersonBirthDate is " + problem[mask].astype(str)).to_numpy(dtype=object)
    return [Hit("persons", mask, "PersonBirthDate", message, quote=False)]


@check("SEN2-009", "error", "Sex is missing or not M or F (GenderCurrent 1 or 2 in 2023)",
       "Sex", "GenderCurrent")  # fmt: skip
def sex(c: Context) -> list[Hit]:
    frame = c.data.persons
    if "GenderCurrent" in frame.columns and frame["GenderCurrent"].notna().any():
        bad = ~c.is_("persons", "GenderCurrent", "0", "1", "2", "9")
        if "Sex" in frame.columns:
            bad &= ~c.is_("persons", "Sex", *SEXES)
        return [Hit("persons", bad, "GenderCurrent")]
    return [Hit("persons", ~c.is_("persons", "Sex", *SEXES), "Sex")]


# --- Requests -----------------------------------------------------------------------------


@check("SEN2-010", "error", "no ReceivedDate on a request that is not historical (H)",
       "ReceivedDate", "RequestOutcome")  # fmt: skip
def received_missing(c: Context) -> list[Hit]:
    mask = ~c.has("requests", "ReceivedDate") & ~c.is_("requests", "RequestOutcome", "H")
    return [Hit("requests", mask, "ReceivedDate")]


@check("SEN2-011", "error", "the request outcome date is before the request was received",
       "RequestOutcomeDate", "ReceivedDate")  # fmt: skip
def outcome_before_received(c: Context) -> list[Hit]:
    mask = _lt(c.day("requests", "RequestOutcomeDate"), c.day("requests", "ReceivedDate"))
    return [Hit("requests", mask, "RequestOutcomeDate")]


@check("SEN2-012", "error", "a decision to assess or not (Y or N) with no RequestOutcomeDate",
       "RequestOutcome", "RequestOutcomeDate")  # fmt: skip
def outcome_date_missing(c: Context) -> list[Hit]:
    mask = c.is_("requests", "RequestOutcome", "Y", "N") & ~c.has("requests", "RequestOutcomeDate")
    return [Hit("requests", mask, "RequestOutcomeDate")]


@check("SEN2-013", "error", "RequestOutcome is missing or not Y, N, A, W or H", "RequestOutcome")
def request_outcome_code(c: Context) -> list[Hit]:
    mask = ~c.is_("requests", "RequestOutcome", *REQUEST_OUTCOMES)
    return [Hit("requests", mask, "RequestOutcome")]


@check("SEN2-014", "error", "RequestSource is missing or not 1 to 5 (mandatory from 2026)",
       "RequestSource")  # fmt: skip
def request_source(c: Context) -> list[Hit]:
    given = c.has("requests", "RequestSource")
    bad = given & ~c.is_("requests", "RequestSource", *REQUEST_SOURCE)
    if c.collection_year is not None and c.collection_year >= 2026:
        bad |= ~given & c.in_year(c.day("requests", "ReceivedDate"))
    return [Hit("requests", bad, "RequestSource")]


@check("SEN2-015", "query", "two requests for the same person received on the same day",
       "ReceivedDate")  # fmt: skip
def same_day_requests(c: Context) -> list[Hit]:
    r = c.data.requests
    received = c.day("requests", "ReceivedDate")
    key = pd.DataFrame({"p": r["_person"].to_numpy(), "d": received})
    mask = key.duplicated(keep="first").to_numpy() & ~np.isnat(received)
    return [Hit("requests", mask, "ReceivedDate")]


# --- Assessment and named plan --------------------------------------------------------


@check("SEN2-016", "error", "an assessment decided (Y or N) with no AssessmentOutcomeDate",
       "Assessment/AssessmentOutcome", "Assessment/AssessmentOutcomeDate")  # fmt: skip
def assessment_date_missing(c: Context) -> list[Hit]:
    mask = c.is_("requests", "Assessment/AssessmentOutcome", "Y", "N") & ~c.has(
        "requests", "Assessment/AssessmentOutcomeDate")  # fmt: skip
    return [Hit("requests", mask, "Assessment/AssessmentOutcomeDate")]


@check("SEN2-017", "error", "AssessmentOutcome is not Y, N, A, W or H",
       "Assessment/AssessmentOutcome")  # fmt: skip
def assessment_outcome_code(c: Context) -> list[Hit]:
    mask = c.not_code("requests", "Assessment/AssessmentOutcome", ASSESSMENT_OUTCOMES)
    mask |= c.has("requests", "Assessment") & ~c.has("requests", "Assessment/AssessmentOutcome")
    return [Hit("requests", mask, "Assessment/AssessmentOutcome")]


@check("SEN2-018", "error", "a plan to be issued (AssessmentOutcome Y) with no named plan "
       "start date", "Assessment/AssessmentOutcome", "Assessment/NamedPlan/StartDate")  # fmt: skip
def issued_without_plan(c: Context) -> list[Hit]:
    mask = c.is_("requests", "Assessment/AssessmentOutcome", "Y") & ~c.has(
        "requests", "Assessment/NamedPlan/StartDate")  # fmt: skip
    return [Hit("requests", mask, "Assessment/NamedPlan/StartDate")]


@check("SEN2-019", "error", "the plan starts before its request was received",
       "Assessment/NamedPlan/StartDate", "ReceivedDate")  # fmt: skip
def plan_before_request(c: Context) -> list[Hit]:
    mask = _lt(c.day("requests", "Assessment/NamedPlan/StartDate"),
               c.day("requests", "ReceivedDate"))  # fmt: skip
    return [Hit("requests", mask, "Assessment/NamedPlan/StartDate")]


def new_plans(c: Context) -> np.ndarray:
    """Plans issued in the collection year after a request (not historical or transferred)."""
    start = c.day("requests", "Assessment/NamedPlan/StartDate")
    historical = c.is_("requests", "Assessment/AssessmentOutcome", "H") | c.is_(
        "requests", "RequestOutcome", "H")  # fmt: skip
    return c.in_year(start) & ~historical


@check("SEN2-020", "error", "no Week20 flag on a plan issued in the collection year",
       "Assessment/Week20")  # fmt: skip
def week20_missing(c: Context) -> list[Hit]:
    mask = new_plans(c) & ~c.is_("requests", "Assessment/Week20", "0", "1")
    return [Hit("requests", mask, "Assessment/Week20")]


@check("SEN2-021", "query", "an implausibly high share of the year's new plans carry the "
       "20-week exception flag (Week20 = 1)", "Assessment/Week20")  # fmt: skip
def week20_share(c: Context) -> list[Hit]:
    new = new_plans(c)
    flagged = new & c.is_("requests", "Assessment/Week20", "1")
    n, k = int(new.sum()), int(flagged.sum())
    if n < WEEK20_MIN_PLANS or k <= WEEK20_SHARE * n:
        return []
    message = np.array(
        [
            f"{k:,} of {n:,} plans issued in {c.year} ({k / n:.0%}) carry the "
            f"exception flag; England's share in 2024 was 6%"
        ],
        dtype=object,
    )
    return [Hit("return", np.array([True]), "Assessment/Week20", message, quote=False)]


@check("SEN2-022", "query", "the 20-week exception flag on a plan issued within 20 weeks",
       "Assessment/Week20")  # fmt: skip
def week20_not_needed(c: Context) -> list[Hit]:
    weeks = (c.day("requests", "Assessment/NamedPlan/StartDate")
             - c.day("requests", "ReceivedDate")) / np.timedelta64(1, "D")  # fmt: skip
    mask = c.is_("requests", "Assessment/Week20", "1") & (weeks <= 140)
    return [Hit("requests", mask, "Assessment/Week20")]


@check("SEN2-023", "query", "an assessment recorded on a request the LA decided not to assess "
       "or that was withdrawn (RequestOutcome N or W)", "Assessment", "RequestOutcome")  # fmt: skip
def assessment_not_expected(c: Context) -> list[Hit]:
    mask = c.has("requests", "Assessment") & c.is_("requests", "RequestOutcome", "N", "W")
    return [Hit("requests", mask, "Assessment/AssessmentOutcome")]


@check("SEN2-024", "error", "a cease date without a cease reason, or a reason without a date",
       "Assessment/NamedPlan/CeaseDate", "Assessment/NamedPlan/CeaseReason")  # fmt: skip
def cease_pair(c: Context) -> list[Hit]:
    date_ = c.has("requests", "Assessment/NamedPlan/CeaseDate")
    reason = c.has("requests", "Assessment/NamedPlan/CeaseReason")
    return [Hit("requests", date_ & ~reason, "Assessment/NamedPlan/CeaseReason"),
            Hit("requests", reason & ~date_, "Assessment/NamedPlan/CeaseDate")]  # fmt: skip


@check("SEN2-025", "error", "CeaseReason is not 1 to 9", "Assessment/NamedPlan/CeaseReason")
def cease_reason_code(c: Context) -> list[Hit]:
    mask = c.not_code("requests", "Assessment/NamedPlan/CeaseReason", CEASE_REASONS)
    return [Hit("requests", mask, "Assessment/NamedPlan/CeaseReason")]


@check("SEN2-026", "error", "the plan ceases before it started",
       "Assessment/NamedPlan/CeaseDate", "Assessment/NamedPlan/StartDate")  # fmt: skip
def cease_before_start(c: Context) -> list[Hit]:
    mask = _lt(c.day("requests", "Assessment/NamedPlan/CeaseDate"),
               c.day("requests", "Assessment/NamedPlan/StartDate"))  # fmt: skip
    return [Hit("requests", mask, "Assessment/NamedPlan/CeaseDate")]


def _one_setting(c: Context, record: str) -> list[Hit]:
    given = np.sum([c.has(record, col) for col in ("URN", "UKPRN", "SENSetting")], axis=0)
    message = np.where(given == 0, "none of URN, UKPRN and SENSetting is given",
                       "more than one of URN, UKPRN and SENSetting is given")  # fmt: skip
    mask = given != 1
    hits = [Hit(record, mask, "URN", message[mask])]
    hits.append(Hit(record, c.not_code(record, "SENSetting", tuple(SEN_SETTING)), "SENSetting"))
    return hits


@check("SEN2-027", "error", "a plan detail that does not name exactly one of URN, UKPRN or "
       "SENSetting, or names an unknown SENSetting", "PlanDetail/URN", "PlanDetail/UKPRN",
       "PlanDetail/SENSetting")  # fmt: skip
def plan_detail_setting(c: Context) -> list[Hit]:
    return _one_setting(c, "plan_detail")


@check("SEN2-028", "error", "a named plan with no plan detail of placement rank 1",
       "Assessment/NamedPlan", "PlanDetail/PlacementRank")  # fmt: skip
def plan_detail_missing(c: Context) -> list[Hit]:
    d = c.data.plan_detail
    first = np.zeros(len(c.data.requests), dtype=bool)
    rank1 = d["_request"].to_numpy(dtype=np.int64)[c.is_("plan_detail", "PlacementRank", "1")]
    first[rank1] = True
    mask = c.has("requests", "Assessment/NamedPlan") & ~first
    return [Hit("requests", mask, "Assessment/NamedPlan")]


# --- Active plans ---------------------------------------------------------------------


@check("SEN2-029", "error", "the review decision (LastReview) is before the review meeting",
       "ActivePlans/LastReview", "ActivePlans/ReviewMeeting")  # fmt: skip
def decision_before_meeting(c: Context) -> list[Hit]:
    mask = _lt(c.day("requests", "ActivePlans/LastReview"),
               c.day("requests", "ActivePlans/ReviewMeeting"))  # fmt: skip
    return [Hit("requests", mask, "ActivePlans/LastReview")]


@check("SEN2-030", "error", "no ReviewMeeting on a plan held for more than 12 months at the "
       "census (a query before 2025, when the item was voluntary)",
       "ActivePlans/ReviewMeeting")  # fmt: skip
def review_meeting_missing(c: Context) -> list[Hit]:
    if c.census is None or c.collection_year is None:
        return []
    start = c.day("requests", "Assessment/NamedPlan/StartDate")
    due = period_end(start, 12)  # the period of 12 months starting with the start date
    old = ~np.isnat(due) & (due < np.datetime64(c.census, "D"))
    mask = c.active_at_census() & old & ~c.has("requests", "ActivePlans/ReviewMeeting")
    if c.collection_year >= 2025:
        return [Hit("requests", mask, "ActivePlans/ReviewMeeting")]
    voluntary = np.full(int(mask.sum()), "a query only, as the item was voluntary before 2025",
                        dtype=object)  # fmt: skip
    return [Hit("requests", mask, "ActivePlans/ReviewMeeting", voluntary, severity="query")]


@check("SEN2-031", "error", "a review outcome without a decision date, an outcome that is not "
       "M, A or C, or (from 2025) a decision date without its outcome", "ActivePlans/LastReview",
       "ActivePlans/ReviewOutcome")  # fmt: skip
def review_outcome_pair(c: Context) -> list[Hit]:
    decided = c.has("requests", "ActivePlans/LastReview")
    outcome = c.has("requests", "ActivePlans/ReviewOutcome")
    hits = [Hit("requests", outcome & ~decided, "ActivePlans/LastReview")]
    if c.collection_year is not None and c.collection_year >= 2025:
        hits.append(Hit("requests", decided & ~outcome, "ActivePlans/ReviewOutcome"))
    hits.append(
        Hit(
            "requests",
            c.not_code("requests", "ActivePlans/ReviewOutcome", REVIEW_OUTCOMES),
            "ActivePlans/ReviewOutcome",
        )
    )
    return hits  # fmt: skip


@check("SEN2-032", "error", "a phase-transfer due date that is not 15 February or 31 March",
       "ActivePlans/PhaseTransferDueDate")  # fmt: skip
def phase_transfer_due(c: Context) -> list[Hit]:
    due = c.day("requests", "ActivePlans/PhaseTransferDueDate")
    _, month, day = ymd(due)
    allowed = np.logical_or.reduce([(month == m) & (day == d) for m, d in PHASE_DAY.values()])
    return [Hit("requests", ~np.isnat(due) & ~allowed, "ActivePlans/PhaseTransferDueDate")]


@check("SEN2-033", "error", "an active plan with no SEN need of rank 1, two needs of one rank, "
       "or a need type or rank that is not a SEN2 code",
       "SENneed/SENtype", "SENneed/SENtypeRank")  # fmt: skip
def primary_need(c: Context) -> list[Hit]:
    n = c.data.sen_need
    request = n["_request"].to_numpy(dtype=np.int64)
    rank = c.code("sen_need", "SENtypeRank")
    has_first = np.zeros(len(c.data.requests), dtype=bool)
    has_first[request[(rank == "1").fillna(False).to_numpy(dtype=bool)]] = True
    active = c.has("requests", "ActivePlans")
    repeat = pd.DataFrame({"r": request, "k": rank.to_numpy()}).duplicated().to_numpy()
    return [
        Hit("requests", active & ~has_first, "ActivePlans/SENneed"),
        Hit("sen_need", repeat, "SENtypeRank"),
        Hit("sen_need", c.not_code("sen_need", "SENtype", SEN_TYPES), "SENtype"),
        Hit("sen_need", ~c.is_("sen_need", "SENtypeRank", "1", "2"), "SENtypeRank"),
    ]


@check("SEN2-034", "error", "active-plan details on a plan that ceased before the census",
       "ActivePlans", "Assessment/NamedPlan/CeaseDate")  # fmt: skip
def active_but_ceased(c: Context) -> list[Hit]:
    if c.census is None:
        return []
    cease = c.day("requests", "Assessment/NamedPlan/CeaseDate")
    mask = c.has("requests", "ActivePlans") & (cease <= np.datetime64(c.census, "D"))
    return [Hit("requests", mask, "ActivePlans")]


@check("SEN2-035", "error", "a plan held at the census with no active-plan details",
       "ActivePlans", "Assessment/NamedPlan/StartDate")  # fmt: skip
def held_without_active(c: Context) -> list[Hit]:
    mask = c.active_at_census() & ~c.has("requests", "ActivePlans")
    return [Hit("requests", mask, "ActivePlans")]


@check("SEN2-036", "error", "a placement that does not name exactly one of URN, UKPRN or "
       "SENSetting, or names an unknown SENSetting", "PlacementDetail/URN",
       "PlacementDetail/UKPRN", "PlacementDetail/SENSetting")  # fmt: skip
def placement_setting(c: Context) -> list[Hit]:
    return _one_setting(c, "placement_detail")


@check("SEN2-037", "query", "the draft amended plan (ReviewDraft) is dated before the review "
       "meeting", "ActivePlans/ReviewDraft", "ActivePlans/ReviewMeeting")  # fmt: skip
def draft_before_meeting(c: Context) -> list[Hit]:
    mask = _lt(c.day("requests", "ActivePlans/ReviewDraft"),
               c.day("requests", "ActivePlans/ReviewMeeting"))  # fmt: skip
    return [Hit("requests", mask, "ActivePlans/ReviewDraft")]


# --- Codes, LA codes, establishments ------------------------------------------------------


@check("SEN2-040", "error", "a coded item that is not one of its codes (yes/no items 1 or 0; "
       "Res A or B; WBP A, T or S; DP E, S, H or I; PlacementRank 1 or 2)", "RYA",
       "RequestMediation", "RequestTribunal", "Assessment/AssessmentMediation",
       "Assessment/AssessmentTribunal", "Assessment/OtherMediation", "Assessment/OtherTribunal",
       "Assessment/Week20", "Assessment/NamedPlan/PB", "Assessment/NamedPlan/OA",
       "Assessment/NamedPlan/PlanRes", "Assessment/NamedPlan/PlanWBP", "Assessment/NamedPlan/DP",
       "PlanDetail/PlacementRank", "PlanDetail/SENunitIndicator",
       "PlanDetail/ResourcedProvisionIndicator", "PlacementDetail/PlacementRank",
       "PlacementDetail/Res", "PlacementDetail/WBP", "ActivePlans/Res",
       "ActivePlans/WBP")  # fmt: skip
def coded_items(c: Context) -> list[Hit]:
    hits = []
    for record, items in CODED.items():
        for field, codes in items.items():
            mask = c.not_code(record, field, codes)
            if mask.any():
                message = np.full(int(mask.sum()), f"{field.rsplit('/', 1)[-1]} is one of "
                                  f"{', '.join(codes)}", dtype=object)  # fmt: skip
                hits.append(Hit(record, mask, field, message))
    return hits


@check("SEN2-041", "error", "an LA code (Exported, TransferLA) that is not three digits",
       "Exported", "ActivePlans/TransferLA")  # fmt: skip
def la_codes(c: Context) -> list[Hit]:
    hits = []
    for field in ("Exported", "ActivePlans/TransferLA"):
        given = text(c.data.requests, field)
        bad = pc.invert(pc.fill_null(pc.match_substring_regex(given, r"^[0-9]{3}$"), True))
        hits.append(Hit("requests", bad.to_numpy(zero_copy_only=False), field))
    return hits


@check("SEN2-042", "error", "Ethnicity is missing or not one of DfE's ethnicity codes",
       "Ethnicity")  # fmt: skip
def ethnicity(c: Context) -> list[Hit]:
    return [Hit("persons", ~c.is_("persons", "Ethnicity", *ETHNICITY), "Ethnicity")]


@check("SEN2-043", "error", "a placement entry or leaving date that is not a date, or a leaving "
       "date before the entry date", "PlacementDetail/EntryDate",
       "PlacementDetail/LeavingDate")  # fmt: skip
def placement_dates(c: Context) -> list[Hit]:
    hits = []
    frame = c.data.placement_detail
    for field in ("EntryDate", "LeavingDate"):
        _, bad = dates_of(frame, field)
        hits.append(Hit("placement_detail", bad, field))
    left_first = _lt(c.day("placement_detail", "LeavingDate"),
                     c.day("placement_detail", "EntryDate"))  # fmt: skip
    hits.append(Hit("placement_detail", left_first, "LeavingDate"))
    return hits


@check("SEN2-044", "error", "a URN that is not 6 digits or a UKPRN that is not 8 digits",
       "PlanDetail/URN", "PlanDetail/UKPRN", "PlacementDetail/URN",
       "PlacementDetail/UKPRN")  # fmt: skip
def establishment_numbers(c: Context) -> list[Hit]:
    hits = []
    for record in ("plan_detail", "placement_detail"):
        for field, pattern in (("URN", r"^[0-9]{6}$"), ("UKPRN", r"^[0-9]{8}$")):
            given = text(c.frame(record), field)
            bad = pc.invert(pc.fill_null(pc.match_substring_regex(given, pattern), True))
            hits.append(Hit(record, bad.to_numpy(zero_copy_only=False), field))
    return hits


# --- Header -----------------------------------------------------------------------------


@check("SEN2-038", "error", "the header's ReferenceDate is missing or not a date, or its "
       "Collection is not SEN2", "CollectionDetails/ReferenceDate",
       "CollectionDetails/Collection")  # fmt: skip
def header_reference(c: Context) -> list[Hit]:
    if c.data.source != "xml" and not c.data.header:
        return []  # the workbook has no header; the CSV export's is checked when present
    hits = []
    if c.data.reference_date is None:
        hits.append(Hit("return", np.array([True]), "Header/CollectionDetails/ReferenceDate"))
    collection = (c.data.header.get("CollectionDetails/Collection") or "").strip().upper()
    if collection != "SEN2":
        hits.append(Hit("return", np.array([True]), "Header/CollectionDetails/Collection"))
    return hits


@check("SEN2-039", "error", "the header's LEA is missing or not a three-digit LA code",
       "Source/LEA")  # fmt: skip
def header_lea(c: Context) -> list[Hit]:
    if c.data.source != "xml" and not c.data.header:
        return []
    lea = c.data.la_code or ""
    if len(lea) == 3 and lea.isdigit():
        return []
    return [Hit("return", np.array([True]), "Header/Source/LEA")]


# --- Running them ---------------------------------------------------------------------

register({c.code: (c.severity, c.message) for c in CHECKS})


def _path(record: str, field: str) -> str:
    return field if record == "return" else f"{PATHS[record]}/{field}"


_TABLE = {"persons": "persons", "requests": "requests", "plan_detail": "plans",
          "placement_detail": "plans", "sen_need": "plans", "return": "return"}  # fmt: skip


def run_checks(data: Sen2Data, census: date | None,
               only: list[Check] | None = None) -> pd.DataFrame:  # fmt: skip
    """Every check's findings for one return, in the shape of the canonical findings."""
    c = Context(data, census)
    parts = []
    for chk in only or CHECKS:
        for hit in chk.run(c):
            mask = np.asarray(hit.mask, dtype=bool)
            n = int(mask.sum())
            if not n:
                continue
            if hit.record == "return":
                rows = np.full(n, None, dtype=object)
                values = np.full(n, None, dtype=object)
            else:
                frame = c.frame(hit.record)
                rows = frame["_person"].to_numpy()[mask]
                values = (frame[hit.field].to_numpy(dtype=object)[mask]
                          if hit.quote and hit.field in frame.columns
                          else np.full(n, None, dtype=object))  # fmt: skip
            message = (
                chk.message
                if hit.message is None
                else (
                    chk.message + ": " + pd.Series(hit.message, dtype=object).astype(str)
                ).to_numpy()
            )
            table = _TABLE[hit.record]
            if hit.record == "requests" and hit.field.startswith(
                ("ActivePlans", "Assessment/NamedPlan")
            ):
                table = "plans"  # a named plan's elements, kept on its request's record
            parts.append(pd.DataFrame({
                "file": data.file, "table": table, "row": rows,
                "column": _path(hit.record, hit.field), "value": values, "code": chk.code,
                "severity": hit.severity or chk.severity,
                "message": message,
            }))  # fmt: skip
    if not parts:
        return pd.DataFrame(columns=FINDING_COLUMNS)
    out = pd.concat(parts, ignore_index=True)[FINDING_COLUMNS]
    out["row"] = out["row"].astype("Int64")
    return out
