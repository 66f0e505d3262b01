"""person_id must be a pseudonym; findings describe, never quote, values that could identify."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ehcp_timeliness.load import load
from ehcp_timeliness.validate.identifiers import not_pseudonyms, withhold

AS_AT = date(2025, 3, 31)


def _nhs_number(nine: str) -> str | None:
    total = sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return None if check == 10 else nine + str(check)


def shape(value: str) -> str | None:
    return not_pseudonyms(pd.Series([value], dtype="string"))[0]


@pytest.mark.parametrize(
    ("value", "looks_like"),
    [
        ("A123456789012", "a UPN (a letter and 12 digits)"),
        ("z123456789012", "a UPN"),
        ("A12345678901B", "a temporary UPN"),
        ("9434765919", "an NHS number"),  # NHS Digital's published example
        ("943 476 5919", "an NHS number"),
        ("943-476-5919", "an NHS number"),
        ("9434765918", "a ULN (10 digits)"),  # fails the NHS check: any 10 digits is a ULN
        ("943 476 5918", "10 digits written 3-3-4"),
        ("Jane Smith", "a name"),
        ("  Mary-Jane  O'Brien ", "a name"),
        ("Zoë Ångström", "a name"),
        ("01/02/2014", "a date"),
        ("1.2.14", "a date"),
        ("2014-02-01", "a date"),
        ("2014-02-01 00:00:00", "a date"),
        ("3 March 2014", "a date"),
    ],
)
def test_identifiers_in_person_id_are_recognised(value, looks_like):
    assert (shape(value) or "").startswith(looks_like)


@pytest.mark.parametrize(
    "value", ["P0010800", "C1", "12345", "A12345678901", "123456789", "12345678901", "Smith",
              "P 1", "ABC-123", "E0000001", "", "x y 1"],
)  # fmt: skip
def test_pseudonyms_pass(value):
    assert shape(value) is None


def shapes(values: list[str]) -> list[str | None]:
    return list(not_pseudonyms(pd.Series(values, dtype="string")))


@settings(max_examples=40)
@given(st.lists(st.from_regex(r"[A-Za-z][0-9]{12}", fullmatch=True), min_size=1))
def test_every_upn_shaped_value_is_refused(upns):
    assert all(s.startswith("a UPN") for s in shapes(upns))


@settings(max_examples=40)
@given(st.lists(st.tuples(st.from_regex(r"[0-9]{9}", fullmatch=True),
                          st.sampled_from(["", " ", "-"])), min_size=1))  # fmt: skip
def test_ten_digits_are_refused_and_valid_nhs_numbers_named(cases):
    for (nine, _), found in zip(cases, shapes([nine + "0" for nine, _ in cases]), strict=True):
        assert found is not None, nine
    nhs = [(n, sep) for nine, sep in cases if (n := _nhs_number(nine)) is not None]
    spaced = [sep.join([n[:3], n[3:6], n[6:]]) for n, sep in nhs]
    assert all(s.startswith("an NHS number") for s in shapes(spaced))


@settings(max_examples=40)
@given(st.lists(st.from_regex(r"[A-Z]{1,3}[0-9]{1,8}", fullmatch=True), min_size=1))
def test_system_style_pseudonyms_are_never_refused(pids):
    assert shapes(pids) == [None] * len(pids)


def test_refused_person_ids_set_the_row_aside_without_quoting_it(write):
    path = write(
        "r.csv",
        "person_id,received_date\n"
        "P1,2024-01-02\n"
        "A123456789012,2024-01-03\n"
        "943 476 5919,2024-01-04\n"
        "Zebedee Quornthwaite,2024-01-05\n"
        "17/09/2009,2024-01-06\n",
    )
    result = load([path], as_at=AS_AT)
    f = result.findings
    assert f["code"].tolist() == ["person-id-not-pseudonym"] * 4
    assert f["row"].tolist() == [3, 4, 5, 6]
    assert f["value"].tolist() == [
        "(withheld: 13 characters)", "(withheld: 12 characters)", "(withheld: 20 characters)",
        "(withheld: 10 characters)",
    ]  # fmt: skip
    assert f["message"].iloc[0].startswith("looks like a UPN (a letter and 12 digits); ")
    assert result.summaries[0].rows_rejected == 4
    text = f.astype(str).to_csv()
    for secret in ("A123456789012", "476", "Zebedee", "2009"):
        assert secret not in text


def test_a_duplicate_of_a_refused_row_is_not_also_reported(write):
    path = write("r.csv", "person_id,received_date\nJane Smith,2024-01-02\nJane Smith,2024-01-02\n")
    f = load([path], as_at=AS_AT).findings
    assert f["code"].tolist() == ["person-id-not-pseudonym"] * 2


def test_findings_describe_values_that_could_identify(write):
    path = write(
        "r.csv",
        "person_id,received_date,request_outcome\n"
        "P1,Jane Smith,Y\n"  # a name in a date column: withheld
        "P2,2024-01-02,No Plan - SEN Support\n"  # a local code: quoted, to be mapped
        "P3,2024-01-02,spoke to mum at ZZ9 9ZZ\n"  # a postcode in a code column: withheld
        f"P4,{'x' * 61},Y\n"  # free text: withheld
        "P5,31/02/2024,Y\n",  # an ordinary bad date: quoted
    )
    f = load([path], as_at=AS_AT).findings
    assert f["value"].tolist() == [
        "(withheld: 10 characters; looks like a name)",
        "No Plan - SEN Support",
        "(withheld: 23 characters; holds a postcode)",
        "(withheld: 61 characters; free text)",
        "31/02/2024",
    ]


def test_withhold_keeps_blanks_and_ordinary_values():
    values = pd.Series(["2024-13-01", None, "a@b.example", "07700 900123"], dtype="string")
    out = withhold(values, names=False)
    assert out[0] == "2024-13-01" and pd.isna(out[1])
    assert out[2] == "(withheld: 11 characters; holds an email address)"
    assert out[3] == "(withheld: 12 characters; holds a telephone number)"


def test_byte_level_filters_read_sliced_and_chunked_arrow_columns():
    """The filters read Arrow buffers directly: slices and chunks must not confuse them."""
    first = pa.array(["Jane Smith", "P1", "A123456789012"], pa.large_string()).slice(1)
    second = pa.array(["x", "P2", "01/02/2014", None, "P3"], pa.string()).slice(1, 3)
    column = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([first, second.cast(
        pa.large_string())])))  # fmt: skip
    assert [s and s.split(" (")[0] for s in not_pseudonyms(column)] == [
        None, "a UPN", None, "a date", None,
    ]  # fmt: skip
