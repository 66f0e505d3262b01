"""Summaries of evaluated cases: what ``ehcp report`` prints and ``--json`` dumps.

Completed cases (met or late) are counted in the period their clock stopped in, as DfE counts
plans by the calendar year they were issued; open, overdue, not-owed and unknown cases are
counted as at the as-at date, whatever the period. Beside the tool's own rates the report
carries DfE's published measures reproduced exactly (:mod:`ehcp_timeliness.measures`).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from ehcp_timeliness import __version__
from ehcp_timeliness.clocks.engine import (
    LATE,
    MET,
    NOT_OWED,
    OPEN,
    OVERDUE,
    STATUSES,
    UNKNOWN,
    dimension_codes,
)
from ehcp_timeliness.clocks.rules import IntervalRule, RuleSet
from ehcp_timeliness.dates import add_months
from ehcp_timeliness.limits import EARLIEST_YEAR, LATEST_YEAR, date_in_range
from ehcp_timeliness.measures import DfeMeasure, request_decisions, review_decisions
from ehcp_timeliness.validate.checks import TableSummary, Validated

SCHEMA_VERSION = 1
PLAN_20W = "plan-20w"
REVIEW_12M = "review-12m"
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

    @property
    def months(self) -> int | None:
        """How many whole months the period spans, from a day to the day before the same day
        some months on (1 April to 31 March, or 2 March 2024 to 1 March 2025: 12); else None."""
        after = self.end + timedelta(days=1)
        months = (after.year - self.start.year) * 12 + after.month - self.start.month
        return months if months > 0 and _shift(after, -months) == self.start else None

    def previous(self) -> Period:
        """The period of the same length just before this one: the same number of months where
        it is whole months (a year before a year, the 12 months to a date a year before),
        else the same number of days."""
        end = self.start - timedelta(days=1)
        if months := self.months:
            return Period(label=f"previous {months} months", start=_shift(self.start, -months),
                          end=end)  # fmt: skip
        length = self.end - self.start
        return Period(label="previous period", start=end - length, end=end)


def _shift(day: date, months: int) -> date:
    return add_months(np.array([day], dtype="datetime64[D]"), months)[0].astype(date)


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
        start = _shift(as_at + timedelta(days=1), -months)  # 28 Feb 2025: from 1 March 2024
        return Period(label=f"{months} months to {as_at:%d %b %Y}", start=start, end=as_at)
    raise ValueError(
        f"{text!r} is not a period: use 2024, 2024-25 (financial year), 2024-Q1, 2024-03 "
        "or rolling-12"
    )


class RuleSummary(_Model):
    rule: str
    title: str
    #: A few words for a board page (the rule's ``short`` name, else its title).
    label: str = ""
    #: The table the rule reads: requests, plans or tribunal_orders.
    table: str = ""
    citation: str
    limit: str
    completed: int
    met: int
    late: int
    on_time_rate: float | None
    open: int
    overdue: int
    due_soon: int
    #: Plan-level clocks that ended with the plan before falling due.
    not_owed: int = 0
    #: Annual reviews the extract's history cannot vouch for (review-history-gap findings).
    unknown: int = 0


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
    #: For a rule with an exception flag (plan-20w): the same, the flagged cases left out.
    excluding_exceptions: Rate | None = None


class BacklogPoint(_Model):
    """Requests waiting for a final plan at the end of a day, and those past 20 weeks."""

    date: date
    open: int
    past_20_weeks: int


class Group(_Model):
    value: str
    rules: list[RuleSummary]
    #: The 20-week figures for this group, as DfE publishes them (excluding exceptions...).
    plan_20w: Plan20Summary | None = None


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
    #: DfE's review-decision measure (annual_reviews.csv) as at ``census``.
    dfe_review_decisions: DfeMeasure | None = None
    #: DfE's request-decision measure (requests.csv) for requests received in the period.
    dfe_request_decisions: DfeMeasure | None = None
    open_assessments: dict[str, int]
    trend: list[TrendPoint]
    #: The assessment backlog at each month end, from the trend's first month (or a year
    #: before the as-at date) to the as-at date, and at the as-at date.
    backlog: list[BacklogPoint] = []
    by: str | None = None
    breakdown: list[Group] = []


def _rate(met: int, completed: int) -> float | None:
    """The exact share: rounded only where it is shown, once (53 of 1,343 shows as 3.9%)."""
    return met / completed if completed else None


def _flag_counts(
    cases: pd.DataFrame,
    period: Period,
    as_at: date,
    due_within: int,
    groups: np.ndarray | None = None,
    n_groups: int = 1,
) -> dict[str, np.ndarray]:
    """Counts of each flag per (group, rule): arrays of shape ``(n_groups, n_rules)``, from
    two bincounts over the whole case list, whatever the number of groups.

    A case's status is one flag (met and late only when the clock stopped in the period, so
    those outside it go to a bin of their own); due soon is a second count of open cases."""
    end = cases["end_date"].to_numpy()
    in_period = (end >= np.datetime64(period.start)) & (end <= np.datetime64(period.end))
    status = cases["status"].cat.codes.to_numpy().astype(np.int64)
    outside = len(STATUSES)  # the bin of clocks stopped outside the period
    flag = np.where(((status == MET) | (status == LATE)) & ~in_period, outside, status)
    n_rules = len(cases["rule"].cat.categories)
    key = cases["rule"].cat.codes.to_numpy().astype(np.int64)
    if groups is not None:
        key = groups * n_rules + key
    size = n_groups * n_rules
    by_flag = np.bincount(key * (outside + 1) + flag, minlength=size * (outside + 1))
    by_flag = by_flag.reshape(n_groups, n_rules, outside + 1)
    soon_until = np.datetime64(as_at + timedelta(weeks=due_within))
    due_soon = (status == OPEN) & (cases["due_date"].to_numpy() <= soon_until)
    return {
        "met": by_flag[..., MET], "late": by_flag[..., LATE], "open": by_flag[..., OPEN],
        "overdue": by_flag[..., OVERDUE],
        "due_soon": np.bincount(key[due_soon], minlength=size).reshape(n_groups, n_rules),
        "not_owed": by_flag[..., NOT_OWED], "unknown": by_flag[..., UNKNOWN],
    }  # fmt: skip


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
                label=rule.label,
                table=rule.table,
                citation=rule.citation,
                limit=rule.limit_text,
                completed=met + late,
                met=met,
                late=late,
                on_time_rate=_rate(met, met + late),
                open=c["open"],
                overdue=c["overdue"],
                due_soon=c["due_soon"],
                not_owed=c["not_owed"],
                unknown=c["unknown"],
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
    # each group's 20-week figures as DfE publishes them: its target is on the rate excluding
    # exceptions
    twenty = plan_20w_by_group(cases, groups, len(labels), period)
    return [
        Group(value=label,
              rules=_rule_summaries({k: v[g] for k, v in counts.items()}, categories, rules),
              plan_20w=twenty[g])
        for g, label in enumerate(labels)
    ]  # fmt: skip


def plan_20w_by_group(
    cases: pd.DataFrame, groups: np.ndarray, n_groups: int, period: Period
) -> list[Plan20Summary | None]:
    """:func:`plan_20w_summary` of each group's cases (``groups`` indexes each case's group),
    in one bincount per figure rather than one pass per group. None for a group with no
    20-week case at all."""
    twenty = (cases["rule"] == PLAN_20W).to_numpy()
    group = np.asarray(groups)[twenty]
    has = np.bincount(group, minlength=n_groups) > 0
    end = cases["end_date"].to_numpy()[twenty]
    issued = (end >= np.datetime64(period.start)) & (end <= np.datetime64(period.end))
    g = group[issued]
    met = (cases["status"].cat.codes.to_numpy()[twenty] == MET)[issued]
    exc = cases["exception"].fillna(False).to_numpy(dtype=bool)[twenty][issued]
    start = cases["start_date"].to_numpy()[twenty][issued]
    days = (end[issued] - start).astype("timedelta64[D]").astype(np.int64)  # issued: no NaT

    def count(mask: np.ndarray | None = None, weights: np.ndarray | None = None) -> np.ndarray:
        chosen = g if mask is None else g[mask]
        w = None if weights is None else (weights if mask is None else weights[mask])
        return np.bincount(chosen, weights=w, minlength=n_groups)

    done, done_met, flagged = count(), count(met), count(exc)
    ex_met = count(met & ~exc)
    total_days = count(weights=days.astype(np.float64))
    bands, lower = {}, -1.0
    for label, last in ISSUE_BANDS:
        upper = np.inf if last is None else last
        bands[label] = count((days > lower) & (days <= upper))
        lower = upper
    out: list[Plan20Summary | None] = []
    for i in range(n_groups):
        if not has[i]:
            out.append(None)
            continue
        n, k, x, kx = int(done[i]), int(done_met[i]), int(flagged[i]), int(ex_met[i])
        out.append(Plan20Summary(
            excluding_exceptions=Rate(label="Excluding exceptions", met=kx, completed=n - x,
                                      rate=_rate(kx, n - x)),
            including_exceptions=Rate(label="Including exceptions", met=k, completed=n,
                                      rate=_rate(k, n)),
            exception_share=_rate(x, n),
            bands={label: int(v[i]) for label, v in bands.items()},
            mean_weeks_to_issue=round(float(total_days[i]) / n / 7, 1) if n else None,
        ))  # fmt: skip
    return out


def _band(days: pd.Series, bands: list[tuple[str, int | None]]) -> dict[str, int]:
    out: dict[str, int] = {}
    lower: float = -1
    for label, last in bands:
        upper = np.inf if last is None else last
        out[label] = int(((days > lower) & (days <= upper)).sum())
        lower = upper
    return out


def plan_20w_summary(cases: pd.DataFrame, period: Period) -> Plan20Summary | None:
    """The 20-week figures of plans issued in ``period``, as DfE publishes them; None without
    any 20-week case."""
    return plan_20w_by_group(cases, np.zeros(len(cases), dtype=np.int64), 1, period)[0]


def open_assessments(cases: pd.DataFrame, as_at: date) -> dict[str, int]:
    """Requests still waiting for a plan, by weeks since the request, as at the as-at date."""
    mine = cases[(cases["rule"] == PLAN_20W) & cases["status"].isin(["open", "overdue"])]
    days = (pd.Timestamp(as_at) - mine["start_date"]).dt.days
    return _band(days, BACKLOG_BANDS)


def _trend_months(period: Period) -> np.ndarray:
    """The months of the trend: the 12 to the end of the period, or every month of a longer
    period."""
    first = min(pd.Timestamp(period.start), pd.Timestamp(_shift(period.end, -11).replace(day=1)))
    return np.arange(np.datetime64(first, "M"), np.datetime64(period.end, "M") + 1)


def trend(cases: pd.DataFrame, period: Period, rules: RuleSet | None = None) -> list[TrendPoint]:
    """On-time rates by month of completion, for the 12 months to the end of the period
    (or every month of a longer period); for rules with an exception flag, the rate excluding
    flagged cases beside it."""
    months = _trend_months(period)
    first = months[0].astype("datetime64[D]")
    ids = list(cases["rule"].cat.categories)
    status = cases["status"].cat.codes.to_numpy()
    end = cases["end_date"].to_numpy()
    done = ((status == MET) | (status == LATE)) & (end >= first)
    done &= end <= np.datetime64(period.end)  # NaT compares False: open cases drop out here
    month = (end[done].astype("datetime64[M]") - months[0]).astype(np.int64)
    key = cases["rule"].cat.codes.to_numpy().astype(np.int64)[done] * len(months) + month
    size = len(ids) * len(months)
    met_done = status[done] == MET
    flagged = cases["exception"].fillna(False).to_numpy(dtype=bool)[done]
    counts = {
        "n": np.bincount(key, minlength=size), "k": np.bincount(key[met_done], minlength=size),
        "nx": np.bincount(key[~flagged], minlength=size),
        "kx": np.bincount(key[met_done & ~flagged], minlength=size),
    }  # fmt: skip
    with_exception = ({r.id for r in rules.enabled
                       if isinstance(r, IntervalRule) and r.exception is not None}
                      if rules else set())  # fmt: skip
    points = []
    for r, rule in enumerate(ids):
        for m, month64 in enumerate(months):
            i = r * len(months) + m
            n, k, nx, kx = (int(counts[c][i]) for c in ("n", "k", "nx", "kx"))
            excluding = (Rate(label="Excluding exceptions", met=kx, completed=nx,
                              rate=_rate(kx, nx)) if rule in with_exception else None)  # fmt: skip
            points.append(TrendPoint(month=str(month64), rule=rule, completed=n, met=k,
                                     on_time_rate=_rate(k, n),
                                     excluding_exceptions=excluding))  # fmt: skip
    return points


def backlog(cases: pd.DataFrame, period: Period, as_at: date) -> list[BacklogPoint]:
    """The assessment backlog (requests in the 20-week clock's scope with no plan yet) at each
    month end from the first month of the trend, or 12 months before the as-at date if that is
    earlier, to the as-at date, and at the as-at date itself.

    Reconstructed from today's case list: a request counts as waiting at a date if it was
    received by then and its plan was issued after it (or not yet). A request withdrawn or
    refused since is not in the 20-week clock's scope, so it is not counted at earlier dates
    either: the history can run a little below what was waiting then.
    """
    twenty = (cases["rule"] == PLAN_20W).to_numpy()
    start = cases["start_date"].to_numpy()[twenty].astype("datetime64[D]")
    due = cases["due_date"].to_numpy()[twenty].astype("datetime64[D]")
    end = cases["end_date"].to_numpy()[twenty].astype("datetime64[D]")
    as_at64 = np.datetime64(as_at, "D")
    first = min(_trend_months(period)[0], as_at64.astype("datetime64[M]") - 12)
    months = np.arange(first, as_at64.astype("datetime64[M]") + 1)
    ends = (months + 1).astype("datetime64[D]") - np.timedelta64(1, "D")
    days = [*ends[ends < as_at64], as_at64]
    out = []
    for day in days:
        waiting = (start <= day) & ~(end <= day)  # NaT compares False: not issued yet
        past = waiting & (due < day)  # the rule's own due date, not a second 20 weeks
        out.append(BacklogPoint(date=day.astype(date), open=int(waiting.sum()),
                                past_20_weeks=int(past.sum())))  # fmt: skip
    return out


def previous_census(as_at: date, period: Period) -> date:
    """The census date for :meth:`Period.previous`'s report: the as-at date moved back by as
    long as the previous period is before this one, so a year-on-year comparison of an as-at
    measure (DfE's review decisions) compares like with like."""
    if months := period.months:
        return _shift(as_at, -months)
    return as_at - (period.end - period.start) - timedelta(days=1)


def build_report(
    validated: Validated,
    cases: pd.DataFrame,
    rules: RuleSet,
    *,
    as_at: date,
    period: Period,
    due_within: int = 4,
    by: str | None = None,
    census: date | None = None,
    compare_only: bool = False,
) -> Report:
    """The whole report model for a validated extract and its evaluated cases.

    ``census`` is the date DfE's review-decision measure is taken at: the as-at date unless
    given (:func:`previous_census` gives the one for the previous period). ``compare_only``
    makes a report that is only compared with (the previous period's, a published year's):
    its rates and DfE's measures, without the open assessments, trend and backlog, which are
    as at the as-at date and the same for every period.
    """
    census = census or as_at
    groups: list[Group] = []
    if by is not None:
        codes, labels = dimension_codes(cases, validated.tables, rules, by)
        groups = breakdown(cases, codes, labels, rules, period, as_at, due_within)
    plans = validated.tables.get("plans")
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
        dfe_review_decisions=None if plans is None else review_decisions(plans, census),
        dfe_request_decisions=request_decisions(cases, period.start, period.end, as_at),
        open_assessments={} if compare_only else open_assessments(cases, as_at),
        trend=[] if compare_only else trend(cases, period, rules),
        backlog=[] if compare_only else backlog(cases, period, as_at),
        by=by,
        breakdown=groups,
    )
