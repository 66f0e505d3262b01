"""Evaluate the statutory clocks over validated tables, with column operations only.

Every (record, rule) in scope becomes one *case*: when the clock started, when it fell due,
when (if ever) it stopped, and a status:

* ``met``: stopped on or before the due date;
* ``late``: stopped after the due date;
* ``open``: not stopped, and the as-at date is on or before the due date;
* ``overdue``: not stopped, and the as-at date is after the due date (or the plan ceased
  after the clock fell due, with nothing done: then the days over run to the cease date);
* ``not-owed``: a plan-level clock that ended with the plan: the plan ceased on or before the
  due date with the clock not stopped, so nothing more was owed;
* ``unknown``: an annual review link the extract cannot vouch for, because its history has a
  gap (see :mod:`ehcp_timeliness.history`); the validator reports it as a finding.

The statuses partition the records in scope: every (record, rule) gets exactly one.
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
from ehcp_timeliness.dates import period_end, phase_transfer_deadline
from ehcp_timeliness.history import links, plan_codes, unknown_links
from ehcp_timeliness.validate.schema import TABLES, columns

STATUSES = ["met", "late", "open", "overdue", "not-owed", "unknown"]
MET, LATE, OPEN, OVERDUE, NOT_OWED, UNKNOWN = range(6)  # codes into STATUSES
#: Statuses of a case whose clock has not stopped and is still owed as at the as-at date.
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
    """Dimension columns of every table, requests' first, each once."""
    dims: list[str] = []
    for name in TABLES:
        if name not in tables:
            continue
        dims += [d for d in dimensions(tables[name], name) if d not in dims]
    return dims


def case_tables(cases: pd.DataFrame, rules: RuleSet) -> pd.Categorical[str]:
    """For each case, the table its rule reads ("requests", "plans" or "tribunal_orders"), as a
    categorical: comparing it with a table name compares small integers, not millions of
    strings."""
    rule = cases["rule"].array  # categorical, as evaluate_rules makes it: one lookup per rule
    names = list(TABLES)
    table_of = {r.id: names.index(r.table) for r in rules.enabled}
    per_rule = np.array([table_of[c] for c in rule.categories], dtype=np.int8)
    return pd.Categorical.from_codes(per_rule[rule.codes], categories=pd.Index(names))


def evaluate_rules(
    tables: dict[str, pd.DataFrame], rules: RuleSet, *, as_at: date
) -> Iterator[pd.DataFrame]:
    """Each rule's cases as soon as it is evaluated (see :func:`evaluate`), in rule order."""
    rule_ids = [r.id for r in rules.enabled]
    plans = _Plans(tables["plans"]) if "plans" in tables else None
    for rule in rules.enabled:
        frame = tables.get(rule.table)
        if frame is None or frame.empty:
            continue
        facts = plans if rule.table == "plans" else None
        if isinstance(rule, ReviewChainRule):
            part = _review_chain(rule, frame, as_at)
        elif isinstance(rule, DeadlineRule):
            part = _deadline(rule, frame, as_at, facts)
        else:
            part = _interval(rule, frame, as_at, facts)
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
    """plan_id for plans; request_id for requests and order_id for tribunal orders, or
    "file.csv:row" where it is blank."""
    if table == "plans":
        return frame["plan_id"]
    ids = frame["order_id" if table == "tribunal_orders" else "request_id"]
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
    for name in TABLES:
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


def _holds(cond: Condition, frame: pd.DataFrame) -> np.ndarray:
    values = frame[cond.column]
    if cond.in_ is not None:
        return values.isin(cond.in_).fillna(False).to_numpy(dtype=bool)
    if cond.not_in is not None:
        return ~values.isin(cond.not_in).fillna(False).to_numpy(dtype=bool)
    return (values.notna() == cond.present).to_numpy(dtype=bool)


def _in_scope(rule, frame: pd.DataFrame) -> np.ndarray:
    """Records for which every ``applies`` condition holds and, if there are ``applies_any``
    conditions, at least one of those."""
    keep = np.ones(len(frame), dtype=bool)
    for cond in rule.applies:
        keep &= _holds(cond, frame)
    if rule.applies_any:
        anyone = np.zeros(len(frame), dtype=bool)
        for cond in rule.applies_any:
            anyone |= _holds(cond, frame)
        keep &= anyone
    return keep


class _Plans:
    """Plan-level facts of the plans table, reduced per ``plan_id`` once per evaluation.

    A plan-level date (cease date, transfer dates) may be given on some of a plan's review rows
    and not others; every row of the plan gets the latest date given on any of them.
    """

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self._code: np.ndarray | None = None
        self._latest: dict[str, np.ndarray] = {}

    @property
    def code(self) -> np.ndarray:
        if self._code is None:
            self._code = plan_codes(self.frame["plan_id"])
        return self._code

    def latest(self, column: str) -> np.ndarray:
        """Per row, the latest ``column`` date given on any row of its plan (NaT if none)."""
        if column not in self._latest:
            values = self.frame[column].to_numpy(D)
            if np.isnat(values).all():
                self._latest[column] = values
            else:
                per_plan = np.full(int(self.code.max()) + 1, np.iinfo(np.int64).min)
                np.maximum.at(per_plan, self.code, values.astype(np.int64))  # NaT is the min
                self._latest[column] = per_plan[self.code].astype(D)
        return self._latest[column]


def _stop(rule, frame: pd.DataFrame, src: np.ndarray) -> np.ndarray:
    """The earliest of the rule's stop columns, per record (NaT where none is given)."""
    stop = frame[rule.stop].to_numpy(D)[src]
    for column in rule.also_stops:
        stop = np.fmin(stop, frame[column].to_numpy(D)[src])  # fmin skips NaT
    return stop


def _ceased(rule, status, over, due, stop, cease) -> tuple[np.ndarray, np.ndarray]:
    """Apply the plans' cease dates to judged cases whose clock has not stopped: ceased on or
    before the due date, nothing is owed; after it, the breach stands, counted to the cease."""
    ended = ~np.isnat(cease) & np.isnat(stop)
    if not ended.any():
        return status, over
    early = cease < due
    if rule.ceased_on_due_date == "not-owed":
        early |= cease == due
    not_owed = ended & early
    missed = ended & ~early
    status = np.where(not_owed, NOT_OWED, np.where(missed, OVERDUE, status)).astype(np.int8)
    days = (cease - due).astype("timedelta64[D]").astype(np.int64)  # NaT: unused garbage
    over = np.where(not_owed, 0, np.where(missed, np.maximum(days, 0), over))
    return status, over


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


def _interval(
    rule: IntervalRule, frame: pd.DataFrame, as_at: date, plans: _Plans | None = None
) -> pd.DataFrame:
    src = np.flatnonzero(_in_scope(rule, frame) & frame[rule.start].notna().to_numpy())
    start = frame[rule.start].to_numpy()[src]  # datetime64[s], as validated: no conversions
    stop = _stop(rule, frame, src) if rule.also_stops else frame[rule.stop].to_numpy()[src]
    due = _due_after(rule, start)
    status, over = judge(due, stop, as_at)
    if plans is not None and rule.ceases_with_plan:
        cease = plans.latest("cease_date")[src]
        status, over = _ceased(rule, status, over, due.astype(D), stop.astype(D), cease)
    exception = None
    if rule.exception is not None:
        exception = (frame[rule.exception] == "1").fillna(False).to_numpy(dtype=bool)[src]
    return _frame(src, start, due, stop, status, over, exception)


def _per_plan_max(code: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    out = np.full(n, np.iinfo(np.int64).min)
    np.maximum.at(out, code, values.astype(np.int64))
    return out


def _deadline(
    rule: DeadlineRule, frame: pd.DataFrame, as_at: date, plans: _Plans | None = None
) -> pd.DataFrame:
    given = frame[rule.due].notna().to_numpy()
    if rule.transfer is not None:
        given = given | frame[rule.transfer].notna().to_numpy()
    src = np.flatnonzero(_in_scope(rule, frame) & given)
    due = frame[rule.due].to_numpy(D)[src]
    stop = _stop(rule, frame, src)
    transfer = (frame[rule.transfer].to_numpy(D)[src] if rule.transfer is not None
                else np.full(len(src), np.datetime64("NaT"), dtype=D))  # fmt: skip
    kinds = ["school", "post16", "post16-post16"]
    kind_code: np.ndarray
    if rule.transfer_type is not None:
        kind_code = np.asarray(
            pd.Categorical(frame[rule.transfer_type].take(src), categories=kinds).codes
        )
    else:
        kind_code = np.full(len(src), -1, dtype=np.int8)
    cease = np.full(len(src), np.datetime64("NaT"), dtype=D)
    if rule.table == "plans" and plans is not None:
        # One case per plan, whatever rows its dates are repeated on: the plan's latest due
        # date, transfer, type and amended plan, shown on its first row in scope.
        code = plans.code[src]
        plan, first = np.unique(code, return_index=True)
        where = np.searchsorted(plan, code)
        n = len(plan)
        due = _per_plan_max(where, due, n).astype(D)
        stop = _per_plan_max(where, stop, n).astype(D)
        transfer = _per_plan_max(where, transfer, n).astype(D)
        kind_code = _per_plan_max(where, kind_code, n)
        src = src[first]
        if rule.ceases_with_plan:
            cease = plans.latest("cease_date")[src]
    names = np.array([*kinds, None], dtype=object)
    kind = names[np.where(kind_code >= 0, kind_code, len(kinds))]
    if rule.reading == "strict":  # "before 15 February": on or before 14 February
        before = ~np.isnat(due) & (kind != "post16-post16")  # "at least 5 months": the date itself
        due = np.where(before, due - np.timedelta64(1, "D"), due)
    from_law = phase_transfer_deadline(transfer, kind)
    if rule.reading == "strict":
        from_law = np.where(kind != "post16-post16", from_law - np.timedelta64(1, "D"), from_law)
    due = np.where(np.isnat(transfer), due, from_law)
    status, over = judge(due, stop, as_at)
    if rule.ceases_with_plan:
        status, over = _ceased(rule, status, over, due, stop, cease)
    start = np.full(len(src), np.datetime64("NaT"), dtype=D)
    return _frame(src, start, due, stop, status, over)


def _review_chain(rule: ReviewChainRule, frame: pd.DataFrame, as_at: date) -> pd.DataFrame:
    """Issue date, then each review meeting in date order: each link is due within the period
    starting with the previous one. After the last meeting the next review is pending, unless
    the plan ceased before it fell due (then it is ``not-owed``).

    The first review after a transfer in from another council is due by the later of that
    date and the end of ``transfer_months`` months beginning with the transfer (reg 15(5)). A
    link the history cannot vouch for (:func:`ehcp_timeliness.history.unknown_links`) is
    ``unknown`` rather than late.

    One sort by (plan, meeting) and per-plan reductions over its runs, all in numpy.
    """
    scope = np.flatnonzero(_in_scope(rule, frame))
    plan_code = plan_codes(frame["plan_id"])[scope]
    chain = links(
        plan_code, frame[rule.start].to_numpy(D)[scope], frame[rule.stop].to_numpy(D)[scope]
    )
    src = scope[chain.src]
    plan_cease = chain.per_plan(frame["cease_date"].to_numpy(D)[src], np.maximum).astype(D)
    plan_src = chain.per_plan(src, np.minimum)  # the plan's first row, for its person and dims
    m_plan, m_date, m_start, same = chain.m_plan, chain.m_date, chain.m_start, chain.same
    m_due = _due_after(rule, m_start)

    last = np.full(len(chain.starts), np.datetime64("NaT"), dtype=D)
    if len(m_plan):
        last[m_plan[np.r_[~same[1:], True]]] = m_date[np.r_[~same[1:], True]]
    start = np.where(np.isnat(last), chain.plan_issue, last)
    due = _due_after(rule, start)

    if rule.transfer_months and "transfer_in_date" in frame:
        transfer = chain.per_plan(frame["transfer_in_date"].to_numpy(D)[src], np.maximum).astype(D)
        if not np.isnat(transfer).all():
            reg15 = period_end(transfer, rule.transfer_months,
                               starting_with=rule.reading == "starting-with")  # fmt: skip
            m_transfer = transfer[m_plan]
            after = m_date >= m_transfer  # NaT compares False
            first_after = after & ~(np.r_[False, after[:-1]] & same)
            m_due = np.where(first_after, np.fmax(m_due, reg15[m_plan]), m_due)
            pending_first = ~np.isnat(transfer) & (np.isnat(last) | (last < transfer))
            due = np.where(pending_first, np.fmax(due, reg15), due)
    m_status, m_over = judge(m_due, m_date, as_at)
    unknown = unknown_links(chain, rule.limit.months or 12, rule.history) & (m_status == LATE)
    m_status = np.where(unknown, UNKNOWN, m_status).astype(np.int8)
    m_over = np.where(unknown, 0, m_over)

    none = np.full(len(start), np.datetime64("NaT"), dtype=D)
    status, over = judge(due, none, as_at)
    if rule.ceases_with_plan:
        status, over = _ceased(rule, status, over, due, none, plan_cease)
    # Each plan's links together and in order: its meetings, then the pending review.
    links_order = np.argsort(np.concatenate([m_plan, np.arange(len(start))]), kind="stable")

    def both(held_links: np.ndarray, pending: np.ndarray) -> np.ndarray:
        return np.concatenate([held_links, pending])[links_order]

    return _frame(both(src[chain.keep], plan_src), both(m_start, start), both(m_due, due),
                  both(m_date, none), both(m_status, status), both(m_over, over))  # fmt: skip
