"""Limits on the size and shape of what the tool reads and is asked, in one place.

Each protects a run from input that would otherwise crash it or exhaust memory, and each is
documented in docs/cli.md ("Limits"; a test keeps the two in step). Past a limit the run
stops with one line naming the file and what is wrong (exit 3), or, for an option, a usage
error (exit 2), except where a finding can say it and the rest of the input is still good.
"""

from __future__ import annotations

import os
from datetime import date

#: TOML files (mapping, rules, targets): bytes per file, nesting depth, rule files in a
#: ``--rules`` folder, and rules in force (built-in ones included).
MAX_TOML_BYTES = 1_048_576
MAX_TOML_DEPTH = 32
MAX_RULE_FILES = 200
MAX_RULES = 200
#: A rule's limit: at most ten years, whichever unit it is in.
MAX_LIMIT_WEEKS = 522
MAX_LIMIT_DAYS = 3_653
MAX_LIMIT_MONTHS = 120

#: Extract files. A header cell longer than this is not a header (exit 3); a data cell longer
#: than Excel's own limit is a ``cell-too-long`` finding; a header wider than this is refused.
MAX_HEADER_CHARS = 1_000
MAX_CELL_CHARS = 32_767
MAX_COLUMNS = 1_000

#: XLSX sheets: cells in the range read (rows x columns up to the last cell), and bytes of
#: sheet XML (or shared strings) once unzipped. Both can be raised for one run with the
#: environment variables named here.
MAX_XLSX_CELLS_ENV = "EHCP_MAX_XLSX_CELLS"
MAX_XLSX_CELLS = 20_000_000
MAX_XLSX_XML_BYTES_ENV = "EHCP_MAX_XLSX_XML_BYTES"
MAX_XLSX_XML_BYTES = 2_147_483_648

#: Command-line options: the as-at date and any period lie in these years; ``--due-within``
#: is at most two years of weeks; a ``--by`` dimension has at most this many distinct values.
EARLIEST_YEAR = 1990
LATEST_YEAR = 2099
MAX_DUE_WITHIN_WEEKS = 104
MAX_DIMENSION_VALUES = 500


def from_env(name: str, default: int) -> int:
    """An integer limit, raised (or lowered) by an environment variable when it is set."""
    text = os.environ.get(name, "").replace("_", "").replace(",", "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else default


def date_in_range(day: date) -> bool:
    return EARLIEST_YEAR <= day.year <= LATEST_YEAR
