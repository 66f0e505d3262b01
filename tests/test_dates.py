from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ehcp_timeliness.dates import (
    add_months,
    parse_date,
    parse_dates,
    period_end,
    period_end_scalar,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-03-01", date(2024, 3, 1)),
        (" 01/03/2024 ", date(2024, 3, 1)),  # day first, always
        ("1/3/2024", date(2024, 3, 1)),
        ("12/01/2024", date(2024, 1, 12)),  # never month first
        ("29/02/2024", date(2024, 2, 29)),
        ("2024-03-01 00:00:00", date(2024, 3, 1)),
        ("2024-03-01T00:00", date(2024, 3, 1)),
        ("01/03/2024 00:00", date(2024, 3, 1)),
        ("45352", date(2024, 3, 1)),  # Excel serial
        ("45352.0", date(2024, 3, 1)),
        ("61", date(1900, 3, 1)),
        ("2022-Sep-28 00:00:00", date(2022, 9, 28)),  # DfE COLLECT's Blade CSV export
        ("2024-feb-29", date(2024, 2, 29)),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_parse_accepts(raw, expected):
    assert parse_date(raw) == expected
    dates, bad = parse_dates(pd.Series([raw], dtype="string"))
    assert not bad.iloc[0]
    got = dates.iloc[0]
    assert pd.isna(got) if expected is None else got.date() == expected


@pytest.mark.parametrize(
    "raw",
    [
        "31/02/2024",
        "29/02/2023",
        "2024-13-01",
        "00/01/2024",
        "2024-03-01 10:30",
        "03/01/24",
        "1 March 2024",
        "60",
        "0",
        "45352.5",
        "abc",
        "2024/03/01",
        "-45352",
        "2022-Sept-28",
        "2022-Sek-28",
        "2023-Feb-29",
        "2022-Sep-28 10:00:00",
    ],
)
def test_parse_rejects(raw):
    with pytest.raises(ValueError):
        parse_date(raw)
    dates, bad = parse_dates(pd.Series([raw], dtype="string"))
    assert bad.iloc[0] and pd.isna(dates.iloc[0])


TEXT = st.one_of(
    st.dates(min_value=date(1900, 3, 1), max_value=date(2200, 12, 31)).flatmap(
        lambda d: st.sampled_from(
            [
                d.isoformat(),
                f"{d.day}/{d.month}/{d.year}",
                f"{d:%d/%m/%Y} 00:00",
                f"{d.isoformat()}T00:00:00",
                str((d - date(1899, 12, 30)).days),
                f"{d:%Y-%b-%d} 00:00:00",
                f"{d.year}-{d:%b}-{d.day}".upper(),
            ]
        )
    ),
    st.text(alphabet="0123456789/-: .Tx", max_size=14),
    st.from_regex(r"\A[0-9]{4}-[A-Za-z]{3}-[0-9]{1,2}\Z"),
    st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z"),
    st.just(""),
)


@given(st.lists(TEXT, max_size=30))
def test_vector_parser_agrees_with_scalar(values):
    dates, bad = parse_dates(pd.Series(values, dtype="string"))
    for raw, got, is_bad in zip(values, dates, bad, strict=True):
        try:
            expected = parse_date(raw)
        except ValueError:
            assert is_bad and pd.isna(got), raw
        else:
            assert not is_bad, raw
            assert pd.isna(got) if expected is None else got.date() == expected, raw


# --- "the period of 12 months starting with" ----------------------------------------------


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2019, 1, 1), date(2019, 12, 31)),
        (date(2023, 3, 1), date(2024, 2, 29)),  # runs to the leap day
        (date(2024, 2, 29), date(2025, 2, 28)),  # not 27 Feb
        (date(2023, 2, 28), date(2024, 2, 27)),
        (date(2024, 2, 28), date(2025, 2, 27)),
        (date(2024, 12, 31), date(2025, 12, 30)),
        (date(2024, 1, 31), date(2025, 1, 30)),
    ],
)
def test_twelve_month_period(start, end):
    assert period_end_scalar(start, 12) == end
    got = period_end(np.array([start], dtype="datetime64[D]"), 12)[0]
    assert got == np.datetime64(end)


def test_by_the_anniversary_reading():
    assert period_end_scalar(date(2024, 3, 1), 12, starting_with=False) == date(2025, 3, 1)
    assert period_end_scalar(date(2024, 2, 29), 12, starting_with=False) == date(2025, 2, 28)


def test_add_months_clamps_to_month_end():
    got = add_months(np.array(["2024-01-31", "2024-03-31", "NaT"], dtype="datetime64[D]"), 1)
    assert list(got[:2]) == [np.datetime64("2024-02-29"), np.datetime64("2024-04-30")]
    assert np.isnat(got[2])


DATES = st.dates(min_value=date(1950, 1, 1), max_value=date(2150, 12, 31))


@given(st.lists(DATES, min_size=1, max_size=40), st.integers(1, 36), st.booleans())
def test_period_end_vector_agrees_with_scalar(starts, months, starting_with):
    got = period_end(np.array(starts, dtype="datetime64[D]"), months, starting_with=starting_with)
    want = [period_end_scalar(s, months, starting_with=starting_with) for s in starts]
    assert list(got) == [np.datetime64(w) for w in want]


@given(DATES, st.lists(st.one_of(st.none(), st.integers(0, 30)), min_size=1, max_size=60),
       st.integers(1, 36), st.booleans())  # fmt: skip
def test_period_end_lookup_over_a_short_span_agrees_with_scalar(base, offsets, months, sw):
    # Many starts within a few weeks: the per-day lookup path, with NaT among them.
    starts = [None if o is None else base + timedelta(days=o) for o in offsets]
    array = np.array([np.datetime64("NaT") if s is None else np.datetime64(s) for s in starts],
                     dtype="datetime64[D]")  # fmt: skip
    got = period_end(array, months, starting_with=sw)
    for s, g in zip(starts, got, strict=True):
        if s is None:
            assert np.isnat(g)
        else:
            assert g == np.datetime64(period_end_scalar(s, months, starting_with=sw))


@given(DATES)
def test_twelve_month_period_is_a_year_long(start):
    end = period_end_scalar(start, 12)
    assert (end - start).days + 1 in (365, 366)
    assert end < date(start.year + 1, start.month, 1) + timedelta(days=31)
