"""Reading the TOML files users give (mapping, rules, targets): one way to fail, one message."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ehcp_timeliness.errors import RulesError


def parse_toml(text: str, source: Path | str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{source}: not valid TOML ({exc})") from None


def read_toml(path: Path, what: str) -> dict[str, Any]:
    """A TOML file's contents; :class:`RulesError` (exit code 3) naming the file otherwise."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise RulesError(f"{path}: {what} file not found") from None
    except UnicodeDecodeError:
        raise RulesError(f"{path}: not valid TOML (not UTF-8 text)") from None
    return parse_toml(text, path)


def describe(exc: ValidationError) -> str:
    """A pydantic error as one line: where, then what, for each problem."""
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        msg = msg.removeprefix("Value error, ")
        parts.append(f"{where}: {msg}" if where else msg)
    return "; ".join(parts)
