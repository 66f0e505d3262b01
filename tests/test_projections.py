"""ehcp project: the cliff reconciles with the report, the stock-flow keeps its sanity
properties, the back-test reads nothing after its origin, and runs are deterministic."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from typer.testing import CliRunner

from ehcp_timeliness.analysis import Analysis, Options, analyse
from ehcp_timeliness.cli.app import app
from ehcp_timeliness.clocks.rules import load_rules
from ehcp_timeliness.project import ProjectionOptions, series
from ehcp_timeliness.project.backtest import project_at
from ehcp_timeliness.project.cliff import passing_week
from ehcp_timeliness.project.flow import BINS, ORDERS, Hazards, _as_recorded, simulate, state_at
from ehcp_timeliness.project.history import (
    DEADLINE_COLUMNS,
    as_recorded,
    day_of,
    month_ends_after,
    month_shares,
    request_flows,
    week_end,
)
from ehcp_timeliness.project.metrics import errors
from ehcp_timeliness.project.options import parse_change, parse_share, scenario
from ehcp_timeliness.validate.schema import Kind, columns

runner = CliRunner()
SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
AS_AT = date(2025, 3, 31)
RULES = load_rules()
FAST = ProjectionOptions(draws=60)


@pytest.fixture(scope="module")
def analysis() -> Analysis:
    return analyse([SAMPLE], RULES, Options(as_at=AS_AT, projection=FAST))


def test_projections_are_a_stage_of_the_pipeline(analysis):
    assert [s.name for s in analysis.stages][-1] == "project"
    p = analysis.projections
    assert p is not None and p.flow is not None and p.reviews is not None
    assert p.caseload is not None and not p.notes
    assert len(p.answers) >= 4 and len(p.assumptions) >= 5
    plain = analyse([SAMPLE], RULES, Options(as_at=AS_AT))
    assert plain.projections is None  # nothing is projected unless asked
    assert plain.report == analysis.report


# The deadline cliff -------------------------------------------------------------------------


def test_cliff_reconciles_exactly_with_the_report(analysis):
    p = analysis.projections
    report = {r.rule: r for r in analysis.report.rules}
    for rule in p.cliff.rules:
        assert sum(rule.weekly) + rule.beyond_horizon == rule.open == report[rule.rule].open
        assert rule.overdue_now == report[rule.rule].overdue
    assert len(p.cliff.week_ends) == 52 and p.cliff.week_ends[0] == AS_AT + timedelta(days=7)


def test_cliff_equals_a_direct_count_of_the_case_list(analysis):
    cases = analysis.cases
    for rule in analysis.projections.cliff.rules:
        mine = cases[(cases["rule"] == rule.rule) & (cases["status"] == "open")]
        due = mine["due_date"].dt.date
        for k in range(1, len(rule.weekly) + 1):  # passed in week k: due in days 7(k-1)..7k-1
            start, end = AS_AT + timedelta(days=7 * (k - 1)), AS_AT + timedelta(days=7 * k - 1)
            direct = int(((due >= start) & (due <= end)).sum())
            assert rule.weekly[k - 1] == direct, (rule.rule, k)
        later = AS_AT + timedelta(days=7 * len(rule.weekly) - 1)
        assert rule.beyond_horizon == int((due > later).sum()), rule.rule
        assert rule.open == len(mine) and rule.overdue_now == int(
            (cases["rule"] == rule.rule).mul(cases["status"] == "overdue").sum())  # fmt: skip


def test_cliff_week_boundaries():
    due = np.array(["2025-03-31", "2025-04-06", "2025-04-07", "2025-04-13", "2025-04-14"],
                   dtype="datetime64[D]")  # fmt: skip
    # Due on the as-at date: overdue from 1 April, in week 1 (1-7 April); due 7 April:
    # overdue from 8 April, week 2.
    assert passing_week(due, AS_AT).tolist() == [1, 1, 2, 2, 3]


@given(st.lists(st.integers(0, 400), max_size=60), st.integers(1, 60))
def test_cliff_weeks_count_like_a_loop(offsets, horizon):
    due = (np.datetime64(AS_AT) + np.array(offsets, dtype="timedelta64[D]")).astype(
        "datetime64[D]")  # fmt: skip
    weeks = passing_week(due, AS_AT)
    for k in range(1, horizon + 1):
        direct = sum(1 for d in offsets if 7 * (k - 1) <= d <= 7 * k - 1)
        assert int((weeks == k).sum()) == direct


# The stock-flow -----------------------------------------------------------------------------


def test_backlog_starts_from_the_reports_open_and_overdue(analysis):
    flows = request_flows(analysis.tables["requests"])
    state = state_at(flows, day_of(AS_AT))
    plan = next(r for r in analysis.report.rules if r.rule == "plan-20w")
    assert state.sum() == plan.open + plan.overdue
    assert state[21:].sum() == plan.overdue  # age 20 weeks or more (bins hold age + 1)
    now = [w for w in analysis.projections.flow.weeks if w.actual][-1]
    assert (now.open.value, now.overdue.value) == (plan.open + plan.overdue, plan.overdue)


def _hazards(leave: np.ndarray, plan: np.ndarray, youngest: int = 0) -> Hazards:
    return Hazards(leave=leave, plan=plan, at_risk=np.ones(BINS), bands=np.arange(BINS),
                   on_time_at_limit=0.5, youngest_plan_age=youngest, window_weeks=52,
                   exception_on_time=0.0, exception_late=0.0, share_assessed=None,
                   share_assessed_to_plan=None)  # fmt: skip


rates = st.lists(st.floats(0, 0.3), min_size=BINS, max_size=BINS).map(np.array)
stocks = st.lists(st.integers(0, 40), min_size=BINS, max_size=BINS).map(np.array)


@settings(max_examples=40, deadline=None)
@given(stocks, rates, rates, st.floats(0.5, 60), st.sampled_from(ORDERS))
def test_no_arrivals_and_some_capacity_never_grow_the_backlog(stock, leave, plan, cap, order):
    paths = simulate(stock, np.zeros((1, 30)), np.full((1, 30), cap), _hazards(leave, plan),
                     order, 20)  # fmt: skip
    open_ = np.r_[stock.sum(), paths.open[0]]
    assert np.all(np.diff(open_) <= 1e-9)
    assert np.all(paths.issued >= -1e-9)
    if order != "recent-rates":  # a capacity in plans a week is never exceeded
        assert np.all(paths.issued <= cap + 1e-6)


@settings(max_examples=40, deadline=None)
@given(stocks, rates, st.sampled_from(ORDERS))
def test_with_no_capacity_every_open_case_passes_its_due_date(stock, plan, order):
    zero = np.zeros(BINS)
    capacity = np.zeros((1, 25)) if order != "recent-rates" else np.zeros((1, 25))
    paths = simulate(stock, np.zeros((1, 25)), capacity, _hazards(zero, plan), order, 20)
    assert paths.issued.sum() == 0
    assert paths.open[0, -1] == stock.sum()
    assert paths.overdue[0, -1] == stock.sum()  # 21 weeks on, every case is past 20 weeks


def test_with_no_capacity_the_backlog_passes_20_weeks_as_the_cliff_says(analysis):
    flows = request_flows(analysis.tables["requests"])
    state = state_at(flows, day_of(AS_AT))
    zero = np.zeros(BINS)
    paths = simulate(state, np.zeros((1, 30)), np.zeros((1, 30)), _hazards(zero, zero),
                     "oldest-first", 20)  # fmt: skip
    plan = next(r for r in analysis.projections.cliff.rules if r.rule == "plan-20w")
    expected = plan.overdue_now + np.cumsum(plan.weekly[:30])
    assert paths.overdue[0].tolist() == expected.tolist()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 30), min_size=8, max_size=8), min_size=1, max_size=4),
       st.lists(st.floats(0, 1), min_size=8, max_size=8), st.floats(0, 200))  # fmt: skip
def test_as_recorded_shares_the_capacity_without_overdrawing(stock, rate, capacity):
    stock = np.array(stock, dtype=float)
    rate = np.array(rate)
    done = _as_recorded(stock, np.full(len(stock), capacity), rate)
    able = np.where(rate > 1e-9, stock, 0).sum(axis=1)  # a vanishing rate counts as none
    assert np.all(done <= stock + 1e-9) and np.all(done >= 0)
    assert np.allclose(done.sum(axis=1), np.minimum(capacity, able), atol=1e-4)


def test_a_scenario_with_more_capacity_clears_more(analysis):
    flow = analysis.projections.flow
    assert flow is not None
    options = replace(FAST, scenarios=(scenario("capacity", "+50%"),))
    more = analyse([SAMPLE], RULES, Options(as_at=AS_AT, projection=options)).projections
    base, plus = more.flow.scenarios
    assert plus.scenario.name == "capacity +50%" and base.scenario.name == "baseline"
    assert plus.issued[26].value > base.issued[26].value
    assert plus.overdue[26].value < base.overdue[26].value


# Series -------------------------------------------------------------------------------------


def test_series_fit_recovers_trend_and_school_year_seasons():
    rng = np.random.default_rng(3)
    weeks = np.arange(-155, 1)
    ends = day_of(AS_AT) + 7 * weeks
    months = series.month_of_week(ends)
    season = np.where(months == 7, 0.4, np.where(months == 8, 1.2, 1.0))  # August, September
    mean = 40 * 1.10 ** (weeks / 52) * season
    fit = series.fit("requests", rng.poisson(mean), ends)
    assert fit.seasonal
    assert fit.season[7] < 0.5 and fit.season[8] > 1.1
    assert 0.05 < fit.growth_per_year < 0.15
    assert abs(fit.level - 40) < 4


def test_bands_are_deterministic_for_a_seed():
    counts = np.random.default_rng(1).poisson(30, 120)
    ends = day_of(AS_AT) + 7 * np.arange(-119, 1)
    fit = series.fit("x", counts, ends)
    months = series.month_of_week(day_of(AS_AT) + 7 * np.arange(1, 27))

    def draws(seed: int) -> np.ndarray:
        rng = np.random.default_rng(seed)
        return fit.draws(months, rng, rng.random((50, series.blocks(26))))

    assert np.array_equal(draws(5), draws(5))
    assert not np.array_equal(draws(5), draws(6))
    point = fit.point(months)
    assert abs(draws(5).mean() / point.mean() - 1) < 0.1  # the band sits around the line


def test_same_input_and_seed_give_the_same_projections(analysis):
    again = analyse([SAMPLE], RULES, Options(as_at=AS_AT, projection=FAST)).projections
    assert again.model_dump_json() == analysis.projections.model_dump_json()
    other = analyse([SAMPLE], RULES,
                    Options(as_at=AS_AT, projection=replace(FAST, seed=2))).projections  # fmt: skip
    assert other.flow.weeks[-1].open != analysis.projections.flow.weeks[-1].open


# As recorded by an origin: nothing later leaks in -------------------------------------------


@settings(max_examples=25, deadline=None)
@given(st.dates(date(2022, 1, 1), date(2025, 3, 31)))
def test_tables_as_recorded_hold_no_later_date(analysis, cutoff):
    cut = pd.Timestamp(cutoff)
    for name, frame in as_recorded(analysis.tables, cutoff).items():
        for column, spec in columns(name).items():
            if spec.kind is Kind.DATE and column not in DEADLINE_COLUMNS:
                assert not (frame[column] > cut).any(), (name, column)
    requests = as_recorded(analysis.tables, cutoff)["requests"]
    flows = request_flows(analysis.tables["requests"]).as_at(day_of(cutoff))
    again = request_flows(requests)
    for field in ("received", "exit", "planned", "exception", "assessed", "refused"):
        assert np.array_equal(getattr(flows, field), getattr(again, field)), field


def test_pending_outcomes_come_back_as_pending(analysis):
    cutoff = date(2024, 6, 30)
    before = analysis.tables["requests"]
    after = as_recorded(analysis.tables, cutoff)["requests"]
    later = before["request_outcome_date"] > pd.Timestamp(cutoff)
    kept = before.loc[before["received_date"] <= pd.Timestamp(cutoff)]
    assert len(after) == len(kept)
    decided_later = kept["request_outcome_date"] > pd.Timestamp(cutoff)
    assert later.any() and (after.loc[decided_later.to_numpy(), "request_outcome"] == "A").all()


def _scrambled_after(tables: dict[str, pd.DataFrame], origin: date) -> dict[str, pd.DataFrame]:
    """Every fact dated after ``origin`` changed: later requests and plans dropped and others
    invented; later events moved, and their outcomes swapped."""
    cut = pd.Timestamp(origin)
    out = {}
    rng = np.random.default_rng(0)
    for name, frame in tables.items():
        frame = frame.copy()
        for column, spec in columns(name).items():
            if spec.kind is not Kind.DATE or column not in frame:
                continue
            later = (frame[column] > cut).fillna(False).to_numpy(dtype=bool)
            shift = pd.to_timedelta(rng.integers(1, 90, later.sum()), unit="D")
            frame.loc[later, column] = frame.loc[later, column] + shift
        if name == "requests":
            later = (frame["request_outcome_date"] > cut).fillna(False).to_numpy(dtype=bool)
            frame.loc[later, "request_outcome"] = "N"
            frame = frame.loc[(frame["received_date"] <= cut).to_numpy(dtype=bool)]
            invented = frame.tail(50).copy()
            invented["received_date"] = cut + pd.Timedelta(days=3)
            frame = pd.concat([frame, invented], ignore_index=True)
        out[name] = frame
    return out


def test_a_backtest_origin_reads_nothing_dated_after_it(analysis):
    origin = date(2024, 7, 1)
    options = ProjectionOptions(draws=40)
    one = project_at(analysis.tables, origin, 140, options)
    two = project_at(_scrambled_after(analysis.tables, origin), origin, 140, options)
    assert not isinstance(one, str) and not isinstance(two, str)
    for q in one.central:
        assert np.array_equal(one.central[q], two.central[q]), q
        assert np.array_equal(one.lower[q], two.lower[q]), q
        assert np.array_equal(one.upper[q], two.upper[q]), q
    assert one.model.order == two.model.order


def test_backtest_scores_the_model_beside_both_baselines():
    options = replace(FAST, backtest=True, backtest_step=8)
    p = analyse([SAMPLE], RULES, Options(as_at=AS_AT, projection=options)).projections
    b = p.backtest
    assert b is not None and len(b.origins) >= 3
    methods = {(e.quantity, e.weeks_ahead, e.method) for e in b.errors}
    for q in ("open backlog", "past 20 weeks", "plans issued"):
        for h in (4, 13, 26):
            assert {(q, h, "model"), (q, h, "persistence")} <= methods
    for e in b.errors:
        assert e.origins > 0 and e.mean_abs_error >= 0
        assert (e.coverage_80 is None) == (e.method != "model")
    assert all(o + timedelta(weeks=4) <= AS_AT for o in b.origins)


# Options and the command line ---------------------------------------------------------------


def test_changes_and_rates_parse():
    assert parse_change("+20%") == (1.2, 0.0)
    assert parse_change("-10%") == pytest.approx((0.9, 0.0))
    assert parse_change("+3") == (1.0, 3.0)
    assert parse_share("60%") == pytest.approx(0.6) and parse_share("0.45") == 0.45
    for bad in ("20 percent", "-100%", "x"):
        with pytest.raises(ValueError):
            parse_change(bad)
    with pytest.raises(ValueError):
        parse_share("140%")
    assert scenario("arrivals", "+2").name == "arrivals +2 a week"


def test_project_json_is_the_pipelines_projections(analysis):
    result = runner.invoke(app, ["project", str(SAMPLE), "--as-at", "2025-03-31",
                                 "--draws", "60", "--json", "-"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == json.loads(analysis.projections.model_dump_json())


def test_project_console_answers_and_targets():
    result = runner.invoke(app, ["project", str(SAMPLE), "--as-at", "2025-03-31",
                                 "--draws", "40", "--capacity", "+20%", "--arrivals", "+10%",
                                 "--clear-by", "2026-03-31", "--rate-target", "60%",
                                 "--caseload-target", "7500"])  # fmt: skip
    assert result.exit_code == 0, result.output
    text = result.stdout
    for words in ("Deadline cliff", "When will the assessment backlog clear?",
                  "capacity +20%", "arrivals +10%", "plans a week from now on",
                  "Will we reach 7,500 children", "Assumptions"):  # fmt: skip
        assert words in text, words


@pytest.mark.parametrize("args", [
    ["--capacity", "lots"], ["--rate-target", "2"], ["--clear-by", "2025-01-01"],
    ["--order", "random"], ["--horizon", "500"],
])  # fmt: skip
def test_project_refuses_bad_options(args):
    result = runner.invoke(app, ["project", str(SAMPLE), "--as-at", "2025-03-31", *args])
    assert result.exit_code == 2, result.output


def test_project_needs_an_extract_and_a_date():
    assert runner.invoke(app, ["project", "--as-at", "2025-03-31"]).exit_code == 2
    assert runner.invoke(app, ["project", str(SAMPLE)]).exit_code == 2


def test_project_writes_the_pack_with_projection_sheets_and_csvs(tmp_path):
    args = [
        "project",
        str(SAMPLE),
        "--as-at",
        "2025-03-31",
        "--draws",
        "40",
        "--capacity",
        "+20%",
        "--xlsx",
        str(tmp_path / "pack.xlsx"),
        "--csv-dir",
        str(tmp_path / "csv"),
        "--json",
        str(tmp_path / "p.json"),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    wb = load_workbook(tmp_path / "pack.xlsx")
    for name in ("Summary", "Projections", "Backlog projection", "Rate projection",
                 "Deadline cliff", "Review projection", "Caseload projection"):  # fmt: skip
        assert name in wb.sheetnames, name
    ws = wb["Backlog projection"]
    assert len(ws._charts) == 2
    chart = ws._charts[0]
    dashed = [s.graphicalProperties.line.dashStyle for s in chart.series]
    assert dashed[0] != "dash" and dashed[1] == "dash"  # actual solid, projection dashed
    band = chart._charts[1]  # the band: a second line group with up-down bars
    assert band.upDownBars is not None and len(band.series) == 2
    header = next([c.value for c in row] for row in ws.iter_rows() if row[0].value == "Week ending")
    assert header[:5] == ["Week ending", "Open assessments (actual)",
                          "Open assessments (projected)", "Open assessments lower 80%",
                          "Open assessments upper 80%"]  # fmt: skip
    scenarios = pd.read_csv(tmp_path / "csv" / "Projections - Scenarios.csv")
    assert set(scenarios["Scenario"]) == {"baseline", "capacity +20%"}
    # Whole plans are rounded as the console rounds them, not cut down; every figure has its band.
    made = json.loads((tmp_path / "p.json").read_text())["flow"]["scenarios"]
    sheet = wb["Projections"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    top = next(i for i, r in enumerate(rows) if r[:2] == ["Scenario", "Weeks ahead"])
    header = rows[top]
    assert {"Plans issued lower 80%", "Plans issued upper 80%"} <= set(header)
    issued = header.index("Plans issued")
    expected = [(m["scenario"]["name"], int(k), round(v["value"]))
                for m in made for k, v in m["issued"].items()]  # fmt: skip
    assert [(r[0], r[1], r[issued]) for r in rows[top + 1 : top + 1 + len(expected)]] == expected
    cliff = pd.read_csv(tmp_path / "csv" / "Deadline cliff - By rule.csv")
    assert (cliff["Passing due date within the horizon"] + cliff["Passing due date later"]
            == cliff["Open now"]).all()  # fmt: skip


def test_what_cannot_be_projected_is_said_not_guessed(tmp_path):
    (tmp_path / "requests").mkdir()
    (tmp_path / "plans").mkdir()
    for name in ("requests", "plans"):
        (tmp_path / name / f"{name}.csv").write_bytes((SAMPLE / f"{name}.csv").read_bytes())
    only_requests = analyse([tmp_path / "requests"], RULES,
                            Options(as_at=AS_AT, projection=FAST)).projections  # fmt: skip
    assert only_requests.flow is not None and only_requests.caseload is None
    assert only_requests.reviews is None and "no usable plans" in only_requests.notes[0]
    only_plans = analyse([tmp_path / "plans"], RULES,
                         Options(as_at=AS_AT, projection=FAST)).projections  # fmt: skip
    assert only_plans.flow is None and only_plans.caseload is not None
    assert "no usable requests" in only_plans.notes[0]
    short = date(2022, 8, 31)  # 21 weeks after the sample's first request
    early = analyse([SAMPLE], RULES, Options(as_at=short, projection=FAST)).projections
    assert early.flow is None and "needs 26" in early.notes[0]
    assert "Not projected" in early.answers[0].answer


def test_error_measures_by_hand():
    e = errors(np.array([110, 90, 100.0]), np.array([100, 100, 0.0]),
               np.array([95, 95, -1]), np.array([120, 99, 1]))  # fmt: skip
    assert e.n == 3 and e.mean_abs_error == 40.0
    assert e.mean_abs_pct_error == pytest.approx(0.1)  # the zero actual is left out
    assert e.median_abs_pct_error == pytest.approx(0.1)
    assert e.bias == pytest.approx(100 / 3)
    assert e.coverage_80 == pytest.approx(2 / 3)  # 90 is outside 95-99
    assert errors(np.array([1.0]), np.array([1.0])).coverage_80 is None


def test_a_month_window_starts_after_the_month_before_ends_not_31_days_back():
    """April 2024 is (31 March, 30 April]: a day in March is not counted in April's window,
    as it was when every first window started 31 days before its end."""
    from ehcp_timeliness.project.history import day_of, month_end_before, month_ends_to
    from ehcp_timeliness.project.reviews import _per_month

    assert month_end_before(day_of(date(2024, 4, 30))) == day_of(date(2024, 3, 31))
    assert month_end_before(day_of(date(2024, 3, 31))) == day_of(date(2024, 2, 29))
    ends = month_ends_to(day_of(date(2024, 5, 31)), 2)  # 30 April, 31 May
    days = np.array([day_of(date(2024, 3, 31)), day_of(date(2024, 4, 1)),
                     day_of(date(2024, 5, 31))])  # fmt: skip
    assert _per_month(days, ends).tolist() == [1, 1]


def weeks_to_months(values: np.ndarray, origin: int, ends: np.ndarray):
    shares, whole = month_shares(origin, values.shape[1], ends)
    return values @ shares, whole


def test_weeks_are_shared_between_months_by_their_days():
    """A month is credited with its days' share of each week, so months with five week ends
    are not a quarter higher than those with four; a month the weeks do not reach the end of
    is marked part-covered."""
    origin = day_of(date(2025, 3, 31))
    ends = month_ends_after(origin, 3)  # April, May, June 2025
    totals, whole = weeks_to_months(np.full((1, 13), 7.0), origin, ends)  # 1 a day, 91 days
    assert totals[0].tolist() == [30.0, 31.0, 30.0] and whole.tolist() == [True, True, True]
    # The week ending 5 May (29 April to 5 May) gives 2 days to April and 5 to May.
    one = np.zeros((1, 5))
    one[0, 4] = 7.0
    assert weeks_to_months(one, origin, ends)[0][0].tolist() == [2.0, 5.0, 0.0]
    short, whole = weeks_to_months(np.full((1, 12), 7.0), origin, ends)
    assert short[0].tolist() == [30.0, 31.0, 23.0] and whole.tolist() == [True, True, False]


def test_days_outside_the_months_go_nowhere():
    """Weeks beyond the last month end, or before the first month, give those days to no
    month (a review found May credited with 34 days and June with 101)."""
    origin = day_of(date(2025, 3, 31))
    ends = month_ends_after(origin, 2)  # April and May only
    totals, whole = weeks_to_months(np.full((1, 20), 7.0), origin, ends)
    assert totals[0].tolist() == [30.0, 31.0] and whole.all()
    june_on = month_ends_after(day_of(date(2025, 5, 31)), 1)  # June only
    weeks_from_march = day_of(date(2025, 3, 15))
    totals, whole = weeks_to_months(np.full((1, 20), 7.0), weeks_from_march, june_on)
    assert totals[0].tolist() == [30.0] and whole.all()


@settings(max_examples=50, deadline=None)
@given(start=st.dates(date(2020, 1, 1), date(2030, 12, 31)),
       values=st.lists(st.floats(0, 1000), min_size=1, max_size=60),
       months=st.integers(1, 20))  # fmt: skip
def test_sharing_weeks_between_months_keeps_the_days_inside(start, values, months):
    """Each week's value goes to the months by its days inside them: all of it when the
    months hold every day, and never more than a month's days' share."""
    origin = day_of(start)
    ends = month_ends_after(origin, months)
    shares, whole = month_shares(origin, len(values), ends)
    assert (shares >= 0).all() and (shares.sum(axis=1) <= 1 + 1e-12).all()
    inside = week_end(np.arange(1, len(values) + 1), origin) <= ends[-1]
    assert np.allclose(shares.sum(axis=1)[inside], 1.0)
    assert (shares.sum(axis=0) * 7 <= 31 + 1e-9).all()


def test_projected_months_follow_their_days_not_their_week_ends(analysis):
    """Projected plans a month move with the days in the month, not with the number of weeks
    ending in it (June and September 2025 have five Monday week ends here)."""
    ahead = [m for m in analysis.projections.flow.months if not m.actual]
    issued = {m.month: m.issued.value for m in ahead}
    per_day = [issued[m] / d for m, d in (("2025-05", 31), ("2025-06", 30), ("2025-07", 31))]
    assert max(per_day) / min(per_day) < 1.1
    assert all(m.month != "2026-03" for m in ahead)  # the 52 weeks end on 30 March 2026


def test_reviews_due_in_past_months_are_counted_as_the_trend_sheet_counts_them(analysis):
    """A review that fell due after its plan ended was never owed: the Review projection's
    actual months leave it out, as the pack's Trend sheet does, so the two sheets agree."""
    reviews = analysis.cases[(analysis.cases["rule"] == "review-12m").to_numpy()]
    owed = reviews[(reviews["status"] != "not-owed").to_numpy()]
    due_month = owed["due_date"].to_numpy().astype("datetime64[M]").astype(str)
    actual = [m for m in analysis.projections.reviews.months if m.actual]
    assert actual
    for m in actual:
        assert m.due.value == int((due_month == m.month).sum()), m.month


def test_projected_reviews_due_count_those_held_early(analysis):
    """A projected month counts the reviews due in it as the past months do, including those
    already held early."""
    reviews = analysis.cases[(analysis.cases["rule"] == "review-12m").to_numpy()]
    owed = reviews[(reviews["status"] != "not-owed").to_numpy()]
    due_month = owed["due_date"].to_numpy().astype("datetime64[M]").astype(str)
    held_by_now = (owed["end_date"] <= pd.Timestamp(AS_AT)).to_numpy()
    first = next(m for m in analysis.projections.reviews.months if not m.actual)
    early = int(((due_month == first.month) & held_by_now).sum())
    assert early > 100  # the sample holds many reviews a month or so early
    due_then = int((due_month == first.month).sum())  # as recorded; some plans will cease
    assert early <= first.due.value and 0.95 * due_then <= first.due.value <= due_then


def test_the_sample_s_meetings_follow_their_timing_chosen_by_the_hold_out(analysis):
    """The sample holds reviews around their due dates whatever the workload: the hold-out
    picks the timing, which keeps the reviews overdue near the recent level instead of
    clearing them as meetings at the recent rate, oldest first, would."""
    r = analysis.projections.reviews
    fits = {f.order: f for f in r.order_fits}
    assert set(fits) == {"capacity", "timing"} and r.order == "timing"
    assert fits["timing"].score < fits["capacity"].score
    assert "timing" in r.how_held and r.how_decided is not None
    recent = [m.overdue.value for m in r.months if m.actual][-6:]
    ahead = [m.overdue.value for m in r.months if not m.actual]
    assert min(recent) * 0.7 <= min(ahead) and max(ahead) <= max(recent) * 1.5


def test_the_assumptions_say_whether_each_trend_is_carried_forward(analysis):
    """Capacity is projected at its recent level (backlog.CAPACITY_TREND): the words must not
    say its trend fades into the future, as they once did."""
    from ehcp_timeliness.project.backlog import ARRIVALS_TREND, CAPACITY_TREND

    parts = analysis.projections.flow.parts
    assert (parts.arrivals.trend_projected, parts.capacity.trend_projected) == (
        ARRIVALS_TREND, CAPACITY_TREND)  # fmt: skip
    said = " ".join(analysis.projections.assumptions)
    capacity = next(a for a in analysis.projections.assumptions if a.startswith("Plans are issued"))
    assert ("is not carried forward" in capacity) == (not CAPACITY_TREND)
    assert "that fades (half of it gone" in said  # the requests' trend does
