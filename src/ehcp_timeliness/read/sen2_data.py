"""One SEN2 return, however it came (XML, COLLECT's Blade CSV export, the pre-submission
workbook), as a few flat text tables; and how those become the canonical tables.

:class:`Sen2Data` holds one table per SEN2 record, every value as text:

* ``persons``: one row per ``Person``, **without** its identifiers. :func:`identify` turns
  the surname, forename, birth date, UPN and ULN into a pseudonymous ``person_id`` and
  descriptions of what is wrong with the UPN or ULN (never the value); :func:`derive_ages`
  then works out the ages and year groups the tables need and drops the birth date, keeping
  only the school cohort. The identifying values go no further than the reader.
* ``requests``: one row per ``Requests``, with its ``Assessment``, ``NamedPlan`` and
  ``ActivePlans`` (each at most one per request) flattened into columns named by their path
  below ``Requests`` (``Assessment/Week20``, ``ActivePlans/LastReview``...). A container
  that is present has the value ``"1"`` in its own column (``Assessment``...).
* ``plan_detail``, ``placement_detail``, ``sen_need``: the repeating records, keyed by
  ``_request``.

Every row carries ``_person``: the row a finding names, which is the person's position in the
XML file (the first ``Person`` is 1) or the row of the person in the person CSV file or sheet.
:func:`to_tables` maps the records onto the canonical ``requests`` and ``plans`` tables
(:class:`~ehcp_timeliness.read.tables.RawTable`), naming each column by its element path, so
that every check and rule downstream works unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ehcp_timeliness.dates import as_arrow_text, parse_date, parse_dates, ymd
from ehcp_timeliness.read import sen2_spec as spec
from ehcp_timeliness.read.dimensions import norm_header
from ehcp_timeliness.read.pseudonym import PseudonymKey, pseudonymise
from ehcp_timeliness.read.sen2_spec import (
    GENDER_CURRENT,
    GROUP_RESOURCED,
    GROUP_SEN_UNIT,
    GROUP_UKPRN,
    GROUP_URN,
    IDENTIFYING,
    LAYOUTS,
    MARKERS,
    PATHS,
    REQUEST_SOURCE,
    SEN_SETTING,
    detect_layout,
    order_markers,
    year_group_label,
)
from ehcp_timeliness.read.tables import RawTable
from ehcp_timeliness.text import strip_controls_arrow
from ehcp_timeliness.validate.findings import CODES, FINDING_COLUMNS

D = "datetime64[D]"
#: Text is Arrow ``large_string`` throughout, as pandas keeps it, so nothing is copied to
#: change its type.
STR = pa.large_string()
NAT = np.datetime64("NaT", "D")


class Notes:
    """Findings a reader makes (unknown elements, orphan records...), as rows."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.rows: list[dict[str, object]] = []

    def add(self, table: str, row: int | None, column: str | None, code: str, message: str,
            value: str | None = None, file: str | None = None) -> None:  # fmt: skip
        self.rows.append({
            "file": file or self.file, "table": table, "row": row, "column": column,
            "value": value, "code": code, "severity": CODES[code][0], "message": message,
        })  # fmt: skip

    def frame(self) -> pd.DataFrame:
        out = pd.DataFrame(self.rows, columns=FINDING_COLUMNS)
        out["row"] = out["row"].astype("Int64")
        return out


@dataclass
class Sen2Data:
    """One return: its header and its records as text tables (see the module docstring)."""

    file: str
    source: str  # "xml", "blade-csv", "workbook"
    header: dict[str, str]
    persons: pd.DataFrame
    requests: pd.DataFrame
    plan_detail: pd.DataFrame
    placement_detail: pd.DataFrame
    sen_need: pd.DataFrame
    findings: pd.DataFrame
    markers: set[str]
    key: PseudonymKey

    @property
    def reference_date(self) -> date | None:
        try:
            return parse_date(self.header.get("CollectionDetails/ReferenceDate"))
        except ValueError:
            return None

    @property
    def la_code(self) -> str | None:
        lea = (self.header.get("Source/LEA") or "").strip()
        return lea or None

    def layout(self) -> tuple[int | None, list[str], list[str]]:
        return detect_layout(self.markers)


# --- Text helpers ---------------------------------------------------------------------


def arrow(frame: pd.DataFrame, column: str) -> pa.Array:
    """A column as one Arrow string array, as written (null where absent)."""
    if column not in frame.columns:
        return pa.nulls(len(frame), STR)
    arr = as_arrow_text(frame[column])
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr.cast(STR)


def text(frame: pd.DataFrame, column: str) -> pa.Array:
    """A column as trimmed Arrow text, null where absent or blank."""
    trimmed = pc.utf8_trim_whitespace(arrow(frame, column))
    return pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, STR), trimmed)


def strings(arr: pa.Array | pa.ChunkedArray) -> pd.api.extensions.ExtensionArray:
    """Arrow text as a pandas column, without a copy."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return pd.arrays.ArrowStringArray(arr.cast(STR))


def join(*parts: pa.Array | str) -> pa.Array:
    """Texts joined element-wise (the last argument is the separator); null if any is."""
    return pc.binary_join_element_wise(
        *(pa.scalar(p, STR) if isinstance(p, str) else p for p in parts)
    )


def take(values: pa.Array, at: np.ndarray) -> pa.Array:
    """``values[at]``, null where ``at`` is -1."""
    if not len(values):
        return pa.nulls(len(at), values.type)
    return values.take(pa.array(at, mask=at < 0))


def upper(frame: pd.DataFrame, column: str) -> pa.Array:
    return pc.utf8_upper(text(frame, column))


def dates_of(frame: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    """``(days, bad)``: a column's dates as ``datetime64[D]`` (NaT when blank or not a date),
    and where a value is there but is not a date."""
    if column not in frame.columns:
        return np.full(len(frame), NAT), np.zeros(len(frame), dtype=bool)
    parsed, bad = parse_dates(frame[column])
    return parsed.to_numpy().astype(D), bad.to_numpy()


def first_per_request(frame: pd.DataFrame, prefer: np.ndarray | None = None) -> pd.DataFrame:
    """One row per ``_request``: the first row where ``prefer`` holds, else the first row."""
    if frame.empty:
        return frame.iloc[0:0]
    order = np.arange(len(frame))
    rank = np.zeros(len(frame), dtype=np.int8) if prefer is None else (~prefer).astype(np.int8)
    sort = np.lexsort((order, rank, frame["_request"].to_numpy()))
    ordered = frame.iloc[sort]
    keep = ~ordered["_request"].duplicated().to_numpy()
    return ordered.loc[keep]


# --- Identifiers ----------------------------------------------------------------------

UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
_LETTER_VALUE = np.full(256, -1, dtype=np.int64)
for _i, _c in enumerate(UPN_LETTERS):
    _LETTER_VALUE[ord(_c)] = _i
_LETTER_VALUE[ord("0") : ord("9") + 1] = np.arange(10)
UPN_PATTERN = r"^[A-Z][0-9]{11}[0-9ABCDEFGHJKLMNPQRTUVWXYZ]$"
ULN_TEMPORARY = "9999999999"


def _chars(values: pa.Array, width: int) -> np.ndarray:
    """Fixed-width ASCII strings as an (n, width) matrix of byte values."""
    raw = np.asarray(values.to_numpy(zero_copy_only=False), dtype=f"S{width}")
    return raw.view(np.uint8).reshape(-1, width).astype(np.int64)


def upn_problems(upn: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """What is wrong with each UPN, in words that never quote it (null where nothing is or
    it is blank); and where it has the form of a UPN but a wrong check letter.

    A UPN is 13 characters: a check letter, 11 digits, and a digit (or, for a temporary UPN,
    a letter other than I, O and S). The check letter is the 23-letter alphabet's
    ``(2 x char2 + 3 x char3 + ... + 13 x char13) mod 23``th letter, a final letter counting
    as its place in that alphabet (DfE, "Unique pupil numbers (UPNs)").
    """
    n = len(upn)
    length = pc.fill_null(pc.utf8_length(upn), 0).to_numpy(zero_copy_only=False)
    present = pc.is_valid(upn).to_numpy(zero_copy_only=False)
    form = pc.fill_null(pc.match_substring_regex(upn, UPN_PATTERN), False).to_numpy(
        zero_copy_only=False
    )
    bad_check = np.zeros(n, dtype=bool)
    if form.any():
        chars = _chars(pc.filter(upn, pa.array(form)), 13)
        values = _LETTER_VALUE[chars[:, 1:]]
        expected = (values * np.arange(2, 14)).sum(axis=1) % 23
        bad_check[np.flatnonzero(form)] = _LETTER_VALUE[chars[:, 0]] != expected
    message = np.full(n, None, dtype=object)
    wrong_length = present & (length != 13)
    message[wrong_length] = [f"the UPN has {k} characters; a UPN has 13" for k in
                             length[wrong_length]]  # fmt: skip
    message[present & (length == 13) & ~form] = (
        "the UPN is not a letter, 11 digits and a final digit or letter (not I, O or S)"
    )
    message[bad_check] = "the UPN's check letter does not match its other characters"
    return pa.array(message, type=STR), bad_check


def uln_problems(uln: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """What is wrong with each ULN (never quoting it), and where its check digit fails.

    A ULN is 10 digits. Its check digit: the first nine digits weighted 10 down to 2,
    summed, mod 11; a remainder of 0 is never valid, else the tenth digit is 10 minus the
    remainder (the Learning Records Service's rule, as in the ILR's ULN_04).
    ``9999999999`` is the temporary ULN and passes.
    """
    n = len(uln)
    length = pc.fill_null(pc.utf8_length(uln), 0).to_numpy(zero_copy_only=False)
    present = pc.is_valid(uln).to_numpy(zero_copy_only=False)
    digits = pc.fill_null(pc.match_substring_regex(uln, r"^[0-9]{10}$"), False).to_numpy(
        zero_copy_only=False
    )
    temporary = pc.fill_null(pc.equal(uln, ULN_TEMPORARY), False).to_numpy(zero_copy_only=False)
    bad_check = np.zeros(n, dtype=bool)
    check = digits & ~temporary
    if check.any():
        d = _chars(pc.filter(uln, pa.array(check)), 10) - ord("0")
        remainder = (d[:, :9] * np.arange(10, 1, -1)).sum(axis=1) % 11
        bad_check[np.flatnonzero(check)] = (remainder == 0) | (10 - remainder != d[:, 9])
    message = np.full(n, None, dtype=object)
    wrong_length = present & (length != 10)
    message[wrong_length] = [f"the ULN has {k} characters; a ULN is 10 digits" for k in
                             length[wrong_length]]  # fmt: skip
    message[present & (length == 10) & ~digits] = "the ULN is not 10 digits"
    message[bad_check] = "the ULN's check digit does not match its other digits"
    return pa.array(message, type=STR), bad_check


def identify(raw: pd.DataFrame, key: PseudonymKey) -> pd.DataFrame:
    """Persons without their identifiers: the identifying columns of ``raw`` become a
    pseudonym, a birth date (a number, for ages) and descriptions of what is wrong.

    The pseudonym is the keyed hash of the UPN, else of the ULN, else of the surname,
    forename and birth date together (each prefixed with its kind, so a UPN and a ULN that
    happen to share characters never share a pseudonym). Other columns of ``raw`` (sex,
    ethnicity...) are kept as they are.
    """
    upn = upper(raw, "UPN")
    uln = text(raw, "UniqueLearnerNumber")
    birth, birth_bad = dates_of(raw, "PersonBirthDate")
    surname = pc.utf8_lower(text(raw, "Surname"))
    forename = pc.utf8_lower(text(raw, "Forename"))
    birth_iso = pa.array(np.datetime_as_string(birth, unit="D"), STR)
    birth_iso = pc.if_else(pa.array(np.isnat(birth)), pa.scalar(None, STR), birth_iso)
    by_name = join("name:", surname, "|", forename, "|", birth_iso, "")
    basis = pc.coalesce(
        join("upn:", upn, ""),
        join("uln:", uln, ""),
        by_name,
    )
    source = np.full(len(raw), None, dtype=object)
    for kind, values in (("name and birth date", by_name), ("ULN", uln), ("UPN", upn)):
        source[pc.is_valid(values).to_numpy(zero_copy_only=False)] = kind  # the last wins
    upn_problem, upn_bad = upn_problems(upn)
    uln_problem, uln_bad = uln_problems(uln)
    birth_problem = np.full(len(raw), None, dtype=object)
    birth_problem[np.isnat(birth)] = "missing"
    birth_problem[birth_bad] = "not a date"
    out = pd.DataFrame({
        "_person": raw["_person"].to_numpy(),
        "person_id": strings(pseudonymise(basis, key)),
        "id_source": pd.array(source, dtype="string"),
        "upn_problem": strings(upn_problem),
        "upn_bad_check": upn_bad,
        "uln_problem": strings(uln_problem),
        "uln_bad_check": uln_bad,
        "birth_date": birth,
        "birth_problem": pd.array(birth_problem, dtype="string"),
    })  # fmt: skip
    keep = [c for c in raw.columns if c not in IDENTIFYING and c != "_person"]
    for c in keep:
        out[c] = raw[c].array
    return out


# --- Ages and year groups -------------------------------------------------------------


def whole_years(birth: np.ndarray, on: np.ndarray) -> np.ndarray:
    """Age in whole years on each date; -1 where either date is missing. Someone born on
    29 February is a year older on 1 March in a year without one."""
    by, bm, bd = ymd(birth)
    oy, om, od = ymd(on)
    age = oy - by - ((om * 100 + od) < (bm * 100 + bd))
    return np.where(np.isnat(birth) | np.isnat(on), -1, age)


def cohort(birth: np.ndarray) -> np.ndarray:
    """The school cohort: the year of the first 31 August on or after the birth (everyone
    born from September to August shares one), so that a child's age on 31 August of year Y
    is ``Y - cohort``. -1 where unknown."""
    by, bm, _ = ymd(birth)
    return np.where(np.isnat(birth), -1, by + (bm >= 9))


def year_groups_of(cohorts: np.ndarray, on: np.ndarray) -> np.ndarray:
    """National Curriculum year group in the school year holding each date; None where the
    cohort or the date is unknown."""
    oy, om, _ = ymd(on)
    age = oy - (om < 9) - cohorts
    labels = {a: year_group_label(int(a)) for a in np.unique(age)}
    out = np.array([labels[a] for a in age], dtype=object) if len(age) else age.astype(object)
    out[(cohorts < 0) | np.isnat(on)] = None
    return out


def year_groups(birth: np.ndarray, on: np.ndarray) -> np.ndarray:
    """National Curriculum year group in the school year holding each date (from the age on
    31 August before it); None where a date is missing."""
    return year_groups_of(cohort(birth), on)


def derive_ages(persons: pd.DataFrame, requests: pd.DataFrame) -> tuple[pd.DataFrame, ...]:
    """What the canonical tables need from the birth date, worked out while it is at hand:
    each request's age at its received date and at its plan's start, and its year group at
    the received date; each person's school cohort (for year groups at the census). The birth
    date itself is then dropped: it never leaves the reader."""
    at = pd.Index(persons["_person"].to_numpy()).get_indexer(
        pd.Index(requests["_person"].to_numpy()))  # fmt: skip
    birth = np.full(len(requests), NAT)
    known = at >= 0
    birth[known] = persons["birth_date"].to_numpy().astype(D)[at[known]]
    received, _ = dates_of(requests, "ReceivedDate")
    start, _ = dates_of(requests, "Assessment/NamedPlan/StartDate")
    requests = requests.copy()
    requests["_age_received"] = whole_years(birth, received)
    requests["_age_start"] = whole_years(birth, start)
    requests["_year_group_received"] = strings(pa.array(year_groups(birth, received), STR))
    cohorts = cohort(persons["birth_date"].to_numpy().astype(D))
    persons = persons.drop(columns=["birth_date"])
    persons["cohort"] = cohorts
    return persons, requests


# --- Settings -------------------------------------------------------------------------


def settings(records: pd.DataFrame) -> tuple[pa.Array, pa.Array]:
    """``(setting, setting_group)`` of PlanDetail or PlacementDetail rows.

    ``setting`` is the establishment (``URN 123456``, ``UKPRN 10001234``) or the SEN2
    setting code's description; ``setting_group`` is what SEN2 alone tells of DfE's caseload
    groups: resourced provision and SEN units (flagged in the return), each ``SENSetting``
    code's group, and, for a URN without a flag, "School or college with a URN (type in
    GIAS)", since whether a school is mainstream, special or independent is in GIAS.
    """
    urn, ukprn = text(records, "URN"), text(records, "UKPRN")
    code = upper(records, "SENSetting")
    rp = pc.fill_null(pc.equal(text(records, "ResourcedProvisionIndicator"), "1"), False)
    unit = pc.fill_null(pc.equal(text(records, "SENunitIndicator"), "1"), False)
    codes = list(SEN_SETTING)
    labels = pa.array([SEN_SETTING[c][1] for c in codes], STR)
    known = pc.take(labels, pc.index_in(code, value_set=pa.array(codes, STR)))
    setting = pc.coalesce(
        join("URN ", urn, ""),
        join("UKPRN ", ukprn, ""),
        known,
        code,
    )
    group = pc.coalesce(
        pc.if_else(rp, pa.scalar(GROUP_RESOURCED, STR), pa.scalar(None, STR)),
        pc.if_else(unit, pa.scalar(GROUP_SEN_UNIT, STR), pa.scalar(None, STR)),
        pc.if_else(pc.is_valid(urn), pa.scalar(GROUP_URN, STR), pa.scalar(None, STR)),
        pc.if_else(pc.is_valid(ukprn), pa.scalar(GROUP_UKPRN, STR), pa.scalar(None, STR)),
        known,
        code,
    )
    return setting, group


# --- Onto the canonical tables ------------------------------------------------------------

REQUEST_COLUMNS = {  # canonical column -> path below Requests
    "received_date": "ReceivedDate",
    "request_outcome": "RequestOutcome",
    "request_outcome_date": "RequestOutcomeDate",
    "assessment_outcome": "Assessment/AssessmentOutcome",
    "assessment_outcome_date": "Assessment/AssessmentOutcomeDate",
    "plan_issue_date": "Assessment/NamedPlan/StartDate",
    "week20_exception": "Assessment/Week20",
}
PLAN_COLUMNS = {
    "plan_issue_date": "Assessment/NamedPlan/StartDate",
    "review_meeting_date": "ActivePlans/ReviewMeeting",
    "review_decision_date": "ActivePlans/LastReview",
    "review_outcome": "ActivePlans/ReviewOutcome",
    "amendment_notice_date": "ActivePlans/ReviewDraft",
    "phase_transfer_due_date": "ActivePlans/PhaseTransferDueDate",
    "phase_transfer_final_date": "ActivePlans/PhaseTransferFinalDate",
    "cease_date": "Assessment/NamedPlan/CeaseDate",
    "cease_reason": "Assessment/NamedPlan/CeaseReason",
}
PERSON_ID_HEADER = "Person (pseudonym of UPN, ULN, or name and birth date)"
RECORD_ID_HEADER = "Person/Requests (pseudonym and the request's place)"


def remove_controls(data: Sen2Data) -> None:
    """Remove control characters and terminal escapes from every value of a return (a COLLECT
    export or workbook can carry them, and XML its C1 controls), before anything reads them,
    with a ``control-characters-removed`` finding for each value changed."""
    parts = []
    for record in ("persons", "requests", "plan_detail", "placement_detail", "sen_need"):
        frame = getattr(data, record)
        for column in [c for c in frame.columns if not c.startswith("_")]:
            if frame[column].dtype.kind in "biufM":
                continue
            cleaned, found = strip_controls_arrow(arrow(frame, column))
            if found is None:
                continue
            frame[column] = strings(cleaned)
            where = np.flatnonzero(found)
            parts.append(pd.DataFrame({
                "file": data.file, "table": "persons" if record == "persons" else "requests",
                "row": frame["_person"].to_numpy()[where], "column": f"{PATHS[record]}/{column}",
                "value": None, "code": "control-characters-removed",
                "severity": CODES["control-characters-removed"][0],
                "message": "held control characters (such as NUL or ESC); they were removed",
            }))  # fmt: skip
    if parts:
        found_all = pd.concat([data.findings, *parts], ignore_index=True)
        found_all["row"] = found_all["row"].astype("Int64")
        data.findings = found_all[FINDING_COLUMNS]


def historical_only(data: Sen2Data) -> np.ndarray:
    """Requests with outcome H and no received date: a plan decided before the collection
    period (or transferred in), carried only for its plan. They are not requests in the
    period, so the requests table leaves them out; their plans are in the plans table."""
    outcome = upper(data.requests, "RequestOutcome")
    h = pc.fill_null(pc.equal(outcome, "H"), False).to_numpy(zero_copy_only=False)
    received = pc.is_valid(text(data.requests, "ReceivedDate")).to_numpy(zero_copy_only=False)
    return h & ~received


def has_plan(data: Sen2Data) -> np.ndarray:
    """Requests that hold a named plan or active-plan details: one plan each."""
    r = data.requests
    out = np.zeros(len(r), dtype=bool)
    for column in ("Assessment/NamedPlan", "ActivePlans"):
        if column in r.columns:
            out |= r[column].notna().to_numpy()
    return out


def to_tables(data: Sen2Data, census: date | None) -> list[RawTable]:
    """The canonical ``requests`` and ``plans`` tables of a return.

    ``requests``: one row per ``Requests`` element except historical-only ones
    (:func:`historical_only`). ``plans``: one row per request holding a named plan, with
    only the latest review (SEN2 keeps no history). Dimensions: ``request_source``,
    ``primary_need``, ``setting``, ``setting_group``, ``age``, ``year_group``, ``sex``,
    ``ethnicity``, ``la_code``, and on plans ``transfer_la``. ``census`` is the date plans'
    year groups are worked out at. Every column is Arrow text, as the CSV reader gives.
    """
    r, p = data.requests, data.persons
    n = len(r)
    at = pd.Index(p["_person"].to_numpy()).get_indexer(pd.Index(r["_person"].to_numpy()))

    def per_person(values: pa.Array) -> pa.Array:
        return take(values, at)  # null for a request whose person is missing

    person_id = per_person(arrow(p, "person_id"))
    cohorts = np.where(at >= 0, p["cohort"].to_numpy(dtype=np.int64)[np.maximum(at, 0)], -1)
    gender = pc.take(pa.array(list(GENDER_CURRENT.values()), STR),
                     pc.index_in(text(p, "GenderCurrent"),
                                 value_set=pa.array(list(GENDER_CURRENT), STR)))  # fmt: skip
    sex = per_person(pc.coalesce(upper(p, "Sex"), gender))
    ethnicity = per_person(text(p, "Ethnicity"))

    need = data.sen_need
    rank1 = pc.fill_null(pc.equal(text(need, "SENtypeRank"), "1"), False).to_numpy(
        zero_copy_only=False
    )
    primary = need.loc[rank1]
    primary = primary.loc[~primary["_request"].duplicated().to_numpy()]
    primary_need = take(upper(primary, "SENtype"), _index(primary, r))

    named, named_group = _setting_per_request(r, data.plan_detail)
    placed, placed_group = _setting_per_request(r, data.placement_detail)
    source = text(r, "RequestSource")
    source_label = pc.coalesce(
        pc.take(pa.array(list(REQUEST_SOURCE.values()), STR),
                pc.index_in(source, value_set=pa.array(list(REQUEST_SOURCE), STR))),
        source,
    )  # fmt: skip
    at_census = np.full(n, np.datetime64(census, "D") if census else NAT)
    k = pa.array(r["_k"].to_numpy().astype(str), STR)
    record_id = join(person_id, k, "-")  # the person's k-th request
    common = {
        "person_id": person_id,
        "la_code": pa.array([data.la_code] * n, STR),
        "sex": sex,
        "ethnicity": ethnicity,
        "primary_need": primary_need,
        "request_source": source_label,
    }
    requests = {
        **common,
        "request_id": record_id,
        **{name: arrow(r, path) for name, path in REQUEST_COLUMNS.items()},
        "setting": named,
        "setting_group": named_group,
        "age": _ages(r["_age_received"].to_numpy()),
        "year_group": arrow(r, "_year_group_received"),
    }
    plans = {
        **common,
        "plan_id": record_id,
        **{name: arrow(r, path) for name, path in PLAN_COLUMNS.items()},
        "setting": pc.coalesce(placed, named),
        "setting_group": pc.coalesce(placed_group, named_group),
        "age": _ages(r["_age_start"].to_numpy()),
        "year_group": pa.array(year_groups_of(cohorts, at_census), STR),
        "transfer_la": arrow(r, "ActivePlans/TransferLA"),
    }
    return [
        _raw_table(data, "requests", requests, ~historical_only(data), REQUEST_COLUMNS),
        _raw_table(data, "plans", plans, has_plan(data), PLAN_COLUMNS),
    ]


def _ages(years: np.ndarray) -> pa.Array:
    return pa.array(years.astype(str), STR, mask=years < 0)


def _index(records: pd.DataFrame, r: pd.DataFrame) -> np.ndarray:
    """For each request of ``r``, the row of ``records`` (one per request) that is its, or -1."""
    return pd.Index(records["_request"].to_numpy()).get_indexer(pd.Index(r["_request"].to_numpy()))


def _setting_per_request(r: pd.DataFrame, records: pd.DataFrame) -> tuple[pa.Array, pa.Array]:
    rank1 = pc.fill_null(pc.equal(text(records, "PlacementRank"), "1"), False)
    first = first_per_request(records, rank1.to_numpy(zero_copy_only=False))
    setting, group = settings(first)
    at = _index(first, r)
    return take(setting, at), take(group, at)


def _raw_table(data: Sen2Data, table: str, columns: dict[str, pa.Array], rows: np.ndarray,
               paths: dict[str, str]) -> RawTable:  # fmt: skip
    keep = pa.array(rows)
    frame = pd.DataFrame({name: strings(values.filter(keep)) for name, values in columns.items()})
    headers = {name: f"{PATHS['requests']}/{path}" for name, path in paths.items()}
    id_column = "request_id" if table == "requests" else "plan_id"
    headers.update({"person_id": PERSON_ID_HEADER, id_column: RECORD_ID_HEADER})
    return RawTable(
        file=data.file,
        table=table,
        data=frame,
        rows=data.requests["_person"].to_numpy()[rows].astype(np.int64),
        header_row=0,  # no header row: SEN2 columns are elements, never missing
        headers=headers,
        reference_date=data.reference_date,
    )


# --- Linked records: COLLECT's CSV export and the pre-submission workbook --------------------


@dataclass
class Module:
    """One record type of a linked export: its rows as text (element names as in the spec,
    link ids in lower case), with the file and row numbers a finding about it names."""

    name: str  # person, requests, assessment, namedplan, plandetail, activeplans, ...
    frame: pd.DataFrame
    file: str
    rows: np.ndarray


#: Each linked record's own id column, and the record an id column points to.
OWN_ID = {
    "person": "persontableid",
    "requests": "requeststableid",
    "assessment": "assessmenttableid",
    "namedplan": "namedplantableid",
    "activeplans": "activeplanstableid",
}
POINTS_TO = {v: k for k, v in OWN_ID.items()}
#: Records of which a request has at most one, and where their elements go.
ONE_PER_REQUEST = {
    "assessment": "Assessment",
    "namedplan": "Assessment/NamedPlan",
    "activeplans": "ActivePlans",
}
#: Repeating records, and the table of :class:`Sen2Data` they become.
REPEATING = {"plandetail": "plan_detail", "placementdetail": "placement_detail",
             "senneed": "sen_need"}  # fmt: skip
LINK_COLUMNS = frozenset({*OWN_ID.values(), "plandetailtableid", "placementdetailtableid",
                          "senneedtableid", "sen2tableid"})  # fmt: skip


class Linker:
    """Join linked records into the nested shape of the XML.

    ``links`` names, for each record, the id column that points at its parent
    (``requests: persontableid``, ``namedplan: assessmenttableid``...). A row whose parent is
    not in the return is an ``sen2-orphan-record`` finding naming its own file and row, and
    is not read. A second assessment, named plan or active-plans record for one request, or
    a second row with the same id, is an ``sen2-repeated-element`` finding; the first is used.
    """

    def __init__(self, modules: dict[str, Module], notes: Notes, links: dict[str, str]):
        self.modules, self.notes, self.links = modules, notes, links
        #: record -> (its ids, the request each of its rows belongs to, -1 if none)
        self.placed: dict[str, tuple[pd.Index, np.ndarray]] = {}

    def _ids(self, module: Module) -> pd.Index:
        """The record's own ids (first of any repeats), for its children to point at."""
        column = OWN_ID.get(module.name)
        if column is None or column not in module.frame.columns:
            return pd.Index(np.full(len(module.frame), None, dtype=object))
        ids = module.frame[column].astype("string").str.strip().to_numpy(dtype=object)
        repeat = pd.Series(ids).duplicated().to_numpy() & pd.notna(ids)
        for row, value in zip(module.rows[repeat], ids[repeat], strict=True):
            self.notes.add(module.name, int(row), column, "sen2-repeated-element",
                           f"a second {module.name} row with this {column}; the first is used",
                           value=str(value), file=module.file)  # fmt: skip
        ids[repeat] = None
        return pd.Index(ids)

    def _parents(self, module: Module, parent: str) -> np.ndarray:
        """For each row of ``module``, the request it belongs to (-1: none, with a finding)."""
        column = self.links[module.name]
        if column not in module.frame.columns:
            self.notes.add(module.name, None, column, "sen2-orphan-record",
                           f"no {column} column to link {module.name} rows to their {parent}; "
                           f"its {len(module.frame):,} rows are not read",
                           file=module.file)  # fmt: skip
            return np.full(len(module.frame), -1)
        ids, request = self.placed[parent]
        keys = module.frame[column].astype("string").str.strip().to_numpy(dtype=object)
        at = ids.get_indexer(pd.Index(keys)) if len(ids) else np.full(len(keys), -1)
        out = np.where(at >= 0, request[np.maximum(at, 0)] if len(request) else -1, -1)
        for row, value in zip(module.rows[out < 0], keys[out < 0], strict=True):
            self.notes.add(module.name, int(row), column, "sen2-orphan-record",
                           f"no {parent} record in the return has this {column} (or it was "
                           "not read); the row is not read", value=None if value is None
                           else str(value), file=module.file)  # fmt: skip
        return out

    def run(self) -> dict[str, pd.DataFrame]:
        person = self.modules["person"]
        persons = person.frame.copy()
        persons.insert(0, "_person", person.rows)
        person_ids = self._ids(person)
        self.placed["person"] = (person_ids, person.rows)

        requests = self.modules["requests"]
        owner = self._parents(requests, "person")  # here: the person's row
        keep = owner >= 0
        r = requests.frame.loc[keep].reset_index(drop=True)
        r = r.drop(columns=[c for c in r.columns if c in LINK_COLUMNS])
        r.insert(0, "_person", owner[keep])
        r.insert(1, "_request", np.arange(len(r)))
        r.insert(2, "_k", r.groupby("_person").cumcount().to_numpy() + 1)
        request_ids = self._ids(requests)
        kept = np.flatnonzero(keep)
        position = np.full(len(requests.frame), -1)
        position[kept] = np.arange(len(kept))
        self.placed["requests"] = (request_ids, position)  # by their position in r from here on

        extra: dict[str, pd.Series] = {}
        for name, prefix in ONE_PER_REQUEST.items():
            module = self.modules.get(name)
            if module is None:
                continue
            parent = POINTS_TO.get(self.links[name], "requests")
            request = self._parents(module, parent)
            placed = request >= 0
            repeat = placed & pd.Series(request).where(placed).duplicated().to_numpy()
            for row in module.rows[repeat]:
                self.notes.add(name, int(row), prefix, "sen2-repeated-element",
                               f"a second {prefix} record for one request; the first is used",
                               file=module.file)  # fmt: skip
            use = placed & ~repeat
            target = request[use]
            flag = np.full(len(r), None, dtype=object)
            flag[target] = "1"
            extra[prefix] = pd.Series(flag)
            for column in module.frame.columns:
                if column in LINK_COLUMNS:
                    continue
                values = np.full(len(r), None, dtype=object)
                values[target] = module.frame[column].to_numpy(dtype=object)[use]
                extra[f"{prefix}/{column}"] = pd.Series(values)
            self.placed[name] = (self._ids(module), np.where(use, request, -1))
        if extra:
            r = pd.concat([r, pd.DataFrame(extra)], axis=1)

        out = {"persons": persons, "requests": r}
        for name, table in REPEATING.items():
            module = self.modules.get(name)
            if module is None:
                out[table] = pd.DataFrame(columns=["_person", "_request"])
                continue
            parent = POINTS_TO.get(self.links[name], "requests")
            if parent not in self.placed:  # its parent record is missing altogether
                self.placed[parent] = (pd.Index([]), np.zeros(0, dtype=np.int64))
            request = self._parents(module, parent)
            ok = request >= 0
            frame = module.frame.loc[ok].reset_index(drop=True)
            frame = frame.drop(columns=[c for c in frame.columns if c in LINK_COLUMNS])
            frame.insert(0, "_request", request[ok])
            frame.insert(0, "_person", r["_person"].to_numpy()[request[ok]])
            out[table] = frame
        return out


# --- Building a return from linked records -------------------------------------------------

#: The elements each linked record may hold, by the record's name in the exports.
ELEMENTS = {
    "person": spec.PERSON,
    "requests": spec.REQUESTS,
    "assessment": spec.ASSESSMENT,
    "namedplan": spec.NAMED_PLAN,
    "plandetail": spec.PLAN_DETAIL,
    "activeplans": spec.ACTIVE_PLANS,
    "placementdetail": spec.PLACEMENT_DETAIL,
    "senneed": spec.SEN_NEED,
}
#: Where each linked record's elements sit in the XML, for findings and layout markers.
RECORD_PATH = {
    "person": "Person",
    "requests": "Person/Requests",
    "assessment": "Person/Requests/Assessment",
    "namedplan": "Person/Requests/Assessment/NamedPlan",
    "plandetail": "Person/Requests/Assessment/NamedPlan/PlanDetail",
    "activeplans": "Person/Requests/ActivePlans",
    "placementdetail": "Person/Requests/ActivePlans/PlacementDetail",
    "senneed": "Person/Requests/ActivePlans/SENneed",
}
#: Columns of the exports that are bookkeeping, not elements (matched case-insensitively).
BOOKKEEPING = re.compile(r"^(nativeid|sourceid|[a-z0-9]*orderseqcolumn|[a-z0-9]*tableid)$")


def name_columns(module: str, headers: list[str], notes: Notes, file: str,
                 header_row: int | None) -> list[str | None]:  # fmt: skip
    """The element (or link id) each column holds; None for bookkeeping and unknown columns,
    each unknown one a ``sen2-unknown-element`` warning."""
    elements = {norm_header(e): e for e in ELEMENTS[module]}
    out: list[str | None] = []
    for header in headers:
        key = norm_header(header)
        if key in elements:
            out.append(elements[key])
        elif key in LINK_COLUMNS:
            out.append(key)
        elif not key or BOOKKEEPING.match(key):
            out.append(None)
        else:
            notes.add(_record_table(module), header_row, f"{RECORD_PATH[module]}/{header}",
                      "sen2-unknown-element", "not an element of any SEN2 layout (2023 to "
                      "2026) for this record; the column is not read", file=file)  # fmt: skip
            out.append(None)
    return out


def _record_table(module: str) -> str:
    return "persons" if module == "person" else "requests"


def from_modules(file: str, source: str, header: dict[str, str], modules: dict[str, Module],
                 links: dict[str, str], notes: Notes, key: PseudonymKey) -> Sen2Data:  # fmt: skip
    """A return from linked records whose columns are already named (:func:`name_columns`).

    The identifying columns of the person record are turned into pseudonyms here and go no
    further. Layout markers come from the columns each record has (a COLLECT export has a
    column for every element of its layout, filled or not) and their order.
    """
    markers = {f"Header/{k}" for k in header}
    for name, module in modules.items():
        base = RECORD_PATH[name]
        markers |= {f"{base}/{c}" for c in module.frame.columns}
        if name == "activeplans":
            markers |= order_markers(list(module.frame.columns))
    frames = Linker(modules, notes, links).run()
    persons = identify(frames["persons"], key)
    del frames["persons"]  # the identifying text goes no further
    persons, frames["requests"] = derive_ages(persons, frames["requests"])
    empty = {"_person": pd.Series(dtype=np.int64), "_request": pd.Series(dtype=np.int64)}
    return Sen2Data(
        file=file,
        source=source,
        header=header,
        persons=persons,
        requests=frames["requests"],
        plan_detail=frames.get("plan_detail", pd.DataFrame(empty)),
        placement_detail=frames.get("placement_detail", pd.DataFrame(empty)),
        sen_need=frames.get("sen_need", pd.DataFrame(empty)),
        findings=notes.frame(),
        markers=markers,
        key=key,
    )


def layout_notes(data: Sen2Data) -> pd.DataFrame:
    """``sen2-layout`` warnings: elements of two layouts mixed in one file, and a header
    ``Year`` the elements contradict (the file is read by its elements either way)."""
    notes = Notes(data.file)
    layout, evidence, misfits = data.layout()
    if layout is None:
        return notes.frame()
    for marker in misfits:
        years = " and ".join(str(y) for y in sorted(MARKERS[marker]))
        notes.add("return", None, marker, "sen2-layout",
                  f"belongs to the {years} layout, but the rest of the file is the {layout} "
                  f"layout; it is read all the same")  # fmt: skip
    possible = set(LAYOUTS)
    for marker in evidence:
        possible &= MARKERS[marker]
    year = (data.header.get("CollectionDetails/Year") or "").strip()
    if year.isdigit() and possible and int(year) not in possible:
        shown = ", ".join(m.rsplit("/", 1)[-1] if "/" in m else m for m in evidence[:4])
        notes.add("return", None, "Header/CollectionDetails/Year", "sen2-layout",
                  f"the header says {year}, but the elements are those of the {layout} layout "
                  f"({shown}); the file is read as {layout}", value=year)  # fmt: skip
    return notes.frame()
