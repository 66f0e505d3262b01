"""CSV cells that a spreadsheet would run as a formula, defused.

Excel, LibreOffice and Google Sheets treat a cell that begins with ``=``, ``+``, ``-`` or ``@``
as a formula, and a leading tab or carriage return can hide one, so a value such as
``=HYPERLINK("http://...")`` or ``=cmd|' /C calc'!A0`` in an extract would run when the case
list is opened. Following OWASP's guidance on CSV injection, every CSV the tool writes
prefixes such a **text** cell, and such a header, with a single quote, which spreadsheets show
as text. Numbers and dates are written as they are (a negative number is a number, not text).

``--raw-csv`` turns this off for analysts who load the files into tools that never evaluate
formulas and need the values exactly as read.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ehcp_timeliness.dates import as_arrow_text
from ehcp_timeliness.text import text_buffers

#: First characters that make a spreadsheet cell a formula (or hide one).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_RISKY = r"^[=+\-@\t\r]"
QUOTE = "'"


def defuse_value(text: str) -> str:
    """One value or header, defused."""
    return QUOTE + text if text.startswith(FORMULA_START) else text


_RISKY_BYTE = np.zeros(256, dtype=bool)
_RISKY_BYTE[[ord(c) for c in FORMULA_START]] = True


def _may_be_risky(arr: pa.Array) -> bool:
    """Whether any value's first byte starts a formula: one lookup per value, no regex."""
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return True
    offsets, data = text_buffers(arr)
    starts = offsets[:-1][offsets[1:] > offsets[:-1]]  # non-empty values
    return bool(_RISKY_BYTE[data[starts]].any())


def defuse_text(arr: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """A text (or dictionary-encoded text) column with risky cells defused; the same array,
    uncopied, when none is risky. A look at each value's first byte (a few milliseconds per
    million) decides whether the anchored regular expression runs at all; a dictionary's
    values are checked, not its rows."""
    if isinstance(arr, pa.ChunkedArray):
        return pa.chunked_array([defuse_text(c) for c in arr.chunks], type=arr.type)
    if pa.types.is_dictionary(arr.type):
        return pa.DictionaryArray.from_arrays(arr.indices, defuse_text(arr.dictionary))
    if not _may_be_risky(arr):
        return arr
    risky = pc.fill_null(pc.match_substring_regex(arr, _RISKY), False)
    if not pc.any(risky).as_py():
        return arr
    return pc.if_else(risky, pc.utf8_replace_slice(arr, start=0, stop=0, replacement=QUOTE), arr)


def _kind(column: pd.Series) -> str:
    """ "text", "mixed" (an object column holding text among other things) or "other"."""
    if isinstance(column.dtype, pd.StringDtype):
        return "text"
    if column.dtype != object:
        return "other"  # numbers, dates, booleans, categories of them: written as they are
    inferred = pd.api.types.infer_dtype(column, skipna=True)  # one pass, in C
    return "text" if inferred == "string" else "mixed" if inferred.startswith("mixed") else "other"


def defuse_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its text cells and its headers defused (a copy where anything changed).

    A column is text when its dtype is a string dtype, or ``object`` holding only strings
    (an ``object`` column mixing text with numbers has its text defused); numeric, date and
    other columns are left as they are.
    """
    out = frame
    for i in range(frame.shape[1]):
        column = frame.iloc[:, i]
        if isinstance(column.dtype, pd.CategoricalDtype):  # findings' text: defuse categories
            categories = column.cat.categories
            if len(categories) and pd.api.types.infer_dtype(categories) == "string":
                arr = pa.array(categories.astype(str), type=pa.string())
                defused = defuse_text(arr)
                if defused is not arr:
                    new = pd.Index(defused.to_pylist(), dtype="str")
                    out = frame.copy() if out is frame else out
                    if new.is_unique:
                        out.isetitem(i, column.cat.rename_categories(new).array)
                    else:  # "=x" beside "'=x": defuse the values instead
                        text = as_arrow_text(column.astype("string"))
                        out.isetitem(i, pd.array(defuse_text(text), dtype="string[pyarrow]"))
            continue
        kind = _kind(column)
        if kind == "mixed":  # rare, and small: the pack's own tables. Defuse the text in it.
            values = column.to_numpy(dtype=object, copy=True)
            for j, v in enumerate(values):
                if isinstance(v, str):
                    values[j] = defuse_value(v)
            out = out.copy() if out is frame else out
            out.isetitem(i, values)
        if kind != "text":
            continue
        arr = as_arrow_text(column)  # no copy when the column is Arrow already
        defused = defuse_text(arr)
        if defused is not arr:
            if out is frame:
                out = frame.copy()
            values = np.asarray(defused.to_pandas(), dtype=object)
            out.isetitem(i, values)
    headers = [defuse_value(str(c)) for c in frame.columns]
    if headers != [str(c) for c in frame.columns]:
        out = out.set_axis(headers, axis=1)
    return out
