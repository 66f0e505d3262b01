"""Writing the case list (one row per evaluated record and rule) as CSV, fast.

The columns are :data:`~ehcp_timeliness.engine.CASE_COLUMNS` then every dimension column of
either table (blank where a case's table lacks it). Each rule's cases are gathered straight
from the validated table as Arrow columns and formatted on worker threads; the file is
written in rule order, atomically.
"""

from __future__ import annotations

import io
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

from ehcp_timeliness.dates import as_arrow_text
from ehcp_timeliness.engine import CASE_COLUMNS, dimensions, record_ids
from ehcp_timeliness.output import atomic_path
from ehcp_timeliness.rules import RuleSet

BOM = b"\xef\xbb\xbf"


def _dates(values: pd.Series) -> pa.Array:
    return pa.array(values.to_numpy("datetime64[D]"), type=pa.date32())


def _flags(values: pd.Series) -> pa.Array:
    flag = values.astype("boolean")
    text = np.where(flag.fillna(False).to_numpy(dtype=bool), "1", "0")
    return pa.array(text, type=pa.string(), mask=flag.isna().to_numpy(dtype=bool))


def _decode(values: pd.Series) -> pa.Array:
    """A categorical column as Arrow strings, one lookup per category."""
    categories = pa.array([str(c) for c in values.cat.categories], type=pa.string())
    return pc.take(categories, pa.array(values.cat.codes.to_numpy()))


class _Gather:
    """Per-table Arrow columns, converted once, to take each rule's cases from."""

    def __init__(self, tables: dict[str, pd.DataFrame]):
        self.dims: list[str] = []
        for name in ("requests", "plans"):
            self.dims += [d for d in dimensions(tables[name], name) if d not in self.dims]
        self.columns: dict[str, dict[str, pa.ChunkedArray | pa.Array]] = {}
        for name, frame in tables.items():
            cols = {"person_id": as_arrow_text(frame["person_id"]),
                    "record_id": as_arrow_text(record_ids(frame, name))}  # fmt: skip
            for d in dimensions(frame, name):
                cols[d] = as_arrow_text(frame[d].astype("string"))
            self.columns[name] = cols

    def table(self, cases: pd.DataFrame, table: str) -> pa.Table:
        src = pa.array(cases["_src"].to_numpy())
        cols = self.columns[table]
        out = {
            "rule": _decode(cases["rule"]),
            "person_id": pc.take(cols["person_id"], src),
            "record_id": pc.take(cols["record_id"], src),
            "start_date": _dates(cases["start_date"]),
            "due_date": _dates(cases["due_date"]),
            "end_date": _dates(cases["end_date"]),
            "status": _decode(cases["status"]),
            "days_over": pa.array(cases["days_over"].to_numpy(np.int64)),
            "exception": _flags(cases["exception"]),
        }
        for d in self.dims:
            out[d] = pc.take(cols[d], src) if d in cols else pa.nulls(len(cases), pa.large_string())
        return pa.table({c: out[c].cast(pa.large_string()) if c in self.dims else out[c]
                         for c in CASE_COLUMNS + self.dims})  # fmt: skip


def _csv(table: pa.Table, quoting: str) -> bytes:
    buf = io.BytesIO()
    pacsv.write_csv(table, buf, pacsv.WriteOptions(include_header=False, quoting_style=quoting))
    return buf.getvalue()


def _runs(cases: pd.DataFrame) -> list[tuple[str, int, int]]:
    """(rule, first, end) of each rule's contiguous block of cases."""
    codes = cases["rule"].cat.codes.to_numpy()
    edges = np.flatnonzero(np.diff(codes)) + 1
    starts = np.concatenate([[0], edges]) if len(codes) else np.array([], dtype=int)
    ends = np.concatenate([edges, [len(codes)]]) if len(codes) else np.array([], dtype=int)
    names = cases["rule"].cat.categories
    return [(names[codes[a]], int(a), int(b)) for a, b in zip(starts, ends, strict=True)]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"' if any(ch in name for ch in ',"\r\n') else name


@contextmanager
def case_writer(
    target: Path, tables: dict[str, pd.DataFrame], rules: RuleSet
) -> Iterator[Callable[[pd.DataFrame], None]]:
    """Stream the case list to ``target``: call the function yielded with each rule's cases.

    Each part is formatted on one of two worker threads (Arrow's CSV writer releases the GIL,
    so the caller can evaluate the next rule meanwhile) and written to disk, in order, by a
    third. The file appears, complete, when the block ends without an error; otherwise nothing
    is written.
    """
    gather = _Gather(tables)
    table_of = {r.id: r.table for r in rules.enabled}
    header = ",".join(_quote(c) for c in CASE_COLUMNS + gather.dims) + "\n"

    def chunk(part: pd.DataFrame) -> bytes:
        table = gather.table(part, table_of[str(part["rule"].iloc[0])])
        try:  # unquoted is a tenth smaller; Arrow refuses it if any value needs quotes
            return _csv(table, "none")
        except pa.ArrowInvalid:
            return _csv(table, "needed")

    with (
        atomic_path(target) as tmp,
        open(tmp, "wb") as f,
        ThreadPoolExecutor(2) as formatters,
        ThreadPoolExecutor(1) as disk,
    ):
        f.write(BOM + header.encode())
        formatted: queue.Queue[Future[bytes] | None] = queue.Queue()

        def drain() -> None:  # the disk writes, in order, off the caller's thread as well
            while (future := formatted.get()) is not None:
                f.write(future.result())

        written = disk.submit(drain)

        def add(part: pd.DataFrame) -> None:
            if len(part):
                formatted.put(formatters.submit(chunk, part))

        try:
            yield add
        finally:
            formatted.put(None)  # the disk thread stops after what is queued
        written.result()  # a formatting or disk error raises here: the file is not put in place


def write_cases(
    cases: pd.DataFrame, tables: dict[str, pd.DataFrame], rules: RuleSet, target: Path
) -> None:
    """The case list with its details as CSV (UTF-8 with BOM for Excel), written atomically."""
    with case_writer(target, tables, rules) as add:
        for _rule, first, end in _runs(cases):
            add(cases.iloc[first:end])
