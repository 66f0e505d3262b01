"""Reading the TOML files users give (mapping, rules, targets): one way to fail, one message.

Every failure is a :class:`RulesError` (exit code 3) naming the file: not found, too large,
not UTF-8 text, not valid TOML, or nested deeper than any of these files needs.
"""

from __future__ import annotations

import codecs
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ehcp_timeliness.errors import RulesError
from ehcp_timeliness.limits import MAX_TOML_BYTES, MAX_TOML_DEPTH

_WIDE_BOMS = {
    codecs.BOM_UTF32_LE: "UTF-32",
    codecs.BOM_UTF32_BE: "UTF-32",
    codecs.BOM_UTF16_LE: "UTF-16",
    codecs.BOM_UTF16_BE: "UTF-16",
}


def parse_toml(text: str, source: Path | str) -> dict[str, Any]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{source}: not valid TOML ({exc})") from None
    except RecursionError:
        raise RulesError(
            f"{source}: not valid TOML here (arrays or tables nested thousands deep)"
        ) from None
    depth = _depth(data)
    if depth > MAX_TOML_DEPTH:
        raise RulesError(
            f"{source}: tables or arrays nested {depth} deep; these files need at most "
            f"{MAX_TOML_DEPTH}"
        )
    return data


def _depth(data: object) -> int:
    """How deeply tables and arrays nest (a scalar is 0), without recursion; stops counting
    just past the limit."""
    deepest, stack = 0, [(data, 0)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, dict | list):
            level += 1
            deepest = max(deepest, level)
            if level <= MAX_TOML_DEPTH:
                stack.extend((v, level) for v in (value.values() if isinstance(value, dict)
                                                  else value))  # fmt: skip
    return deepest


def read_text(path: Path, what: str) -> str:
    """A TOML file's text, checked to be a sensible size and UTF-8 (a BOM is allowed)."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise RulesError(f"{path}: {what} file not found") from None
    if path.is_dir():
        raise RulesError(f"{path}: a folder, not a {what} file")
    if size > MAX_TOML_BYTES:
        raise RulesError(
            f"{path}: {size:,} bytes; a {what} file is at most {MAX_TOML_BYTES:,} bytes"
        )
    data = path.read_bytes()[: MAX_TOML_BYTES + 1]
    for bom, name in _WIDE_BOMS.items():
        if data.startswith(bom):
            raise RulesError(f"{path}: {name} text; TOML files must be UTF-8 (save it as UTF-8)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise RulesError(
            f"{path}: not UTF-8 text (line {line}, byte {exc.start + 1:,}); TOML files must "
            "be UTF-8 (save it as UTF-8)"
        ) from None


def read_toml(path: Path, what: str) -> dict[str, Any]:
    """A TOML file's contents; :class:`RulesError` (exit code 3) naming the file otherwise."""
    return parse_toml(read_text(path, what), path)


def describe(exc: ValidationError) -> str:
    """A pydantic error as one line: where, then what, for each problem."""
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        msg = msg.removeprefix("Value error, ")
        parts.append(f"{where}: {msg}" if where else msg)
    return "; ".join(parts)
