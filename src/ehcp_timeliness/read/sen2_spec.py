"""DfE's SEN2 person-level return, declared once: its elements per layout, its codes, and the
models that describe a return that has been read.

The XML nests ``Message/Header`` and ``Message/Persons/Person``; a person's ``Requests`` hold
an optional ``Assessment`` (with an optional ``NamedPlan`` and its ``PlanDetail`` records) and
optional ``ActivePlans`` (with ``PlacementDetail`` and ``SENneed`` records). The layouts of
2023 to 2026 differ in a few elements, listed in :data:`ADDED` and :data:`REMOVED`; a file's
layout is worked out from the elements it holds, never from the header's ``Year`` (one public
sample says 2024 and holds 2023 content).
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict

LAYOUTS = (2023, 2024, 2025, 2026)

#: Leaf elements of each record, by its path below ``Message`` (``Person/Requests`` ...).
HEADER = {
    "CollectionDetails": ("Collection", "Year", "ReferenceDate"),
    "Source": ("SourceLevel", "LEA", "SoftwareCode", "Release", "SerialNo", "DateTime", "DMO",
               "DCO", "DSCO"),
}  # fmt: skip
PERSON = ("Surname", "Forename", "PersonBirthDate", "GenderCurrent", "Sex", "Ethnicity",
          "PostCode", "UPN", "UniqueLearnerNumber", "UPNunknown")  # fmt: skip
REQUESTS = ("ReceivedDate", "RequestSource", "RYA", "RequestOutcomeDate", "RequestOutcome",
            "RequestMediation", "RequestTribunal", "Exported")  # fmt: skip
ASSESSMENT = ("AssessmentOutcome", "AssessmentOutcomeDate", "AssessmentMediation",
              "AssessmentTribunal", "OtherMediation", "OtherTribunal", "Week20")  # fmt: skip
NAMED_PLAN = ("StartDate", "PlanRes", "PlanWBP", "PB", "OA", "DP", "CeaseDate", "CeaseReason")
PLAN_DETAIL = ("URN", "UKPRN", "SENSetting", "SENSettingOther", "PlacementRank",
               "SENunitIndicator", "ResourcedProvisionIndicator")  # fmt: skip
ACTIVE_PLANS = ("TransferLA", "Res", "WBP", "ReviewMeeting", "LastReview", "ReviewOutcome",
                "ReviewDraft", "PhaseTransferDueDate", "PhaseTransferFinalDate")  # fmt: skip
PLACEMENT_DETAIL = ("URN", "UKPRN", "SENSetting", "SENSettingOther", "PlacementRank",
                    "EntryDate", "LeavingDate", "AttendancePattern", "SENunitIndicator",
                    "ResourcedProvisionIndicator", "Res", "WBP")  # fmt: skip
SEN_NEED = ("SENtype", "SENtypeRank")

#: Identifying elements: read only to derive a pseudonym, an age and a year group, then
#: dropped. They never reach a table, a finding, a log line or an error message.
IDENTIFYING = frozenset({"Surname", "Forename", "PersonBirthDate", "PostCode", "UPN",
                         "UniqueLearnerNumber"})  # fmt: skip

#: Where each record sits, and what its rows are called in findings (``table``).
PATHS = {
    "persons": "Person",
    "requests": "Person/Requests",
    "plan_detail": "Person/Requests/Assessment/NamedPlan/PlanDetail",
    "placement_detail": "Person/Requests/ActivePlans/PlacementDetail",
    "sen_need": "Person/Requests/ActivePlans/SENneed",
}

_FROM_2024, _FROM_2025 = frozenset({2024, 2025, 2026}), frozenset({2025, 2026})
#: Elements (by path) and orders that only some layouts have: the evidence a layout is
#: detected from. 2024 replaced ``GenderCurrent`` with ``Sex``, moved ``Res`` and ``WBP``
#: into ``PlacementDetail`` and added the review meeting and outcome; 2025 added
#: ``RequestSource``, ``ReviewDraft``, the phase-transfer dates and ``DSCO``, and put
#: ``LastReview`` before ``ReviewOutcome``; 2026 makes those mandatory and moves
#: ``LastReview`` to the end of ``ActivePlans``.
MARKERS: dict[str, frozenset[int]] = {
    "Person/GenderCurrent": frozenset({2023}),
    "Person/Requests/ActivePlans/Res": frozenset({2023}),
    "Person/Requests/ActivePlans/WBP": frozenset({2023}),
    "Person/Requests/ActivePlans/PlacementDetail/AttendancePattern": frozenset({2023}),
    "Person/Sex": _FROM_2024,
    "Person/Requests/ActivePlans/ReviewMeeting": _FROM_2024,
    "Person/Requests/ActivePlans/ReviewOutcome": _FROM_2024,
    "Person/Requests/ActivePlans/PlacementDetail/Res": _FROM_2024,
    "Person/Requests/ActivePlans/PlacementDetail/WBP": _FROM_2024,
    "Header/Source/DSCO": _FROM_2025,
    "Person/Requests/RequestSource": _FROM_2025,
    "Person/Requests/ActivePlans/ReviewDraft": _FROM_2025,
    "Person/Requests/ActivePlans/PhaseTransferDueDate": _FROM_2025,
    "Person/Requests/ActivePlans/PhaseTransferFinalDate": _FROM_2025,
    "LastReview before ReviewOutcome": frozenset({2025}),
    "LastReview after ReviewOutcome": frozenset({2024, 2026}),
    "LastReview after ReviewDraft or a phase-transfer date": frozenset({2026}),
}
#: The order evidence above, as (element before, element after) -> marker.
ORDER_MARKERS = {
    ("LastReview", "ReviewOutcome"): "LastReview before ReviewOutcome",
    ("ReviewOutcome", "LastReview"): "LastReview after ReviewOutcome",
    ("ReviewDraft", "LastReview"): "LastReview after ReviewDraft or a phase-transfer date",
    ("PhaseTransferDueDate", "LastReview"): "LastReview after ReviewDraft or a phase-transfer date",
    ("PhaseTransferFinalDate", "LastReview"): "LastReview after ReviewDraft or a phase-transfer "
    "date",
}
_ORDERED = frozenset(t for pair in ORDER_MARKERS for t in pair)


def order_markers(elements: list[str]) -> set[str]:
    """The layout markers that the order of an ActivePlans record's elements gives (local
    names, in the order they come), from where LastReview stands among the others."""
    order = [e for e in elements if e in _ORDERED]
    if "LastReview" not in order:
        return set()
    at = order.index("LastReview")
    pairs = [(e, "LastReview") if i < at else ("LastReview", e) for i, e in enumerate(order)]
    return {ORDER_MARKERS[p] for p in pairs if p in ORDER_MARKERS}


def detect_layout(seen: set[str]) -> tuple[int | None, list[str], list[str]]:
    """The layout a file's markers point to: ``(layout, evidence, misfits)``.

    The layout is the earliest one that has every marker seen (a file that uses none of the
    newer elements reads the same in any later layout). When no single layout has them all,
    it is the one that has most of them (the later on a tie), and ``misfits`` lists the
    markers it lacks. ``None`` when nothing tells the layouts apart.
    """
    markers = sorted(m for m in seen if m in MARKERS)
    if not markers:
        return None, [], []
    fits = {year: [m for m in markers if year in MARKERS[m]] for year in LAYOUTS}
    both = [year for year in LAYOUTS if len(fits[year]) == len(markers)]
    if both:
        return both[0], markers, []
    best = max(LAYOUTS, key=lambda year: (len(fits[year]), year))
    return best, markers, [m for m in markers if best not in MARKERS[m]]


# --- Codes ------------------------------------------------------------------------------

REQUEST_SOURCE = {
    "1": "Parent or young person",
    "2": "School or other setting",
    "3": "Health",
    "4": "Social care",
    "5": "Other",
}
REQUEST_OUTCOMES = ("Y", "N", "A", "W", "H")
ASSESSMENT_OUTCOMES = ("Y", "N", "A", "W", "H")
REVIEW_OUTCOMES = ("M", "A", "C")
CEASE_REASONS = tuple("123456789")
UPN_UNKNOWN = ("UN1", "UN2", "UN3", "UN5", "UN8", "UN9", "UN10")
SEN_TYPES = ("SPLD", "MLD", "SLD", "PMLD", "SEMH", "SLCN", "HI", "VI", "MSI", "PD", "ASD", "DS",
             "OTH")  # fmt: skip
#: DfE's ethnicity codes (the Common Basic Data Set's main and extended codes, as the school
#: census uses them; the 2024 additions WCOR, WENG, ABRI, BBRI... included).
_ETHNICITY = """
WBRI WCOR WENG WNIR WSCO WWEL WOWB WIRI WIRT WOTH WALB WBOS WCRO WGRE WGRK WGRC WITA WKOS WPOR
WSER WTUR WTUK WTUC WEUR WEEU WWEU WOTW WROM WROG WROR WROO MWBC MWBA MWAS MWAP MWAI MWAO ABRI
AWEL MOTH MAOE MABL MACH MBOE MBCH MCOE MWOE MWCH MOTM AIND APKN AMPK AKPA AOPK ABAN AOTH AAFR
AKAO ANEP ASNL ASLT ASRO AOTA BBRI BWEL BCRB BAFR BANN BCON BGHA BNGN BSLN BSOM BSUD BAOF BOTH
BEUR BNAM BOTB CHNE CHKC CMAL CSNG CTWN COCH OOTH OAFG ORAB OARA OEGY OFIL OIRN OIRQ OJPN OKOR
OKRD OLAM OLEB OLIB OMAL OMRC OPOL OTHA OVIE OYEM OOEG REFU NOBT
"""
ETHNICITY = frozenset(_ETHNICITY.split())
#: Coded items with a short list of codes, by the record they are in (the SEN2 checks' own
#: names for records) and their path below it.
YES_NO = ("1", "0")
CODED: dict[str, dict[str, tuple[str, ...]]] = {
    "requests": {
        "RYA": YES_NO, "RequestMediation": YES_NO, "RequestTribunal": YES_NO,
        "Assessment/AssessmentMediation": YES_NO, "Assessment/AssessmentTribunal": YES_NO,
        "Assessment/OtherMediation": YES_NO, "Assessment/OtherTribunal": YES_NO,
        "Assessment/Week20": YES_NO, "Assessment/NamedPlan/PB": YES_NO,
        "Assessment/NamedPlan/OA": YES_NO, "Assessment/NamedPlan/PlanRes": ("A", "B"),
        "Assessment/NamedPlan/PlanWBP": ("A", "T", "S"),
        "Assessment/NamedPlan/DP": ("E", "S", "H", "I"), "ActivePlans/Res": ("A", "B"),
        "ActivePlans/WBP": ("A", "T", "S"),
    },
    "plan_detail": {
        "PlacementRank": ("1", "2"), "SENunitIndicator": YES_NO,
        "ResourcedProvisionIndicator": YES_NO,
    },
    "placement_detail": {
        "PlacementRank": ("1", "2"), "SENunitIndicator": YES_NO,
        "ResourcedProvisionIndicator": YES_NO, "Res": ("A", "B"), "WBP": ("A", "T", "S"),
    },
}  # fmt: skip
#: ``GenderCurrent`` (2023) codes as the ``Sex`` codes that replaced them.
GENDER_CURRENT = {"1": "M", "2": "F"}
SEXES = ("M", "F")

#: ``SENSetting`` codes (settings with no URN or UKPRN), and the caseload group DfE counts
#: them in (the column of ``caseload.csv``), with a label for breakdowns.
SEN_SETTING = {
    "OLA": ("other_arrangements_la", "Other arrangements made by the LA (EOTAS)"),
    "OPA": ("other_arrangements_parents", "Other arrangements made by parents"),
    "EHE": ("elective_home_education", "Elective home education"),
    "EYP": ("nm_early_years", "Non-maintained early years"),
    "OTH": ("other_placement_settings", "Other types of placement"),
    "NEET": ("neet", "Not in education, employment or training"),
    "NIEC": ("neet_ntci", "Not in education or training - notice to cease issued"),
    "NIEO": ("neet_other", "Not in education or training - other"),
}
#: Setting groups that SEN2 alone can tell (``setting_group``). Whether a URN is a
#: mainstream, special or independent school is in GIAS, not in the return.
GROUP_RESOURCED = "Mainstream - resourced provision"
GROUP_SEN_UNIT = "Mainstream - SEN unit"
GROUP_URN = "School or college with a URN (type in GIAS)"
GROUP_UKPRN = "Further education or training provider (UKPRN)"


def year_group_label(age_at_31_august: int) -> str:
    """The National Curriculum year for an age on 31 August before the school year:
    ``N`` (nursery or younger) for 3 or less, ``R`` for 4, ``1`` to ``13``, then ``14+``."""
    if age_at_31_august <= 3:
        return "N"
    if age_at_31_august == 4:
        return "R"
    if age_at_31_august >= 18:
        return "14+"
    return str(age_at_31_august - 4)


# --- What a return says about itself ----------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class PublishedFile(_Model):
    """One of DfE's published files, as this return would contribute to it: its columns
    (DfE's names) and values. ``x`` marks a figure SEN2 alone cannot give, as DfE marks one
    it does not have."""

    file: str
    measures: dict[str, int | float | str | None]
    notes: list[str] = []


class PublishPreview(_Model):
    """DfE's published measures computed from one return: the calendar year before the
    census for requests and plans issued, the census date for plans held."""

    calendar_year: int
    census_date: date
    la_code: str | None
    files: list[PublishedFile]


class ReturnInfo(_Model):
    """One SEN2 return as read: where it came from, its layout, and what it holds."""

    file: str
    source: str  # "xml", "blade-csv" or "workbook"
    layout: int | None
    layout_evidence: list[str]
    header_year: str | None
    reference_date: date | None
    la_code: str | None
    persons: int
    requests: int
    historical_requests: int
    plans: int
    pseudonym_key: str
    publish: PublishPreview | None = None
