"""Values that could identify a child: ``person_id`` values that are not pseudonyms, and the
values findings would otherwise quote.

``person_id`` must be a pseudonym. A value shaped like a UPN, a ULN, an NHS number, a name or a
date is refused (:func:`not_pseudonyms`), and the finding describes it rather than quoting it.

Findings quote the raw value, so that an analyst can find and correct it, except where the
value could identify a child (:func:`withhold`): then they describe it instead (its length and
what it looks like). Every check here is an Arrow regular expression over the whole column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ehcp_timeliness.dates import as_arrow_text
from ehcp_timeliness.text import text_buffers

_NAME = r"\p{L}+(?:['’-]\p{L}+)*"
#: (what a person_id value looks like, the pattern of the whole trimmed value).
PERSON_ID_SHAPES: list[tuple[str, str]] = [
    ("a UPN (a letter and 12 digits)", r"^[A-Za-z][0-9]{12}$"),
    ("a temporary UPN (a letter, 11 digits and a letter)", r"^[A-Za-z][0-9]{11}[A-Za-z]$"),
    ("an NHS number (10 digits with a valid NHS check digit)",
     r"^[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{4}$"),
    ("a ULN (10 digits)", r"^[0-9]{10}$"),
    ("10 digits written 3-3-4, as NHS numbers are", r"^[0-9]{3}[ -][0-9]{3}[ -][0-9]{4}$"),
    ("a name (letters and spaces only, with a space)", rf"^{_NAME}(?: +{_NAME})+$"),
    ("a date", r"^(?:[0-9]{1,2}[/.-][0-9]{1,2}[/.-](?:[0-9]{2}|[0-9]{4})"
               r"|[0-9]{4}[/.-][0-9]{1,2}[/.-][0-9]{1,2}"
               r"|[0-9]{1,2} \p{L}{3,9},? [0-9]{4})(?:[ T][0-9:.]*)?$"),
]  # fmt: skip
_ANY_SHAPE = "|".join(f"(?:{p})" for _, p in PERSON_ID_SHAPES)
_NHS_WEIGHTS = np.arange(10, 1, -1)


def _nhs_check_ok(digits: np.ndarray) -> np.ndarray:
    """Whether each row of 10 digits passes the NHS number's modulus 11 check."""
    total = (digits[:, :9] * _NHS_WEIGHTS).sum(axis=1)
    check = 11 - total % 11
    check = np.where(check == 11, 0, check)  # 10 means no valid number has these 9 digits
    return (check != 10) & (check == digits[:, 9])


def _nhs_valid(numbers: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """The modulus 11 check of 10-digit values, spaces or hyphens allowed between groups."""
    digits = pc.replace_substring_regex(numbers, pattern="[ -]", replacement="")
    if isinstance(digits, pa.ChunkedArray):
        digits = digits.combine_chunks()
    digits = digits.cast(pa.large_string())
    start = np.frombuffer(digits.buffers()[1], dtype=np.int64)[digits.offset]
    data = np.frombuffer(digits.buffers()[2], dtype=np.uint8)  # every value is 10 digits
    block = data[start : start + 10 * len(digits)].reshape(-1, 10)
    return _nhs_check_ok(block.astype(np.int64) - ord("0"))


_SEPARATORS = np.array([ord(c) for c in " /.-\t"], dtype=np.uint8)


def _candidates(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Positions of values that could have one of the shapes: 10 to 13 bytes long (UPN, ULN,
    NHS number) or holding a space, slash, dot or hyphen (names, dates). Byte arithmetic on
    the buffers, no regular expression: ordinary pseudonyms ("P0010800") cost nothing more."""
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    found, base = [], 0
    for chunk in chunks:
        if not (pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type)):
            chunk = chunk.cast(pa.large_string())
        offsets, data = text_buffers(chunk)
        lengths = np.diff(offsets)
        maybe = (lengths >= 10) & (lengths <= 13)
        sep = np.isin(data, _SEPARATORS)
        if sep.any():
            before = np.concatenate(([0], np.cumsum(sep, dtype=np.int64)))
            maybe |= before[offsets[1:]] > before[offsets[:-1]]
        found.append(np.flatnonzero(maybe) + base)
        base += len(chunk)
    return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)


def not_pseudonyms(values: pd.Series) -> np.ndarray:
    """For each value, what it looks like when it is not a pseudonym, else None (object array).

    A byte-level filter picks the few values that could have a shape; one pass of a combined
    expression over those finds the ones that do; only they are classified.
    """
    arr = as_arrow_text(values)
    out = np.full(len(values), None, dtype=object)
    maybe = _candidates(arr)
    if not maybe.size:
        return out
    text = pc.utf8_trim_whitespace(pc.take(arr, pa.array(maybe)))
    hit = pc.fill_null(pc.match_substring_regex(text, _ANY_SHAPE), False)
    keep = hit.to_numpy(zero_copy_only=False)
    where = maybe[keep]
    if not where.size:
        return out
    found = pc.filter(text, pa.array(keep))
    shape = np.full(where.size, None, dtype=object)
    done = np.zeros(where.size, dtype=bool)
    for what, pattern in PERSON_ID_SHAPES:  # the first shape that fits wins
        fits = pc.match_substring_regex(found, pattern).to_numpy(zero_copy_only=False) & ~done
        if what.startswith("an NHS number") and fits.any():
            fits[
                np.flatnonzero(fits)[~_nhs_valid(pc.take(found, pa.array(np.flatnonzero(fits))))]
            ] = False
        shape[fits] = what
        done |= fits
    out[where] = shape
    return out


#: (why a value is withheld, a pattern found anywhere in it). Strong shapes only: a code
#: column's local codes ("No Plan - SEN Support") must stay quotable, to be mapped.
_SECRETS: list[tuple[str, str]] = [
    ("looks like a UPN", r"(?:^|[^0-9A-Za-z])[A-Za-z][0-9]{11}[0-9A-Za-z](?:$|[^0-9A-Za-z])"),
    ("holds 10 digits, like a ULN or NHS number",
     r"(?:^|[^0-9])[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{4}(?:$|[^0-9])"),
    ("holds a postcode",
     r"(?:^|[^0-9A-Za-z])[A-Za-z]{1,2}[0-9][0-9A-Za-z]? ?[0-9][A-Za-z]{2}(?:$|[^0-9A-Za-z])"),
    ("holds an email address", r"[^\s@]+@[^\s@]+\.[^\s@]+"),
    ("holds a telephone number",
     r"(?:^|[^0-9])(?:\+44 ?|0)[0-9]{2,4}[ -]?[0-9]{3,4}[ -]?[0-9]{3,4}"),
]  # fmt: skip
_NAME_SHAPE = ("looks like a name", rf"^\s*{_NAME}(?: +{_NAME})+\s*$")
#: Longer than this, a value is free text, not a date, code or id: withheld whatever it is.
MAX_QUOTED = 60


def describe(values: pd.Series, why: str | None = None) -> np.ndarray:
    """A description standing in for each value: ``(withheld: 13 characters; why)``."""
    lengths = pc.utf8_length(as_arrow_text(values.astype("string"))).to_numpy(zero_copy_only=False)
    lengths = np.nan_to_num(lengths.astype(float)).astype(np.int64)
    plural = np.where(lengths == 1, "", "s")
    text = np.char.add(np.char.add("(withheld: ", lengths.astype(str)), " character")
    text = np.char.add(text, plural)
    if why is not None:
        text = np.char.add(text, f"; {why}")
    return np.char.add(text, ")").astype(object)


def withhold(values: pd.Series, *, names: bool = True) -> np.ndarray:
    """The values a finding may quote: each as it is, or described where it could identify a
    child (a UPN, ULN or NHS number, postcode, email address or telephone number anywhere in
    it; more than :data:`MAX_QUOTED` characters; and, with ``names``, a value shaped like a
    name). Blank stays None."""
    out = values.astype("object").to_numpy(copy=True)
    if not len(out):
        return out
    text = as_arrow_text(values.astype("string"))
    if isinstance(text, pa.ChunkedArray):  # a finding's few rows, picked out of a whole column,
        text = text.combine_chunks()  # keep its chunks; Arrow compiles each regex per chunk
    shapes = [*_SECRETS, _NAME_SHAPE] if names else _SECRETS
    why = np.full(len(out), None, dtype=object)
    long = pc.fill_null(pc.greater(pc.utf8_length(text), MAX_QUOTED), False)
    done = long.to_numpy(zero_copy_only=False)
    why[done] = "free text"
    for reason, pattern in shapes:
        fits = pc.fill_null(pc.match_substring_regex(text, pattern), False)
        fits = fits.to_numpy(zero_copy_only=False) & ~done
        why[fits] = reason
        done |= fits
    for reason in {w for w in why if w is not None}:
        mask = why == reason
        out[mask] = describe(values[mask], reason)
    return out
