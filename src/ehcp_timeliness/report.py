"""Summaries of evaluated cases: what ``ehcp report`` prints and ``--json`` dumps.

Completed cases (met or late) are counted in the period their clock stopped in, as DfE counts
plans by the calendar year they were issued; open and overdue cases are counted as at the
as-at date, whatever the period.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from ehcp_timeliness import __version__
from ehcp_timeliness.clocks.engine import LATE, MET, OPEN, OVERDUE, dimension_codes
from ehcp_timeliness.clocks.rules import RuleSet
from ehcp_timeliness.dates import add_months
from ehcp_timeliness.limits import EARLIEST_YEAR, LATEST_YEAR, date_in_range
from ehcp_timeliness.validate.checks import TableSummary, Validated

SCHEMA_VERSION = 1
PLAN_20W = "plan-20w"
#: Open assessments by weeks since the request, as boards ask for them: (label, last day).
BACKLOG_BANDS = [
    ("0-6 weeks", 42),
    ("6-16 weeks", 112),
    ("16-20 weeks", 140),
    ("20-30 weeks", 210),
    ("30-52 weeks", 364),
    ("over 52 weeks", None),
]
#: DfE's bands for plans issued: within 20 weeks, 20 to 52 weeks, over 52 weeks.
ISSUE_BANDS = [("within 20 weeks", 140), ("20-52 weeks", 364), ("over 52 weeks", None)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class Period(_Model):
    label: str
    start: date
    end: date

    def previous(self) -> Period:
        """The period of the same length just before this one (a year before a year...)."""
        months = _whole_months(self.start, self.end)
        if months:
            start = _shift(self.start, -months)
            return Period(label=f"previous {months} months", start=start,
                          end=self.start - timedelta(days=1))  # fmt: skip
        length = self.end - self.start
        end = self.start - timedelta(days=1)
        return Period(label="previous period", start=end - length, end=end)


def _shift(day: date, months: int) -> date:
    return add_months(np.array([day], dtype="datetime64[D]"), months)[0].astype(date)


def _whole_months(start: date, end: date) -> int | None:
    if start.day != 1:
        return None
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    return months if _shift(start, months) - timedelta(days=1) == end else None


def parse_period(text: str | None, as_at: date) -> Period:
    """``2024`` calendar year; ``2024-25`` financial year (April to March); ``2024-Q1``
    quarter; ``2024-03`` month; ``rolling-12`` (the default) the 12 months to the as-at date.

    ``ValueError`` for anything else, and for a period (or the one before it, which reports
    compare with) outside the years ``EARLIEST_YEAR`` to ``LATEST_YEAR``.
    """
    if not date_in_range(as_at):
        raise ValueError(f"the as-at date {as_at} is outside {EARLIEST_YEAR} to {LATEST_YEAR}")
    period = _parse_period(text, as_at)
    if not (date_in_range(period.start) and date_in_range(period.end)):
        raise ValueError(
            f"{text!r} lies outside the years this tool counts ({EARLIEST_YEAR} to {LATEST_YEAR})"
        )
    return period


def _parse_period(text: str | None, as_at: date) -> Period:
    text = (text or "rolling-12").strip()
    if (year := re.match(r"(?i)(?:fy)?(\d{4})", text)) and not (
        EARLIEST_YEAR <= int(year[1]) <= LATEST_YEAR
    ):  # before any arithmetic: the years past 9999 are not dates
        raise ValueError(f"{text!r} lies outside the years this tool counts ({EARLIEST_YEAR} to "
                         f"{LATEST_YEAR})")  # fmt: skip
    if m := re.fullmatch(r"\d{4}", text):
        y = int(text)
        return Period(label=text, start=date(y, 1, 1), end=date(y, 12, 31))
    if m := re.fullmatch(r"(FY)?(\d{4})[-/](\d{2})", text, re.IGNORECASE):
        fy, y, mm = m[1], int(m[2]), int(m[3])
        if fy or mm == (y + 1) % 100:
            return Period(label=f"{y}-{(y + 1) % 100:02d}", start=date(y, 4, 1),
                          end=date(y + 1, 3, 31))  # fmt: skip
        if 1 <= mm <= 12:
            start = date(y, mm, 1)
            return Period(label=text, start=start, end=_shift(start, 1) - timedelta(days=1))
    if m := re.fullmatch(r"(\d{4})-?Q([1-4])", text, re.IGNORECASE):
        start = date(int(m[1]), 3 * int(m[2]) - 2, 1)
        return Period(label=f"{m[1]} Q{m[2]}", start=start,
                      end=_shift(start, 3) - timedelta(days=1))  # fmt: skip
    if m := re.fullmatch(r"rolling-?(\d+)", text, re.IGNORECASE):
        months = int(m[1])
        if not 1 <= months <= 999:
            raise ValueError(f"{text!r}: a rolling period is 1 to 999 months")
        start = _shift(as_at, -months) + timedelta(days=1)
        return Period(label=f"{months} months to {as_at:%d %b %Y}", start=start, end=as_at)
    raise ValueError(
        f"{text!r} is not a period: use 2024, 2024-25 (financial year), 2024-Q1, 2024-03 "
        "or rolling-12"
    )


class RuleSummary(_Model):
    rule: str
    title: str
    citation: str
    limit: str
    completed: int
    met: int
    late: int
    on_time_rate: float | None
    open: int
    overdue: int
    due_soon: int


class Rate(_Model):
    label: str
    met: int
    completed: int
    rate: float | None


class Plan20Summary(_Model):
    """The 20-week figures as DfE publishes them, for plans issued in the period."""

    excluding_exceptions: Rate
    including_exceptions: Rate
    exception_share: float | None
    bands: dict[str, int]
    mean_weeks_to_issue: float | None


class TrendPoint(_Model):
    month: str
    rule: str
    completed: int
    met: int
    on_time_rate: float | None


class Group(_Model):
    value: str
    rules: list[RuleSummary]


class Report(_Model):
    """Everything ``ehcp report`` reports; ``--json`` writes its dump."""

    schema_version: int = SCHEMA_VERSION
    tool_version: str = __version__
    rules_sha256: str
    as_at: date
    period: Period
    due_within_weeks: int
    inputs: list[TableSummary]
    findings_by_code: dict[str, int]
    rules: list[RuleSummary]
    plan_20w: Plan20Summary | None
    open_assessments: dict[str, int]
    trend: list[TrendPoint]
    by: str | None = None
    breakdown: list[Group] = []


def _rate(met: int, completed: int) -> float | None:
    return round(met / completed, 4) if completed else None


FLAGS = ("met", "late", "open", "overdue", "due_soon")


def _flag_counts(
    cases: pd.DataFrame,
    period: Period,
    as_at: date,
    due_within: int,
    groups: np.ndarray | None = None,
    n_groups: int = 1,
) -> dict[str, np.ndarray]:
    """Counts of each flag per (group, rule): arrays of shape ``(n_groups, n_rules)``, one
    bincount each over the whole case list, whatever the number of groups."""
    end = cases["end_date"].to_numpy()
    in_period = (end >= np.datetime64(period.start)) & (end <= np.datetime64(period.end))
    status = cases["status"].cat.codes.to_numpy()
    soon_until = np.datetime64(as_at + timedelta(weeks=due_within))
    flags = {
        "met": in_period & (status == MET),
        "late": in_period & (status == LATE),
        "open": status == OPEN,
        "overdue": status == OVERDUE,
        "due_soon": (status == OPEN) & (cases["due_date"].to_numpy() <= soon_until),
    }
    n_rules = len(cases["rule"].cat.categories)
    key = cases["rule"].cat.codes.to_numpy().astype(np.int64)
    if groups is not None:
        key = groups * n_rules + key
    size = n_groups * n_rules
    return {
        k: np.bincount(key[v], minlength=size).reshape(n_groups, n_rules) for k, v in flags.items()
    }


def _rule_summaries(
    counts: dict[str, np.ndarray], categories: list[str], rules: RuleSet
) -> list[RuleSummary]:
    """One summary per rule in force, from one group's counts (indexed by rule category)."""
    index = {rule_id: i for i, rule_id in enumerate(categories)}
    out = []
    for rule in rules.enabled:
        i = index.get(rule.id)
        c = {k: 0 if i is None else int(v[i]) for k, v in counts.items()}
        met, late = c["met"], c["late"]
        out.append(
            RuleSummary(
                rule=rule.id,
                title=rule.title,
                citation=rule.citation,
                limit=rule.limit_text,
                completed=met + late,
                met=met,
                late=late,
                on_time_rate=_rate(met, met + late),
                open=c["open"],
                overdue=c["overdue"],
                due_soon=c["due_soon"],
            )  # fmt: skip
        )
    return out


def summarise_rules(
    cases: pd.DataFrame, rules: RuleSet, period: Period, as_at: date, due_within: int
) -> list[RuleSummary]:
    """Counts per rule, in the order the rules are in force."""
    counts = _flag_counts(cases, period, as_at, due_within)
    categories = list(cases["rule"].cat.categories)
    return _rule_summaries({k: v[0] for k, v in counts.items()}, categories, rules)


def breakdown(
    cases: pd.DataFrame,
    groups: np.ndarray,
    labels: list[str],
    rules: RuleSet,
    period: Period,
    as_at: date,
    due_within: int,
) -> list[Group]:
    """:func:`summarise_rules` for each group: ``groups`` holds each case's index into
    ``labels``. One pass over the cases, not one per group."""
    counts = _flag_counts(cases, period, as_at, due_within, groups, len(labels))
    categories = list(cases["rule"].cat.categories)
    return [
        Group(value=label,
              rules=_rule_summaries({k: v[g] for k, v in counts.items()}, categories, rules))
        for g, label in enumerate(labels)
    ]  # fmt: skip


def _band(days: pd.Series, bands: list[tuple[str, int | None]]) -> dict[str, int]:
    out: dict[str, int] = {}
    lower: float = -1
    for label, last in bands:
        upper = np.inf if last is None else last
        out[label] = int(((days > lower) & (days <= upper)).sum())
        lower = upper
    return out


def plan_20w_summary(cases: pd.DataFrame, period: Period) -> Plan20Summary | None:
    mine = cases[cases["rule"] == PLAN_20W]
    if mine.empty:
        return None
    end = mine["end_date"]
    issued = mine[(end >= pd.Timestamp(period.start)) & (end <= pd.Timestamp(period.end))]
    met = issued["status"] == "met"
    exc = issued["exception"].fillna(False).astype(bool)
    days = (issued["end_date"] - issued["start_date"]).dt.days
    return Plan20Summary(
        excluding_exceptions=Rate(
            label="Excluding exceptions",
            met=int((met & ~exc).sum()),
            completed=int((~exc).sum()),
            rate=_rate(int((met & ~exc).sum()), int((~exc).sum())),
        ),  # fmt: skip
        including_exceptions=Rate(
            label="Including exceptions",
            met=int(met.sum()),
            completed=len(issued),
            rate=_rate(int(met.sum()), len(issued)),
        ),  # fmt: skip
        exception_share=_rate(int(exc.sum()), len(issued)),
        bands=_band(days, ISSUE_BANDS),
        mean_weeks_to_issue=round(float(days.mean()) / 7, 1) if len(days) else None,
    )


def open_assessments(cases: pd.DataFrame, as_at: date) -> dict[str, int]:
    """Requests still waiting for a plan, by weeks since the request, as at the as-at date."""
    mine = cases[(cases["rule"] == PLAN_20W) & cases["status"].isin(["open", "overdue"])]
    days = (pd.Timestamp(as_at) - mine["start_date"]).dt.days
    return _band(days, BACKLOG_BANDS)


def trend(cases: pd.DataFrame, period: Period) -> list[TrendPoint]:
    """On-time rates by month of completion, for the 12 months to the end of the period
    (or every month of a longer period)."""
    first = min(pd.Timestamp(period.start), pd.Timestamp(_shift(period.end, -11).replace(day=1)))
    months = np.arange(np.datetime64(first, "M"), np.datetime64(period.end, "M") + 1)
    rules = list(cases["rule"].cat.categories)
    status = cases["status"].cat.codes.to_numpy()
    end = cases["end_date"].to_numpy()
    done = ((status == MET) | (status == LATE)) & (end >= np.datetime64(first))
    done &= end <= np.datetime64(period.end)  # NaT compares False: open cases drop out here
    month = (end[done].astype("datetime64[M]") - months[0]).astype(np.int64)
    key = cases["rule"].cat.codes.to_numpy()[done] * len(months) + month
    size = np.bincount(key, minlength=len(rules) * len(months))
    met = np.bincount(key[status[done] == MET], minlength=len(rules) * len(months))
    points = []
    for r, rule in enumerate(rules):
        for m, month64 in enumerate(months):
            n, k = int(size[r * len(months) + m]), int(met[r * len(months) + m])
            points.append(TrendPoint(month=str(month64), rule=rule, completed=n, met=k,
                                     on_time_rate=_rate(k, n)))  # fmt: skip
    return points


def build_report(
    validated: Validated,
    cases: pd.DataFrame,
    rules: RuleSet,
    *,
    as_at: date,
    period: Period,
    due_within: int = 4,
    by: str | None = None,
) -> Report:
    """The whole report model for a validated extract and its evaluated cases."""
    groups: list[Group] = []
    if by is not None:
        codes, labels = dimension_codes(cases, validated.tables, rules, by)
        groups = breakdown(cases, codes, labels, rules, period, as_at, due_within)
    counts = validated.findings["code"].value_counts().sort_index()
    return Report(
        rules_sha256=rules.sha256,
        as_at=as_at,
        period=period,
        due_within_weeks=due_within,
        inputs=validated.summaries,
        findings_by_code={str(k): int(v) for k, v in counts.items()},
        rules=summarise_rules(cases, rules, period, as_at, due_within),
        plan_20w=plan_20w_summary(cases, period),
        open_assessments=open_assessments(cases, as_at),
        trend=trend(cases, period),
        by=by,
        breakdown=groups,
    )
