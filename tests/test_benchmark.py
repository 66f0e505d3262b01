"""``ehcp benchmark``: published figures for a council, its casework beside them, bad input."""

from __future__ import annotations

import json
import statistics
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from published_files import council, england, made_up, region
from typer.testing import CliRunner

from ehcp_timeliness.benchmark import (
    MEASURE_IDS,
    Figure,
    Point,
    benchmark,
    casework_figures,
    casework_years,
    census_day,
    comparators_from_codes,
    comparators_from_file,
    sentence,
)
from ehcp_timeliness.cli.app import app
from ehcp_timeliness.clocks.engine import evaluate
from ehcp_timeliness.clocks.rules import load_rules
from ehcp_timeliness.errors import InputError
from ehcp_timeliness.load import load
from ehcp_timeliness.read.published import read_release

runner = CliRunner()


@pytest.fixture(scope="module")
def release(shared):
    return read_release(shared / "dfe-ehcp-2025")


@pytest.fixture(scope="module")
def warwickshire(release):
    comps = comparators_from_codes(release, "855, E10000034,staffordshire")
    return benchmark(release, release.find_la("937"), comparators=comps,
                     comparator_source="--compare")  # fmt: skip


def point(bench, measure: str, year: int) -> Point:
    return next(p for p in bench.measure(measure).points if p.year == year)


# --- the 2025 release ----------------------------------------------------------------------


def test_the_20_week_rate_as_domain_md_quotes_it(warwickshire):
    p = point(warwickshire, "plan-20w", 2024)
    assert p.council == Figure(value=0.213, numerator=238, denominator=1119)
    assert (p.england.value, p.england.numerator, p.england.denominator) == (0.464, 39407, 84866)
    assert p.region.value == 0.423  # West Midlands
    assert p.change == round(0.213 - 0.429, 4) and p.gap == round(0.213 - 0.464, 4)
    including = point(warwickshire, "plan-20w-including", 2024)
    assert (including.england.numerator, including.england.denominator) == (41448, 90392)
    assert including.england.value == 0.459
    series = [p.council.value for p in warwickshire.measure("plan-20w").points]
    assert series == [0.885, 0.90, 0.749, 0.562, 0.429, 0.213]
    england = [p.england.value for p in warwickshire.measure("plan-20w").points]
    assert england == [0.604, 0.58, 0.599, 0.492, 0.503, 0.464]


def test_other_measures_as_domain_md_quotes_them(warwickshire):
    assert point(warwickshire, "decision-6w", 2024).council.value == 0.734
    assert point(warwickshire, "decision-6w", 2024).england.value == 0.848
    assert point(warwickshire, "review-decision-4w", 2024).council.value == 0.22
    assert point(warwickshire, "review-decision-4w", 2024).england.value == 0.444
    assert point(warwickshire, "requests", 2023).council.value == 2007
    assert point(warwickshire, "requests", 2024).council.value == 1750
    assert point(warwickshire, "requests", 2024).change == 1750 - 2007
    assert point(warwickshire, "new-plans", 2024).council.value == 1207
    assert point(warwickshire, "new-plans", 2024).england.value == 97747
    caseload = point(warwickshire, "caseload", 2025)
    assert (caseload.period, caseload.council.value) == ("January 2025", 6868)
    assert caseload.england.value == 638745


def test_rank_and_quartile_among_all_councils(release, warwickshire):
    p = point(warwickshire, "plan-20w", 2024)
    t = release.table("timeliness_20_week").headline()
    values = t[(t["geographic_level"] == "Local authority") & (t["year"] == 2024)]
    rates = values["PC_plans_issued_20_weeks_ex"].dropna()
    assert p.ranked == len(rates)
    assert p.rank == 1 + int((rates > 21.3).sum())  # higher is better: 1 is the highest rate
    assert p.quartile == -(-4 * p.rank // p.ranked)
    over_a_year = point(warwickshire, "plan-over-52w", 2024)  # lower is better
    bands = values["pc_plans_issued_gt_1_year"].dropna()
    assert over_a_year.rank == 1 + int((bands < 4.8).sum())


def test_comparators_by_any_code_or_name(release, warwickshire):
    names = [c.name for c in warwickshire.comparators]
    assert names == ["Leicestershire", "Worcestershire", "Staffordshire"]
    p = point(warwickshire, "plan-20w", 2024)
    t = release.table("timeliness_20_week").headline()
    theirs = t[t["old_la_code"].isin(["855", "885", "860"]) & (t["year"] == 2024)]
    rates = list(theirs["PC_plans_issued_20_weeks_ex"] / 100)
    assert p.comparators is not None
    assert p.comparators.median == pytest.approx(statistics.median(rates))
    assert (p.comparators.lowest, p.comparators.highest) == (min(rates), max(rates))
    pooled = theirs["plans_issued_20_weeks_ex"].sum() / theirs["plans_issued_den_ex"].sum()
    assert p.comparators.pooled == round(pooled, 4)
    assert (p.comparators.reporting, p.comparators.members) == (3, 3)


def test_a_neighbours_file(release, tmp_path):
    path = tmp_path / "neighbours.csv"
    path.write_text("new_la_code\nE10000018\n\nE10000034,Worcestershire\n")
    assert [c.old_code for c in comparators_from_file(release, path)] == ["855", "885"]
    path.write_text("new_la_code\nE10000018\nE99999999\n")
    with pytest.raises(InputError, match=rf"{path}: line 3: no local authority 'E99999999'"):
        comparators_from_file(release, path)


def test_the_sentence_is_made_from_the_figures(warwickshire):
    assert warwickshire.measure("plan-20w").sentence == (
        "Plans within 20 weeks (excluding exceptions): 21.3% in 2024, 25.1 points below "
        "England (46.4%); the gap widened by 17.7 points; 126th of 151 councils (bottom "
        "quarter)."
    )
    assert warwickshire.measure("requests").sentence == (
        "Requests for assessment: 1,750 in 2024, down 257 (13%) on 2023; England up 12%."
    )


def test_sentence_words_follow_the_numbers():
    m = MEASURE_IDS["plan-20w"]
    la = read_la()

    def pt(year, mine, eng):
        return Point(year=year, period=str(year), council=Figure(value=mine),
                     england=Figure(value=eng), region=Figure(value=None), comparators=None,
                     rank=None, ranked=0, quartile=None, change=None, england_change=None,
                     gap=round(mine - eng, 4))  # fmt: skip

    narrowed = sentence(m, [pt(2023, 0.30, 0.50), pt(2024, 0.40, 0.45)], la)
    assert "5.0 points below England (45.0%); the gap narrowed by 15.0 points" in narrowed
    level = sentence(m, [pt(2023, 0.30, 0.50), pt(2024, 0.45, 0.45)], la)
    assert "level with England (45.0%), against 20.0 points below England in 2023" in level
    crossed = sentence(m, [pt(2023, 0.40, 0.50), pt(2024, 0.52, 0.50)], la)
    assert "2.0 points above England (50.0%), against 10.0 points below England in 2023" in crossed
    same = sentence(m, [pt(2023, 0.40, 0.50), pt(2024, 0.35, 0.45)], la)
    assert "the gap is the same as in 2023" in same
    alone = sentence(m, [pt(2024, 0.35, 0.45)], la)
    assert alone == ("Plans within 20 weeks (excluding exceptions): 35.0% in 2024, 10.0 points "
                     "below England (45.0%).")  # fmt: skip


def read_la():
    from ehcp_timeliness.read.published import LocalAuthority

    return LocalAuthority(old_code="937", new_code="E10000031", name="Warwickshire",
                          region_code="E12000005", region_name="West Midlands",
                          new_codes=["E10000031"])  # fmt: skip


def test_a_suppressed_figure_is_missing_with_its_note(warwickshire, release):
    band = point(warwickshire, "plan-20-52w", 2019)  # DfE published no bands before 2023
    assert band.council.value is None and band.council.note == "x: unavailable"
    assert band.rank is None and band.change is None
    dorset = benchmark(release, release.find_la("Dorset"))
    p = point(dorset, "plan-20w", 2024)
    assert p.council.value is None and p.council.note == "x: unavailable"
    assert dorset.measure("plan-20w").sentence == (
        "Plans within 20 weeks (excluding exceptions): no published figure for Dorset in 2024 "
        "(x: unavailable)."
    )
    assert any(o.measure == "exception-share" and o.message.startswith(
        "Every plan Dorset issued in 2024 (585 of 585) carried the exception flag")
        for o in dorset.outliers)  # fmt: skip


def test_a_year_an_la_did_not_return(release):
    leicester = benchmark(release, release.find_la("Leicester"))
    p = point(leicester, "plan-20w", 2023)  # no row for Leicester in 2023
    assert p.council.value is None
    assert p.council.note == "no row for Leicester in timeliness_20_week.csv"
    assert point(leicester, "plan-20w", 2024).change is None  # no 2023 to change from


def test_england_figures_become_the_default_targets(warwickshire):
    from ehcp_timeliness.benchmark import published_targets, with_published_targets
    from ehcp_timeliness.targets import Targets

    assert published_targets(warwickshire) == {
        "plan-20w": 0.464, "decision-6w": 0.848, "no-plan-16w": 0.341,
        "review-decision-4w": 0.444,
    }  # fmt: skip
    mine = Targets(targets={"plan-20w": 0.6})
    merged = with_published_targets(mine, warwickshire)
    assert merged.target("plan-20w") == 0.6  # the targets file wins
    assert merged.target("no-plan-16w") == 0.341  # England's, not the built-in 0.90
    assert merged.target("review-12m") == 0.90  # DfE publishes nothing: built-in fallback


# --- a small made-up release and extract whose differences are known ------------------------

REQUESTS = (
    "person_id,request_id,received_date,request_outcome,request_outcome_date,"
    "assessment_outcome,assessment_outcome_date,plan_issue_date,week20_exception\n"
    "P1,R1,2024-01-02,Y,2024-02-01,Y,2024-02-20,2024-03-01,0\n"  # 2024, 59 days: met
    "P2,R2,2024-01-02,Y,2024-02-01,Y,2024-06-01,2024-08-01,1\n"  # 2024, late, exception flag
    "P3,R3,2023-10-01,Y,2023-11-01,Y,2024-01-10,2024-02-01,0\n"  # asked in 2023, issued 2024
    "P4,R4,2024-02-01,H,,H,,2024-04-01,\n"  # transferred in: in neither 20-week count
    "P5,R5,2024-06-01,Y,2024-07-01,Y,2024-12-01,2025-01-15,0\n"  # 2025: provisional, late
    "P6,R6,31/02/2024,Y,,,,,\n"  # no such date: rejected
    "P7,R7,2025-01-10,,,,,,\n"  # open
    "P8,R8,2023-07-01,Y,2023-08-01,Y,2023-11-01,2023-12-01,0\n"  # issued in 2023
)
PLANS = (
    "person_id,plan_id,plan_issue_date,cease_date\n"
    "P1,E1,2024-03-01,\n"
    "P2,E2,2024-08-01,\n"
    "P3,E3,2024-02-01,\n"
    "P4,E4,2024-04-01,\n"
    "P8,E8,2024-05-05,\n"  # the plans table says 2024; the request says 2023
    "P9,E9,2024-06-01,\n"  # no request in the extract
    "P10,E10,2020-01-01,2024-12-31\n"  # in place at the 2024 census, ceased before 2025's
)
AS_AT = date(2025, 3, 31)


@pytest.fixture
def small(tmp_path):
    """A release of one file (2023 and 2024) and an extract: (folder, extract folder)."""
    published = tmp_path / "published"
    made_up(published, [
        england("2023", plans_issued_den="100", plans_issued_den_ex="90",
                plans_issued_20_weeks_ex="45", PC_plans_issued_20_weeks_ex="50.0"),
        england("2024", plans_issued_den="100", plans_issued_den_ex="80",
                plans_issued_20_weeks_ex="40", PC_plans_issued_20_weeks_ex="50.0"),
        region("2024", plans_issued_den="20", plans_issued_den_ex="20",
               plans_issued_20_weeks_ex="9", PC_plans_issued_20_weeks_ex="45.0"),
        council("2023", plans_issued_den="4", plans_issued_den_ex="4",
                plans_issued_20_weeks_ex="1", PC_plans_issued_20_weeks_ex="25.0"),
        council("2024", plans_issued_den="6", plans_issued_den_ex="5",
                plans_issued_20_weeks_ex="2", PC_plans_issued_20_weeks_ex="40.0"),
        council("2024", old="938", new="E10000032", name="West Sussex",
                plans_issued_den="10", plans_issued_den_ex="2",
                plans_issued_20_weeks_ex="1", PC_plans_issued_20_weeks_ex="50.0"),
    ])  # fmt: skip
    extract = tmp_path / "extract"
    extract.mkdir()
    (extract / "requests.csv").write_text(REQUESTS)
    (extract / "plans.csv").write_text(PLANS)
    return published, extract


def small_casework(published: Path, extract: Path, census=()):
    release = read_release(published)
    validated = load([extract], as_at=AS_AT)
    rules = load_rules()
    cases = evaluate(validated.tables, rules, as_at=AS_AT)
    years, _ = casework_years(release, AS_AT)
    cw = casework_figures(validated, cases, rules, as_at=AS_AT, years=years,
                          census_years=census)  # fmt: skip
    return release, cw


def test_casework_counts_on_a_hand_made_extract(small):
    release, cw = small_casework(*small, census=[2024, 2025])
    assert cw.earliest_request == date(2023, 7, 1) and cw.request_rows_rejected == 1
    by_year = {y.year: y for y in cw.years}
    assert sorted(by_year) == [2023, 2024, 2025]
    assert casework_years(release, date(2027, 5, 1)) == ([2023, 2024, 2025, 2026, 2027], [])
    y24 = by_year[2024]
    assert y24.complete and y24.caveat == ""
    assert y24.plans.model_dump() == {
        "counted": 3, "counted_excluding_exceptions": 2, "exceptions": 1, "transferred_in": 1,
        "plans_table": 6, "plans_table_other_year": 1, "plans_table_no_request": 1,
        "requests_not_in_plans_table": 0,
    }  # fmt: skip
    assert y24.figures["plan-20w"] == Figure(value=1.0, numerator=2, denominator=2)
    assert y24.figures["plan-20w-including"] == Figure(value=0.6667, numerator=2, denominator=3)
    assert y24.figures["exception-share"].numerator == 1
    assert y24.figures["requests"].value == 4  # R1, R2, R4, R5 (R6 was rejected)
    assert y24.figures["new-plans"].value == 3  # R1, R2, R3; not R4 (transferred in)
    assert "earliest request was received on 01/07/2023" in by_year[2023].caveat
    y25 = by_year[2025]
    assert not y25.complete and (y25.start, y25.end) == (date(2025, 1, 1), AS_AT)
    assert y25.figures["plan-20w"] == Figure(value=0.0, numerator=0, denominator=1)
    assert y25.figures["requests"].value == 1
    census = {c.year: (c.day, c.figure.value) for c in cw.census}
    assert census == {2024: (date(2024, 1, 18), 1), 2025: (date(2025, 1, 16), 6)}
    assert cw.caseload_at_as_at.value == 6


def test_reconciliation_line_names_the_cases(small):
    release, cw = small_casework(*small)
    bench = benchmark(release, release.find_la("937"), casework=cw)
    rec = {r.year: r for r in bench.reconciliation}
    assert sorted(rec) == [2023, 2024]
    r = rec[2024]
    assert (r.published, r.published_excluding_exceptions, r.casework, r.difference) == (
        6, 5, 3, -3)  # fmt: skip
    assert r.line == (
        "2024: DfE counts 6 plans issued (5 excluding exceptions); the casework counts 3 (2 "
        "excluding exceptions), 3 fewer; its plans table dates 6 plans to 2024. Cases: "
        "exception flag 1; transferred in 1; year of issue 1; no request 1; rows rejected 1."
    )
    assert "DfE's figures flag 1" in r.items[0].explanation
    p = point(bench, "plan-20w", 2024)
    assert p.council.value == 0.4 and p.casework == Figure(value=1.0, numerator=2,
                                                           denominator=2)  # fmt: skip
    provisional = bench.measure("plan-20w").provisional
    assert [(q.label, q.figure.value) for q in provisional] == [("1 Jan 2025 to 31 Mar 2025",
                                                                 0.0)]  # fmt: skip
    assert bench.measure("plan-20w").sentence.endswith(
        "; provisional, from casework: 0.0% (1 Jan 2025 to 31 Mar 2025)."
    )
    assert any("requests.csv is not in" in n for n in bench.notes)
    assert any(n.startswith("Casework 2023: the extract's earliest request") for n in bench.notes)


def test_an_exception_share_far_above_englands_is_an_outlier(small):
    published, _ = small
    release = read_release(published)
    sussex = benchmark(release, release.find_la("West Sussex"))
    messages = [o.message for o in sussex.outliers if o.measure == "exception-share"]
    # 8 of 10 plans flagged against England's 20 of 100
    assert messages == ["80.0% of plans issued in 2024 (8 of 10) carried the exception flag, "
                        "4.0 times England's 20.0%: exceptions leave these plans out of the "
                        "headline 20-week rate"]  # fmt: skip
    warks = benchmark(release, release.find_la("937"))
    assert not [o for o in warks.outliers if o.measure == "exception-share"]  # 16.7% vs 20%


@given(st.integers(min_value=1900, max_value=2200))
def test_census_day_is_the_third_thursday_of_january(year):
    day = census_day(year)
    assert day.month == 1 and day.weekday() == 3 and 15 <= day.day <= 21


# --- the command ---------------------------------------------------------------------------


def test_json_is_the_library_model(small):
    published, extract = small
    args = ["benchmark", str(extract), "--published", str(published), "--la", "E10000031",
            "--as-at", "2025-03-31", "--json", "-"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    release, cw = small_casework(published, extract, census=[])
    core = benchmark(release, release.find_la("937"), casework=cw)
    assert json.loads(result.stdout) == json.loads(core.model_dump_json())


def test_console_xlsx_and_csv(small, tmp_path):
    published, extract = small
    out = tmp_path / "out"
    args = ["benchmark", str(extract), "--published", str(published), "--la", "warwickshire",
            "--as-at", "2025-03-31", "--compare", "938", "--xlsx", str(out / "b.xlsx"),
            "--csv-dir", str(out / "csv")]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Warwickshire (937, E10000031) against England, West Midlands" in result.stdout
    assert "2024: DfE counts 6 plans issued" in result.stdout
    ws = load_workbook(out / "b.xlsx")["Benchmark"]
    assert ws.tables and ws._charts
    assert (out / "csv" / "Benchmark - Rates by year.csv").exists()


@pytest.mark.parametrize(
    ("files", "la", "message"),
    [
        ("columns", "937", "does not match DfE's layout for timeliness_20_week.csv"),
        ("good", "999", "--la: no local authority '999'"),
        ("empty-year", "937", "no data for 2024: every England figure"),
    ],
)
def test_bad_published_files_exit_3_with_a_message(tmp_path, files, la, message):
    folder = tmp_path / files
    if files == "columns":
        made_up(folder, [england("2024", plans_issued_den="5")], drop=("plans_issued_den_ex",))
    elif files == "good":
        made_up(folder, [england("2024", plans_issued_den="5"), council("2024")])
    else:
        made_up(folder, [england("2023", plans_issued_den="5"), england("2024"),
                         council("2024", plans_issued_den="3")])  # fmt: skip
    result = runner.invoke(app, ["benchmark", "--published", str(folder), "--la", la])
    assert result.exit_code == 3, result.output
    assert message in result.stderr and "Traceback" not in result.output
    if files != "good":
        assert str(folder / "timeliness_20_week.csv") in result.stderr


def test_usage_errors_exit_2(small, tmp_path):
    published, extract = small
    base = ["benchmark", "--published", str(published)]
    assert runner.invoke(app, base).exit_code == 2  # no --la
    assert runner.invoke(app, [*base, "--la", "937", str(extract)]).exit_code == 2  # no --as-at
    both = runner.invoke(app, [*base, "--la", "937", "--compare", "938", "--neighbours",
                               str(tmp_path / "n.csv")])  # fmt: skip
    assert both.exit_code == 2


# --- the board pack ------------------------------------------------------------------------


def test_report_adds_the_benchmark_sheet_and_englands_targets(shared, small, tmp_path):
    args = ["report", str(small[1]), "--as-at", "2025-03-31", "--period", "2024", "--xlsx",
            str(tmp_path / "board.xlsx"), "--published", str(shared / "dfe-ehcp-2025"),
            "--la", "937", "--compare", "855,885"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    wb = load_workbook(tmp_path / "board.xlsx")
    assert wb.sheetnames[-1] == "Benchmark"
    summary = {r[1]: r for r in wb["Summary"].iter_rows(min_row=5, values_only=True) if r[1]}
    assert summary["no-plan-16w"][5] == 0.341  # England 2024, not the built-in 90%
    assert summary["plan-20w"][5] == 0.464
    assert summary["review-12m"][5] == 0.90  # DfE publishes none: the built-in default
    ws = wb["Benchmark"]
    texts = [c.value for c in ws["A"] if isinstance(c.value, str)]
    assert any(t.startswith("The scorecard's targets for these rules are England's") for t in texts)
    brief = [r for r in ws.iter_rows(values_only=True) if r[0] and str(r[1]).startswith(
        "Plans within 20 weeks (excluding exceptions): 21.3% in 2024")]  # fmt: skip
    assert len(brief) == 1
    charts = ws._charts
    assert len(charts) == 3  # 20 weeks, 6 weeks, 16 weeks; reviews have one year only
    series = charts[0].series
    assert [s.tx.strRef.f for s in series][:3] == [
        f"'Benchmark'!{c}{_chart_header_row(ws)}" for c in "BCD"]  # fmt: skip


def _chart_header_row(ws) -> int:
    """The header row of the 20-week chart's table (under its title)."""
    for row in ws.iter_rows():
        if row[0].value == "EHC plans issued within 20 weeks, excluding exceptions" and (
            row[1].value is None
        ):
            return row[0].row + 1
    raise AssertionError("no chart table")


def test_report_without_published_keeps_the_built_in_targets(small, tmp_path):
    args = ["report", str(small[1]), "--as-at", "2025-03-31", "--period", "2024", "--xlsx",
            str(tmp_path / "board.xlsx")]  # fmt: skip
    assert runner.invoke(app, args).exit_code == 0
    wb = load_workbook(tmp_path / "board.xlsx")
    assert "Benchmark" not in wb.sheetnames
    summary = {r[1]: r for r in wb["Summary"].iter_rows(min_row=5, values_only=True) if r[1]}
    assert summary["no-plan-16w"][5] == 0.90
    lone = runner.invoke(app, [*args, "--la", "937"])
    assert lone.exit_code == 2 and "--published and --la go together" in lone.output
