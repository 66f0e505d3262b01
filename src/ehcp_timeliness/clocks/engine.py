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

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from ehcp_timeliness.clocks.rules import (
    Condition,
    DeadlineRule,
    IntervalRule,
    ReviewChainRule,
    RuleSet,
)
from ehcp_timeliness.dates import period_end
from ehcp_timeliness.schema import columns

STATUSES = ["met", "late", "open", "overdue"]
MET, LATE, OPEN, OVERDUE = range(4)  # codes into STATUSES
CASE_COLUMNS = [
    "rule", "person_id", "record_id", "start_date", "due_date", "end_date", "status",
    "days_over", "exception",
]  # fmt: skip
D = "datetime64[D]"
NOT_RECORDED = "(not recorded)"


def dimensions(frame: pd.DataFrame, table: str) -> list[str]:
    """The breakdown columns of a validated table: everything not in the schema."""
    known = set(columns(table))
    return [c for c in frame.columns if c not in known and not c.startswith("_")]


def all_dimensions(tables: dict[str, pd.DataFrame]) -> list[str]:
    """Dimension columns of either table, requests' first, each once."""
    dims: list[str] = []
    for name in ("requests", "plans"):
        dims += [d for d in dimensions(tables[name], name) if d not in dims]
    return dims


def case_tables(cases: pd.DataFrame, rules: RuleSet) -> np.ndarray:
    """For each case, the table its rule reads ("requests" or "plans")."""
    rule = cases["rule"].array  # categorical, as evaluate_rules makes it: one lookup per rule
    table_of = {r.id: r.table for r in rules.enabled}
    return np.array([table_of[c] for c in rule.categories])[rule.codes]


def evaluate_rules(
    tables: dict[str, pd.DataFrame], rules: RuleSet, *, as_at: date
) -> Iterator[pd.DataFrame]:
    """Each rule's cases as soon as it is evaluated (see :func:`evaluate`), in rule order."""
    rule_ids = [r.id for r in rules.enabled]
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
        codes = np.full(len(part), rule_ids.index(rule.id))
        part.insert(0, "rule", pd.Series(pd.Categorical.from_codes(
            codes, dtype=pd.CategoricalDtype(rule_ids)), index=part.index))  # fmt: skip
        yield part


def combine(parts: list[pd.DataFrame], rules: RuleSet) -> pd.DataFrame:
    """The rules' cases as one frame (an empty one with the right columns if none)."""
    if parts:
        return pd.concat(parts, ignore_index=True)
    empty = np.array([], dtype=D)
    out = _frame(np.array([], dtype=np.int64), empty, empty, empty,
                 np.array([], dtype=np.int8), np.array([], dtype=np.int64))  # fmt: skip
    out.insert(0, "rule", pd.Series([], dtype=pd.CategoricalDtype([r.id for r in rules.enabled])))
    return out


def evaluate(tables: dict[str, pd.DataFrame], rules: RuleSet, *, as_at: date) -> pd.DataFrame:
    """One row per (record, rule) in scope.

    The frame is lean: ``rule``, ``_src`` (the row position in the rule's validated table that
    the case comes from), ``start_date``, ``due_date``, ``end_date``, ``status``,
    ``days_over`` and ``exception``. :func:`case_details` adds the person, record id and
    dimensions for output, so a national extract's millions of cases do not each carry copies
    of its text.
    """
    return combine(list(evaluate_rules(tables, rules, as_at=as_at)), rules)


def record_ids(frame: pd.DataFrame, table: str) -> pd.Series:
    """plan_id for plans; request_id for requests, or "file.csv:row" where it is blank."""
    if table == "plans":
        return frame["plan_id"]
    ids = frame["request_id"]
    missing = ids.isna()
    if missing.any():
        sub = frame.loc[missing]
        names = {f: Path(f).name for f in sub["_file"].unique()}
        ids = ids.copy()
        ids[missing] = sub["_file"].astype(str).map(names) + ":" + sub["_row"].astype(str)
    return ids


def case_details(
    cases: pd.DataFrame, tables: dict[str, pd.DataFrame], rules: RuleSet
) -> pd.DataFrame:
    """Cases with ``person_id``, ``record_id`` and the dimension columns of their table, in
    :data:`CASE_COLUMNS` order, then the dimensions (requests' first). Rows keep the order
    they are given in."""
    cases = cases.reset_index(drop=True)
    dims = all_dimensions(tables)
    parts = []
    table_of = case_tables(cases, rules)
    for name in ("requests", "plans"):
        mine = np.flatnonzero(table_of == name)
        if not mine.size:
            continue
        src = cases["_src"].to_numpy()[mine]
        frame = tables[name]
        part = cases.iloc[mine].drop(columns="_src")
        part["person_id"] = frame["person_id"].take(src).set_axis(part.index)
        part["record_id"] = record_ids(frame, name).take(src).set_axis(part.index)
        for d in dimensions(frame, name):
            part[d] = frame[d].take(src).set_axis(part.index)
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=CASE_COLUMNS + dims)
    out = pd.concat(parts).sort_index(kind="stable") if len(parts) > 1 else parts[0]
    return out.reindex(columns=CASE_COLUMNS + dims).reset_index(drop=True)


def dimension_codes(
    cases: pd.DataFrame, tables: dict[str, pd.DataFrame], rules: RuleSet, column: str
) -> tuple[np.ndarray, list[str]]:
    """The value of a dimension column for each case, as ``(codes, labels)``: ``labels`` are
    the distinct values, sorted, and each case's code indexes them. "(not recorded)" stands
    where the case's table lacks the column or the cell is blank.

    Values are factorised once per table, so a case list of millions costs integer takes,
    not millions of strings.
    """
    table_of = case_tables(cases, rules)
    src = cases["_src"].to_numpy()
    parts = []  # (case positions, each case's code into the table's own labels, those labels)
    for name, frame in tables.items():
        mine = np.flatnonzero(table_of == name)
        if not mine.size:
            continue
        if column in frame.columns:
            codes, uniques = pd.factorize(frame[column].astype("string"), use_na_sentinel=True)
            own = [*map(str, uniques), NOT_RECORDED]
            parts.append((mine, codes[src[mine]], own))  # the sentinel -1 picks NOT_RECORDED
        else:
            parts.append((mine, np.zeros(mine.size, dtype=np.int64), [NOT_RECORDED]))
    labels = sorted({label for _, _, own in parts for label in own})
    index = {label: i for i, label in enumerate(labels)}
    out = np.zeros(len(cases), dtype=np.int64)
    for mine, codes, own in parts:
        out[mine] = np.array([index[label] for label in own], dtype=np.int64)[codes]
    present = np.bincount(out, minlength=len(labels)) > 0  # drop labels no case has
    remap = np.cumsum(present) - 1
    return remap[out], [label for label, kept in zip(labels, present, strict=True) if kept]


def dimension_of(
    cases: pd.DataFrame, tables: dict[str, pd.DataFrame], rules: RuleSet, column: str
) -> pd.Series:
    """The value of a dimension column for each case, as text (see :func:`dimension_codes`)."""
    codes, labels = dimension_codes(cases, tables, rules, column)
    return pd.Series(np.array(labels, dtype=object)[codes], index=cases.index, dtype="string")


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
    """Status (codes into :data:`STATUSES`) and days over, for due dates and (possibly NaT)
    stop dates."""
    as_at64 = np.datetime64(as_at, "D")  # any date unit: numpy compares across units
    stopped = ~np.isnat(stop)
    status = np.where(
        stopped,
        np.where(stop <= due, MET, LATE),
        np.where(as_at64 <= due, OPEN, OVERDUE),
    ).astype(np.int8)
    over = np.where(stopped, stop - due, as_at64 - due) // np.timedelta64(1, "D")
    return status, np.maximum(over, 0)


def _frame(src, start, due, stop, status, over, exception=None) -> pd.DataFrame:
    n = len(src)
    if exception is None:
        flag = pd.arrays.BooleanArray(np.zeros(n, dtype=bool), np.ones(n, dtype=bool))
    else:
        flag = pd.arrays.BooleanArray(np.asarray(exception, dtype=bool), np.zeros(n, dtype=bool))
    return pd.DataFrame(
        {
            "_src": np.asarray(src, dtype=np.int64),
            "start_date": start.astype("datetime64[s]", copy=False),
            "due_date": due.astype("datetime64[s]", copy=False),
            "end_date": stop.astype("datetime64[s]", copy=False),
            "status": pd.Categorical.from_codes(status, dtype=pd.CategoricalDtype(STATUSES)),
            "days_over": over,
            "exception": flag,
        }
    )


def _due_after(rule, start: np.ndarray) -> np.ndarray:
    if rule.limit.months is not None:
        return period_end(start, rule.limit.months, starting_with=rule.reading == "starting-with")
    return start + np.timedelta64(rule.limit.total_days, "D")  # keeps start's unit


def _interval(rule: IntervalRule, frame: pd.DataFrame, as_at: date) -> pd.DataFrame:
    src = np.flatnonzero(_in_scope(rule.applies, frame) & frame[rule.start].notna().to_numpy())
    start = frame[rule.start].to_numpy()[src]  # datetime64[s], as validated: no conversions
    stop = frame[rule.stop].to_numpy()[src]
    due = _due_after(rule, start)
    status, over = judge(due, stop, as_at)
    exception = None
    if rule.exception is not None:
        exception = (frame[rule.exception] == "1").fillna(False).to_numpy(dtype=bool)[src]
    return _frame(src, start, due, stop, status, over, exception)


def _deadline(rule: DeadlineRule, frame: pd.DataFrame, as_at: date) -> pd.DataFrame:
    src = np.flatnonzero(_in_scope(rule.applies, frame) & frame[rule.due].notna().to_numpy())
    if rule.table == "plans":  # a plan-level date repeated on each review row: one case each
        keys = frame[["plan_id", rule.due, rule.stop]].take(src)
        src = src[~keys.duplicated().to_numpy()]
    due = frame[rule.due].to_numpy(D)[src]
    if rule.reading == "strict":  # "before 15 February": on or before 14 February
        due = due - np.timedelta64(1, "D")
    stop = frame[rule.stop].to_numpy(D)[src]
    status, over = judge(due, stop, as_at)
    start = np.full(len(src), np.datetime64("NaT"), dtype=D)
    return _frame(src, start, due, stop, status, over)


def _review_chain(rule: ReviewChainRule, frame: pd.DataFrame, as_at: date) -> pd.DataFrame:
    """Issue date, then each review meeting in date order: each link is due within the period
    starting with the previous one. After the last meeting the next review is pending, unless
    the plan ceased before it fell due (then none is owed).

    One sort by (plan, meeting) and per-plan reductions over its runs, all in numpy.
    """
    scope = np.flatnonzero(_in_scope(rule.applies, frame))
    plan_code = pd.factorize(frame["plan_id"])[0][scope]
    meeting = frame[rule.stop].to_numpy(D)[scope]
    never = np.iinfo(np.int64).max  # sorts a missing meeting after every real one
    order = np.lexsort((np.where(np.isnat(meeting), never, meeting.astype(np.int64)), plan_code))
    plan_code, meeting, src = plan_code[order], meeting[order], scope[order]
    first = np.r_[True, plan_code[1:] != plan_code[:-1]] if len(src) else np.zeros(0, bool)
    starts = np.flatnonzero(first)
    plan = np.cumsum(first) - 1  # 0, 1, ... for each plan, in sorted order
    issue = frame[rule.start].to_numpy(D)[src]
    cease = frame["cease_date"].to_numpy(D)[src]

    def per_plan(values: np.ndarray, reduce: np.ufunc) -> np.ndarray:
        return reduce.reduceat(values.astype(np.int64), starts) if len(starts) else values

    plan_issue = per_plan(issue, np.minimum).astype(D)
    plan_cease = per_plan(cease, np.maximum).astype(D)  # NaT is the smallest int64: any date wins
    plan_src = per_plan(src, np.minimum)  # the plan's first row, for its person and dimensions

    held = ~np.isnat(meeting)
    repeat = np.r_[False, (plan[1:] == plan[:-1]) & (meeting[1:] == meeting[:-1])]
    keep = np.flatnonzero(held & ~repeat)
    m_plan, m_date = plan[keep], meeting[keep]
    same = np.r_[False, m_plan[1:] == m_plan[:-1]]
    previous = np.r_[np.datetime64("NaT", "D"), m_date[:-1]] if len(keep) else m_date
    m_start = np.where(same, previous, plan_issue[m_plan])
    m_due = _due_after(rule, m_start)
    m_status, m_over = judge(m_due, m_date, as_at)

    last = np.full(len(starts), np.datetime64("NaT"), dtype=D)
    if len(keep):
        last[m_plan[np.r_[~same[1:], True]]] = m_date[np.r_[~same[1:], True]]
    start = np.where(np.isnat(last), plan_issue, last)
    due = _due_after(rule, start)
    has_ceased = ~np.isnat(plan_cease)
    owed = np.flatnonzero(~has_ceased | (plan_cease > due))
    start, due, cease_owed = start[owed], due[owed], plan_cease[owed]
    none = np.full(len(owed), np.datetime64("NaT"), dtype=D)
    status, over = judge(due, none, as_at)
    # Ceased after the review fell due, without one: overdue by the days to the cease date.
    late_cease = ~np.isnat(cease_owed)  # owed and ceased: it ceased after the due date
    status = np.where(late_cease, OVERDUE, status).astype(np.int8)
    over = np.where(late_cease, (cease_owed - due).astype(np.int64), over)
    # Each plan's links together and in order: its meetings, then the pending review.
    links = np.argsort(np.concatenate([m_plan, owed]), kind="stable")

    def both(held_links: np.ndarray, pending: np.ndarray) -> np.ndarray:
        return np.concatenate([held_links, pending])[links]

    return _frame(both(src[keep], plan_src[owed]), both(m_start, start), both(m_due, due),
                  both(m_date, none), both(m_status, status), both(m_over, over))  # fmt: skip
