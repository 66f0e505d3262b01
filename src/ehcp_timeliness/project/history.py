"""The council's own history, as the projections read it: a weekly grid, what was recorded by a
date, and each request's passage through the assessment backlog.

Everything here is a column operation over the validated tables. Days are whole numbers
(days since 1970-01-01) so that weekly counts are ``bincount`` calls.

**The weekly grid.** Weeks end on the origin (the as-at date, or a back-test origin) and every
7 days either side: week ``w`` covers the days ``(origin + 7(w-1), origin + 7w]``, so week 0
ends on the origin, week 1 is the first week projected, week -1 the one before week 0.

**As recorded by a date.** :func:`as_recorded` cuts the validated tables back to what the
case-management system held on an earlier date: rows whose first event is later are dropped;
later events are blanked; an outcome whose date is later becomes pending again. The back-test
projects from these tables only, so nothing dated after an origin can reach a projection made
at it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from ehcp_timeliness.validate.schema import Kind, columns

#: A date that never comes: the exit day of a request still waiting.
NEVER = np.iinfo(np.int64).max // 4
D = "datetime64[D]"
#: Dates that are deadlines set in advance, not events, so they are known before they fall.
DEADLINE_COLUMNS = frozenset({"phase_transfer_due_date"})
#: The row's first event: a row is unknown before it.
ANCHORS = {"requests": "received_date", "plans": "plan_issue_date"}
#: Coded columns that record the outcome of a dated event: (date column, code while pending).
#: When the event is later than the cut-off, the code is set back to pending (None: blank).
OUTCOME_DATES: dict[str, dict[str, tuple[str, str | None]]] = {
    "requests": {
        "request_outcome": ("request_outcome_date", "A"),
        "assessment_outcome": ("assessment_outcome_date", "A"),
        "week20_exception": ("plan_issue_date", None),
    },
    "plans": {
        "review_outcome": ("review_decision_date", None),
        "cease_reason": ("cease_date", None),
    },
}


def day_numbers(values: pd.Series | np.ndarray) -> np.ndarray:
    """Dates as whole days since 1970-01-01; missing dates become :data:`NEVER`."""
    days = np.asarray(values).astype(D)
    out = days.astype(np.int64)
    out[np.isnat(days)] = NEVER
    return out


def day_of(when: date) -> int:
    """A date as a day number."""
    return (when - date(1970, 1, 1)).days


def date_of(day: int | np.integer) -> date:
    return np.datetime64(int(day), "D").astype(date)


def week_of(days: np.ndarray, origin: int) -> np.ndarray:
    """The week of the grid each day falls in (see the module docstring): ``ceil((d - o) / 7)``.

    :data:`NEVER` stays far beyond any horizon."""
    return -((origin - days) // 7)


def week_end(week: int | np.ndarray, origin: int) -> np.ndarray:
    """The last day of each week, as day numbers."""
    return origin + 7 * np.asarray(week, dtype=np.int64)


def week_end_dates(weeks: np.ndarray, origin: int) -> list[date]:
    return [date_of(d) for d in week_end(weeks, origin)]


def is_month_end(day: int) -> bool:
    d = np.datetime64(int(day), "D")
    return bool((d + 1).astype("datetime64[M]") != d.astype("datetime64[M]"))


def month_ends_after(origin: int, months: int) -> np.ndarray:
    """Day numbers of the next ``months`` month ends after the origin day."""
    first = np.datetime64(date_of(origin), "M") + 1
    ends = (np.arange(months) + first + 1).astype("datetime64[D]") - 1
    day = ends.astype(np.int64)
    if is_month_end(origin):
        return day
    this = int(((np.datetime64(date_of(origin), "M") + 1).astype("datetime64[D]") - 1)
               .astype(np.int64))  # fmt: skip
    return np.r_[this, day[:-1]]


def month_ends_to(origin: int, months: int) -> np.ndarray:
    """Day numbers of the last ``months`` month ends on or before the origin, oldest first."""
    last = np.datetime64(date_of(origin), "M") + (1 if is_month_end(origin) else 0)
    return ((np.arange(-months, 0) + last).astype("datetime64[M]") + 1).astype(
        "datetime64[D]").astype(np.int64) - 1  # fmt: skip


def month_end_before(end: int) -> int:
    """The last day of the month before the one ``end`` is in: where a month ending on
    ``end`` starts from (a window ``(month_end_before(end), end]``)."""
    return int(np.datetime64(int(end), "D").astype("datetime64[M]").astype("datetime64[D]")
               .astype(np.int64)) - 1  # fmt: skip


def month_shares(origin: int, weeks: int, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """How weeks 1..``weeks`` after ``origin`` share out over the months ending on ``ends``
    (day numbers, ascending): each week's share of its seven days in each month (weeks x
    months; days outside those months go nowhere), and whether the weeks cover each month
    whole. ``values @ shares`` turns weekly values into monthly totals, so a month with five
    week ends gets no more than its days' share."""
    last = week_end(np.arange(1, weeks + 1), origin)
    month_start = (last.astype("datetime64[D]").astype("datetime64[M]")
                   .astype("datetime64[D]").astype(np.int64))  # fmt: skip
    in_last = np.minimum(last - month_start + 1, 7) / 7  # the week's share in its last month
    before = month_end_before(int(ends[0]))

    def month(day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        index = np.searchsorted(ends, day, "left")
        return index, (day > before) & (index < len(ends))

    shares = np.zeros((weeks, len(ends)))
    rows = np.arange(weeks)
    index, ok = month(last)
    shares[rows[ok], index[ok]] += in_last[ok]
    index, ok = month(last - 6)
    ok &= in_last < 1  # the week starts in the month before
    shares[rows[ok], index[ok]] += 1 - in_last[ok]
    days = np.diff(np.r_[before, ends])
    return shares, np.isclose(shares.sum(axis=0) * 7, days)


def as_recorded(tables: dict[str, pd.DataFrame], cutoff: date) -> dict[str, pd.DataFrame]:
    """The validated tables as they stood on ``cutoff``: later rows dropped, later dates blanked.

    * A request received after ``cutoff``, or a plan issued after it, is dropped.
    * Every event date after ``cutoff`` is blanked (deadlines fixed in advance, such as the
      phase-transfer due date, are kept).
    * An outcome whose date was blanked is pending again: a decision or assessment outcome
      becomes ``A``; a review outcome, a cease reason or a 20-week exception flag becomes blank.

    An outcome recorded with no date at all cannot be placed in time, so it is kept as it is:
    the only thing the cut cannot undo (docs/projections.md says so).
    """
    cut = np.datetime64(cutoff, "s")
    out = {}
    for name, frame in tables.items():
        anchor = ANCHORS.get(name)
        if anchor is None or anchor not in frame:
            out[name] = frame
            continue
        frame = frame.loc[(frame[anchor] <= cut).to_numpy(dtype=bool)].copy()
        known = columns(name)
        later: dict[str, np.ndarray] = {}
        for column, spec in known.items():
            if spec.kind is not Kind.DATE or column in DEADLINE_COLUMNS or column not in frame:
                continue
            values = frame[column]
            after = (values > cut).fillna(False).to_numpy(dtype=bool)
            later[column] = after
            if after.any():
                frame.loc[after, column] = pd.NaT
        for column, (date_column, pending) in OUTCOME_DATES.get(name, {}).items():
            if column not in frame or date_column not in later:
                continue
            after = later[date_column]
            if column == "assessment_outcome":  # only an assessment under way is pending
                after = after & frame[column].notna().to_numpy(dtype=bool)
            if after.any():
                frame.loc[after, column] = pending if pending is not None else pd.NA
        out[name] = frame.reset_index(drop=True)
    return out


@dataclass
class RequestFlows:
    """Each request's time in the assessment backlog: from receipt until its plan is issued
    (``planned``) or it leaves without one (refused, no plan, withdrawn), or :data:`NEVER`.

    This is the population of the ``plan-20w`` clock over time: a request counts against the 20
    weeks from receipt, whatever stage it is at, until it is issued a plan or leaves the rule's
    scope. Historical (``H``) requests never enter.
    """

    received: np.ndarray  # day numbers
    exit: np.ndarray  # day numbers, NEVER while waiting
    planned: np.ndarray  # bool: the exit is a plan issued
    exception: np.ndarray  # bool: the plan carries the 20-week exception flag
    #: Day of the decision to assess (request_outcome Y), NEVER if none (yet).
    assessed: np.ndarray
    #: bool: the request left at the decision (not assessed, or withdrawn before one).
    refused: np.ndarray
    limit_days: int

    def __len__(self) -> int:
        return len(self.received)

    @property
    def first_day(self) -> int | None:
        return int(self.received.min()) if len(self.received) else None

    def as_at(self, day: int) -> RequestFlows:
        """The flows as they stood at the end of ``day``: later requests dropped, later exits
        and decisions not yet known. The same as :func:`request_flows` of the tables
        :func:`as_recorded` by that day (a test checks it), without re-reading the tables."""
        out = self.take(self.received <= day)
        later = out.exit > day
        out.exit = np.where(later, NEVER, out.exit)
        out.planned = out.planned & ~later
        out.exception = out.exception & ~later
        out.refused = out.refused & ~later
        out.assessed = np.where(out.assessed > day, NEVER, out.assessed)
        return out

    def take(self, keep: np.ndarray) -> RequestFlows:
        return RequestFlows(self.received[keep], self.exit[keep], self.planned[keep],
                            self.exception[keep], self.assessed[keep], self.refused[keep],
                            self.limit_days)  # fmt: skip


def request_flows(requests: pd.DataFrame, limit_days: int = 140) -> RequestFlows:
    """Each usable request's entry to and exit from the backlog, from the validated table.

    A request leaves without a plan on its decision date when the decision was not to assess
    or it was withdrawn before one (``request_outcome`` N or W), or on its assessment outcome
    date when the assessment ended in no plan or was withdrawn (``assessment_outcome`` N or W).
    Such an outcome with no date never counts as waiting, as the ``plan-20w`` rule leaves it
    out of scope whatever the date.
    """

    def coded(column: str) -> pd.Series:
        if column in requests:
            return requests[column].astype("string")
        return pd.Series(pd.NA, index=requests.index, dtype="string")

    def days(column: str) -> np.ndarray:
        if column in requests:
            return day_numbers(requests[column])
        return np.full(len(requests), NEVER, dtype=np.int64)

    request_outcome, assessment = coded("request_outcome"), coded("assessment_outcome")
    historical = (request_outcome == "H").fillna(False) | (assessment == "H").fillna(False)
    keep = ~historical.to_numpy(dtype=bool)
    received = days("received_date")
    issued = days("plan_issue_date")
    refused = request_outcome.isin(["N", "W"]).fillna(False).to_numpy(dtype=bool)
    no_plan = assessment.isin(["N", "W"]).fillna(False).to_numpy(dtype=bool) & ~refused
    left = np.full(len(requests), NEVER, dtype=np.int64)
    left[refused] = days("request_outcome_date")[refused]
    left[no_plan] = days("assessment_outcome_date")[no_plan]
    undated = (refused | no_plan) & (left == NEVER)
    left[undated] = received[undated]  # never waiting: out of the rule's scope outright
    planned = issued != NEVER
    exit_day = np.where(planned, issued, left)
    exception = (coded("week20_exception") == "1").fillna(False).to_numpy(dtype=bool)
    assess = (request_outcome == "Y").fillna(False).to_numpy(dtype=bool)
    assessed = np.where(assess, days("request_outcome_date"), NEVER)
    flows = RequestFlows(received, exit_day, planned, exception & planned, assessed, refused,
                         limit_days)  # fmt: skip
    return flows.take(keep & (received != NEVER))


@dataclass
class WeeklyHistory:
    """Weekly counts on the grid, for weeks ``first .. 0``."""

    origin: int
    weeks: np.ndarray  # week numbers, first .. 0
    arrivals: np.ndarray  # requests received in the week
    issued: np.ndarray  # plans issued in the week
    on_time: np.ndarray  # of those, issued within the limit
    open: np.ndarray  # waiting at the end of the week
    overdue: np.ndarray  # of those, past the limit at the end of the week


def _counts(week: np.ndarray, first: int, n: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Counts per week ``first .. first + n - 1``; earlier weeks fold into the first, later
    ones are left out."""
    index = np.clip(week - first, 0, None)
    inside = index < n
    w = None if weights is None else weights[inside]
    return np.bincount(index[inside], weights=w, minlength=n)[:n]


def weekly_history(flows: RequestFlows, origin: int, first_week: int) -> WeeklyHistory:
    """Arrivals, plans issued and the backlog at each week end, weeks ``first_week``
    to 0. The backlog counts every request received by the week's end and not yet out; past
    the limit means its due date (received + limit) is before the week's end."""
    n = 1 - first_week
    received_week = week_of(flows.received, origin)
    exit_week = week_of(flows.exit, origin)
    due_week = week_of(flows.received + flows.limit_days + 1, origin)
    late_exit_week = week_of(np.maximum(flows.exit, flows.received + flows.limit_days + 1), origin)

    def cumulative(week: np.ndarray) -> np.ndarray:
        return np.cumsum(_counts(week, first_week, n))

    in_window = (received_week >= first_week) & (received_week <= 0)
    arrivals = np.bincount(received_week[in_window] - first_week, minlength=n)
    plan_week = np.where(flows.planned, exit_week, NEVER)
    on_time = flows.planned & (flows.exit <= flows.received + flows.limit_days)

    def per_week(mask: np.ndarray) -> np.ndarray:
        sel = mask & (exit_week >= first_week) & (exit_week <= 0)
        return np.bincount(exit_week[sel] - first_week, minlength=n)

    return WeeklyHistory(
        origin=origin,
        weeks=np.arange(first_week, 1),
        arrivals=arrivals,
        issued=per_week(plan_week != NEVER),
        on_time=per_week(on_time),
        open=(cumulative(received_week) - cumulative(exit_week)).astype(np.int64),
        overdue=(cumulative(due_week) - cumulative(late_exit_week)).astype(np.int64),
    )
