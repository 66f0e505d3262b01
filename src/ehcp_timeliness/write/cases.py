"""Writing the case list (one row per evaluated record and rule) as CSV, fast.

The columns are :data:`~ehcp_timeliness.clocks.engine.CASE_COLUMNS` then every dimension column of
either table (blank where a case's table lacks it). Cases are gathered straight from the
validated tables as Arrow columns and formatted on worker threads; the file keeps the order
the cases are given in. Text cells and headers a spreadsheet would run as formulas are defused
(:mod:`.csvsafe`) unless ``raw``: once per table for identifiers, once per distinct value for
rules, statuses and dimensions, never per case.
"""

from __future__ import annotations

import codecs
import hashlib
import queue
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ehcp_timeliness.clocks.engine import (
    CASE_COLUMNS,
    all_dimensions,
    case_tables,
    dimensions,
    record_ids,
)
from ehcp_timeliness.clocks.rules import RuleSet
from ehcp_timeliness.dates import as_arrow_text
from ehcp_timeliness.write.csvsafe import defuse_text, defuse_value

#: Most cases formatted as one piece: small enough that both worker threads share the last
#: rule's cases and the disk writes follow closely, large enough to keep per-piece costs low.
CHUNK = 125_000


def _lookup(values: np.ndarray, missing: np.ndarray, text: Callable[[np.ndarray], pa.Array]) -> (
    pa.Array
):  # fmt: skip
    """Whole numbers (day numbers, days over) as dictionary-encoded text: each distinct value
    in the range is formatted once, and the CSV writer copies text, which is faster than
    formatting a date or a number per case. Blank where ``missing``."""
    if missing.all():
        return pa.nulls(len(values), pa.string())
    present = ~missing
    lo = int(values.min(where=present, initial=np.iinfo(np.int64).max))
    hi = int(values.max(where=present, initial=np.iinfo(np.int64).min))
    if hi - lo >= len(values):  # a sparse range (a far-off date): the values present only
        distinct, codes = np.unique(np.where(present, values, lo), return_inverse=True)
        return pa.DictionaryArray.from_arrays(
            pa.array(codes.astype(np.int32), mask=missing), text(distinct)
        )
    codes = (values - lo).astype(np.int32)  # blanks' codes are masked, whatever they are
    return pa.DictionaryArray.from_arrays(
        pa.array(codes, mask=missing), text(np.arange(lo, hi + 1, dtype=np.int64))
    )


def _dates(values: pd.Series) -> pa.Array:
    days = values.to_numpy().astype("datetime64[D]")
    text = lambda d: pa.array(d.astype(np.int32), pa.date32()).cast(pa.string())  # noqa: E731
    return _lookup(days.view(np.int64), np.isnat(days), text)


def _typed_dates(values: pd.Series) -> pa.Array:
    return pa.array(values.to_numpy("datetime64[D]"), type=pa.date32())


def _numbers(values: pd.Series) -> pa.Array:
    numbers = values.to_numpy(np.int64)
    return _lookup(
        numbers, np.zeros(len(numbers), dtype=bool), lambda n: pa.array(n).cast(pa.string())
    )


def _plain(table: pa.Table) -> pa.Table:
    """``table`` with its dictionary-encoded columns decoded, so tables concatenate."""
    columns = [c.cast(c.type.value_type) if pa.types.is_dictionary(c.type) else c
               for c in table.columns]  # fmt: skip
    return pa.table(columns, names=table.column_names)


_FLAGS = pa.array(["0", "1"])


def _flags(values: pd.Series) -> pa.Array:
    """A boolean column as ``1``, ``0`` or blank."""
    codes = values.to_numpy(dtype=np.int8, na_value=0)
    return pa.DictionaryArray.from_arrays(pa.array(codes, mask=values.isna().to_numpy()), _FLAGS)


def _decode(values: pd.Series, raw: bool) -> pa.Array:
    """A categorical column as dictionary-encoded text, defused once per category."""
    categories = pa.array([str(c) for c in values.cat.categories], type=pa.string())
    codes = values.cat.codes.to_numpy()
    safe = categories if raw else defuse_text(categories)
    return pa.DictionaryArray.from_arrays(pa.array(codes, mask=codes < 0), safe)


def _whole(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One contiguous array: a take from a chunked one concatenates it first, every time."""
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


class _Gather:
    """Per-table Arrow columns, converted once, to take any cases' details from.

    Identifiers are kept as text; the few values of a dimension are dictionary-encoded, so a
    take copies small integers and the text is looked up from a handful of values.
    """

    def __init__(self, tables: dict[str, pd.DataFrame], rules: RuleSet, raw: bool = False):
        self.rules, self.raw = rules, raw
        self.dims = all_dimensions(tables)
        self.columns: dict[str, dict[str, pa.Array]] = {}
        safe = (lambda arr: arr) if raw else defuse_text
        for name, frame in tables.items():
            cols = {"person_id": safe(_whole(as_arrow_text(frame["person_id"]))),
                    "record_id": safe(_whole(as_arrow_text(record_ids(frame, name))))}  # fmt: skip
            for d in dimensions(frame, name):
                text = _whole(as_arrow_text(frame[d].astype("string")))
                cols[d] = safe(pc.dictionary_encode(text.cast(pa.large_string())))
            self.columns[name] = cols

    def table(self, cases: pd.DataFrame, typed: bool = False) -> pa.Table:
        """The cases with their details, in the order given, whatever tables they come from.

        Dates and days over are text formatted once per value, unless ``typed``: then they
        are Arrow dates and numbers, which a CSV quoted where needed leaves unquoted."""
        which = case_tables(cases, self.rules)
        pieces, positions = [], []
        for name in self.columns:
            mine = np.flatnonzero(which == name)
            if mine.size == len(cases):  # a rule's cases: all from its one table
                return self._from(cases, name, typed)
            if mine.size:
                pieces.append(self._from(cases.iloc[mine], name, typed))
                positions.append(mine)
        if len(pieces) == 1:
            return pieces[0]
        both = pa.concat_tables([_plain(piece) for piece in pieces])
        return both.take(pa.array(np.argsort(np.concatenate(positions), kind="stable")))

    def _from(self, cases: pd.DataFrame, table: str, typed: bool) -> pa.Table:
        src = pa.array(cases["_src"].to_numpy())
        cols = self.columns[table]
        dates = _typed_dates if typed else _dates
        out = {
            "rule": _decode(cases["rule"], self.raw),
            "person_id": pc.take(cols["person_id"], src),
            "record_id": pc.take(cols["record_id"], src),
            "start_date": dates(cases["start_date"]),
            "due_date": dates(cases["due_date"]),
            "end_date": dates(cases["end_date"]),
            "status": _decode(cases["status"], self.raw),
            "days_over": (
                pa.array(cases["days_over"].to_numpy(np.int64))
                if typed
                else _numbers(cases["days_over"])
            ),  # fmt: skip
            "exception": _flags(cases["exception"]),
        }
        for d in self.dims:  # large_string: the same type for both tables, to concatenate
            out[d] = (pc.take(cols[d], src).cast(pa.large_string()) if d in cols
                      else pa.nulls(len(cases), pa.large_string()))  # fmt: skip
        return pa.table({c: out[c] for c in CASE_COLUMNS + self.dims})


def _csv(table: pa.Table, quoting: str) -> pa.Buffer:
    """The table as CSV, formatted entirely in Arrow: into an Arrow buffer, in one batch.

    Writing into a Python file object instead (a ``BytesIO``) takes the GIL for every batch of
    1,024 rows, so while the caller's thread is busy each batch waits for it: formatting the
    case list then took several times as long, and slowed the caller in turn."""
    out = pa.BufferOutputStream()
    options = pacsv.WriteOptions(include_header=False, quoting_style=quoting,
                                 batch_size=max(len(table), 1))  # fmt: skip
    pacsv.write_csv(table, out, options)
    return out.getvalue()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"' if any(ch in name for ch in ',"\r\n') else name


@contextmanager
def case_writer(
    path: Path,
    tables: dict[str, pd.DataFrame],
    rules: RuleSet,
    *,
    raw: bool = False,
    digests: dict[Path, str] | None = None,
) -> Iterator[Callable[[pd.DataFrame], None]]:
    """Stream the case list to ``path``: call the function yielded with each rule's cases.

    Each part is cut into pieces of at most :data:`CHUNK` cases, formatted on two worker
    threads (Arrow's CSV writer releases the GIL, so the caller can evaluate the next rule
    meanwhile) and written to disk, in order, by a third. ``path`` is written directly: give
    a temporary path (:func:`~ehcp_timeliness.write.atomic.atomic_path`, or an
    :class:`~ehcp_timeliness.write.atomic.OutputSet`) so the file appears complete or not at
    all. A formatting or disk error is raised when the block ends. The file's SHA-256, taken as
    it is written, goes into ``digests`` (by ``path``) when given.
    """
    names = CASE_COLUMNS + all_dimensions(tables)
    header = ",".join(_quote(c if raw else defuse_value(c)) for c in names) + "\n"

    def chunk(part: pd.DataFrame) -> pa.Buffer:
        gather = gathering.result()
        try:  # unquoted is a tenth smaller; Arrow refuses it if any value needs quotes
            return _csv(gather.table(part), "none")
        except pa.ArrowInvalid:  # quoted where needed, with dates and numbers left bare
            return _csv(gather.table(part, typed=True), "needed")

    with (
        open(path, "wb") as f,
        ThreadPoolExecutor(2) as formatters,
        ThreadPoolExecutor(1) as disk,
    ):
        digest = hashlib.sha256()
        f.write(first := codecs.BOM_UTF8 + header.encode())
        digest.update(first)
        formatted: queue.Queue[Future[pa.Buffer] | None] = queue.Queue()
        # the tables' columns are converted on a worker too, first; pieces wait for them
        gathering = formatters.submit(_Gather, tables, rules, raw)

        def drain() -> None:  # the disk writes, in order, off the caller's thread as well
            while (future := formatted.get()) is not None:
                data = future.result()
                f.write(data)
                digest.update(data)  # hashed as written, not read back for the manifest

        written = disk.submit(drain)

        def add(part: pd.DataFrame) -> None:
            for first in range(0, len(part), CHUNK):
                formatted.put(formatters.submit(chunk, part.iloc[first : first + CHUNK]))

        try:
            yield add
        except BaseException:  # a failure, Ctrl-C or SIGTERM: drop the queued pieces, stop
            formatters.shutdown(wait=False, cancel_futures=True)
            formatted.put(None)
            raise
        formatted.put(None)  # the disk thread stops after what is queued
        gathering.result()  # the tables' conversion failed: raises here, even with no cases
        written.result()  # a formatting or disk error raises here
        if digests is not None:
            digests[path] = digest.hexdigest()


def write_cases(
    cases: pd.DataFrame,
    tables: dict[str, pd.DataFrame],
    rules: RuleSet,
    path: Path,
    *,
    raw: bool = False,
) -> None:
    """The case list with its details as CSV (UTF-8 with BOM for Excel), written to ``path``."""
    with case_writer(path, tables, rules, raw=raw) as add:
        add(cases)
