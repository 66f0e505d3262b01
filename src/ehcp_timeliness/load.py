"""Reading and validating extracts: the first two stages of the pipeline."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from ehcp_timeliness.read.csv import read_csv
from ehcp_timeliness.read.mapping import Mapping, load_mapping
from ehcp_timeliness.read.paths import expand_noting
from ehcp_timeliness.read.tables import RawTable
from ehcp_timeliness.read.xlsx import read_xlsx
from ehcp_timeliness.validate.checks import Validated, validate


def read_inputs(paths: list[Path], mapping: Mapping) -> list[RawTable]:
    """Every table in ``paths`` (files, and the extracts inside folders), as raw text.

    Raises :class:`~ehcp_timeliness.errors.InputError` for input that cannot be read at all.
    """
    raw: list[RawTable] = []
    files, notes = expand_noting(paths)
    for path in files:
        if path.suffix.lower() == ".csv":
            raw.append(read_csv(path, mapping))
        else:
            raw.extend(read_xlsx(path, mapping))
    if raw:
        raw[0].notes.extend(notes)  # findings about whole files ride on the first table
    return raw


def load(paths: list[Path], *, as_at: date, mapping_file: Path | None = None) -> Validated:
    """Read every file in ``paths`` (directories expanded) and validate them together.

    Raises :class:`~ehcp_timeliness.errors.InputError` for input that cannot be read at all.
    """
    mapping = load_mapping(mapping_file)
    return validate(read_inputs(paths, mapping), as_at=as_at, mapping=mapping)
