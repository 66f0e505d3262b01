"""The streamed case-list CSV says exactly what the engine's own case frame says."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ehcp_timeliness.clocks.engine import CASE_COLUMNS, all_dimensions, case_details, evaluate_rules
from ehcp_timeliness.clocks.rules import load_rules
from ehcp_timeliness.load import load
from ehcp_timeliness.write import cases as cases_module
from ehcp_timeliness.write.cases import case_writer, write_cases

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
AS_AT = date(2025, 3, 31)
RULES = load_rules()


def _defused(text: str) -> str:
    """OWASP's rule for CSV cells, written out independently of write/csvsafe.py."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def expected_rows(cases: pd.DataFrame, tables, raw: bool = False) -> list[list[str]]:
    """The case frame as text, written independently of the fast writer."""
    detail = case_details(cases, tables, RULES)
    out = pd.DataFrame(index=detail.index)
    for column in detail.columns:
        values = detail[column]
        if column.endswith("_date"):
            out[column] = values.dt.strftime("%Y-%m-%d").fillna("")
        elif column == "exception":
            out[column] = values.map({True: "1", False: "0"}).astype(object).fillna("")
        elif column == "days_over":  # a number: never defused, even if it were negative
            out[column] = values.astype(str)
        else:
            text = values.astype(object).where(values.notna(), "").astype(str)
            out[column] = text if raw else text.map(_defused)
    return out.to_numpy().tolist()


def read_back(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


@pytest.fixture(scope="module")
def sample():
    validated = load([SAMPLE], as_at=AS_AT)
    tables = validated.tables
    # Awkward dimension text: commas, quotes, a leading formula sign, blanks.
    plans = tables["plans"].copy()
    team = plans["team"].astype("string").to_numpy(dtype=object)
    team[::7] = 'North, "Hub" 2'
    team[1::7] = None
    team[2::7] = "=SUM(A1)"
    plans["team"] = pd.array(team, dtype="string[pyarrow]")
    return {"requests": tables["requests"], "plans": plans}


def test_streamed_case_list_matches_the_case_frame(sample, tmp_path, monkeypatch):
    monkeypatch.setattr(cases_module, "CHUNK", 997)  # many pieces, cut mid-rule
    out = tmp_path / "cases.csv"
    parts = []
    with case_writer(out, sample, RULES) as add:
        for part in evaluate_rules(sample, RULES, as_at=AS_AT):
            parts.append(part)
            add(part)
    every = pd.concat(parts, ignore_index=True)
    header, rows = read_back(out)
    assert header == CASE_COLUMNS + all_dimensions(sample)
    assert len(rows) == len(every) > 20_000
    assert rows == expected_rows(every, sample)


def test_mixed_and_reordered_cases_keep_their_order(sample, tmp_path, monkeypatch):
    monkeypatch.setattr(cases_module, "CHUNK", 1_000)
    every = pd.concat(evaluate_rules(sample, RULES, as_at=AS_AT), ignore_index=True)
    shuffled = every.iloc[np.random.default_rng(7).permutation(len(every))[:5_000]]
    out = tmp_path / "mixed.csv"
    write_cases(shuffled, sample, RULES, out)
    assert read_back(out)[1] == expected_rows(shuffled, sample)


def test_formula_text_is_defused_unless_raw_and_headers_too(sample, tmp_path):
    every = pd.concat(evaluate_rules(sample, RULES, as_at=AS_AT), ignore_index=True)
    some = every[every["rule"] == "review-12m"].head(50)
    tables = {**sample, "plans": sample["plans"].rename(columns={"age_group": "@age"})}
    write_cases(some, tables, RULES, tmp_path / "safe.csv")
    write_cases(some, tables, RULES, tmp_path / "raw.csv", raw=True)
    safe_header, safe = read_back(tmp_path / "safe.csv")
    raw_header, raw = read_back(tmp_path / "raw.csv")
    assert safe_header[-1] == "'@age" and raw_header[-1] == "@age"
    assert safe == expected_rows(some, tables) and raw == expected_rows(some, tables, raw=True)
    team = safe_header.index("team")
    formulas = sum(r[team] == "=SUM(A1)" for r in raw)
    assert formulas > 0
    assert [r[team] for r in safe if "SUM" in r[team]] == ["'=SUM(A1)"] * formulas


def test_a_far_off_date_is_written_as_it_is_and_dates_stay_unquoted_when_text_needs_quotes(
    sample, tmp_path
):
    """A due date in 9999 (a system's "no date") is formatted from the dates present, not
    from a table of every day between; and where a dimension's text needs quotes (the
    sample's teams hold commas and quotes), dates and days over are still written bare."""
    every = pd.concat(evaluate_rules(sample, RULES, as_at=AS_AT), ignore_index=True)
    some = every[every["rule"] == "review-12m"].head(2_000).copy()
    some.iloc[0, some.columns.get_loc("due_date")] = pd.Timestamp("9999-12-31")
    lookups: list[int] = []
    real = cases_module._lookup

    def spy(values, missing, text):
        out = real(values, missing, text)
        lookups.append(len(out.dictionary) if hasattr(out, "dictionary") else 0)
        return out

    cases_module._lookup = spy
    try:
        write_cases(some, sample, RULES, tmp_path / "far.csv")
    finally:
        cases_module._lookup = real
    assert max(lookups) <= len(some)  # not 2.9 million days from 2017 to 9999
    assert read_back(tmp_path / "far.csv")[1] == expected_rows(some, sample)
    text = (tmp_path / "far.csv").read_text(encoding="utf-8-sig")
    assert '"North, ""Hub"" 2"' in text  # this piece was quoted where needed
    assert ",9999-12-31," in text and '"9999-12-31"' not in text
    assert not any(f'"{d:%Y-%m-%d}"' in text for d in some["start_date"].head(50))
