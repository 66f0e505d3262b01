"""DfE's published "Education, health and care plans" statistics, read from their CSV files.

DfE publishes the release each June on explore-education-statistics as one CSV per topic
(``timeliness_20_week.csv``, ``requests.csv``, ``caseload.csv``...), described column by column
in the release's ``data-guidance.txt``. A council downloads its own copy; this module reads the
files it is given, by their documented columns, and ships none of them.

The API, in the order a caller uses it::

    release = read_release(folder)              # finds the known files in folder (or folder/data)
    table = release.table("caseload")           # PublishedTable; InputError if absent or malformed
    table.frame                                 # wide: one row per CSV row (see below)
    table.headline()                            # the rows for all children (no breakdown)
    table.tidy(["ehcplans"], topic=None)        # long: one row per (CSV row, column)
    table.years                                 # [2019, ..., 2025]
    table.require_year(2025)                    # InputError when a year has no data
    la = release.find_la("937")                 # or "E10000031" or "warwickshire"
    la.old_code, la.new_code, la.name, la.region_code, la.region_name
    release.local_authorities()                 # every LA in the files read, with its region

``PublishedTable.frame`` keeps DfE's identity columns as text (``time_period``,
``time_identifier``, ``geographic_level``, ``country_code``, ``country_name``, ``region_code``,
``region_name``, ``new_la_code``, ``old_la_code``, ``la_name``, ``breakdown_topic``,
``breakdown``), adds ``year`` (an int: the calendar year, or for academic-year files such as
``caseload.csv`` the year of the January census, so ``202425`` is 2025) and ``period`` (a label:
``2024`` or ``January 2025``), and holds every other column as float64. A cell that is not a
number (DfE's symbols ``x`` unavailable, ``z`` not applicable, ``c`` confidential, ``low``,
``u``...) is NaN, never zero; ``PublishedTable.markers`` holds the symbol for each such cell
and :func:`note` says what it means.

Local authorities are identified by their old three-digit code, which DfE keeps when an LA's
new (ONS) code changes (Buckinghamshire is 825 under both E10000002 and E06000060).
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from pydantic import BaseModel, ConfigDict

from ehcp_timeliness.errors import InputError

#: DfE's identity columns, common to every file of the release, in their order.
ID_COLUMNS = [
    "time_period", "time_identifier", "geographic_level", "country_code", "country_name",
    "region_code", "region_name", "new_la_code", "old_la_code", "la_name", "breakdown_topic",
    "breakdown",
]  # fmt: skip
NATIONAL, REGIONAL, LOCAL = "National", "Regional", "Local authority"
NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"

#: DfE's symbols for a cell with no number (explore-education-statistics conventions; this
#: release's data-guidance.txt uses z and x). Compared case-insensitively.
MARKERS = {
    "x": "unavailable",
    "z": "not applicable",
    "c": "confidential, suppressed",
    "low": "rounds to zero, but is not zero",
    "u": "low reliability",
    ":": "not available",
    "..": "not available",
    "~": "rounds to zero",
    "": "blank",
    "region total": "the region's total shown as the council's own, so read as missing",
}


def note(marker: str | None) -> str:
    """What a cell's marker means: ``note("x")`` is "unavailable"."""
    if marker is None or marker is pd.NA or (isinstance(marker, float) and np.isnan(marker)):
        return ""
    text = str(marker).strip()
    known = MARKERS.get(text.casefold())
    return f"{text or 'blank'}: {known}" if known else f"'{text}': not a number"


@dataclass(frozen=True)
class FileSpec:
    """A file of the release this project reads, and the columns it must have."""

    name: str
    title: str
    #: "calendar": time_period 2024 is the calendar year 2024. "census": time_period 202425 is
    #: the academic year 2024/25, counted at the January 2025 census.
    kind: Literal["calendar", "census"]
    columns: tuple[str, ...]

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"


FILES = {
    spec.name: spec
    for spec in (
        FileSpec(
            "timeliness_20_week", "EHC plans issued within 20 weeks", "calendar",
            ("plans_issued_den", "plans_issued_den_ex", "plans_issued_within_20_weeks",
             "plans_issued_20_weeks_ex", "pc_plans_issued_within_20_weeks",
             "PC_plans_issued_20_weeks_ex", "plans_issued_gt20weeks_ltYear",
             "pc_plans_issued_gt20weeks_ltYear", "plans_issued_gt_1_year",
             "pc_plans_issued_gt_1_year"),
        ),
        FileSpec(
            "requests", "Requests for an EHC needs assessment", "calendar",
            ("requests_received_in_year", "request_outcome_six_weeks",
             "request_outcome_over_6_weeks", "request_outcome_six_weeks_pc"),
        ),
        FileSpec(
            "assessments", "EHC needs assessments", "calendar",
            ("assess_issued", "outcome_decision_within_time", "outcome_decision_over_time",
             "outcome_decision_within_time_pc"),
        ),
        FileSpec(
            "annual_reviews", "Annual reviews", "calendar",
            ("number_decsion_4weeks", "number_decision_gt_4weeks", "pc_decsion_4weeks"),
        ),
        FileSpec(
            "caseload", "EHC plans at the January census", "census",
            ("ehcplans", "mainstream_total", "mainstream_total_pc", "special_total",
             "special_total_pc", "ap_pru_total", "AP_PRU_total_pc", "fe_total", "fe_total_pc",
             "ed_elsewhere", "ed_elsewhere_pc", "nm_early_years", "nm_early_years_pc",
             "placement_unknown", "placement_unknown_pc"),
        ),
        FileSpec("newplans", "New EHC plans", "calendar", ("new_ehc_plans",)),
    )
}  # fmt: skip


class LocalAuthority(BaseModel):
    """A local authority as DfE's files name it, with its region."""

    model_config = ConfigDict(frozen=True)

    old_code: str
    new_code: str
    name: str
    region_code: str
    region_name: str
    #: Every new code the files give it (a code changes when an LA is reorganised).
    new_codes: list[str]

    @property
    def label(self) -> str:
        return f"{self.name} ({self.old_code}, {self.new_code})"


@dataclass
class PublishedTable:
    """One file of the release: wide rows, numbers as floats, symbols kept beside them."""

    spec: FileSpec
    path: Path
    frame: pd.DataFrame
    #: Same index as ``frame``; for each numeric column, the symbol where the cell is not a
    #: number (``"x"``, ``"c"``, ``""`` for blank...), else None.
    markers: pd.DataFrame
    #: Notes about the file itself (a duplicated column, say), for the reader to pass on.
    notes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def numeric_columns(self) -> list[str]:
        return list(self.markers.columns)

    @cached_property
    def years(self) -> list[int]:
        return sorted(int(y) for y in self.frame["year"].unique())

    def period_label(self, year: int) -> str:
        return _label(self.spec.kind, year)

    def require_year(self, year: int) -> None:
        """InputError unless the file has data for ``year`` (see :attr:`frame`'s ``year``)."""
        if year not in self.years:
            first, last = self.period_label(self.years[0]), self.period_label(self.years[-1])
            raise InputError(
                f"{self.path}: no data for {self.period_label(year)}; the file covers "
                f"{first} to {last}"
            )

    def headline(self) -> pd.DataFrame:
        """Rows for all children: the breakdown whose topic and value are the same words
        ("All EHC plans issued", "New EHC plans"...)."""
        return self.frame[self._headline_mask]

    @cached_property
    def _headline_mask(self) -> pd.Series:
        return self.frame["breakdown_topic"] == self.frame["breakdown"]

    def tidy(self, columns: Iterable[str] | None = None, *, topic: str | None = "") -> pd.DataFrame:
        """One row per (CSV row, numeric column): the identity columns, ``year``, ``period``,
        ``measure`` (the column name), ``value`` (float, NaN where not a number), ``marker``
        (DfE's symbol, else None) and ``note`` (what the symbol means, else "").

        ``topic=""`` (the default) keeps the headline rows only; ``topic=None`` keeps every
        breakdown; any other value keeps that ``breakdown_topic``.
        """
        chosen = list(columns) if columns is not None else self.numeric_columns
        missing = [c for c in chosen if c not in self.markers.columns]
        if missing:
            raise InputError(f"{self.path}: no column {', '.join(missing)}")
        if topic == "":
            rows = self._headline_mask.to_numpy()
        elif topic is None:
            rows = np.ones(len(self.frame), dtype=bool)
        else:
            rows = (self.frame["breakdown_topic"] == topic).to_numpy()
        ids = self.frame.loc[rows, [*ID_COLUMNS, "year", "period"]]
        values = self.frame.loc[rows, chosen].melt(var_name="measure", value_name="value")
        marks = self.markers.loc[rows, chosen].melt(value_name="marker")["marker"]
        out = pd.concat([ids] * len(chosen), ignore_index=True)
        out["measure"] = values["measure"].to_numpy()
        out["value"] = values["value"].to_numpy()
        out["marker"] = marks.to_numpy()
        codes = pd.Series(out["marker"].unique())
        out["note"] = out["marker"].map(dict(zip(codes, codes.map(note), strict=True)))
        return out


def _label(kind: str, year: int) -> str:
    return f"January {year}" if kind == "census" else str(year)


@dataclass
class Release:
    """The known files of one release found in a folder; each is read when first asked for."""

    folder: Path
    files: dict[str, Path]
    _tables: dict[str, PublishedTable] = field(default_factory=dict, repr=False)

    def has(self, name: str) -> bool:
        return name in self.files

    def table(self, name: str) -> PublishedTable:
        """The file ``name`` (``"caseload"`` for caseload.csv), read and checked."""
        if name not in FILES:
            raise ValueError(f"unknown file {name!r}; known: {', '.join(FILES)}")
        if name not in self.files:
            raise InputError(
                f"{self.folder}: no {FILES[name].filename} (download it with the release's "
                "other data files)"
            )
        if name not in self._tables:
            self._tables[name] = read_table(self.files[name], FILES[name])
        return self._tables[name]

    def tables(self) -> list[PublishedTable]:
        return [self.table(name) for name in self.files]

    @cached_property
    def _directory(self) -> pd.DataFrame:
        parts = []
        for t in self.tables():
            la = t.frame[t.frame["geographic_level"] == LOCAL]
            parts.append(la[["old_la_code", "new_la_code", "la_name", "region_code",
                             "region_name", "year"]])  # fmt: skip
        rows = pd.concat(parts, ignore_index=True).drop_duplicates()
        return rows.sort_values(["old_la_code", "year"], kind="stable").reset_index(drop=True)

    def local_authorities(self) -> pd.DataFrame:
        """One row per LA (by old code), as it is named in the latest year it appears, with
        ``first_year`` and ``last_year`` across the files read."""
        d = self._directory
        span = d.groupby("old_la_code")["year"].agg(first_year="min", last_year="max")
        latest = d.groupby("old_la_code").tail(1).set_index("old_la_code")
        out = latest.drop(columns="year").join(span)
        return out.reset_index()

    def find_la(self, text: str, *, source: str | None = None) -> LocalAuthority:
        """The LA given by its old code (``937``), new code (``E10000031``) or name
        (case-insensitive, ``Bristol`` for ``Bristol, City of``). ``source`` names where the
        text came from, for the error message."""
        key = str(text).strip()
        d = self._directory
        if re.fullmatch(r"\d{3}", key):
            hits = d[d["old_la_code"] == key]
        elif re.fullmatch(r"[A-Za-z]\d{8}", key):
            hits = d[d["new_la_code"].str.upper() == key.upper()]
        else:
            wanted = _normal(key)
            names = {n for n in d["la_name"].unique() if wanted in _name_keys(n)}
            hits = d[d["la_name"].isin(names)]
        old = hits["old_la_code"].unique()
        if len(old) > 1:  # one name, two councils over time (Dorset 835 until 2019, then 838)
            latest = hits[hits["year"] == hits["year"].max()]["old_la_code"].unique()
            old = latest if len(latest) == 1 else old
        where = source or str(self.folder)
        if len(old) == 0:
            known = sorted(d["la_name"].unique())
            close = difflib.get_close_matches(key, known, n=3, cutoff=0.6)
            hint = f"; did you mean {' or '.join(close)}?" if close else ""
            raise InputError(
                f"{where}: no local authority {key!r} in "
                f"{', '.join(FILES[n].filename for n in self.files)}: give an old code (937), a "
                f"new code (E10000031) or the name as DfE spells it{hint}"
            )
        if len(old) > 1:
            raise InputError(f"{where}: {key!r} names more than one local authority (old codes "
                             f"{', '.join(sorted(old))}); give a code")  # fmt: skip
        rows = d[d["old_la_code"] == old[0]]
        last = rows.iloc[-1]
        return LocalAuthority(
            old_code=str(last["old_la_code"]),
            new_code=str(last["new_la_code"]),
            name=str(last["la_name"]),
            region_code=str(last["region_code"]),
            region_name=str(last["region_name"]),
            new_codes=sorted(rows["new_la_code"].unique()),
        )


def _normal(name: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", name.casefold().replace("&", " and ")).split())


def _name_keys(name: str) -> set[str]:
    """The spellings a name answers to: DfE's, and "Bristol" or "City of Bristol" for
    "Bristol, City of"."""
    keys = {_normal(name)}
    m = re.fullmatch(r"(.*),\s*(city|county) of", name.strip(), re.IGNORECASE)
    if m:
        keys |= {_normal(m[1]), _normal(f"{m[2]} of {m[1]}")}
    return keys


def read_release(folder: Path) -> Release:
    """The known files in ``folder``, or in its ``data`` subfolder as an
    explore-education-statistics download unpacks. Files are read when first asked for.

    Raises :class:`InputError` when the folder is missing or holds none of the files.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder (give the folder holding DfE's CSV files)")
    found = {}
    for spec in FILES.values():
        for place in (folder, folder / "data"):
            if (place / spec.filename).is_file():
                found[spec.name] = place / spec.filename
                break
    if not found:
        raise InputError(
            f"{folder}: none of DfE's 'Education, health and care plans' files "
            f"({', '.join(s.filename for s in FILES.values())})"
        )
    return Release(folder, found)


def read_table(path: Path, spec: FileSpec) -> PublishedTable:
    """Read and check one file: DfE's layout, time periods, and data for every year."""
    raw = path.read_bytes()
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    header = next(csv.reader(io.StringIO(text.split("\n", 1)[0].rstrip("\r"))), [])
    header = [h.strip() for h in header]
    missing = [c for c in (*ID_COLUMNS, *spec.columns) if c not in header]
    if missing:
        raise InputError(
            f"{path}: does not match DfE's layout for {spec.filename} ({spec.title}): missing "
            f"column{'s' if len(missing) > 1 else ''} {', '.join(missing)} (see the release's "
            "data-guidance.txt)"
        )
    try:  # every cell as text, so DfE's symbols survive to be read as markers
        body = pacsv.read_csv(
            pa.BufferReader(text.encode("utf-8")),
            read_options=pacsv.ReadOptions(skip_rows=1, column_names=[f"c{i}" for i in
                                                                      range(len(header))]),
            convert_options=pacsv.ConvertOptions(
                column_types={f"c{i}": pa.string() for i in range(len(header))},
                strings_can_be_null=False, quoted_strings_can_be_null=False),
        )  # fmt: skip
    except pa.ArrowInvalid as exc:
        raise InputError(f"{path}: not a readable CSV ({exc})") from None
    if body.num_rows == 0:
        raise InputError(f"{path}: no data rows under the header")
    notes = []
    first: dict[str, int] = {}
    for i, name in enumerate(header):
        if name in first:
            same = body.column(i).equals(body.column(first[name]))
            notes.append(f"{path.name}: column {name} appears twice; the first is used"
                         + ("" if same else ", and the two differ"))  # fmt: skip
        else:
            first[name] = i

    ids = pd.DataFrame({name: pc.utf8_trim_whitespace(body.column(first[name])).to_pandas()
                        for name in ID_COLUMNS})  # fmt: skip
    year = _years(ids["time_period"], spec, path)
    values, markers = {}, {}
    odd, first_odd = 0, ""  # cells neither a number nor one of DfE's symbols
    for name, i in first.items():
        if name in ID_COLUMNS:
            continue
        values[name], markers[name], strange = _numbers(body.column(i))
        if len(strange) and not odd:
            first_odd = f"row {strange[0] + 2}, column {name}, {markers[name][strange[0]]!r}"
        odd += len(strange)
    if odd:
        notes.append(f"{path.name}: {odd:,} cell{'s are' if odd > 1 else ' is'} neither a "
                     f"number nor one of DfE's symbols (first: {first_odd}); read as "
                     "missing")  # fmt: skip
    frame = pd.concat([ids, pd.DataFrame(values)], axis=1)
    frame.insert(len(ID_COLUMNS), "year", year)
    labels = {y: _label(spec.kind, y) for y in year.unique()}
    frame.insert(len(ID_COLUMNS) + 1, "period", year.map(labels))
    marks = pd.DataFrame(markers, index=frame.index, dtype=object)
    notes += _region_totals_as_councils(frame, marks, path)
    table = PublishedTable(spec, path, frame, marks, notes)
    _check_years(table)
    return table


#: The marker of a council's count that is its region's total, read as missing.
REGION_TOTAL = "region total"
#: Councils' counts this small can match their region's by chance (a region of one council).
_MIN_COPIED = 10


def _region_totals_as_councils(frame: pd.DataFrame, marks: pd.DataFrame, path: Path) -> list[str]:
    """Counts a council shows that are its region's total, read as missing (in place), with a
    note per column and year. DfE's 2025 newplans.csv gives every Yorkshire and The Humber
    council the region's 6,078 as its own 2022 new plans; taken at face value it made York's
    new plans 6,078. Only counts (not percentages, which councils can share legitimately), of
    at least :data:`_MIN_COPIED`, in regions where two or more councils show the same figure."""
    keys = ["year", "region_code", "breakdown_topic", "breakdown"]
    local = frame["geographic_level"] == LOCAL
    regional = frame.loc[frame["geographic_level"] == REGIONAL, keys].reset_index()
    counts = [c for c in marks.columns if "pc" not in c.lower()]
    if not local.any() or regional.empty or not counts:
        return []
    la = frame.loc[local, keys].reset_index()
    pairs = la.merge(regional, on=keys, suffixes=("", "_region"))
    if pairs.empty:
        return []
    rows, region_rows = pairs["index"].to_numpy(), pairs["index_region"].to_numpy()
    notes = []
    for column in counts:
        mine = frame[column].to_numpy()[rows]
        theirs = frame[column].to_numpy()[region_rows]
        copied = (mine == theirs) & (mine >= _MIN_COPIED)
        if not copied.any():
            continue
        group = pd.Series(region_rows[copied])
        shared = group.map(group.value_counts()) >= 2  # two councils with the region's total
        hit = rows[copied][shared.to_numpy()]
        if not hit.size:
            continue
        frame.loc[hit, column] = np.nan
        marks.loc[hit, column] = REGION_TOTAL
        for (year, region), n in frame.loc[hit].groupby(["year", "region_name"]).size().items():
            value = theirs[copied][shared.to_numpy()][0]
            notes.append(f"{path.name}: {n} {region} councils show the region's total "
                         f"({value:,.0f}) as their own {column} for {year}; read as "
                         "missing")  # fmt: skip
    return notes


def _numbers(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A text column as float64 (NaN where not a number; thousands commas allowed); the
    stripped text of each cell that is not a number (None where it is); and the positions of
    cells that are neither a number nor one of DfE's symbols."""
    text = pc.utf8_trim_whitespace(column)
    digits = pc.replace_substring(text, ",", "")
    ok = pc.match_substring_regex(digits, NUMBER)
    number = pc.cast(pc.if_else(ok, digits, pa.scalar(None, pa.string())), pa.float64())
    marker = pc.if_else(ok, pa.scalar(None, pa.string()), text)
    known = pc.is_in(pc.utf8_lower(marker), value_set=pa.array(list(MARKERS)))
    strange = pc.and_(pc.invert(ok), pc.invert(known)).to_numpy(zero_copy_only=False)
    return (number.to_numpy(zero_copy_only=False), marker.to_numpy(zero_copy_only=False),
            np.flatnonzero(strange))  # fmt: skip


def _years(periods: pd.Series, spec: FileSpec, path: Path) -> pd.Series:
    """``year`` from DfE's ``time_period``: 2024 for a calendar year, 2025 for 202425 (the
    academic year 2024/25, whose census is in January 2025)."""
    if spec.kind == "calendar":
        ok = periods.str.fullmatch(r"\d{4}")
        year = periods.where(ok, "0").astype(int)
        expected = "a calendar year such as 2024"
    else:
        ok = periods.str.fullmatch(r"\d{6}")
        start = periods.str[:4].where(ok, "0").astype(int)
        end = periods.str[4:].where(ok, "0").astype(int)
        ok &= end == (start + 1) % 100
        year = start + 1
        expected = "an academic year such as 202425 (2024/25)"
    if not ok.all():
        bad = int(np.flatnonzero(~ok.to_numpy())[0])
        raise InputError(f"{path}: row {bad + 2}, time_period {periods.iloc[bad]!r} is not "
                         f"{expected}")  # fmt: skip
    return year


def _check_years(table: PublishedTable) -> None:
    """Every year in the file has an England row for all children holding some number."""
    head = table.headline()
    if head.empty:
        raise InputError(f"{table.path}: no rows for all children (a breakdown_topic equal "
                         "to its breakdown, such as 'All EHC plans')")  # fmt: skip
    england = head[head["geographic_level"] == NATIONAL]
    cols = [c for c in table.spec.columns if c in table.frame.columns]
    has_data = england.groupby("year")[cols].apply(lambda f: bool(f.notna().to_numpy().any()))
    for year in table.years:
        if year not in has_data.index:
            raise InputError(f"{table.path}: no data for {table.period_label(year)}: it has "
                             "no England row for all children")  # fmt: skip
        if not has_data[year]:
            raise InputError(f"{table.path}: no data for {table.period_label(year)}: every "
                             f"England figure ({', '.join(cols)}) is missing")  # fmt: skip
