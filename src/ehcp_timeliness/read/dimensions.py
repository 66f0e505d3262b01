"""Which columns besides the schema's are read: known dimensions, and those a mapping declares.

Extracts describe children, and exports carry many columns the tool has no use for: names,
dates of birth, addresses, free-text notes. So a column outside the schema is read only when
it is a **known dimension** (below, under its canonical name) or the mapping file lists it
under ``dimensions``. Every other column is dropped as it is read, with a finding naming the
column, never its values.

A second net, :func:`identifying_reason`, recognises headers that name a child, a birth date,
an address, an official identifier, contact details or free text. Such a column is dropped
even when the mapping declares it, and ``person_id`` is never read from one.

Dimension names must not collide with the columns the tool writes beside them (the case
list's ``status``, the pack's ``Due date``...): :func:`safe_dimension_name` renames one that
would.
"""

from __future__ import annotations

import re

#: Canonical dimension name -> other headers recognised for it (matched as headers are:
#: ignoring case, spaces and punctuation).
KNOWN_DIMENSIONS: dict[str, tuple[str, ...]] = {
    "team": ("Team Name", "SEN Team", "SEND Team", "Casework Team", "Area Team"),
    "caseworker": (
        "Case Worker", "Caseworker Code", "Caseworker ID", "Case Officer",
        "Case Officer Code", "SEN Officer", "SEN Officer Code",
    ),
    "primary_need": (
        "Primary Need", "Primary SEN Need", "Primary SEND Need", "Primary Need Type",
        "SEN Need", "Need Type", "SEN Type",
    ),
    "setting": ("Setting Name", "School", "School Name", "Current Setting", "Provision",
                "Placement", "Establishment"),
    "setting_group": ("Setting Type", "Setting Group", "School Type", "Provision Type",
                      "Establishment Type"),
    "request_source": ("Source of Request", "Request Source", "Referral Source",
                       "Requested By", "Request Made By", "Source"),
    "age": ("Age at Request", "Age in Years", "Age (years)"),
    "age_group": ("Age Group", "Age Band", "Age Range"),
    "year_group": ("Year Group", "NC Year", "National Curriculum Year", "School Year"),
    "sex": ("Gender",),
    "ethnicity": ("Ethnic Group", "Ethnic Origin", "Ethnicity Code"),
    "locality": ("Area", "District", "Locality Area"),
    "la_code": ("LA", "LA Code", "LA Number", "Local Authority Code", "LA Num"),
}  # fmt: skip


def _words(header: str) -> tuple[list[str], list[str]]:
    """Lower-case words of a header as written (``DoB``: ``dob``), and with camel case split
    (``PersonBirthDate``: ``person birth date``)."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", str(header))
    return re.findall(r"[a-z0-9]+", str(header).casefold()), re.findall(
        r"[a-z0-9]+", spaced.casefold()
    )


#: Words that name a person's name wherever they appear in a header (joined, no spaces).
_NAME_WORDS = (
    "surname", "forename", "firstname", "givenname", "familyname", "lastname", "middlename",
    "fullname", "legalname", "preferredname", "maidenname", "nickname", "knownas",
)  # fmt: skip
#: Words that may stand beside "name" in a header naming a person ("Name of Child").
_PERSON_WORDS = frozenset({
    "child", "childs", "children", "s", "pupil", "pupils", "cyp", "yp", "young", "person",
    "persons", "people", "student", "learner", "learners", "of", "the", "full", "first", "last",
    "middle", "given", "family", "legal", "preferred", "known", "as", "other", "previous",
    "former", "parent", "parents", "carer", "carers", "mother", "father", "guardian", "mum",
    "dad", "sibling", "siblings", "client", "applicant", "contact", "1", "2", "3", "name",
    "names",
})  # fmt: skip
_FREE_TEXT = frozenset({
    "note", "notes", "comment", "comments", "remark", "remarks", "narrative", "description",
    "details", "summary", "freetext", "observations",
})  # fmt: skip
_IDENTIFIERS = frozenset(["upn", "uln", "nhs", "chi"])
_CONTACT = frozenset(["phone", "telephone", "tel", "mobile"])
_ADDRESS = frozenset(["street", "road", "postal", "zip", "house", "flat"])


def identifying_reason(header: str) -> str | None:
    """What a header says its column holds, when that could identify a child; else None.

    >>> identifying_reason("Child's Name"), identifying_reason("DoB (dd/mm/yyyy)")
    ('a name', 'a date of birth')
    >>> identifying_reason("Team") is None
    True
    """
    plain, camel = _words(header)
    joined = "".join(plain)
    words = set(plain) | set(camel)
    if any(w in joined for w in _NAME_WORDS) or any(
        {"name", "names"} & set(ws) and set(ws) <= _PERSON_WORDS for ws in (plain, camel)
    ):
        return "a name"
    if "dob" in words or "birth" in joined:
        return "a date of birth"
    if "address" in joined or "postcode" in joined or _ADDRESS & words:
        return "an address"
    if _IDENTIFIERS & words or any(
        w in joined for w in ("uniquepupil", "uniquelearner", "nhsnumber", "nhsno")
    ):
        return "an official identifier (UPN, ULN or NHS number)"
    if _CONTACT & words or "email" in joined:
        return "contact details"
    if _FREE_TEXT & words or "freetext" in joined:
        return "free text"
    return None


def norm_header(text: object) -> str:
    """A header (or sheet name) as it is matched: case-folded, letters and digits only."""
    return re.sub(r"[^0-9a-z]", "", str(text).casefold())


#: Column names the tool writes beside the dimensions: the case list's, the pack's detail
#: sheets', and the pack's Backlog and Breakdown tables' (tests/test_dimensions.py checks
#: this list against the writers). A dimension may not share one, in any case or spelling.
RESERVED = frozenset(
    norm_header(n)
    for n in (
        # case list (clocks.engine.CASE_COLUMNS) and the pack's headers for them
        "rule", "person_id", "record_id", "start_date", "due_date", "end_date", "status",
        "days_over", "exception", "Person ID", "Record ID", "Exception flag", "When",
        # Backlog and Breakdown sheets
        "All", "Group", "Total", "Completed", "Met", "On time", "Target", "Open", "Overdue",
        "0-6 weeks", "6-16 weeks", "16-20 weeks", "20-30 weeks", "30-52 weeks",
        "over 52 weeks",
    )
)  # fmt: skip


def safe_dimension_name(name: str, taken: set[str]) -> str:
    """``name``, or ``dim_NAME`` (``dim_NAME_2``...) when ``name`` would collide with a column
    the tool writes, a schema column, or another dimension (``taken``, normalised), or would
    look like one of the tool's internal columns (a leading underscore)."""
    if norm_header(name) not in RESERVED | taken and not name.startswith("_"):
        return name
    base = "dim_" + name.lstrip("_")
    candidate, n = base, 2
    while norm_header(candidate) in RESERVED | taken:
        candidate, n = f"{base}_{n}", n + 1
    return candidate
