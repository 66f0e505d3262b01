"""Finding codes: stable identifiers, documented in docs/findings.md (a test keeps them in step)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Severity = Literal["error", "warning", "query"]

#: code -> (severity, what it means). Errors set the row aside; warnings keep it. ``query``
#: is for the SEN2 pre-submission checks (validate/sen2_checks.py), which register their
#: codes here: a value DfE's collection would query rather than reject.
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
    "premature-final-plan": (
        "warning",
        "a final plan issued within the parent's 15 days to comment on the draft",
    ),
    "phase-transfer-due-date": (
        "warning",
        "a phase-transfer deadline that is not 15 February or 31 March, as reg 18(1) sets",
    ),
    "phase-transfer-date-disagrees": (
        "warning",
        "a phase-transfer deadline that disagrees with the transfer date given beside it",
    ),
    "review-history-gap": (
        "warning",
        "a review history with a gap: the review is reported as unknown, not late",
    ),
    "identifying-column-dropped": ("warning", "a column identifying a child was dropped"),
    "unknown-column-dropped": (
        "warning",
        "a column that is neither in the schema nor a known or declared dimension was dropped",
    ),
    "dimension-renamed": ("warning", "a dimension named like a column the tool writes, renamed"),
    "control-characters-removed": ("warning", "control characters (NUL, ESC...) were removed"),
    "duplicate-column": ("warning", "two columns in one file hold the same field"),
    "sheet-ignored": (
        "warning",
        "a workbook sheet that is none of requests, plans or tribunal orders",
    ),
    "unnamed-column": ("warning", "a column with no header holds values; they are not read"),
    "sen2-unknown-element": ("warning", "an element of no SEN2 layout; it is not read"),
    "sen2-repeated-element": (
        "warning",
        "a SEN2 element or record repeated where one is allowed; the first is used",
    ),
    "sen2-layout": (
        "warning",
        "the header's Year disagrees with the layout the elements show, "
        "or elements of two layouts are mixed",
    ),
    "sen2-orphan-record": (
        "error",
        "a COLLECT export row whose parent record is not in the return; it is not read",
    ),
    "sen2-missing-file": ("warning", "a COLLECT export file or workbook sheet is missing"),
    "pseudonym-key-random": (
        "warning",
        "no pseudonym key was given: person ids are random for "
        "this run and will not match another run's",
    ),
    "file-not-read": ("warning", "a spreadsheet in a folder in a format this tool does not read"),
    "file-repeated": ("warning", "a file named twice (or by two paths); it is read once"),
    "sheet-hidden": ("warning", "a hidden workbook sheet, which is not read"),
    "stray-cells": ("warning", "cells far to the right of a sheet's data, which are not read"),
    "encoding-fallback": ("warning", "a CSV line that is not UTF-8 like the rest of the file"),
}


def register(codes: dict[str, tuple[Severity, str]]) -> None:
    """Add finding codes declared elsewhere (the SEN2 checks); a code is declared once."""
    clash = sorted(set(codes) & set(CODES))
    if clash:
        raise ValueError(f"finding codes declared twice: {', '.join(clash)}")
    CODES.update(codes)


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
