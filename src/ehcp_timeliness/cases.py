"""Writing the case list (one row per evaluated record and rule) as CSV, fast."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from ehcp_timeliness.engine import CASE_COLUMNS
from ehcp_timeliness.output import write_atomic


def cases_table(cases: pd.DataFrame) -> pa.Table:
    """Cases as Arrow: ISO dates, exception as 1/0 (blank where the rule has none)."""
    columns = {}
    for name in cases.columns:
        col = cases[name]
        if name.endswith("_date"):
            columns[name] = pa.array(col.to_numpy("datetime64[D]"), type=pa.date32())
        elif name == "exception":
            flag = col.astype("boolean")
            columns[name] = pa.array(
                np.where(flag.isna(), None, np.where(flag.fillna(False), "1", "0")),
                type=pa.string(),
            )
        elif name in ("rule", "status"):
            columns[name] = pa.array(col.astype(str).to_numpy(), type=pa.string())
        elif name == "days_over":
            columns[name] = pa.array(col.to_numpy(np.int64))
        else:
            columns[name] = pa.array(col.astype("string"), type=pa.large_string(),
                                     from_pandas=True)  # fmt: skip
    order = CASE_COLUMNS + [c for c in cases.columns if c not in CASE_COLUMNS]
    return pa.table({c: columns[c] for c in order})


def write_cases(cases: pd.DataFrame, target: Path) -> None:
    """The case list as CSV (UTF-8 with BOM for Excel), written atomically."""
    table = cases_table(cases)

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as f:
            f.write(b"\xef\xbb\xbf")
            pacsv.write_csv(table, f, pacsv.WriteOptions(quoting_style="needed"))

    write_atomic(target, write)
