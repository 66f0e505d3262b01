"""Reading dates as councils' extracts write them, and the calendar arithmetic of the rules.

Accepted forms (surrounding spaces ignored):

* ISO ``2024-03-01``;
* ``01/03/2024`` or ``1/3/2024``: slashes are always day first, never month first;
* either of those with a midnight time part (``2024-03-01 00:00:00``, ``01/03/2024 00:00``,
  ``2024-03-01T00:00:00``), as Excel and databases write dates;
* ``2022-Sep-28``, with or without `` 00:00:00``, as DfE's COLLECT service writes dates in
  its SEN2 "Blade" CSV export (English month abbreviations, any case);
* an Excel serial day number (``45352`` or ``45352.0``), counted from 1899-12-30 as Excel
  does for every date after 28 February 1900.

Anything else, including a real calendar impossibility such as ``31/02/2024``, is not a date.
There is a vectorised parser for whole columns and a scalar one for single values; the test
suite checks that they agree.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

EXCEL_EPOCH = date(1899, 12, 30)
#: Serial 61 is 1 March 1900, the first day Excel and the calendar agree on.
EXCEL_SERIAL_MIN = 61
#: Serial of 31 December 9999, Excel's last day.
EXCEL_SERIAL_MAX = 2_958_465

_MIDNIGHT = r"(?:[ T]00:00(?::00(?:\.0+)?)?)?"
DATE_PATTERN = (
    r"^(?:(?P<iy>\d{4})-(?P<im>\d{1,2})-(?P<id>\d{1,2})"
    r"|(?P<sd>\d{1,2})/(?P<sm>\d{1,2})/(?P<sy>\d{4})"
    r"|(?P<ny>\d{4})-(?P<nm>[A-Za-z]{3})-(?P<nd>\d{1,2})"
    r")" + _MIDNIGHT + r"$|^(?P<serial>\d{1,7})(?:\.0+)?$"
)
#: English month abbreviations, as COLLECT writes them (``2022-Sep-28``).
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DATE_RE = re.compile(DATE_PATTERN)


def parse_date(raw: str | None) -> date | None:
    """Parse one value; ``None`` for a blank; ``ValueError`` when it is not a date."""
    if raw is None:
        return None
    text = str(raw).strip()
    if not text:
        return None
    m = _DATE_RE.match(text)
    if m is None:
        raise ValueError(f"not a date: {text!r}")
    if m["serial"] is not None:
        serial = int(m["serial"])
        if not EXCEL_SERIAL_MIN <= serial <= EXCEL_SERIAL_MAX:
            raise ValueError(f"not a plausible Excel date serial: {text!r}")
        return EXCEL_EPOCH + timedelta(days=serial)
    if m["iy"] is not None:
        return date(int(m["iy"]), int(m["im"]), int(m["id"]))
    if m["ny"] is not None:
        month = m["nm"].casefold()
        if month not in MONTHS:
            raise ValueError(f"not a date: {text!r}")
        return date(int(m["ny"]), MONTHS.index(month) + 1, int(m["nd"]))
    return date(int(m["sy"]), int(m["sm"]), int(m["sd"]))


_STRICT_ISO = r"^\d{4}-\d{2}-\d{2}$"


def _field(parts: pa.StructArray, name: str) -> np.ndarray:
    """One regex group as int64, 0 where the group did not take part or nothing matched."""
    col = pc.struct_field(parts, name)
    col = pc.if_else(pc.equal(col, ""), None, col)
    return pc.fill_null(pc.cast(col, pa.int64()), 0).to_numpy(zero_copy_only=False)


def _parse_general(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Every accepted form, via RE2 groups; ``datetime64[D]`` with NaT where not a date."""
    parts = pc.extract_regex(arr, DATE_PATTERN)  # null where the pattern does not match
    iy, im, iday = _field(parts, "iy"), _field(parts, "im"), _field(parts, "id")
    sy, sm, sday = _field(parts, "sy"), _field(parts, "sm"), _field(parts, "sd")
    serial_text = pc.fill_null(pc.struct_field(parts, "serial"), "")
    is_serial = pc.not_equal(serial_text, "").to_numpy(zero_copy_only=False)
    serial = _field(parts, "serial")
    ny, nday = _field(parts, "ny"), _field(parts, "nd")
    name = pc.utf8_lower(pc.struct_field(parts, "nm"))
    nm = (
        pc.fill_null(pc.index_in(name, value_set=pa.array(MONTHS)), -1).to_numpy(
            zero_copy_only=False
        )
        + 1
    )  # 0 where the pattern matched no known month
    is_iso, is_named = iy > 0, ny > 0
    y = np.where(is_iso, iy, np.where(is_named, ny, sy))
    m = np.where(is_iso, im, np.where(is_named, nm, sm))
    d = np.where(is_iso, iday, np.where(is_named, nday, sday))

    ymd_ok = ~is_serial & (y >= 1) & (m >= 1) & (m <= 12) & (d >= 1)
    month_start = (np.where(ymd_ok, y, 1970) - 1970) * 12 + (np.where(ymd_ok, m, 1) - 1)
    days = month_start.astype("datetime64[M]").astype("datetime64[D]") + (
        np.where(ymd_ok, d, 1) - 1
    )
    ymd_ok &= days.astype("datetime64[M]").astype(np.int64) == month_start  # no 31 Feb

    serial_ok = is_serial & (serial >= EXCEL_SERIAL_MIN) & (serial <= EXCEL_SERIAL_MAX)
    epoch = np.datetime64(EXCEL_EPOCH.isoformat(), "D")
    days = np.where(serial_ok, epoch + serial.astype("timedelta64[D]"), days)
    return np.where(ymd_ok | serial_ok, days, np.datetime64("NaT"))


def as_arrow_text(values: pd.Series) -> pa.Array | pa.ChunkedArray:
    """A pandas text column as Arrow strings, without copying when it is already Arrow."""
    backing = getattr(values.array, "__arrow_array__", None)
    arr = backing() if backing is not None else None
    if arr is None or not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = pa.array(values.astype(object), type=pa.string(), from_pandas=True)
    return arr


def blank_text(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """True where a text cell is null, empty or only spaces."""
    empty = pc.or_(pc.equal(pc.utf8_length(arr), 0), pc.utf8_is_space(arr))
    return pc.fill_null(empty, True).to_numpy(zero_copy_only=False)


def _iso_seconds(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Strict ``YYYY-MM-DD`` text (nulls allowed) as ``datetime64[s]``; ``ArrowInvalid`` if any
    value is not one, or names a day that does not exist. Year 0 becomes NaT."""
    seconds = pc.cast(pc.cast(arr, pa.date32()), pa.timestamp("s")).to_numpy(zero_copy_only=False)
    year0 = seconds < np.datetime64("0001-01-01")  # there is no year 0
    return np.where(year0, np.datetime64("NaT"), seconds) if year0.any() else seconds


def parse_dates(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse a text column.

    Returns ``(dates, bad)``: ``dates`` is ``datetime64[s]`` with NaT for blanks and bad values;
    ``bad`` is True where a non-blank value is not a date. A column that is all strict ISO
    or empty, as most are, is one strict Arrow cast; otherwise strict ISO values take that cast
    and only the rest (trimmed) take the general RE2 path.
    """
    arr = as_arrow_text(values)
    empty = pc.fill_null(pc.equal(pc.utf8_length(arr), 0), True)
    try:  # the usual column, every value strict ISO or empty: one strict cast, no regex
        seconds = _iso_seconds(pc.if_else(empty, pa.scalar(None, arr.type), arr))
    except pa.ArrowInvalid:
        pass
    else:
        bad = ~empty.to_numpy(zero_copy_only=False) & np.isnat(seconds)
        return (
            pd.Series(seconds, index=values.index, copy=False),
            pd.Series(bad, index=values.index, copy=False),
        )
    blank = blank_text(arr)
    iso = pc.fill_null(pc.match_substring_regex(arr, _STRICT_ISO), False)
    iso_np = iso.to_numpy(zero_copy_only=False)
    seconds = np.full(len(arr), np.datetime64("NaT"), dtype="datetime64[s]")
    general = ~iso_np & ~blank
    if iso_np.any():
        try:
            seconds[iso_np] = _iso_seconds(pc.filter(arr, iso))
        except pa.ArrowInvalid:  # some day that does not exist: let the general path say which
            general |= iso_np
    if general.any():
        trimmed = pc.utf8_trim_whitespace(pc.filter(arr, pa.array(general)))
        seconds[general] = _parse_general(trimmed)
    return (
        pd.Series(seconds, index=values.index, copy=False),
        pd.Series(~blank & np.isnat(seconds), index=values.index, copy=False),
    )


# --- Calendar arithmetic -------------------------------------------------------------------


def add_months(start: np.ndarray, months: int) -> np.ndarray:
    """The same day ``months`` calendar months on, or the last day of that month if it has none.

    Works on ``datetime64[D]`` arrays (NaT stays NaT), computed from the anchor date in one
    step, never by repeated one-month steps.
    """
    start = np.asarray(start, dtype="datetime64[D]")
    nat = np.isnat(start)
    safe = np.where(nat, np.datetime64("1970-01-01"), start)
    month0 = safe.astype("datetime64[M]")
    day_index = (safe - month0.astype("datetime64[D]")).astype(np.int64)
    target = month0 + np.timedelta64(months, "M")
    last_day = (target + np.timedelta64(1, "M")).astype("datetime64[D]") - np.timedelta64(1, "D")
    out = np.minimum(target.astype("datetime64[D]") + day_index, last_day)
    return np.where(nat, np.datetime64("NaT"), out)


def period_end(start: np.ndarray, months: int, *, starting_with: bool = True) -> np.ndarray:
    """Last day of the period of ``months`` months from ``start``.

    ``starting_with=True`` is the statutory reading of "the period of 12 months starting with"
    a date (CFA 2014 s.44): the period includes the start date, so it ends the day before the
    date ``months`` on, or on the last day of that month when the month has no such day
    (29 Feb 2024 -> 28 Feb 2025; 1 Mar 2023 -> 29 Feb 2024). ``starting_with=False`` is the
    looser "by the anniversary" reading: the date ``months`` on itself.

    A case list's million start dates fall on a few thousand distinct days, so the calendar
    is worked out once for each day of their span and looked up, when that span is shorter
    than the array.
    """
    start = np.asarray(start, dtype="datetime64[D]")
    days = start.astype(np.int64)
    known = days[~np.isnat(start)]
    if not known.size:
        return start.copy()
    first, last = int(known.min()), int(known.max())
    if last - first >= len(start):
        return _period_end(start, months, starting_with)
    table = _period_end(np.arange(first, last + 1).astype("datetime64[D]"), months, starting_with)
    out = table[np.clip(days - first, 0, last - first)]
    return np.where(np.isnat(start), start, out)


def _period_end(start: np.ndarray, months: int, starting_with: bool) -> np.ndarray:
    # The day before the date N months on, except where that month lacks the start's day:
    # then the period runs to the end of that month (the date N months on clamps to it).
    on = add_months(start, months)
    if not starting_with:
        return on
    month0 = start.astype("datetime64[M]")
    day = (start - month0.astype("datetime64[D]")).astype(np.int64)
    on_day = (on - on.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64)
    clamped = on_day < day
    return np.where(clamped, on, on - np.timedelta64(1, "D"))


def period_end_scalar(start: date, months: int, *, starting_with: bool = True) -> date:
    """Scalar reference implementation of :func:`period_end`, written independently."""
    y, m = divmod(start.month - 1 + months, 12)
    year, month = start.year + y, m + 1
    next_first = date(year + (month == 12), month % 12 + 1, 1)
    last = (next_first - timedelta(days=1)).day
    if start.day > last:
        return date(year, month, last)
    on = date(year, month, start.day)
    return on - timedelta(days=1) if starting_with else on


def ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month and day numbers of ``datetime64`` days (NaT gives 1 January 2000)."""
    safe = np.where(np.isnat(days), np.datetime64("2000-01-01"), days).astype("datetime64[D]")
    years = safe.astype("datetime64[Y]")
    months = safe.astype("datetime64[M]")
    y = years.astype(np.int64) + 1970
    m = (months - years.astype("datetime64[M]")).astype(np.int64) + 1
    d = (safe - months.astype("datetime64[D]")).astype(np.int64) + 1
    return y, m, d


#: reg 18(1): "before (a) 31 March in the calendar year of the ... transfer from secondary
#: school to a post-16 institution; and (b) 15 February in the calendar year of the child's
#: transfer in any other case"; reg 18(2): "at least five months before that transfer".
PHASE_DAY = {"school": (2, 15), "post16": (3, 31)}
BEFORE_TRANSFER_MONTHS = 5


def phase_transfer_deadline(transfer: np.ndarray, kind: np.ndarray) -> np.ndarray:
    """The date reg 18 names for a transfer on ``transfer`` of type ``kind`` (``school``,
    ``post16`` or ``post16-post16``; blank reads as ``school``): 15 February or 31 March of the
    transfer's calendar year, which the plan must be amended *before*; or the date five months
    before a move between post-16 institutions, which it must be amended *on or before*."""
    transfer = np.asarray(transfer, dtype="datetime64[D]")
    year = transfer.astype("datetime64[Y]")
    out = np.full(len(transfer), np.datetime64("NaT"), dtype="datetime64[D]")
    kind = np.asarray(kind, dtype=object)
    for code, (month, day) in PHASE_DAY.items():
        mine = (kind == code) if code != "school" else ~np.isin(kind, ["post16", "post16-post16"])
        fixed = year.astype("datetime64[M]") + np.timedelta64(month - 1, "M")
        out = np.where(mine, fixed.astype("datetime64[D]") + np.timedelta64(day - 1, "D"), out)
    between = kind == "post16-post16"
    out = np.where(between, add_months(transfer, -BEFORE_TRANSFER_MONTHS), out)
    return np.where(np.isnat(transfer), np.datetime64("NaT"), out)
