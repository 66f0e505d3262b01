"""The scorecard: each statutory measure this period and last, against its target, in words.

One row per measure a board reads: each rule in force that has cases, with DfE's reproduced
measures after the rules they measure. Each row holds one basis only: the 20-week rate beside
its own denominator, excluding exceptions as DfE's headline does; a DfE measure beside its own
numerator and denominator; every other rule's on-time rate beside the cases completed in the
period. The target is the one set on that same measure, with where it comes from.

The console headline and the board pack's Headline and Summary sheets are all made from this.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from ehcp_timeliness.measures import DfeMeasure
from ehcp_timeliness.report import PLAN_20W, BacklogPoint, Period, Report, RuleSummary
from ehcp_timeliness.targets import DFE_REQUEST_DECISIONS, DFE_REVIEW_DECISIONS, Status, Targets
from ehcp_timeliness.words import FEW_CASES, backlog_sentence, measure_sentence

#: DfE's reproduced measures, each shown after the rule it measures:
#: (rule id, target key, the report's field).
DFE_ROWS = [
    ("decision-6w", DFE_REQUEST_DECISIONS, "dfe_request_decisions"),
    ("review-decision-4w", DFE_REVIEW_DECISIONS, "dfe_review_decisions"),
]
#: DfE's measures' names on a board page, in DfE's words, marked as DfE's.
DFE_LABELS = {
    DFE_REQUEST_DECISIONS: "Requests decided within 6 weeks (DfE measure)",
    DFE_REVIEW_DECISIONS: "Review decisions within 4 weeks (DfE measure)",
}
Direction = Literal["better", "worse", "no change"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class ScoreRow(_Model):
    """One measure: this period, the previous period, the target, and a sentence."""

    #: The key its target is set on: a rule id, or a DfE measure's key.
    key: str
    rule: str
    title: str
    #: A few words for a board page.
    label: str
    #: What the rate counts, in a few words ("excluding exceptions", "DfE measure"...).
    basis: str
    rate: float | None
    met: int
    completed: int
    previous_rate: float | None
    previous_met: int | None
    previous_completed: int | None
    #: This period's rate less the previous period's, as a fraction (0.015 is 1.5 points).
    change: float | None
    direction: Direction | None
    target: float
    target_source: str
    status: Status
    #: Cases not yet due, past due and still open, and both together, as at the as-at date
    #: (None where the measure has no such count).
    open: int | None
    overdue: int | None
    backlog: int | None
    citation: str
    few_cases: bool
    sentence: str


class BacklogLine(_Model):
    """The assessment backlog now and at the end of the month before, in a sentence."""

    now: BacklogPoint
    before: BacklogPoint | None
    sentence: str


class Scorecard(_Model):
    period: Period
    previous_period: Period
    rows: list[ScoreRow]
    backlog: BacklogLine | None
    #: Rules in force with no case at all, this period or the last (tribunal orders in an
    #: extract without that table, say): named, not shown as rows of zeros.
    without_cases: list[str]
    #: What :attr:`without_cases` says, in a sentence (None when every rule has cases).
    not_shown: str | None = None


def _direction(change: float | None) -> Direction | None:
    if change is None:
        return None
    if round(change * 1000) == 0:  # under 0.05 points: the shown figures are the same
        return "no change"
    return "better" if change > 0 else "worse"  # every measure here: higher is better


def _has_cases(r: RuleSummary) -> bool:
    return any((r.completed, r.open, r.overdue, r.not_owed, r.unknown))


def _rule_row(r: RuleSummary, before: RuleSummary | None, report: Report, previous: Report,
              targets: Targets) -> ScoreRow:  # fmt: skip
    if r.rule == PLAN_20W and report.plan_20w is not None:  # DfE's headline basis
        now = report.plan_20w.excluding_exceptions
        was = previous.plan_20w.excluding_exceptions if previous.plan_20w else None
        basis = "issued in the period, excluding exceptions"
        rate, met, completed = now.rate, now.met, now.completed
        p_rate = was.rate if was else None
        p_met, p_completed = (was.met, was.completed) if was else (None, None)
    else:
        basis = "completed in the period"
        rate, met, completed = r.on_time_rate, r.met, r.completed
        p_rate = before.on_time_rate if before else None
        p_met, p_completed = (before.met, before.completed) if before else (None, None)
    return _row(r.rule, r.rule, r.title, r.label or r.title, basis, rate, met, completed,
                p_rate, p_met, p_completed, report.period, targets, open_=r.open,
                overdue=r.overdue, citation=r.citation)  # fmt: skip


def _dfe_row(key: str, rule: str, now: DfeMeasure, before: DfeMeasure | None, period: Period,
             targets: Targets, citation: str) -> ScoreRow:  # fmt: skip
    review = key == DFE_REVIEW_DECISIONS
    return _row(
        key, rule, now.label, DFE_LABELS.get(key, now.label),
        "DfE measure (see Notes)", now.rate,
        now.numerator, now.denominator, before.rate if before else None,
        before.numerator if before else None, before.denominator if before else None, period,
        targets,
        open_=now.counts.get("decision_not_due") if review else None,
        overdue=now.counts.get("decision_outstanding") if review else None,
        citation=citation,
    )  # fmt: skip


def _row(key: str, rule: str, title: str, label: str, basis: str, rate: float | None, met: int,
         completed: int, p_rate: float | None, p_met: int | None, p_completed: int | None,
         period: Period, targets: Targets, *, open_: int | None, overdue: int | None,
         citation: str) -> ScoreRow:  # fmt: skip
    change = None if rate is None or p_rate is None else rate - p_rate
    target, source = targets.target(key), targets.source(key)
    return ScoreRow(
        key=key, rule=rule, title=title, label=label, basis=basis, rate=rate, met=met,
        completed=completed,
        previous_rate=p_rate, previous_met=p_met, previous_completed=p_completed,
        change=change, direction=_direction(change), target=target, target_source=source,
        status=targets.status(key, rate), open=open_, overdue=overdue,
        backlog=None if open_ is None or overdue is None else open_ + overdue,
        citation=citation, few_cases=0 < completed < FEW_CASES,
        sentence=measure_sentence(label, key, rate, completed, period, previous=p_rate,
                                  target=target, target_source=source),
    )  # fmt: skip


def build_scorecard(report: Report, previous: Report, targets: Targets) -> Scorecard:
    """The scorecard of a report against the previous period's, on ``targets``."""
    before = {r.rule: r for r in previous.rules}
    rows: list[ScoreRow] = []
    without = []
    for r in report.rules:
        was = before.get(r.rule)
        if not _has_cases(r) and (was is None or not _has_cases(was)):
            without.append(r.rule)
            continue
        rows.append(_rule_row(r, was, report, previous, targets))
        for rule, key, field in DFE_ROWS:
            measure = getattr(report, field)
            if rule == r.rule and measure is not None:
                rows.append(_dfe_row(key, rule, measure, getattr(previous, field),
                                     report.period, targets, r.citation))  # fmt: skip
    line = None
    if report.backlog:
        now = report.backlog[-1]
        earlier = [p for p in report.backlog[:-1] if p.date < now.date]
        was_point = earlier[-1] if earlier else None
        line = BacklogLine(now=now, before=was_point, sentence=backlog_sentence(
            now.open, now.past_20_weeks, now.date,
            was_point.open if was_point else None,
            was_point.past_20_weeks if was_point else None,
            was_point.date if was_point else None))  # fmt: skip
    return Scorecard(period=report.period, previous_period=previous.period, rows=rows,
                     backlog=line, without_cases=without,
                     not_shown=_not_shown(without, report))  # fmt: skip


TABLE_WORDS = {"requests": "requests", "plans": "plans", "tribunal_orders": "tribunal orders"}


def _not_shown(without: list[str], report: Report) -> str | None:
    """Which measures have no case at all: those on a table the extract lacks in a few words,
    the others by name."""
    if not without:
        return None
    usable: dict[str, int] = {}
    for s in report.inputs:
        usable[s.table] = usable.get(s.table, 0) + s.rows_usable
    by_table: dict[str, list[str]] = {}
    for r in report.rules:
        if r.rule in without:
            by_table.setdefault(r.table, []).append(r.label or r.title)
    parts = []
    for table, labels in by_table.items():
        if not usable.get(table):
            n = len(labels)
            parts.append(f"the extract has no {TABLE_WORDS.get(table, table)}, so {n} "
                         f"measure{'s' * (n != 1)} on them {'have' if n != 1 else 'has'} no "
                         "cases")  # fmt: skip
        else:
            parts.append("no cases for " + ", ".join(labels))
    return "Not shown: " + "; ".join(parts) + "."
