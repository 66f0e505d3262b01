"""Evaluate the statutory clocks over validated tables, with column operations only.

Every (record, rule) in scope becomes one *case*: when the clock started, when it fell due,
when (if ever) it stopped, and a status:

* ``met``: stopped on or before the due date;
* ``late``: stopped after the due date;
* ``open``: not stopped, and the as-at date is on or before the due date;
* ``overdue``: not stopped, and the as-at date is after the due date (or, for an annual
  review, the plan ceased after the review fell due without one).

``days_over`` is the days late or overdue, else 0.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from ehcp_timeliness.dates import period_end
from ehcp_timeliness.rules import (
    Condition,
    DeadlineRule,
    IntervalRule,
    ReviewChainRule,
    RuleSet,
)
from ehcp_timeliness.schema import columns

STATUSES = ["met", "late", "open", "overdue"]
CASE_COLUMNS = [
    "rule", "person_id", "record_id", "start_date", "due_date", "end_date", "status",
    "days_over", "exception",
]  # fmt: skip
D = "datetime64[D]"


def dimensions(frame: pd.DataFrame, table: str) -> list[str]:
    """The breakdown columns of a validated table: everything not in the schema."""
    known = set(columns(table))
    return [c for c in frame.columns if c not in known and not c.startswith("_")]


def evaluate(tables: dict[str, pd.DataFrame], rules: RuleSet, *, as_at: date) -> pd.DataFrame:
    """One row per (record, rule) in scope: :data:`CASE_COLUMNS` then dimension columns."""
    parts = []
    for rule in rules.enabled:
        frame = tables[rule.table]
        if frame.empty:
            continue
        if isinstance(rule, ReviewChainRule):
            part = _review_chain(rule, frame, as_at)
        elif isinstance(rule, DeadlineRule):
            part = _deadline(rule, frame, as_at)
        else:
            part = _interval(rule, frame, as_at)
        parts.append(part)
    cases = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=CASE_COLUMNS)
    cases["rule"] = pd.Categorical(cases["rule"], categories=[r.id for r in rules.enabled])
    cases["status"] = pd.Categorical(cases["status"], categories=STATUSES)
    return cases


def _record_ids(frame: pd.DataFrame, table: str) -> pd.Series:
    if table == "plans":
        return frame["plan_id"]
    fallback = frame["_file"].map(lambda f: Path(f).name) + ":" + frame["_row"].astype(str)
    return frame["request_id"].fillna(fallback)


def _in_scope(conditions: list[Condition], frame: pd.DataFrame) -> np.ndarray:
    keep = np.ones(len(frame), dtype=bool)
    for cond in conditions:
        values = frame[cond.column]
        if cond.in_ is not None:
            keep &= values.isin(cond.in_).fillna(False).to_numpy(dtype=bool)
        elif cond.not_in is not None:
            keep &= ~values.isin(cond.not_in).fillna(False).to_numpy(dtype=bool)
        else:
            keep &= (values.notna() == cond.present).to_numpy(dtype=bool)
    return keep


def judge(due: np.ndarray, stop: np.ndarray, as_at: date) -> tuple[np.ndarray, np.ndarray]:
    """Status and days over for due dates and (possibly NaT) stop dates."""
    due, stop = due.astype(D), stop.astype(D)
    as_at64 = np.datetime64(as_at, "D")
    stopped = ~np.isnat(stop)
    status = np.where(
        stopped,
        np.where(stop <= due, "met", "late"),
        np.where(as_at64 <= due, "open", "overdue"),
    )
    over = np.where(stopped, stop - due, as_at64 - due).astype(np.int64)
    return status, np.maximum(over, 0)


def _cases(rule, frame, start, due, stop, status, over, exception=None) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "rule": rule.id,
            "person_id": frame["person_id"].to_numpy(),
            "record_id": _record_ids(frame, rule.table).to_numpy(),
            "start_date": start.astype("datetime64[s]"),
            "due_date": due.astype("datetime64[s]"),
            "end_date": stop.astype("datetime64[s]"),
            "status": status,
            "days_over": over,
            "exception": exception if exception is not None else pd.NA,
        }
    )
    out["exception"] = out["exception"].astype("boolean")
    for dim in dimensions(frame, rule.table):
        out[dim] = frame[dim].to_numpy()
    if rule.table == "plans":  # review rows repeat plan-level dates: one case per event
        out = out.drop_duplicates(["record_id", "start_date", "due_date", "end_date"])
    return out


def _due_after(rule, start: np.ndarray) -> np.ndarray:
    if rule.limit.months is not None:
        return period_end(start, rule.limit.months, starting_with=rule.reading == "starting-with")
    return start.astype(D) + np.timedelta64(rule.limit.total_days, "D")


def _interval(rule: IntervalRule, frame: pd.DataFrame, as_at: date) -> pd.DataFrame:
    scope = _in_scope(rule.applies, frame) & frame[rule.start].notna().to_numpy()
    sub = frame.loc[scope]
    start = sub[rule.start].to_numpy(D)
    stop = sub[rule.stop].to_numpy(D)
    due = _due_after(rule, start)
    status, over = judge(due, stop, as_at)
    exception = None
    if rule.exception is not None:
        exception = (sub[rule.exception] == "1").fillna(False).to_numpy(dtype=bool)
    return _cases(rule, sub, start, due, stop, status, over, exception)


def _deadline(rule: DeadlineRule, frame: pd.DataFrame, as_at: date) -> pd.DataFrame:
    scope = _in_scope(rule.applies, frame) & frame[rule.due].notna().to_numpy()
    sub = frame.loc[scope]
    due = sub[rule.due].to_numpy(D)
    if rule.reading == "strict":  # "before 15 February": on or before 14 February
        due = due - np.timedelta64(1, "D")
    stop = sub[rule.stop].to_numpy(D)
    status, over = judge(due, stop, as_at)
    start = np.full(len(sub), np.datetime64("NaT"), dtype=D)
    return _cases(rule, sub, start, due, stop, status, over)


def _review_chain(rule: ReviewChainRule, frame: pd.DataFrame, as_at: date) -> pd.DataFrame:
    """Issue date, then each review meeting in date order: each link is due within the period
    starting with the previous one. After the last meeting the next review is pending, unless
    the plan ceased before it fell due (then none is owed)."""
    frame = frame.loc[_in_scope(rule.applies, frame)]
    first = frame.drop_duplicates("plan_id")  # plan-level values: person, dimensions
    issue = frame.groupby("plan_id", sort=False)[rule.start].min()
    ceased = frame.groupby("plan_id", sort=False)["cease_date"].max()

    meetings = (
        frame.loc[frame[rule.stop].notna(), ["plan_id", rule.stop]]
        .drop_duplicates()
        .sort_values(["plan_id", rule.stop], kind="stable")
    )
    previous = meetings.groupby("plan_id", sort=False)[rule.stop].shift(1)
    previous = previous.fillna(meetings["plan_id"].map(issue))
    held = first.set_index("plan_id").loc[meetings["plan_id"]].reset_index()
    start = previous.to_numpy(D)
    stop = meetings[rule.stop].to_numpy(D)
    due = _due_after(rule, start)
    status, over = judge(due, stop, as_at)
    done = _cases(rule, held, start, due, stop, status, over)

    last = meetings.groupby("plan_id", sort=False)[rule.stop].max()
    pending_from = issue.to_frame("issue").join(last.rename("last"))
    start = pending_from["last"].fillna(pending_from["issue"]).to_numpy(D)
    due = _due_after(rule, start)
    cease = ceased.reindex(pending_from.index).to_numpy(D)
    has_ceased = ~np.isnat(cease)
    owed = ~has_ceased | (cease > due)
    none = np.full(len(start), np.datetime64("NaT"), dtype=D)
    status, over = judge(due, none, as_at)
    # Ceased after the review fell due, without one: overdue by the days to the cease date.
    late_cease = has_ceased & (cease > due)
    status = np.where(late_cease, "overdue", status)
    over = np.where(late_cease, (cease - due).astype(np.int64), over)
    plans = first.set_index("plan_id").loc[pending_from.index].reset_index()
    pending = _cases(
        rule, plans.loc[owed], start[owed], due[owed], none[owed], status[owed], over[owed]
    )
    return pd.concat([done, pending], ignore_index=True)
