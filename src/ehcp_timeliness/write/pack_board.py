"""The board sheets of the pack: Headline, Summary, Trend, Backlog and Breakdown.

Each prints on a page or two. The Headline is the page a board member reads in two minutes:
each statutory measure this period and last with its cases, the change in points and whether
it is better or worse, the target and where it comes from, the status in words as well as
colour, the backlog, a sentence per measure, and two small trend charts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ehcp_timeliness.analysis import Analysis
from ehcp_timeliness.clocks.engine import OPEN, OVERDUE
from ehcp_timeliness.report import BACKLOG_BANDS, PLAN_20W, REVIEW_12M, Report, _band
from ehcp_timeliness.scorecard import Scorecard, ScoreRow
from ehcp_timeliness.targets import Targets
from ehcp_timeliness.words import FEW_CASES, dimension_label, period_phrase, value_label
from ehcp_timeliness.write.pack import Block, Chart, Format, Sheet

#: The Trend sheet's columns the Headline's small charts read.
RATE_20W = "Plans within 20 weeks, excluding exceptions (%)"
ISSUED_20W = "Plans issued, excluding exceptions"
TARGET_20W = "Target (%)"
WAITING = "Requests waiting at month end"
PAST_20W = "Of which past 20 weeks"
NONE_PAST = "Target: none past 20 weeks"
STATUS_WORDS = {
    "met": "Met", "late": "Late", "open": "Open (not yet due)", "overdue": "Overdue",
    "not-owed": "Not owed", "unknown": "Unknown",
}  # fmt: skip


def board_sheets(
    analysis: Analysis, card: Scorecard, targets: Targets, council: str
) -> list[Sheet]:
    report = analysis.report
    england = _england_20w(analysis)
    return [
        headline(report, card, council, england),
        summary(report, card),
        trend(analysis, targets, england),
        backlog(analysis),
        breakdown(report, targets),
    ]


def _england_20w(analysis: Analysis) -> tuple[float, str] | None:
    """England's latest published 20-week rate and its year, when published figures are in."""
    if analysis.benchmark is None:
        return None
    return next((m.latest_england() for m in analysis.benchmark.measures if m.id == PLAN_20W),
                None)  # fmt: skip


def _better(row: ScoreRow) -> str:
    return {"better": "Better", "worse": "Worse", "no change": "No change"}.get(
        row.direction or "", "")  # fmt: skip


def _points(change: float | None) -> float | None:
    """A change of two rates in percentage points (0.015 -> 1.5), rounded once when shown."""
    return None if change is None else change * 100


def headline(report: Report, card: Scorecard, council: str,
             england: tuple[float, str] | None) -> Sheet:  # fmt: skip
    rows = [{
        "Measure": r.label,
        "This period (%)": r.rate,
        "Cases": f"{r.met:,} of {r.completed:,}" if r.completed else "no cases",
        "Previous period (%)": r.previous_rate,
        "Change (points)": _points(r.change),
        "Better or worse": _better(r),
        "Target (%)": r.target,
        "Target from": r.target_source,
        "Status": r.status,
    } for r in card.rows]  # fmt: skip
    frame = pd.DataFrame(rows, columns=["Measure", "This period (%)", "Cases",
                                        "Previous period (%)", "Change (points)",
                                        "Better or worse", "Target (%)", "Target from",
                                        "Status"])  # fmt: skip
    formats: dict[str, Format] = {"This period (%)": "percent", "Previous period (%)": "percent",
                                  "Change (points)": "points", "Target (%)": "percent"}  # fmt: skip
    period, previous = card.period, card.previous_period
    notes = [
        f"As at {report.as_at:%-d %B %Y}. This period: {period_phrase(period)[3:]}, against "
        f"{period_phrase(previous).removeprefix('in ')}. A change is in percentage points; "
        f"rates from fewer than {FEW_CASES} cases are marked in the sentences below.",
    ]
    if card.backlog is not None:
        notes.append(card.backlog.sentence)
    notes += [f"• {r.sentence}" for r in card.rows]
    if card.not_shown:
        notes.append(card.not_shown)
    charts = [
        Chart("line", "Plans within 20 weeks, excluding exceptions", "On time",
              [RATE_20W, TARGET_20W, *([f"England {england[1]} (%)"] if england else [])],
              percent=True, sheet="Trend", small=True),
        Chart("line", "Requests waiting for a plan, at month end", "Requests",
              [WAITING, PAST_20W, NONE_PAST], sheet="Trend", small=True),
    ]  # fmt: skip
    return Sheet(
        "Headline", f"{council}: EHC plan statutory timeliness, {period.label}", notes,
        [Block("Headline", frame, formats, empty="No measure has any case in this extract.")],
        charts, status_column="Status",
        description="The statutory measures this period and last, against target, in words",
        pages=1,
    )  # fmt: skip


def summary(report: Report, card: Scorecard) -> Sheet:
    rows = [{
        "Measure": r.label, "This period (%)": r.rate, "On time": r.met, "Cases": r.completed,
        "Previous period (%)": r.previous_rate, "Previous cases": r.previous_completed,
        "Change (points)": _points(r.change), "Better or worse": _better(r),
        "Target (%)": r.target, "Target from": r.target_source, "Status": r.status,
        "Under 10 cases": "Yes" if r.few_cases else "",
        "Open (not yet due)": r.open, "Overdue": r.overdue,
        "Waiting (open + overdue)": r.backlog, "Counts": r.basis, "Rule id": r.key,
    } for r in card.rows]  # fmt: skip
    frame = pd.DataFrame(rows)
    for column in ("Previous cases", "Open (not yet due)", "Overdue",
                   "Waiting (open + overdue)"):  # fmt: skip
        if column in frame:
            frame[column] = frame[column].astype("Int64")
    formats: dict[str, Format] = {
        "This period (%)": "percent", "Previous period (%)": "percent", "Target (%)": "percent",
        "Change (points)": "points", "On time": "int", "Cases": "int", "Previous cases": "int",
        "Open (not yet due)": "int", "Overdue": "int", "Waiting (open + overdue)": "int",
    }  # fmt: skip
    period, previous = card.period, card.previous_period
    return Sheet(
        "Summary", f"KPI scorecard, {period.label}",
        [f"On-time rates for cases completed {period_phrase(period)} ({period.start:%d/%m/%Y} "
         f"to {period.end:%d/%m/%Y}), against {period_phrase(previous).removeprefix('in ')} "
         f"({previous.start:%d/%m/%Y} to {previous.end:%d/%m/%Y}). Each rate sits beside the "
         "cases it counts, and is compared with the target set on that same measure: the "
         "20-week rate excludes exceptions, as DfE's headline does; rows marked DfE measure "
         "reproduce DfE's published definitions. 'Open (not yet due)' and 'Overdue' are as at "
         f"{report.as_at:%d/%m/%Y} and do not overlap: waiting = open + overdue. Status: On "
         "target, Below target (within the amber band), Well below. Each rule's legal source "
         "is on the Rules sheet."],
        [Block("Scorecard", frame, formats, empty="No measure has any case in this extract.")],
        status_column="Status",
        description="The full scorecard: counts, target sources, open, overdue and waiting",
        pages=1,
    )  # fmt: skip


def _month_end(month: str) -> pd.Timestamp:
    return pd.Timestamp(month) + pd.offsets.MonthEnd(0)


def _per_month(dates: np.ndarray, first: np.datetime64, months: int) -> np.ndarray:
    """How many of ``dates`` fall in each of ``months`` calendar months from ``first``."""
    index = (dates.astype("datetime64[M]") - first).astype(np.int64)
    inside = ~np.isnat(dates) & (index >= 0) & (index < months)
    return np.bincount(index[inside], minlength=months)


def trend(analysis: Analysis, targets: Targets, england: tuple[float, str] | None) -> Sheet:
    report, cases = analysis.report, analysis.cases
    months = sorted({p.month for p in report.trend})
    by_key = {(p.month, p.rule): p for p in report.trend}
    frame = pd.DataFrame({"Month": [pd.Timestamp(m) for m in months]})
    formats: dict[str, Format] = {"Month": "month"}
    few: list[list[str]] = [[] for _ in months]

    def rate_columns(label: str, rule: str, excluding: bool) -> None:
        rates, counts = [], []
        for i, m in enumerate(months):
            p = by_key.get((m, rule))
            if p is None:
                rate, n = None, 0
            elif excluding and p.excluding_exceptions is not None:
                rate, n = p.excluding_exceptions.rate, p.excluding_exceptions.completed
            else:
                rate, n = p.on_time_rate, p.completed
            rates.append(rate)
            counts.append(n)
            if 0 < n < FEW_CASES:
                few[i].append(label)
        frame[f"{label} (%)"] = rates
        frame[f"{label}: cases"] = counts
        formats[f"{label} (%)"], formats[f"{label}: cases"] = "percent", "int"

    twenty = next((r for r in report.rules if r.rule == PLAN_20W), None)
    if twenty is not None:
        rate_columns("Plans within 20 weeks, excluding exceptions", PLAN_20W, excluding=True)
        frame = frame.rename(columns={
            "Plans within 20 weeks, excluding exceptions: cases": ISSUED_20W})  # fmt: skip
        formats[ISSUED_20W] = "int"
        frame[TARGET_20W] = targets.target(PLAN_20W)
        formats[TARGET_20W] = "percent"
        if england is not None:
            frame[f"England {england[1]} (%)"] = england[0]
            formats[f"England {england[1]} (%)"] = "percent"
    waiting = {p.date: p for p in report.backlog}
    ends = [_month_end(m).date() for m in months]
    frame[WAITING] = [waiting[d].open if d in waiting else None for d in ends]
    frame[PAST_20W] = [waiting[d].past_20_weeks if d in waiting else None for d in ends]
    frame[NONE_PAST] = 0
    for column in (WAITING, PAST_20W, NONE_PAST):
        frame[column] = frame[column].astype("Int64")
        formats[column] = "int"
    reviews = cases[(cases["rule"] == REVIEW_12M).to_numpy()]
    reviews = reviews[(reviews["status"] != "not-owed").to_numpy()]  # ended with the plan
    if len(reviews) and months:
        first = np.datetime64(months[0], "M")
        frame["Annual reviews falling due"] = _per_month(reviews["due_date"].to_numpy(), first,
                                                         len(months))  # fmt: skip
        frame["Annual reviews held"] = _per_month(reviews["end_date"].to_numpy(), first,
                                                  len(months))  # fmt: skip
        formats["Annual reviews falling due"] = formats["Annual reviews held"] = "int"
    frame[f"Rates from fewer than {FEW_CASES} cases"] = ["; ".join(f) for f in few]
    charts = []
    if twenty is not None:
        charts.append(Chart("line", "Plans within 20 weeks, excluding exceptions", "On time",
                            [RATE_20W, TARGET_20W,
                             *([f"England {england[1]} (%)"] if england else [])],
                            percent=True, small=True))  # fmt: skip
    charts.append(Chart("line", "Requests waiting for a final plan, at month end", "Requests",
                        [WAITING, PAST_20W, NONE_PAST], small=True))  # fmt: skip
    if "Annual reviews held" in frame:
        charts.append(Chart("bar", "Annual reviews falling due and held, by month", "Reviews",
                            ["Annual reviews falling due", "Annual reviews held"],
                            small=True))  # fmt: skip
    return Sheet(
        "Trend", "On-time rates, the backlog and annual reviews by month",
        ["The 20-week rate of plans issued in each month, beside the plans it counts; requests "
         "waiting for a final plan at each month end (rebuilt from today's case list: a request "
         "withdrawn since is not counted at earlier dates either); annual reviews falling due "
         f"and held. A rate from fewer than {FEW_CASES} cases is named in the last column: read "
         "it with care. Every measure's rate by month is on the Monthly rates sheet."],
        [Block("Trend", frame, formats, empty="No month has any completed case.")], charts,
        description="The 20-week rate, the backlog and annual reviews by month, charted",
        pages=1,
    )  # fmt: skip


def monthly_rates(report: Report) -> Sheet:
    """Every measure's on-time rate by month of completion, beside the cases it counts: one
    row per measure and month (the 20-week rate excluding exceptions, as DfE's headline)."""
    labels = {r.rule: r.label or r.title for r in report.rules}
    with_cases = {p.rule for p in report.trend if p.completed}
    rows = []
    for p in report.trend:
        if p.rule not in with_cases:
            continue
        shown = p.excluding_exceptions
        rate, met, n = (shown.rate, shown.met, shown.completed) if shown else (
            p.on_time_rate, p.met, p.completed)  # fmt: skip
        rows.append({"Month": pd.Timestamp(p.month), "Measure": labels.get(p.rule, p.rule),
                     "Rule id": p.rule, "On time (%)": rate, "On time": met, "Cases": n,
                     "Under 10 cases": "Yes" if 0 < n < FEW_CASES else "",
                     "Counts": "excluding exceptions" if shown else "all completed"})  # fmt: skip
    frame = pd.DataFrame(rows, columns=["Month", "Measure", "Rule id", "On time (%)", "On time",
                                        "Cases", "Under 10 cases", "Counts"])  # fmt: skip
    return Sheet(
        "Monthly rates", "On-time rates by month of completion, every measure",
        ["One row per measure and month: the on-time rate of cases completed that month, beside "
         "the cases it counts. Filter by measure to see one trend."],
        [Block("Monthly rates", frame, {"Month": "month", "On time (%)": "percent",
                                        "On time": "int", "Cases": "int"},
               empty="No case was completed in the trend's months.")],
        section="reference", description="Every measure's on-time rate by month, with its cases",
    )  # fmt: skip


def backlog(analysis: Analysis) -> Sheet:
    report, cases = analysis.report, analysis.cases
    status = cases["status"].cat.codes.to_numpy()
    mine = cases[((cases["rule"] == PLAN_20W).to_numpy()) & ((status == OPEN) |
                                                          (status == OVERDUE))]  # fmt: skip
    days = (pd.Timestamp(report.as_at) - mine["start_date"]).dt.days.to_numpy()
    overdue = mine["status"].cat.codes.to_numpy() == OVERDUE  # past the rule's due date
    by = report.by
    group_name = dimension_label(by) if by else "Council"
    if by:
        codes, labels = analysis.dimension(mine, by)
        shown = [value_label(by, v) for v in labels]
    else:
        codes, shown = np.zeros(len(mine), dtype=np.int64), ["All"]
    names, merged = np.unique(np.array(shown, dtype=object), return_inverse=True)
    group = merged[codes] if len(codes) else np.zeros(0, dtype=np.int64)
    # Counts per (group, band) in one pass, with _band's bands: (previous limit, limit] days.
    limits = [np.inf if last is None else last for _, last in BACKLOG_BANDS]
    band = np.searchsorted(limits, days, side="left")
    counted = days > -1
    n = len(names)
    per_band = np.bincount(group[counted] * len(limits) + band[counted],
                           minlength=n * len(limits)).reshape(n, len(limits))  # fmt: skip
    waiting = np.bincount(group, minlength=n)
    past = np.bincount(group, weights=overdue, minlength=n).astype(np.int64)
    bands = [label for label, _ in BACKLOG_BANDS]
    rows = [{group_name: names[i], **dict(zip(bands, map(int, per_band[i]), strict=True)),
             "Waiting": int(waiting[i]), "Past 20 weeks": int(past[i])}
            for i in range(n) if waiting[i]]  # fmt: skip
    total = _band(pd.Series(days), BACKLOG_BANDS)
    rows.append({group_name: "Total", **total, "Waiting": len(days),
                 "Past 20 weeks": int(overdue.sum())})  # fmt: skip
    frame = pd.DataFrame(rows)
    formats: dict[str, Format] = {c: "int" for c in frame.columns[1:]}
    return Sheet(
        "Backlog", f"Requests waiting for a final plan, by weeks since the request, as at "
        f"{report.as_at:%d/%m/%Y}",
        ["Requests still waiting for a final plan (the 20-week clock runs from receipt, "
         f"whatever stage the case is at), by {group_name.lower()}. 'Waiting' is every such "
         "request, open (not yet due) or overdue; 'Past 20 weeks' is those overdue."],
        [Block("Waiting", frame, formats)],
        description="The assessment backlog by weeks waiting, " + (
            f"by {group_name.lower()}" if by else "for the council"),
        pages=1,
    )  # fmt: skip


def breakdown(report: Report, targets: Targets) -> Sheet:
    by = report.by
    group = dimension_label(by) if by else "Group"
    rows = []
    for g in report.breakdown:
        for r in g.rules:
            if not any((r.completed, r.open, r.overdue)):
                continue
            completed, met, rate = r.completed, r.met, r.on_time_rate
            if r.rule == PLAN_20W and g.plan_20w is not None:  # as the target: DfE's headline
                ex = g.plan_20w.excluding_exceptions
                completed, met, rate = ex.completed, ex.met, ex.rate
            rows.append({
                group: value_label(by or "", g.value), "Measure": r.label or r.title,
                "Rule id": r.rule, "On time (%)": rate, "On time": met, "Cases": completed,
                "Target (%)": targets.target(r.rule), "Status": targets.status(r.rule, rate),
                "Open (not yet due)": r.open, "Overdue": r.overdue,
            })  # fmt: skip
    frame = pd.DataFrame(rows, columns=[group, "Measure", "Rule id", "On time (%)", "On time",
                                        "Cases", "Target (%)", "Status", "Open (not yet due)",
                                        "Overdue"])  # fmt: skip
    formats: dict[str, Format] = {"On time (%)": "percent", "On time": "int", "Cases": "int",
                                  "Target (%)": "percent", "Open (not yet due)": "int",
                                  "Overdue": "int"}  # fmt: skip
    if by:
        note = (f"The scorecard by {group.lower()}, for cases completed in "
                f"{report.period.label}. The 20-week rate excludes exceptions, as DfE's "
                "headline and its target do; the other rates are the tool's own. Measures with "
                "no case in a group are left out.")  # fmt: skip
        empty = f"No {group.lower()} has a case."
    else:
        note = "No breakdown: give --by COLUMN (for example team) to break the scorecard down."
        empty = "No breakdown was asked for, and the extract has no team column."
    return Sheet("Breakdown", f"Scorecard by {group.lower()}" if by else "Scorecard breakdown",
                 [note], [Block("Breakdown", frame, formats, empty=empty)],
                 status_column="Status",
                 description=f"The scorecard by {group.lower()}" if by else "The scorecard "
                 "broken down (none asked for)")  # fmt: skip
