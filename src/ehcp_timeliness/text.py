"""Control characters in text from an extract, a file name or an option, found and removed.

A NUL, ``\\x01`` or ``\\x0b`` cannot be stored in an XLSX file at all (XML 1.0 forbids them),
and an ESC sequence printed to a terminal moves the cursor, recolours the screen or rewrites
what was printed before. Neither carries meaning in a casework extract, so both are removed as
values are read (with a finding) and again, as a last net, wherever text is written or shown.

Removed: ESC sequences whole (CSI such as ``\\x1b[31m``, OSC such as ``\\x1b]8;;...\\x07``,
and two-character ones), then every other C0 control except tab, line feed and carriage
return, DEL, and the C1 controls U+0080 to U+009F (``\\x9b`` is a CSI on some terminals).
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: One pattern for Python's ``re`` and Arrow's RE2 alike: ESC sequences first, whole.
CONTROL_PATTERN = (
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor movement
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: window titles, hyperlinks
    r"|\x1b[ -~]?"  # any other ESC, with the character it introduces
    r"|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x{80}-\x{9f}]"
)
_CONTROL_RE = re.compile(CONTROL_PATTERN.replace(r"\x{80}-\x{9f}", r"\x80-\x9f"))
_LEGAL_LOW = np.array([0x09, 0x0A, 0x0D], dtype=np.uint8)  # tab, line feed, carriage return


def strip_controls(text: str) -> str:
    """``text`` without control characters or ESC sequences."""
    return _CONTROL_RE.sub("", text)


def text_buffers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The byte offsets (one more than values, into the data) and the data bytes of a
    ``string`` or ``large_string`` array, as numpy views: no copy."""
    width = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    offsets = np.frombuffer(arr.buffers()[1], dtype=width)[arr.offset : arr.offset + len(arr) + 1]
    data = arr.buffers()[2]
    return offsets, np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(
        0, np.uint8
    )


def _may_hold_controls(arr: pa.Array) -> bool:
    """A cheap look at the bytes of a text array: False means certainly no control character.

    A few whole-buffer comparisons cost about a millisecond per million short values, where
    the regular expression costs a hundred; the expression runs only on arrays this flags.
    C1 controls are U+0080 to U+009F, two bytes in UTF-8: 0xC2 then 0x80 to 0x9F.
    """
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        return True
    _, data = text_buffers(arr)
    low = data < 0x20
    if low.any() and not np.isin(data[low], _LEGAL_LOW).all():
        return True
    if (data == 0x7F).any():
        return True
    lead = np.flatnonzero(data[:-1] == 0xC2)
    return bool(lead.size and ((data[lead + 1] >= 0x80) & (data[lead + 1] <= 0x9F)).any())


def strip_controls_arrow(
    arr: pa.Array | pa.ChunkedArray,
) -> tuple[pa.Array | pa.ChunkedArray, np.ndarray | None]:
    """A text column without control characters, and where it had them (None if nowhere).

    Vectorised: a byte scan of each chunk, then Arrow's regular expressions only on chunks
    that may hold one.
    """
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    if not any(_may_hold_controls(c) for c in chunks):
        return arr, None
    found = pc.fill_null(pc.match_substring_regex(arr, CONTROL_PATTERN), False)
    if not pc.any(found).as_py():
        return arr, None
    cleaned = pc.replace_substring_regex(arr, pattern=CONTROL_PATTERN, replacement="")
    return cleaned, found.to_numpy(zero_copy_only=False)
