"""Load and validate extracts in one call: the entry point commands build on."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from ehcp_timeliness.read.csv import read_csv
from ehcp_timeliness.read.mapping import load_mapping
from ehcp_timeliness.read.paths import expand
from ehcp_timeliness.read.xlsx import read_xlsx
from ehcp_timeliness.validate.checks import Validated, validate


def load(
    paths: list[Path],
    *,
    as_at: date,
    mapping_file: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> Validated:
    """Read every file in ``paths`` (directories expanded) and validate them together.

    Raises :class:`~ehcp_timeliness.errors.InputError` for input that cannot be read at all.
    """
    say = progress or (lambda _msg: None)
    mapping = load_mapping(mapping_file)
    raw = []
    for path in expand(paths):
        say(f"reading {path}")
        if path.suffix.lower() == ".csv":
            raw.append(read_csv(path, mapping))
        else:
            raw.extend(read_xlsx(path, mapping))
    say("validating")
    return validate(raw, as_at=as_at, mapping=mapping)
