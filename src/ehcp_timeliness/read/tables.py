"""Raw text tables: what every reader produces, and how headers are recognised.

A file (CSV or an XLSX sheet) becomes a :class:`RawTable`: all cells as text, columns renamed
to canonical names where recognised, the row number the user sees beside each row, and the
header each canonical column had in that file (findings name columns as the file does).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ehcp_timeliness.dates import as_arrow_text, blank_text
from ehcp_timeliness.read.dimensions import (
    KNOWN_DIMENSIONS,
    identifying_reason,
    norm_header,
    safe_dimension_name,
)
from ehcp_timeliness.read.mapping import Mapping
from ehcp_timeliness.read.pseudonym import PseudonymKey, pseudonymise
from ehcp_timeliness.text import strip_controls, strip_controls_arrow
from ehcp_timeliness.validate.schema import TABLES, columns


@dataclass
class HeaderNote:
    """Something said about a header rather than a row (becomes a finding)."""

    column: str
    code: str
    message: str
    #: Set for a finding about a whole other file (one not read, or named twice), which rides
    #: on the first table read: the finding names that file, no table, row or column.
    file: str | None = None


@dataclass
class RowNote:
    """Something said about one row of a file as a whole (becomes a finding on that row).

    A note whose code is an error stands for a row that was never read into the table (a
    quote that never closed, a cell too long): it is counted as read and rejected.
    """

    row: int
    code: str
    message: str
    column: str | None = None


@dataclass
class RawTable:
    file: str
    table: str
    data: pd.DataFrame  # all text; canonical names where recognised, else the file's header
    rows: np.ndarray  # the row number the user sees, per data row
    header_row: int
    headers: dict[str, str]  # canonical name -> header as written in the file
    blank_rows: int = 0
    notes: list[HeaderNote] = field(default_factory=list)
    malformed: list[tuple[int, str]] = field(default_factory=list)  # (row, what is wrong)
    #: Column -> positions (into ``data``) of values that held control characters, removed.
    controls: dict[str, np.ndarray] = field(default_factory=dict)
    #: The date the input says it was taken (a SEN2 return's ReferenceDate): the as-at date
    #: when none is given.
    reference_date: date | None = None
    row_notes: list[RowNote] = field(default_factory=list)
    #: The SHA-256 of the file's bytes as read, where the reader took it (CSV files).
    sha256: str | None = None


def _header_lookup(table: str, mapping: Mapping) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for name, spec in columns(table).items():
        for alias in (*spec.synonyms, name):
            lookup[norm_header(alias)] = name
    for name in columns(table):  # the mapping wins over built-in synonyms
        for header in mapping.headers_for(name):
            lookup[norm_header(header)] = name
    return lookup


#: How alike (difflib's ratio of the normalised headers) a header must be to one of a column's
#: names to be suggested for it: "Date Recieved" is 0.92 like "date received".
NEAR = 0.6


def suggestion(headers: list[str], table: str, name: str) -> str:
    """Up to three of ``headers`` that nearly match a name of ``table``'s column ``name`` (a
    typo, a local wording), as words to end a message saying it is missing; else ''."""
    names = [norm_header(a) for a in (name, *columns(table)[name].synonyms)]
    scored = []
    for header in headers:
        key = norm_header(header)
        if key and len(key) < 200 and identifying_reason(header) is None:
            score = max(difflib.SequenceMatcher(None, key, n).ratio() for n in names)
            if score >= NEAR:
                scored.append((-score, header))
    if not scored:
        return ""
    near = [header for _, header in sorted(scored)[:3]]
    quoted = '"' + near[0].replace("\\", "\\\\").replace('"', '\\"') + '"'
    return (
        f"; headers that nearly match {name}: {', '.join(repr(h) for h in near)}. If "
        f"one is it, name it in a mapping file: [columns] {name} = {quoted}"
    )


def recognise(headers: list[str], mapping: Mapping, hint: str | None = None) -> str | None:
    """Which table a header row belongs to, or None."""
    if hint in TABLES:
        return hint
    found = {t: {_header_lookup(t, mapping).get(norm_header(h)) for h in headers} for t in TABLES}
    if {"order_date", "order_type"} <= found["tribunal_orders"]:
        return "tribunal_orders"
    if "received_date" in found["requests"]:
        return "requests"
    if "plan_issue_date" in found["plans"] and found["plans"] & {
        "plan_id",
        "review_meeting_date",
        "review_decision_date",
        "review_outcome",
        "cease_date",
    }:
        return "plans"
    return None


def _dimension_lookup(mapping: Mapping) -> dict[str, tuple[str, bool]]:
    """Normalised header -> (dimension name, whether the mapping file names this header)."""
    lookup: dict[str, tuple[str, bool]] = {}
    for name, synonyms in KNOWN_DIMENSIONS.items():
        for alias in (name, *synonyms):
            lookup[norm_header(alias)] = (name, False)
        for header in mapping.headers_for(name):  # the mapping wins over built-in synonyms
            lookup[norm_header(header)] = (name, True)
    for header in mapping.dimensions:
        lookup.setdefault(norm_header(header), (header, True))
    return lookup


#: Schema columns of either table, normalised: no dimension may take one's name.
_SCHEMA_NAMES = {norm_header(c) for t in TABLES for c in columns(t)}


def _name_columns(
    headers: list[str], table: str, mapping: Mapping, *, keyed: bool = False
) -> tuple[list[str | None], dict[str, str], list[HeaderNote]]:
    """Canonical (or kept dimension) name per column position; None drops the column.

    A column is read when it is a schema column, a known dimension or a dimension the mapping
    declares (:mod:`.dimensions`); every other column is dropped with a note naming it. A
    ``person_id`` column whose header names an identifier (``UPN``) is dropped too, unless
    ``keyed``: its values are then replaced by keyed hashes as they are read.
    """
    lookup = _header_lookup(table, mapping)
    dims = _dimension_lookup(mapping)
    names: list[str | None] = []
    canonical: dict[str, str] = {}
    notes: list[HeaderNote] = []
    taken = set(_SCHEMA_NAMES)
    renamed: dict[str, str] = {}  # a dimension's own name -> the name it was kept under

    def drop(header: str, code: str, message: str) -> None:
        notes.append(HeaderNote(header, code, message))
        names.append(None)

    for header in headers:
        key = norm_header(header)
        name = lookup.get(key)
        dim = dims.get(key)
        why = identifying_reason(header)
        if not key:
            names.append(None)  # an unnamed column: Excel's stray empty columns
        elif name == "person_id" and why is not None and not keyed:
            drop(header, "person-id-not-pseudonym",
                 f"person_id would be read from this column, but its header names {why}; "
                 "person_id must be a pseudonymous id, so the column is not read (give a "
                 "pseudonym key, --pseudonym-key-file or EHCP_PSEUDONYM_KEY, to have its "
                 "values replaced by keyed hashes as they are read)")  # fmt: skip
        elif name is None and dim is None:
            if why is not None:
                drop(header, "identifying-column-dropped",
                     f"its header names {why}, which could identify a child, so it is dropped "
                     "as it is read and never reaches an output")  # fmt: skip
            else:
                drop(header, "unknown-column-dropped",
                     "neither a schema column nor a known dimension, so it is dropped as it "
                     "is read; to keep it as a breakdown dimension, list its header under "
                     "dimensions in the mapping file")  # fmt: skip
        elif name is None and dim is not None and dim[1] and why is not None:
            drop(header, "identifying-column-dropped",
                 f"its header names {why}, which could identify a child, so it is dropped as "
                 "it is read, although the mapping file lists it under dimensions (rename "
                 "the column if it holds no such thing)")  # fmt: skip
        else:
            if name is None:
                assert dim is not None
                name = dim[0]
            if name in canonical or name in renamed:
                first = canonical[renamed.get(name, name)]
                drop(header, "duplicate-column",
                     f"a second column for {name}; the first, {first!r}, is used")  # fmt: skip
                continue
            if name not in columns(table) and dim is not None:
                safe = safe_dimension_name(name, taken)
                if safe != name:
                    notes.append(
                        HeaderNote(header, "dimension-renamed",
                                   f"kept as the dimension {safe!r}, because {name!r} is the "
                                   "name of a column the tool writes or reads itself")
                    )  # fmt: skip
                renamed[name] = safe
                name = safe
            canonical[name] = header
            taken.add(norm_header(name))
            names.append(name)
    return names, canonical, notes


def _hashed_ids(values: pd.Series, key: PseudonymKey) -> pa.ChunkedArray | pa.Array:
    """Each id's keyed hash (surrounding spaces ignored, so "P1 " is "P1"); a blank stays as
    it was, so that a missing id is still a finding."""
    ids = pc.utf8_trim_whitespace(as_arrow_text(values))
    blank = pc.fill_null(pc.equal(pc.utf8_length(ids), 0), True)
    hashed = pseudonymise(pc.if_else(blank, pa.scalar(None, ids.type), ids), key)
    return pc.if_else(blank, as_arrow_text(values), hashed)


def make_table(
    file: str,
    table: str,
    headers: list[str],
    data: pd.DataFrame,
    rows: np.ndarray,
    header_row: int,
    mapping: Mapping,
    malformed: list[tuple[int, str]] | None = None,
    key: PseudonymKey | None = None,
) -> RawTable:
    """The table as read: columns named (or dropped), control characters and blank rows
    removed, and, given a pseudonym ``key``, every ``person_id`` replaced by its keyed hash."""
    notes: list[HeaderNote] = []
    clean_headers = [strip_controls(h) for h in headers]
    for raw_header, header in zip(headers, clean_headers, strict=True):
        if header != raw_header:
            notes.append(
                HeaderNote(header, "control-characters-removed",
                           "the header held control characters (such as NUL or ESC); they "
                           "were removed")
            )  # fmt: skip
    headers = clean_headers
    names, canonical, named_notes = _name_columns(headers, table, mapping, keyed=key is not None)
    notes += named_notes
    for i, header in enumerate(headers):  # values under no header are not read: say so
        if not norm_header(header):
            filled = int((~blank_text(as_arrow_text(data.iloc[:, i]))).sum())
            if filled:
                notes.append(
                    HeaderNote(f"column {i + 1}", "unnamed-column",
                               f"column {i + 1} has no header but holds values in {filled:,} "
                               f"row{'s' * (filled != 1)}; they are not read")
                )  # fmt: skip
    keep = [i for i, n in enumerate(names) if n is not None]
    data = data.iloc[:, keep]
    data.columns = [names[i] for i in keep]
    controls: dict[str, np.ndarray] = {}
    for name in data.columns:  # as read, so no later stage or output ever sees them
        cleaned, found = strip_controls_arrow(as_arrow_text(data[name]))
        if found is not None:
            data[name] = pd.arrays.ArrowStringArray(cleaned)
            controls[name] = found
    if key is not None and "person_id" in data.columns:
        data["person_id"] = pd.arrays.ArrowStringArray(_hashed_ids(data["person_id"], key))
    # Blank rows (every cell empty or spaces, as Excel leaves at the end of a sheet): narrow
    # the candidates column by column, so a full extract costs about one column's check.
    candidates = np.arange(len(data))
    for name in data.columns:
        if not candidates.size:
            break
        cells = as_arrow_text(data[name])
        if len(candidates) < len(data):
            cells = pc.take(cells, pa.array(candidates))
        candidates = candidates[blank_text(cells)]
    blank = np.zeros(len(data), dtype=bool)
    blank[candidates] = True
    blank_count = int(blank.sum())
    if blank_count:
        data, rows = data.loc[~blank], rows[~blank]
        controls = {name: found[~blank] for name, found in controls.items()}
    return RawTable(
        file,
        table,
        data.reset_index(drop=True),
        rows,
        header_row,
        canonical,
        blank_count,
        notes,
        malformed or [],
        {name: np.flatnonzero(found) for name, found in controls.items()},
    )
