"""The vectorised validator agrees with per-row pydantic validation on generated rows."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from ehcp_timeliness.read.tables import RawTable
from ehcp_timeliness.validate.checks import validate
from ehcp_timeliness.validate.schema import TABLES, Kind, columns

AS_AT = date(2025, 3, 31)
#: The checks pydantic declares per field or per row; the others (duplicates, future dates,
#: pending-outcome warnings) need the whole table or the as-at date and are tested elsewhere.
ROW_CODES = {"missing-value", "invalid-date", "unknown-code", "date-order", "outcome-contradiction"}

DATE_TEXT = st.one_of(
    st.dates(min_value=date(1995, 1, 1), max_value=date(2025, 3, 31)).flatmap(
        lambda d: st.sampled_from(
            [d.isoformat(), f"{d:%d/%m/%Y}", str((d - date(1899, 12, 30)).days)]
        )
    ),
    st.sampled_from(["", "31/02/2024", "2024-1-5", "not a date", "13/13/2020", " "]),
)


def cell(kind: Kind, codes) -> st.SearchStrategy[str]:
    if kind is Kind.DATE:
        return DATE_TEXT
    if kind is Kind.CODE:
        words = [w for code, ws in codes.codes.items() for w in (code, *ws)]
        return st.one_of(
            st.sampled_from(words),
            st.sampled_from(["", "x", "maybe", "7"]),
            st.sampled_from(words).map(str.upper),
        )
    return st.sampled_from(["P1", "P2", "E1", "", "  ", "R9"])


def rows(table: str):
    spec = columns(table)
    return st.lists(
        st.fixed_dictionaries({n: cell(c.kind, c.codes) for n, c in spec.items()}),
        min_size=1,
        max_size=25,
    )


def slow(table: str, record: dict[str, str]) -> tuple[set[tuple[str, str]], bool]:
    """(column, code) errors pydantic reports for one row, and whether it is rejected."""
    try:
        TABLES[table].model_validate(record)
    except ValidationError as exc:
        found = set()
        for e in exc.errors():
            column = e["loc"][0] if e["loc"] else None
            code = (
                "missing-value"
                if e["type"] in ("string_type", "date_type", "missing")
                else e["type"]
            )
            if column is not None:
                found.add((column, code))
        return found, True
    return set(), False


def check(table: str, records: list[dict[str, str]]) -> None:
    data = pd.DataFrame(records, dtype="string")
    raw = RawTable(
        "t.csv",
        table,
        data,
        pd.RangeIndex(2, len(data) + 2).to_numpy(),
        1,
        {n: n for n in columns(table)},
    )
    result = validate([raw], as_at=AS_AT)
    f = result.findings
    f = f[f["code"].isin(ROW_CODES)]
    usable_rows = set(result.tables[table]["_row"])
    for i, record in enumerate(records):
        row = i + 2
        field_errors, rejected = slow(table, record)
        fast = f[f["row"] == row]
        fast_fields = {
            (c, code)
            for c, code in zip(fast["column"], fast["code"], strict=True)
            if code in {"missing-value", "invalid-date", "unknown-code"}
        }
        assert fast_fields == field_errors, (record, fast)
        if not field_errors:  # pydantic checks cross-field rules only once fields parse
            fast_rejected = row not in usable_rows and not _duplicate_or_future(result, row)
            assert fast_rejected == rejected, (record, fast)


def _duplicate_or_future(result, row) -> bool:
    f = result.findings
    return bool(
        f[
            (f["row"] == row)
            & f["code"].isin(["duplicate-record", "future-date", "implausible-date"])
        ].shape[0]
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows("requests"))
def test_requests_fast_path_agrees_with_pydantic(records):
    check("requests", records)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows("plans"))
def test_plans_fast_path_agrees_with_pydantic(records):
    check("plans", records)


def _validate_rows(table: str, data: pd.DataFrame):
    raw = RawTable("t.csv", table, data, np.arange(2, len(data) + 2), 1,
                   {c: c for c in data.columns})  # fmt: skip
    return validate([raw], as_at=AS_AT)


def _flagged(result) -> list[int]:
    f = result.findings
    return sorted(f.loc[f["code"] == "duplicate-record", "row"].tolist())


KEY_DATES = st.sampled_from(["", "2024-01-05", "2024-01-06", "2024-02-01"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["E1", "E2", "E10", "E3"]), KEY_DATES),
                min_size=1, max_size=12), st.booleans())  # fmt: skip
def test_duplicate_plan_rows_are_later_copies_of_a_key(keys, sort):
    # Sorted input takes the neighbour-comparison fast path; unsorted, the general one.
    if sort:
        keys = sorted(keys, key=lambda k: (k[0], k[1] or "0"))
    data = pd.DataFrame({"person_id": "P1", "plan_id": [k[0] for k in keys],
                         "plan_issue_date": "2023-01-01",
                         "review_meeting_date": [k[1] for k in keys]}, dtype="string")  # fmt: skip
    seen, want = set(), []
    for row, key in enumerate(keys, start=2):
        if key in seen:
            want.append(row)
        seen.add(key)
    assert _flagged(_validate_rows("plans", data)) == want


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(["R1", "R2", "R10", "R3"]), min_size=1, max_size=12),
       st.booleans())  # fmt: skip
def test_duplicate_request_ids_are_later_copies(ids, sort):
    ids = sorted(ids) if sort else ids
    data = pd.DataFrame({"person_id": "P1", "request_id": ids, "received_date": "2024-01-02"},
                        dtype="string")  # fmt: skip
    want = [row for row, i in enumerate(ids, start=2) if i in ids[: row - 2]]
    assert _flagged(_validate_rows("requests", data)) == want


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows("tribunal_orders"))
def test_tribunal_orders_fast_path_agrees_with_pydantic(records):
    check("tribunal_orders", records)
