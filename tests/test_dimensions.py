"""Which columns are read: schema columns, known dimensions and declared ones; nothing else."""

from __future__ import annotations

from datetime import date

import pytest

from ehcp_timeliness.clocks.engine import CASE_COLUMNS
from ehcp_timeliness.errors import RulesError
from ehcp_timeliness.load import load
from ehcp_timeliness.read.dimensions import (
    KNOWN_DIMENSIONS,
    RESERVED,
    identifying_reason,
    safe_dimension_name,
)
from ehcp_timeliness.read.mapping import load_mapping
from ehcp_timeliness.read.tables import norm_header
from ehcp_timeliness.report import BACKLOG_BANDS
from ehcp_timeliness.write.pack_lists import DETAIL_HEADERS

AS_AT = date(2025, 3, 31)

#: Every header the issue found slipping through, and the common ones besides.
IDENTIFYING = [
    "Child's Name", "Child Surname", "Forename(s)", "Middle Name", "Pupil Name", "CYP Name",
    "Young Person Name", "Name of Child", "Surname", "First Name", "Full Name", "Name",
    "Child DOB", "DoB (dd/mm/yyyy)", "Date of Birth", "PersonBirthDate", "Home Address",
    "Address Line 2", "Street", "Postcode", "Post Code", "UPN", "Former UPN", "ULN",
    "NHS Number", "Email", "Telephone", "Notes", "Caseworker comments", "Comments",
]  # fmt: skip


@pytest.mark.parametrize("header", IDENTIFYING)
def test_identifying_headers_are_recognised(header):
    assert identifying_reason(header) is not None


@pytest.mark.parametrize(
    "header", [alias for name, aliases in KNOWN_DIMENSIONS.items() for alias in (name, *aliases)]
)
def test_no_known_dimension_looks_identifying(header):
    assert identifying_reason(header) is None


def test_known_dimensions_are_kept_under_canonical_names_and_others_dropped(write):
    path = write(
        "r.csv",
        "person_id,received_date,Team,Caseworker Code,Primary Need,Year Group,Locality,"
        "Funding Band,Child's Name,Notes\n"
        "P1,2024-01-02,North,CW7,ASD,Y6,Coast,B,Zoe Quirk,called mum\n",
    )
    result = load([path], as_at=AS_AT)
    kept = result.tables["requests"]
    assert [c for c in kept.columns if not c.startswith("_") and not c.endswith(("_id",
            "_date", "_outcome", "_exception"))] == [
        "team", "caseworker", "primary_need", "year_group", "locality",
    ]  # fmt: skip
    f = result.findings
    shown = f[["column", "code", "value"]].astype(object)  # NA as None
    assert shown.where(shown.notna(), None).values.tolist() == [
        ["Funding Band", "unknown-column-dropped", None],
        ["Child's Name", "identifying-column-dropped", None],
        ["Notes", "identifying-column-dropped", None],
    ]
    assert "list its header under dimensions in the mapping file" in f["message"].iloc[0]
    assert "free text" in f["message"].iloc[2]
    text = f.astype(str).to_csv()
    assert "Zoe" not in text and "mum" not in text and "B," not in text


def test_the_mapping_declares_more_dimensions_but_not_identifying_ones(write):
    mapping = write(
        "m.toml",
        'schema_version = 1\ndimensions = ["Funding Band", "Pupil Name"]\n'
        '[columns]\nteam = "Locality Team"\n',
    )
    path = write(
        "r.csv",
        "person_id,received_date,Funding Band,Locality Team,Pupil Name\n"
        "P1,2024-01-02,B,Coast,Zoe Quirk\n",
    )
    result = load([path], as_at=AS_AT, mapping_file=mapping)
    kept = result.tables["requests"]
    assert kept["Funding Band"].tolist() == ["B"]
    assert kept["team"].tolist() == ["Coast"]
    assert "Pupil Name" not in kept.columns
    f = result.findings
    assert f[["column", "code"]].values.tolist() == [["Pupil Name", "identifying-column-dropped"]]
    assert "although the mapping file lists it" in f["message"].iloc[0]


def test_a_mapping_cannot_name_an_unknown_column_or_an_empty_dimension(write):
    with pytest.raises(RulesError, match="list its header under dimensions"):
        load_mapping(write("m.toml", 'schema_version = 1\n[columns]\nband = "Band"\n'))
    with pytest.raises(RulesError, match="dimensions"):
        load_mapping(write("m.toml", 'schema_version = 1\ndimensions = [" - "]\n'))
    with pytest.raises(RulesError, match="before the first"):  # TOML: inside [columns]
        load_mapping(write("m.toml", 'schema_version = 1\n[columns]\ndimensions = ["Band"]\n'))


def test_person_id_is_never_read_from_an_identifying_column(write):
    mapping = write("m.toml", 'schema_version = 1\n[columns]\nperson_id = "UPN"\n')
    path = write("r.csv", "UPN,received_date\nA123456789012,2024-01-02\n")
    result = load([path], as_at=AS_AT, mapping_file=mapping)
    f = result.findings
    assert f[["column", "code", "severity"]].values.tolist() == [
        ["UPN", "person-id-not-pseudonym", "error"],
        ["person_id", "missing-column", "error"],
    ]
    assert result.summaries[0].rows_rejected == 1
    assert "A123456789012" not in f.astype(str).to_csv()


@pytest.mark.parametrize("header", ["status", "Status", "RULE", "Due Date", "days_over", "_row",
                                    "Total", "plan_id"])  # fmt: skip
def test_a_dimension_named_like_an_output_column_is_renamed(write, header):
    mapping = write("m.toml", f'schema_version = 1\ndimensions = ["{header}"]\n')
    path = write("r.csv", f"person_id,received_date,{header}\nP1,2024-01-02,x\n")
    result = load([path], as_at=AS_AT, mapping_file=mapping)
    new = "dim_" + header.lstrip("_")
    assert result.tables["requests"][new].tolist() == ["x"]
    f = result.findings
    assert f[["column", "code"]].values.tolist() == [[header, "dimension-renamed"]]
    assert repr(new) in f["message"].iloc[0]


def test_a_repeated_renamed_dimension_is_a_duplicate_not_a_second_dimension(write):
    mapping = write("m.toml", 'schema_version = 1\ndimensions = ["Status"]\n')
    path = write("r.csv", "person_id,received_date,Status,status\nP1,2024-01-02,a,b\n")
    result = load([path], as_at=AS_AT, mapping_file=mapping)
    assert result.tables["requests"]["dim_Status"].tolist() == ["a"]
    assert result.findings["code"].tolist() == ["dimension-renamed", "duplicate-column"]


def test_reserved_names_cover_every_column_written_beside_the_dimensions():
    written = [*CASE_COLUMNS, *DETAIL_HEADERS.values(), "When", "Total", "All", "Group",
               "Completed", "Met", "On time", "Target", "Open", "Overdue",
               *(band for band, _ in BACKLOG_BANDS)]  # fmt: skip
    assert {norm_header(n) for n in written} <= RESERVED
    assert safe_dimension_name("dim_status", {"dimstatus"}) == "dim_dim_status"
    assert safe_dimension_name("Status", {"dimstatus"}) == "dim_Status_2"
