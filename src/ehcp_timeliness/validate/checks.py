"""Vectorised validation of raw extract tables against the schema in :mod:`.schema`.

Every check is a column operation over the whole table; there is no per-row Python loop.
The checks are derived from the pydantic declarations (required fields, date fields, coded
fields and their code sets, date-order pairs); the test suite checks that this fast path and
per-row ``model_validate`` agree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.types import union_categoricals
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from ehcp_timeliness import __version__
from ehcp_timeliness.dates import (
    PHASE_DAY,
    as_arrow_text,
    parse_dates,
    period_end,
    phase_transfer_deadline,
    ymd,
)
from ehcp_timeliness.history import (
    REVIEW_MONTHS,
    TRANSFER_MONTHS,
    is_latest_only,
    links,
    plan_codes,
)
from ehcp_timeliness.read.mapping import Mapping
from ehcp_timeliness.read.sen2_spec import ReturnInfo
from ehcp_timeliness.read.tables import RawTable, suggestion
from ehcp_timeliness.validate.findings import CODES, FINDING_COLUMNS, Finding
from ehcp_timeliness.validate.identifiers import describe, not_pseudonyms, withhold
from ehcp_timeliness.validate.schema import TABLES, Kind, columns, normalise_word

EARLIEST = np.datetime64("1990-01-01")
#: Dates that are deadlines, not events, so may lie after the as-at date.
FUTURE_ALLOWED = frozenset({"phase_transfer_due_date", "phase_transfer_date"})
META = ["_file", "_row"]
_FINDINGS = TypeAdapter(list[Finding])


class TableSummary(BaseModel):
    """Row accounting for one table of one file: rows_read = rows_usable + rows_rejected."""

    file: str
    table: str
    rows_read: int
    rows_usable: int
    rows_rejected: int
    blank_rows_ignored: int


class ValidationReport(BaseModel):
    """What ``ehcp validate`` reports; ``--format json`` prints its dump."""

    model_config = ConfigDict(frozen=True)

    schema_version: int = 1
    tool_version: str = __version__
    as_at: date
    #: Where the as-at date came from: "--as-at", "ReferenceDate of FILE" or "today".
    as_at_source: str = "--as-at"
    tables: list[TableSummary]
    findings_by_code: dict[str, int]
    errors: int
    warnings: int
    #: SEN2 pre-submission queries: values DfE's collection would ask about.
    queries: int = 0
    #: The SEN2 returns read, with what each will publish.
    returns: list[ReturnInfo] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)


@dataclass
class Validated:
    """Usable rows per table (parsed, canonical codes) plus all findings as a frame."""

    tables: dict[str, pd.DataFrame]
    findings: pd.DataFrame
    summaries: list[TableSummary]
    as_at: date
    as_at_source: str = "--as-at"
    returns: list[ReturnInfo] = field(default_factory=list)

    def report(self) -> ValidationReport:
        """The report as a model, a :class:`Finding` per finding: for results of a modest
        size (``json_chunks`` gives the same JSON in bounded memory)."""
        records = self.findings.astype(object).where(self.findings.notna(), None)
        findings = _FINDINGS.validate_python(records.to_dict("records"))  # one call, not a loop
        return self._summary(findings)

    def _summary(self, findings: list[Finding]) -> ValidationReport:
        counts = self.findings["code"].value_counts()
        severity = self.findings["severity"]
        return ValidationReport(
            as_at=self.as_at,
            as_at_source=self.as_at_source,
            tables=self.summaries,
            findings_by_code={str(k): int(v) for k, v in counts.sort_index().items() if v},
            errors=int((severity == "error").sum()),
            warnings=int((severity == "warning").sum()),
            queries=int((severity == "query").sum()),
            returns=self.returns,
            findings=findings,
        )

    def json_chunks(self, rows: int = 50_000) -> Iterator[str]:
        """The JSON of :meth:`report` (equal once parsed), in pieces to write one after another.

        The findings go ``rows`` at a time through pandas' C JSON writer, so a million of them
        cost a chunk's worth of memory, not a model and a dictionary each. The test suite checks
        that the two agree.
        """
        head = self._summary([]).model_dump_json(indent=2)
        before, after = head.rsplit('"findings": []', 1)
        yield before + '"findings": ['
        for start in range(0, len(self.findings), rows):
            part = self.findings.iloc[start : start + rows]
            lines = part.to_json(orient="records", lines=True, force_ascii=False)
            yield ("," if start else "") + "\n    " + ",\n    ".join(lines.rstrip("\n").split("\n"))
        yield ("\n  " if len(self.findings) else "") + "]" + after

    @property
    def has_errors(self) -> bool:
        return bool((self.findings["severity"] == "error").any())


#: Findings' text columns held as categoricals (one copy of each distinct text, a small code
#: per finding), so a million findings cost megabytes, not a Python object per cell.
_CATEGORICAL = ["file", "table", "column", "code", "severity", "message"]


def _categorical(values: Any, n: int) -> pd.Categorical:
    """``values`` (one text for every row, None, or an array) as a categorical of ``n``."""
    if values is None or isinstance(values, str):
        codes = np.full(n, -1 if values is None else 0, dtype=np.int8)
        categories = pd.Index([] if values is None else [values], dtype="str")
        return pd.Categorical.from_codes(codes, categories=categories)
    if isinstance(getattr(values, "dtype", None), pd.CategoricalDtype):  # codes as they are
        cat = pd.Categorical(values).remove_unused_categories()
        return pd.Categorical.from_codes(cat.codes, categories=pd.Index(cat.categories.astype(str),
                                                                        dtype="str"))  # fmt: skip
    codes, uniques = pd.factorize(pd.array(values, dtype="str"))
    return pd.Categorical.from_codes(codes, categories=pd.Index(uniques, dtype="str"))


def _near_headers(t: RawTable, name: str) -> str:
    """The headers of ``t`` dropped as unknown that nearly match column ``name``."""
    dropped = [n.column for n in t.notes if n.code == "unknown-column-dropped" and n.file is None]
    return suggestion(dropped, t.table, name)


def _frame(file, table, row, column, value, code, message) -> pd.DataFrame:
    """Findings as columns: text columns categorical, raw values Arrow strings."""
    n = len(row) if hasattr(row, "__len__") else 1
    if value is None:
        value = pd.array([None] * n, dtype="string[pyarrow]")
    return pd.DataFrame(
        {
            "file": _categorical(file, n),
            "table": _categorical(table, n),
            "row": np.broadcast_to(
                np.asarray(row if row is not None else -1, dtype=np.int64), (n,)
            ).copy(),  # fmt: skip
            "column": _categorical(column, n),
            "value": pd.array(value, dtype="string[pyarrow]"),
            "code": _categorical(code, n),
            "severity": _categorical(CODES[code][0], n),
            "message": _categorical(message, n),
        },
        index=range(n),
    )


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Findings frames end to end, categoricals unioned (pandas' concat would turn them into
    objects); rows sorted by file, then row, as the user reads them."""
    if not parts:  # no findings: empty columns of the same types, with no categories
        return pd.DataFrame({name: _categorical(None, 0) if name in _CATEGORICAL else
                             pd.array([], dtype="Int64" if name == "row" else "string[pyarrow]")
                             for name in FINDING_COLUMNS})  # fmt: skip
    columns: dict[str, Any] = {}
    for name in FINDING_COLUMNS:
        arrays = [p[name].array for p in parts]
        if name in _CATEGORICAL:
            columns[name] = union_categoricals(arrays)
        elif name == "row":
            columns[name] = np.concatenate([np.asarray(a) for a in arrays])
        else:
            columns[name] = pd.array(pa.chunked_array([pa.array(a) for a in arrays],
                                                      type=pa.large_string()),
                                     dtype="string[pyarrow]")  # fmt: skip
    findings = pd.DataFrame(columns)
    files = findings["file"].cat
    findings["file"] = files.reorder_categories(sorted(files.categories))
    findings = findings.sort_values(["file", "row"], kind="stable", ignore_index=True)
    row = findings["row"].to_numpy()
    findings["row"] = pd.array(np.where(row < 0, 0, row), dtype="Int64")
    findings.loc[row < 0, "row"] = pd.NA  # a finding about a whole file has no row
    return findings


def merge_findings(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Findings frames however they were made (plain or categorical columns; a whole file's
    row as NA or -1) as one frame of the checks' own types, in file and row order."""
    return _concat([_typed(p) for p in parts if not p.empty])


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    n = len(frame)
    row = frame["row"].astype("Int64").fillna(-1).to_numpy(dtype=np.int64)
    return pd.DataFrame({
        name: (row if name == "row" else _categorical(frame[name], n) if name in _CATEGORICAL
               else frame[name].astype("string[pyarrow]").array)
        for name in FINDING_COLUMNS
    })  # fmt: skip


def _fmt(dates: pd.Series) -> pd.Series:
    return dates.dt.strftime("%Y-%m-%d").fillna("")


class _Checker:
    """Collects findings and the rows to set aside for one table."""

    def __init__(self, table: str, df: pd.DataFrame, headers: dict[str, dict[str, str]]):
        self.table, self.df, self.headers = table, df, headers
        self.parts: list[pd.DataFrame] = []
        self.reject = np.zeros(len(df), dtype=bool)

    def header(self, column: str) -> pd.Series:
        return self.df["_file"].map({f: h.get(column, column) for f, h in self.headers.items()})

    def add(
        self,
        mask,
        column: str,
        code: str,
        message: str | Callable[[np.ndarray], Any],
        *,
        quote: bool = True,
    ) -> None:
        """Record a finding for each row in ``mask``, naming ``column``'s raw value.

        ``message`` is text, or a function of the mask giving one message per flagged row
        (so that messages are only built for the few rows that need them). The value is
        quoted unless it could identify a child (:func:`.identifiers.withhold`), or
        ``quote`` is False: then it is described.
        """
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        raw = self.df[column][mask]
        msg = message if isinstance(message, str) else np.asarray(message(mask))
        self.parts.append(
            _frame(
                self.df["_file"][mask],
                self.table,
                self.df["_row"].to_numpy()[mask],
                self.header(column)[mask],
                _quotable(raw, self.table, column) if quote else describe(raw),
                code,
                msg,
            )
        )
        if CODES[code][0] == "error":
            self.reject |= mask


def _quotable(values: pd.Series, table: str, column: str) -> np.ndarray:
    """Values as a finding may show them: names are withheld except in coded columns and
    dimensions, whose words ("No Plan - SEN Support", "North East") must stay readable."""
    spec = columns(table).get(column)
    return withhold(values, names=spec is not None and spec.kind is not Kind.CODE)


def validate(raw: list[RawTable], *, as_at: date, mapping: Mapping | None = None) -> Validated:
    """Validate raw tables; return usable typed tables, findings and row accounting."""
    mapping = mapping or Mapping()
    notes: list[pd.DataFrame] = []
    for t in raw:
        for n in t.notes:
            if n.file is not None:  # about a whole file
                notes.append(_frame(n.file, "", -1, None, None, n.code, n.message))
                continue
            notes.append(_frame(t.file, t.table, t.header_row, n.column, None, n.code, n.message))
        for row, what in t.malformed:
            notes.append(_frame(t.file, t.table, row, None, None, "malformed-row", what))
        for note in t.row_notes:
            notes.append(_frame(t.file, t.table, note.row, note.column, None, note.code,
                                note.message))  # fmt: skip
        for column, where in t.controls.items():
            notes.append(
                _frame(t.file, t.table, t.rows[where], t.headers.get(column, column),
                       _quotable(t.data[column].iloc[where], t.table, column),
                       "control-characters-removed",
                       "held control characters (such as NUL or ESC); they were removed")
            )  # fmt: skip
    out, summaries, parts = {}, [], notes
    # The tables are independent, and most of the work is in Arrow and numpy kernels that
    # release the GIL, so two threads use both cores of a small machine.
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = pool.map(
            lambda table: _validate_table(table, [t for t in raw if t.table == table], as_at,
                                          mapping),
            TABLES,
        )  # fmt: skip
        for table, (clean, found, summ) in zip(TABLES, results, strict=True):
            out[table] = clean
            parts.extend(found)
            summaries.extend(summ)
    for s in summaries:  # malformed rows were never parsed into the table: count them here
        bad = sum(_unread(t) for t in raw if t.file == s.file and t.table == s.table)
        s.rows_read += bad
        s.rows_rejected += bad
    return Validated(out, _concat(parts), summaries, as_at)


def _unread(t: RawTable) -> int:
    """Rows of a file read but never parsed into its table: malformed, or set aside on read."""
    aside = {n.row for n in t.row_notes if CODES[n.code][0] == "error"}
    return len(t.malformed) + len(aside - {row for row, _ in t.malformed})


def _validate_table(table: str, raws: list[RawTable], as_at: date, mapping: Mapping):
    spec = columns(table)
    frames = []
    for t in raws:
        frame = t.data.copy()
        frame.insert(0, "_row", t.rows)
        file = pd.Categorical.from_codes(
            np.zeros(len(frame), np.int8), dtype=pd.CategoricalDtype([t.file])
        )
        frame.insert(0, "_file", pd.Series(file, index=frame.index))
        frames.append(frame)
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=META)
    for name in spec:
        if name not in df.columns:
            df[name] = pd.Series(pd.NA, index=df.index, dtype="string")
    headers = {t.file: t.headers for t in raws}
    c = _Checker(table, df, headers)

    for t in raws:  # a required column missing from a file sets all its rows aside
        for name, col in spec.items():
            if col.required and name not in t.headers:
                c.parts.append(
                    _frame(
                        t.file,
                        table,
                        t.header_row,
                        name,
                        None,
                        "missing-column",
                        f"required column {name} not found" + _near_headers(t, name),
                    )
                )
                c.reject |= (df["_file"] == t.file).to_numpy()
    has_file_cols = ~c.reject.copy()

    parsed = pd.DataFrame(index=df.index)
    as_at64 = np.datetime64(as_at)
    given = {name for t in raws for name in t.headers}
    for name, col in spec.items():
        if name not in given and not col.required:  # in no file: blank, nothing to check
            parsed[name] = (np.full(len(df), np.datetime64("NaT"), dtype="datetime64[s]")
                            if col.kind is Kind.DATE
                            else pd.Series(pd.NA, index=df.index, dtype="string"))  # fmt: skip
            continue
        if col.kind is Kind.DATE:
            dates, bad = parse_dates(df[name])
            blank = (dates.isna() & ~bad).to_numpy()
            c.add(
                bad,
                name,
                "invalid-date",
                "not a date (use YYYY-MM-DD, DD/MM/YYYY or an Excel date)",
            )
            d = dates.to_numpy()  # numpy compares faster than pandas; NaT compares False
            c.add(d < EARLIEST, name, "implausible-date", "before 1990")
            if name not in FUTURE_ALLOWED:
                c.add(d > as_at64, name, "future-date", f"after the as-at date {as_at}")
            usable = (d >= EARLIEST) & ((d <= as_at64) | (name in FUTURE_ALLOWED))
            parsed[name] = np.where(usable, d, np.datetime64("NaT"))
        else:
            text = pd.Series(
                pc.utf8_trim_whitespace(as_arrow_text(df[name])), dtype="string", index=df.index
            )
            blank = (text.isna() | (text == "")).to_numpy()
            if col.kind is Kind.CODE:
                assert col.codes is not None
                lookup = {**col.codes.lookup, **mapping.value_lookup(name)}
                mapped = _map_codes(text, lookup)
                c.add(
                    ~blank & mapped.isna().to_numpy(),
                    name,
                    "unknown-code",
                    f"not a {col.codes.name} code ({', '.join(col.codes.codes)})",
                )
                parsed[name] = mapped
            else:
                parsed[name] = text.where(~blank)
        if col.required:
            c.add(blank & has_file_cols, name, "missing-value", f"{name} is required")

    shapes = not_pseudonyms(df["person_id"])
    c.add(
        pd.notna(shapes),
        "person_id",
        "person-id-not-pseudonym",
        lambda m: (
            "looks like " + shapes[m] + "; person_id must be a pseudonym, so the row is "
            "set aside (use the case-management system's own id, or give a pseudonym key to "
            "have ids replaced by keyed hashes as they are read)"
        ),
        quote=False,
    )

    model = TABLES[table]
    for earlier, later in model.ORDER:
        a, b = parsed[earlier], parsed[later]

        def before(m: np.ndarray, a: pd.Series = a, earlier: str = earlier,
                   later: str = later) -> pd.Series:  # fmt: skip
            return f"{later} is before {earlier} (" + _fmt(a[m]) + ")"

        c.add(b.to_numpy() < a.to_numpy(), later, "date-order", before)
    if table == "requests":
        _request_checks(c, parsed)
        _comment_period(c, parsed, "draft_plan_date", "plan_issue_date", "reg 13(1)(a)")
    if table == "plans":
        _comment_period(c, parsed, "amendment_notice_date", "amended_plan_date", "reg 22(2)(c)")
        _phase_transfer_checks(c, parsed)
    _duplicates(c, parsed, table)
    if table == "plans":
        _review_gaps(c, parsed)

    dims = [col for col in df.columns if col not in spec and col not in META]
    keep = ~c.reject
    clean = pd.concat([df.loc[keep, META], parsed.loc[keep], df.loc[keep, dims]], axis=1)
    summaries = []
    for t in raws:
        in_file = (df["_file"] == t.file).to_numpy()
        summaries.append(
            TableSummary(
                file=t.file,
                table=table,
                rows_read=int(in_file.sum()),
                rows_usable=int((in_file & keep).sum()),
                rows_rejected=int((in_file & ~keep).sum()),
                blank_rows_ignored=t.blank_rows,
            )
        )
    return clean.reset_index(drop=True), c.parts, summaries


def _map_codes(text: pd.Series, lookup: dict[str, str]) -> pd.Series:
    """Canonical codes for a text column (NA where blank or unknown), one lookup per distinct
    value rather than per row."""
    arr = as_arrow_text(text)
    words = pc.unique(arr)
    codes = pa.array(
        [lookup.get(normalise_word(w)) if w else None for w in words.to_pylist()], pa.string()
    )
    mapped = pc.take(codes, pc.index_in(arr, value_set=words))
    return pd.Series(mapped, dtype="string", index=text.index)


def _request_checks(c: _Checker, p: pd.DataFrame) -> None:
    refused = p["request_outcome"].isin(["N", "W"]) | p["assessment_outcome"].isin(["N", "W"])
    c.add(
        p["plan_issue_date"].notna() & refused.fillna(False),
        "plan_issue_date",
        "outcome-contradiction",
        "a plan issue date on a request or assessment that ended without a plan (outcome N or W)",
    )
    c.add(
        p["request_outcome"].isin(["N", "W"]).fillna(False)
        & p["assessment_outcome"].isin(["Y", "N"]).fillna(False),
        "assessment_outcome",
        "outcome-contradiction",
        "an assessment outcome on a request not assessed",
    )
    for outcome, when in (
        ("request_outcome", "request_outcome_date"),
        ("assessment_outcome", "assessment_outcome_date"),
    ):
        c.add(
            (p[outcome] == "A").fillna(False) & p[when].notna(),
            when,
            "outcome-date-pending",
            f"{when} given but {outcome} is A (pending)",
        )


#: "at least 15 days, beginning with the day on which the draft plan was served" (regs 13(1)(a),
#: 22(2)(c)): the last day to comment is the 15th day, the day served + 14.
COMMENT_DAYS = 15


def _comment_period(c: _Checker, p: pd.DataFrame, draft: str, final: str, source: str) -> None:
    """A final plan issued before the parent's 15 days to comment on the draft had run out."""
    served = p[draft].to_numpy()
    last = served + np.timedelta64(COMMENT_DAYS - 1, "D")
    issued = p[final].to_numpy()
    early = issued <= last  # NaT compares False

    def message(m: np.ndarray) -> pd.Series:
        return (f"{final} is within the {COMMENT_DAYS} days to comment on the draft served "
                "on " + _fmt(p.loc[m, draft]) + ", which ran to " + _fmt(
                    pd.Series(last[m], index=p.index[m])) + f" ({source})")  # fmt: skip

    c.add(early, final, "premature-final-plan", message)


def _phase_transfer_checks(c: _Checker, p: pd.DataFrame) -> None:
    """A phase-transfer deadline that is not a date reg 18 sets, or that disagrees with the
    transfer date given beside it."""
    given = np.flatnonzero(p["phase_transfer_due_date"].notna().to_numpy())
    if not given.size:  # the few plans in a transfer year: check only those rows
        return
    due = p["phase_transfer_due_date"].to_numpy("datetime64[D]")[given]
    types = p["phase_transfer_type"].take(given)
    kind = types.astype(object).where(types.notna(), None).to_numpy()
    _, month, day = ymd(due)
    fixed = {k: (month == m) & (day == d) for k, (m, d) in PHASE_DAY.items()}
    expected = np.where(kind == "school", fixed["school"],
                        np.where(kind == "post16", fixed["post16"],
                                 fixed["school"] | fixed["post16"]))  # fmt: skip
    odd = np.zeros(len(p), dtype=bool)
    odd[given] = (kind != "post16-post16") & ~expected
    c.add(odd, "phase_transfer_due_date", "phase-transfer-due-date",
          "not the date reg 18(1) sets for this transfer: 15 February of the transfer year, or "
          "31 March for secondary school to post-16")  # fmt: skip
    transfer = p["phase_transfer_date"].to_numpy("datetime64[D]")[given]
    from_law = np.full(len(p), np.datetime64("NaT"), dtype="datetime64[D]")
    from_law[given] = phase_transfer_deadline(transfer, kind)
    differs = np.zeros(len(p), dtype=bool)
    differs[given] = ~np.isnat(from_law[given]) & (due != from_law[given])

    def message(m: np.ndarray) -> pd.Series:
        law = pd.Series(from_law[m], index=p.index[m])
        return ("the transfer date " + _fmt(p.loc[m, "phase_transfer_date"]) + " gives a "
                "deadline of " + _fmt(law) + " under reg 18; that one is used")  # fmt: skip

    c.add(differs, "phase_transfer_due_date", "phase-transfer-date-disagrees", message)


def _review_gaps(c: _Checker, p: pd.DataFrame) -> None:
    """Review meetings whose link back to the previous review (or the plan's issue) is longer
    than the extract can vouch for (see :mod:`ehcp_timeliness.history`)."""
    live = np.flatnonzero(~c.reject & p["review_meeting_date"].notna().to_numpy())
    if not live.size:
        return
    code = plan_codes(p["plan_id"].take(live))
    chain = links(code, p["plan_issue_date"].to_numpy("datetime64[D]")[live],
                  p["review_meeting_date"].to_numpy("datetime64[D]")[live])  # fmt: skip
    latest = is_latest_only(chain, REVIEW_MONTHS)
    periods = 1 if latest else 2
    gap = chain.m_date > period_end(chain.m_start, periods * REVIEW_MONTHS)
    if gap.any() and p["transfer_in_date"].notna().any():
        # The first review after a transfer in, held within the 3 months reg 15(5) allows, is on
        # time whatever came before: the engine does not call it unknown, so neither do we.
        transfer = p.groupby("plan_id", sort=False)["transfer_in_date"].transform("max")
        t = transfer.to_numpy("datetime64[D]")[live][chain.src][chain.keep]
        gap &= ~((chain.m_date >= t) & (chain.m_date <= period_end(t, TRANSFER_MONTHS)))
    if not gap.any():
        return
    rows = live[chain.src[chain.keep][gap]]
    mask = np.zeros(len(p), dtype=bool)
    mask[rows] = True
    start = pd.Series(np.full(len(p), np.datetime64("NaT"), dtype="datetime64[D]"), index=p.index)
    start.iloc[rows] = chain.m_start[gap]
    why = ("the extract holds only each plan's latest review, so the reviews before it are "
           "unknown" if latest else "a review between them is missing from the extract, or "
           "was never held")  # fmt: skip

    def message(m: np.ndarray) -> pd.Series:
        return ("more than " + str(periods * REVIEW_MONTHS) + " months after the previous "
                "review or the plan's issue on " + _fmt(start[m]) + ": " + why
                + "; review-12m reports this review as unknown, not late")  # fmt: skip

    c.add(mask, "review_meeting_date", "review-history-gap", message)


def _duplicates(c: _Checker, p: pd.DataFrame, table: str) -> None:
    """Later copies of a record are set aside; the message names the row that is kept.

    Requests are the same record when they share a ``request_id``, or, without one, the same
    ``person_id`` and ``received_date``; plan rows when they share ``plan_id`` and
    ``review_meeting_date``; tribunal orders when they share an ``order_id``, or, without one,
    the same ``person_id``, ``order_date`` and ``order_type``.
    """
    if table == "requests":
        has_id = p["request_id"].notna()
        parts = [p["request_id"], p["person_id"].where(~has_id), p["received_date"].where(~has_id)]
        column = "request_id" if has_id.any() else "person_id"
    elif table == "tribunal_orders":
        has_id = p["order_id"].notna()
        parts = [p["order_id"], p["person_id"].where(~has_id), p["order_date"].where(~has_id),
                 p["order_type"].where(~has_id)]  # fmt: skip
        column = "order_id" if has_id.any() else "person_id"
    else:
        parts = [p["plan_id"], p["review_meeting_date"]]
        column = "plan_id"
    live = ~c.reject  # rows already set aside are nobody's original
    parts = [part for part in parts if part.notna().any()]  # an all-blank part adds nothing
    if _strictly_increasing(parts):  # extracts often come sorted by id: then all distinct
        return
    if len(parts) == 1 and parts[0].dtype.kind != "M" and parts[0].notna().all():
        ids = as_arrow_text(parts[0])
        if len(pc.unique(ids)) == len(ids):  # every id distinct, the usual case: done
            return
    key = np.zeros(len(p), dtype=np.int64)
    for part in parts:  # one integer per distinct combination
        if part.dtype.kind == "M":  # dates: day numbers, 0 for blank
            days = part.to_numpy("datetime64[D]").astype(np.int64)
            blank = np.isnat(part.to_numpy())
            low = days[~blank].min() if (~blank).any() else 0
            codes = np.where(blank, 0, days - low + 1)
        else:
            codes = pd.factorize(part, use_na_sentinel=False)[0]
        width = int(codes.max()) + 1 if len(codes) else 1
        if key.size and int(key.max()) >= (1 << 62) // width:
            key = pd.factorize(key)[0]  # keep it small so the product cannot overflow
        key = key * width + codes
    keyed = pd.Series(key[live])
    dup = np.zeros(len(p), dtype=bool)
    dup[live] = keyed.duplicated(keep="first").to_numpy()
    if not dup.any():
        return
    first_of = pd.Series(np.flatnonzero(live)).groupby(keyed.to_numpy()).transform("first")
    kept = np.full(len(p), -1)
    kept[live] = first_of.to_numpy()

    def message(m: np.ndarray) -> pd.Series:
        origin = c.df.iloc[kept[m]]
        return (
            "the same record as row "
            + origin["_row"].astype(str)
            + " of "
            + origin["_file"].astype(str)
        )

    c.add(dup, column, "duplicate-record", message)


def _strictly_increasing(parts: list[pd.Series]) -> bool:
    """Whether each row's key (the parts, compared in turn) is greater than the row before's.

    If so no two rows share a key, and that takes a comparison of neighbours rather than a
    hash of every key. A blank date sorts before every date; a blank text value answers no.
    """
    if not parts or any(p.dtype.kind != "M" and p.isna().any() for p in parts):
        return False
    n = len(parts[0]) - 1  # pairs of neighbours
    if n < 1:
        return True
    greater, tied = np.zeros(n, dtype=bool), np.ones(n, dtype=bool)
    for part in parts:
        if part.dtype.kind == "M":
            day = part.to_numpy().view(np.int64)  # NaT is the smallest int64
            gt, eq = day[1:] > day[:-1], day[1:] == day[:-1]
        else:
            text = as_arrow_text(part)
            before, after = text.slice(0, n), text.slice(1)
            gt = pc.greater(after, before).to_numpy(zero_copy_only=False)
            eq = pc.equal(after, before).to_numpy(zero_copy_only=False)
        greater |= tied & gt
        tied &= eq
    return bool(greater.all())
