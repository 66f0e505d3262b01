from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from ehcp_timeliness.cli.app import app
from ehcp_timeliness.clocks.engine import evaluate
from ehcp_timeliness.clocks.rules import load_rules
from ehcp_timeliness.load import load
from ehcp_timeliness.report import Period, build_report, parse_period

runner = CliRunner()
SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
AS_AT = date(2025, 3, 31)

LOCAL = """
schema_version = 1

[[rule]]
id = "local-plan-14w"
kind = "interval"
title = "Local target: final plan within 14 weeks"
citation = "Local SEND strategy, target 3"
table = "requests"
start = "received_date"
stop = "plan_issue_date"
limit = { weeks = 14 }
applies = [{ column = "request_outcome", not_in = ["N", "W", "H"] },
           { column = "assessment_outcome", not_in = ["N", "W", "H"] }]
"""

REQUESTS = (
    "person_id,received_date,request_outcome,request_outcome_date,assessment_outcome,"
    "plan_issue_date,week20_exception,team\n"
    "P1,2024-01-01,Y,2024-02-01,Y,2024-04-01,0,North\n"  # 91 days: within 14 and 20 weeks
    "P2,2024-01-01,Y,2024-02-12,Y,2024-05-20,0,South\n"  # 140 days: within 20 weeks only
    "P3,2024-01-01,Y,2024-02-13,Y,2024-05-21,1,South\n"  # 141 days, exception flagged
    "P4,2024-12-01,,,,,,North\n"  # open
    "P5,2024-01-01,Y,2024-02-01,Y,2025-06-01,0,North\n"  # future: rejected
)


def test_json_is_the_core_report_dump(tmp_path):
    args = ["report", str(SAMPLE), "--as-at", "2025-03-31", "--period", "2024", "--by", "team"]
    result = runner.invoke(app, [*args, "--json", "-"])
    assert result.exit_code == 0, result.output
    validated = load([SAMPLE], as_at=AS_AT)
    rules = load_rules()
    cases = evaluate(validated.tables, rules, as_at=AS_AT)
    core = build_report(validated, cases, rules, as_at=AS_AT,
                        period=parse_period("2024", AS_AT), by="team")  # fmt: skip
    assert json.loads(result.stdout) == json.loads(core.model_dump_json())


def test_small_extract_figures_and_local_rule(tmp_path):
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "local.toml").write_text(LOCAL)
    (tmp_path / "requests.csv").write_text(REQUESTS)
    out = tmp_path / "cases.csv"
    args = ["report", str(tmp_path / "requests.csv"), "--as-at", "2025-03-31", "--period",
            "2024", "--rules", str(tmp_path / "rules"), "--cases-out", str(out),
            "--json", "-"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    rules = {r["rule"]: r for r in report["rules"]}
    assert list(rules)[-1] == "local-plan-14w"
    assert (rules["local-plan-14w"]["met"], rules["local-plan-14w"]["late"]) == (1, 2)
    p = rules["plan-20w"]
    assert (p["met"], p["late"], p["open"], p["overdue"]) == (2, 1, 1, 0)  # P4 is 120 days old
    p20 = report["plan_20w"]
    assert p20["excluding_exceptions"] == {
        "label": "Excluding exceptions", "met": 2, "completed": 2, "rate": 1.0,
    }  # fmt: skip
    assert p20["including_exceptions"]["rate"] == 2 / 3  # exact: rounded once, where shown
    assert p20["exception_share"] == 1 / 3
    assert p20["bands"] == {"within 20 weeks": 2, "20-52 weeks": 1, "over 52 weeks": 0}
    assert report["open_assessments"]["16-20 weeks"] == 1  # P4: 120 days
    assert report["inputs"][0]["rows_rejected"] == 1
    assert report["findings_by_code"] == {"future-date": 1}

    cases = pd.read_csv(out, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    assert list(cases.columns[:9]) == [
        "rule", "person_id", "record_id", "start_date", "due_date", "end_date", "status",
        "days_over", "exception",
    ]  # fmt: skip
    assert set(cases["rule"]) == {"decision-6w", "plan-20w", "local-plan-14w"}
    p3 = cases[(cases["person_id"] == "P3") & (cases["rule"] == "plan-20w")].iloc[0]
    assert (p3["due_date"], p3["status"], p3["days_over"], p3["exception"]) == (
        "2024-05-20", "late", "1", "1",
    )  # fmt: skip
    assert cases[cases["rule"] == "decision-6w"]["exception"].tolist() == [""] * 4
    assert (
        "local-plan-14w" in runner.invoke(app, ["rules", "--rules", str(tmp_path / "rules")]).stdout
    )


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (LOCAL.replace("weeks = 14", "weeks = 14, days = 3"), "exactly one of weeks, days"),
        (
            LOCAL.replace('title = "', 'titel = "x"\ntitle = "'),
            "rule local-plan-14w.titel: unknown key",
        ),
        (LOCAL.replace('"plan_issue_date"', '"plan_issued"'), "'plan_issued' is not a date column"),
        (LOCAL.replace("schema_version = 1", "schema_version = 9"), "schema_version 9"),
        (LOCAL.replace('kind = "interval"', 'kind = "weekly"'), "local-plan-14w"),
        ("[[rule]\n", "not valid TOML"),
    ],
)
def test_malformed_rule_file_exits_3_naming_file_and_key(tmp_path, toml, message):
    (tmp_path / "bad.toml").write_text(toml)
    result = runner.invoke(app, ["report", str(SAMPLE), "--as-at", "2025-03-31",
                                 "--rules", str(tmp_path)])  # fmt: skip
    assert result.exit_code == 3, result.output
    assert message in result.stderr
    assert "bad.toml" in result.stderr and "Traceback" not in result.output


def test_overriding_a_builtin_rule_by_id(tmp_path):
    builtin = (Path(__file__).resolve().parents[1] / "rules" / "statutory.toml").read_text()
    (tmp_path / "r.toml").write_text(builtin.replace('reading = "strict"', 'reading = "inclusive"'))
    rules = load_rules(tmp_path)
    assert rules.get("phase-transfer").reading == "inclusive"
    assert [r.id for r in rules.rules] == [r.id for r in load_rules().rules]
    assert rules.sha256 != load_rules().sha256


def test_unknown_by_column_is_a_usage_error():
    result = runner.invoke(app, ["report", str(SAMPLE), "--as-at", "2025-03-31", "--by", "tean"])
    assert result.exit_code == 2
    assert "team" in result.output  # lists the columns there are


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2024", date(2024, 1, 1), date(2024, 12, 31)),
        ("2024-25", date(2024, 4, 1), date(2025, 3, 31)),
        ("FY2024", None, None),
        ("FY2002-03", date(2002, 4, 1), date(2003, 3, 31)),
        ("2024-Q1", date(2024, 1, 1), date(2024, 3, 31)),
        ("2024-Q4", date(2024, 10, 1), date(2024, 12, 31)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("rolling-12", date(2024, 4, 1), date(2025, 3, 31)),
        (None, date(2024, 4, 1), date(2025, 3, 31)),
    ],
)
def test_periods(text, start, end):
    if start is None:
        with pytest.raises(ValueError):
            parse_period(text, AS_AT)
        return
    p = parse_period(text, AS_AT)
    assert (p.start, p.end) == (start, end)


def test_rolling_12_to_a_leap_day_and_previous_periods():
    p = parse_period("rolling-12", date(2024, 2, 29))
    assert (p.start, p.end) == (date(2023, 3, 1), date(2024, 2, 29))
    q = parse_period("2024-Q1", AS_AT).previous()
    assert (q.start, q.end) == (date(2023, 10, 1), date(2023, 12, 31))
    fy = parse_period("2024-25", AS_AT).previous()
    assert (fy.start, fy.end) == (date(2023, 4, 1), date(2024, 3, 31))
    # rolling months to a date mid-month: the previous 12 months to the day before, not the
    # same number of days (2023-03-02 to 2024-03-01 holds 29 February, so 366 days)
    rolling = parse_period("rolling-12", date(2025, 3, 1)).previous()
    assert (rolling.start, rolling.end) == (date(2023, 3, 2), date(2024, 3, 1))
    before_leap = parse_period("rolling-12", date(2024, 2, 29)).previous()
    assert (before_leap.start, before_leap.end) == (date(2022, 3, 1), date(2023, 2, 28))
    # as at 28 February 2025: the 12 months from 1 March 2024 (not 29 February, which made
    # 13 months in words and a 366-day previous period)
    feb = parse_period("rolling-12", date(2025, 2, 28))
    assert (feb.start, feb.months) == (date(2024, 3, 1), 12)
    assert (feb.previous().start, feb.previous().end) == (date(2023, 3, 1), date(2024, 2, 29))
    odd = Period(label="x", start=date(2024, 1, 10), end=date(2024, 1, 19)).previous()
    assert (odd.start, odd.end) == (date(2023, 12, 31), date(2024, 1, 9))


def test_custom_period_and_conflicts():
    base = ["report", str(SAMPLE), "--as-at", "2025-03-31", "--json", "-"]
    result = runner.invoke(app, [*base, "--from", "2024-06-01", "--to", "2024-06-30"])
    assert result.exit_code == 0, result.output
    period = json.loads(result.stdout)["period"]
    assert (period["start"], period["end"]) == ("2024-06-01", "2024-06-30")
    assert runner.invoke(app, [*base, "--to", "2024-06-30"]).exit_code == 2
    assert runner.invoke(app, [*base, "--period", "2024", "--from", "2024-01-01"]).exit_code == 2
    assert runner.invoke(app, [*base, "--period", "last year"]).exit_code == 2


def test_a_failure_while_streaming_the_case_list_leaves_no_file(tmp_path, monkeypatch):
    def broken(table, quoting):
        raise OSError("disk full")

    monkeypatch.setattr("ehcp_timeliness.write.cases._csv", broken)
    out = tmp_path / "cases.csv"
    args = ["report", str(SAMPLE), "--as-at", "2025-03-31", "--cases-out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code != 0
    assert list(tmp_path.iterdir()) == []  # neither the file nor a temporary one


def test_backlog_by_month_end_ends_with_the_open_and_overdue_counts():
    validated = load([SAMPLE], as_at=AS_AT)
    rules = load_rules()
    cases = evaluate(validated.tables, rules, as_at=AS_AT)
    report = build_report(validated, cases, rules, as_at=AS_AT, period=parse_period("2024", AS_AT))
    last = report.backlog[-1]
    twenty = next(r for r in report.rules if r.rule == "plan-20w")
    assert last.date == AS_AT
    assert (last.open, last.past_20_weeks) == (twenty.open + twenty.overdue, twenty.overdue)
    assert [p.date for p in report.backlog[:2]] == [date(2024, 1, 31), date(2024, 2, 29)]
    assert report.backlog[-2].date == date(2025, 2, 28)  # the month end before the as-at date


def test_backlog_and_excluding_exceptions_trend_on_a_hand_made_extract(tmp_path):
    (tmp_path / "requests.csv").write_text(
        "person_id,received_date,request_outcome,request_outcome_date,assessment_outcome,"
        "plan_issue_date,week20_exception\n"
        "P1,2024-01-01,Y,2024-02-01,Y,2024-03-15,0\n"  # issued in March, within 20 weeks
        "P2,2024-01-01,Y,2024-02-01,Y,2024-06-01,1\n"  # 152 days, exception flagged
        "P3,2024-02-10,Y,2024-03-01,,,\n"  # still waiting at 31 July: past 20 weeks on 30 June
    )
    validated = load([tmp_path], as_at=date(2024, 7, 31))
    rules = load_rules()
    cases = evaluate(validated.tables, rules, as_at=date(2024, 7, 31))
    report = build_report(validated, cases, rules, as_at=date(2024, 7, 31),
                          period=parse_period("2024-07", date(2024, 7, 31)))  # fmt: skip
    points = {p.date: (p.open, p.past_20_weeks) for p in report.backlog}
    assert points[date(2024, 1, 31)] == (2, 0)
    assert points[date(2024, 2, 29)] == (3, 0)
    assert points[date(2024, 3, 31)] == (2, 0)  # P1 issued on 15 March
    assert points[date(2024, 5, 31)] == (2, 1)  # P2 past 20 weeks from 20 May
    assert points[date(2024, 6, 30)] == (1, 1)  # P2 issued on 1 June; P3 past from 30 June
    assert points[date(2024, 7, 31)] == (1, 1)
    june = next(p for p in report.trend if p.rule == "plan-20w" and p.month == "2024-06")
    assert (june.completed, june.met) == (1, 0)
    assert june.excluding_exceptions is not None
    assert (june.excluding_exceptions.completed, june.excluding_exceptions.rate) == (0, None)
    decision = next(p for p in report.trend if p.rule == "decision-6w" and p.month == "2024-02")
    assert decision.excluding_exceptions is None  # no exception flag on that rule
