"""Reading and validating extracts: the first two stages of the pipeline.

Inputs are CSV and XLSX extracts in the canonical shape (any headers the mapping names), and
DfE SEN2 returns: XML, COLLECT's Blade CSV export (a folder of ``Blade-Export_*`` files) and
the pre-submission workbook. A return is read into the canonical ``requests`` and ``plans``
tables (:mod:`ehcp_timeliness.read.sen2_data`), so it is validated and evaluated as any
extract is; it is also put through the SEN2 pre-submission checks
(:mod:`ehcp_timeliness.validate.sen2_checks`) and summarised with what it will publish.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from ehcp_timeliness.errors import InputError
from ehcp_timeliness.read.blade import read_blade, split_blade
from ehcp_timeliness.read.csv import read_csv
from ehcp_timeliness.read.mapping import Mapping, load_mapping
from ehcp_timeliness.read.paths import expand_noting, is_xml
from ehcp_timeliness.read.pseudonym import PseudonymKey, given_key, resolve_key
from ehcp_timeliness.read.sen2 import read_sen2
from ehcp_timeliness.read.sen2_data import (
    Notes,
    Sen2Data,
    layout_notes,
    remove_controls,
    to_tables,
)
from ehcp_timeliness.read.sen2_workbook import is_sen2_workbook, read_sen2_workbook
from ehcp_timeliness.read.tables import RawTable
from ehcp_timeliness.read.xlsx import read_xlsx
from ehcp_timeliness.sen2_report import summarise
from ehcp_timeliness.validate.checks import Validated, merge_findings, validate
from ehcp_timeliness.validate.sen2_checks import run_checks


class NoAsAtDate(InputError):
    """No as-at date was given and no input says when it was taken."""


@dataclass
class Inputs:
    """Everything read: the raw tables (SEN2 returns' among them), the returns themselves,
    the as-at date (and where it came from), and the findings reading made beside the
    tables' own (a return's unknown elements, its pre-submission checks...)."""

    raw: list[RawTable]
    as_at: date
    as_at_source: str
    returns: list[Sen2Data] = field(default_factory=list)
    findings: list[pd.DataFrame] = field(default_factory=list)


def read_all(
    paths: list[Path],
    mapping: Mapping,
    *,
    as_at: date | None,
    default_as_at: date | None = None,
    pseudonym_key: PseudonymKey | None = None,
    pseudonym_key_file: Path | None = None,
) -> Inputs:
    """Every table in ``paths`` (files, and the extracts and returns inside folders).

    The as-at date is ``as_at`` when given; else the ``ReferenceDate`` of the SEN2 returns
    read (the latest, if they differ); else ``default_as_at``; else :class:`NoAsAtDate`.
    Person ids of a SEN2 return are keyed hashes (``pseudonym_key``, else
    :func:`~ehcp_timeliness.read.pseudonym.resolve_key` of ``pseudonym_key_file``, made only
    when a return is read). A key the user gave (not a random one) hashes the person ids of
    CSV and XLSX extracts too, as they are read, so a column of UPNs can be read safely and
    the ids stay the same from month to month.

    Raises :class:`~ehcp_timeliness.errors.InputError` for input that cannot be read at all.
    """
    raw: list[RawTable] = []
    returns: list[Sen2Data] = []
    key = pseudonym_key if pseudonym_key is not None else given_key(pseudonym_key_file)
    ids_key = key if key is not None and not key.is_random else None

    def keyed() -> PseudonymKey:
        nonlocal key
        if key is None:
            key = resolve_key(pseudonym_key_file)
        return key

    files, file_notes = expand_noting(paths)
    exports, files = split_blade(files)
    for export in exports:
        returns.append(read_blade(export, keyed()))
    for path in files:
        if path.suffix.lower() == ".csv":
            raw.append(read_csv(path, mapping, ids_key))
        elif is_xml(path):
            returns.append(read_sen2(path, keyed()))
        elif is_sen2_workbook(path):
            returns.append(read_sen2_workbook(path, keyed()))
        else:
            raw.extend(read_xlsx(path, mapping, ids_key))

    for data in returns:
        remove_controls(data)
    when, source = _as_at(as_at, returns, raw, default_as_at)
    found: list[pd.DataFrame] = []
    for data in returns:
        census = data.reference_date or when
        raw.extend(to_tables(data, census))
        found += [data.findings, layout_notes(data), run_checks(data, census)]
    if returns and key is not None and key.is_random:
        notes = Notes(returns[0].file)
        notes.add(
            "return", None, None, "pseudonym-key-random",
            "no pseudonym key was given (--pseudonym-key-file or EHCP_PSEUDONYM_KEY): person "
            "ids are random for this run and will not match another run's",
        )  # fmt: skip
        found.append(notes.frame())
    if raw:
        raw[0].notes.extend(file_notes)  # findings about whole files ride on the first table
    return Inputs(raw, when, source, returns, found)


def finish(validated: Validated, inputs: Inputs) -> Validated:
    """The validated tables with what reading found beside them: the reader's and the SEN2
    checks' findings (in file and row order with the rest), where the as-at date came from,
    and each return's summary with what it will publish."""
    validated.as_at_source = inputs.as_at_source
    if any(not f.empty for f in inputs.findings):
        validated.findings = merge_findings([validated.findings, *inputs.findings])
    validated.returns = [summarise(d, d.reference_date or inputs.as_at) for d in inputs.returns]
    return validated


def load(
    paths: list[Path],
    *,
    as_at: date | None,
    mapping_file: Path | None = None,
    pseudonym_key: PseudonymKey | None = None,
    pseudonym_key_file: Path | None = None,
    default_as_at: date | None = None,
) -> Validated:
    """Read every file in ``paths`` (directories expanded) and validate them together.

    ``as_at`` as for :func:`read_all`; ``Validated.as_at_source`` says where it came from.

    Raises :class:`~ehcp_timeliness.errors.InputError` for input that cannot be read at all.
    """
    mapping = load_mapping(mapping_file)
    inputs = read_all(
        paths, mapping, as_at=as_at, default_as_at=default_as_at, pseudonym_key=pseudonym_key,
        pseudonym_key_file=pseudonym_key_file,
    )  # fmt: skip
    validated = validate(inputs.raw, as_at=inputs.as_at, mapping=mapping)
    return finish(validated, inputs)


def _as_at(given: date | None, returns: list[Sen2Data], raw: list[RawTable],
           default: date | None) -> tuple[date, str]:  # fmt: skip
    if given is not None:
        return given, "--as-at"
    dated = {t.reference_date: t.file for t in raw if t.reference_date is not None}
    dated.update({d.reference_date: d.file for d in returns if d.reference_date is not None})
    if dated:
        latest = max(dated)
        also = " (the latest of the returns')" if len(dated) > 1 else ""
        return latest, f"ReferenceDate of {dated[latest]}{also}"
    if default is not None:
        return default, "today"
    raise NoAsAtDate(
        "no --as-at date was given and no input carries a reference date (a SEN2 XML return "
        "or COLLECT export has one in its header); give --as-at DATE (2025-03-31 or 31/03/2025)"
    )
