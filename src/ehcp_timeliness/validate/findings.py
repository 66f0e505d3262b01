"""Finding codes: stable identifiers, documented in docs/findings.md (a test keeps them in step)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Severity = Literal["error", "warning"]

#: code -> (severity, what it means). Errors set the row aside; warnings keep it.
CODES: dict[str, tuple[Severity, str]] = {
    "missing-column": ("error", "a required column is not in the file; its rows cannot be used"),
    "missing-value": ("error", "a required value is blank"),
    "invalid-date": ("error", "a date that cannot be read"),
    "implausible-date": ("error", "a date before 1990, almost always a typing or serial slip"),
    "future-date": ("error", "an event dated after the as-at date"),
    "unknown-code": ("error", "a value that is not one of the column's codes"),
    "date-order": ("error", "a date before the event it follows"),
    "outcome-contradiction": ("error", "an outcome that contradicts the dates"),
    "duplicate-record": ("error", "the same record as an earlier row; the first one is used"),
    "malformed-row": ("error", "a CSV row with more cells than the header"),
    "unclosed-quote": ("error", "a CSV line where a quote opens and does not close cleanly"),
    "cell-too-long": ("error", "a cell longer than Excel's 32,767 characters"),
    "person-id-not-pseudonym": (
        "error",
        "a person_id that looks like a UPN, ULN, NHS number, name or date, not a pseudonym",
    ),
    "outcome-date-pending": ("warning", "an outcome date on an outcome still pending"),
    "identifying-column-dropped": ("warning", "a column identifying a child was dropped"),
    "unknown-column-dropped": (
        "warning",
        "a column that is neither in the schema nor a known or declared dimension was dropped",
    ),
    "dimension-renamed": ("warning", "a dimension named like a column the tool writes, renamed"),
    "control-characters-removed": ("warning", "control characters (NUL, ESC...) were removed"),
    "duplicate-column": ("warning", "two columns in one file hold the same field"),
    "sheet-ignored": ("warning", "a workbook sheet that is neither requests nor plans"),
    "file-not-read": ("warning", "a spreadsheet in a folder in a format this tool does not read"),
    "file-repeated": ("warning", "a file named twice (or by two paths); it is read once"),
    "sheet-hidden": ("warning", "a hidden workbook sheet, which is not read"),
    "stray-cells": ("warning", "cells far to the right of a sheet's data, which are not read"),
    "unnamed-column": ("warning", "a column with no header holds values; they are not read"),
    "encoding-fallback": ("warning", "a CSV line that is not UTF-8 like the rest of the file"),
}

FINDING_COLUMNS = ["file", "table", "row", "column", "value", "code", "severity", "message"]


class Finding(BaseModel):
    """One thing wrong with the input, located as the user sees it."""

    model_config = ConfigDict(frozen=True)

    file: str
    table: str
    row: int | None
    column: str | None
    value: str | None
    code: str
    severity: Severity
    message: str
