"""Annual review workload by month: reviews falling due, held, overdue, and the queue of review
decisions, for the last 12 months and over the horizon.

The projection is a monthly queue:

* **due**: each live plan's next review falls due on its date (the ``review-12m`` case list),
  and each projected new plan's first review 12 months after it is issued; each review held
  makes the next due 12 months later. A due review counts only while its plan is live, at the
  overall monthly cessation rate. Reviews already held early for a due date after the origin
  count as due in their month (as the past months count them) but are not held again.
* **held**: reviews are held at the recent rate (meetings per month over the last 6 whole
  months), oldest due first; meetings to spare in a month hold the next month's reviews early.
  Reviews due and not held by a month end are overdue.
* **decisions**: every review held awaits a decision; decisions are made at the recent rate
  (per month over the last 6 months). Those awaited more than 4 weeks are the queue less
  the last 4 weeks' meetings.

The band resamples the recent months' meetings and decisions (the same months for both).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ehcp_timeliness.clocks.engine import LATE, MET, NOT_OWED, OPEN, OVERDUE
from ehcp_timeliness.project.backlog import bands, exact
from ehcp_timeliness.project.history import (
    NEVER,
    date_of,
    day_numbers,
    month_end_before,
    month_ends_after,
    month_ends_to,
)
from ehcp_timeliness.project.models import ReviewMonth, ReviewProjection
from ehcp_timeliness.report import REVIEW_12M

DECISION_4W = "review-decision-4w"
RECENT_MONTHS = 6
DAYS_PER_MONTH = 365.25 / 12


def _rule(cases: pd.DataFrame, rule_id: str) -> pd.DataFrame | None:
    """A rule's cases (the columns read here only), or None if it has none."""
    if rule_id not in cases["rule"].cat.categories:
        return None
    code = cases["rule"].cat.categories.get_loc(rule_id)
    mine = np.flatnonzero(cases["rule"].cat.codes.to_numpy() == code)
    columns = ["_src", "status", "start_date", "due_date", "end_date"]
    return cases[columns].take(mine) if len(mine) else None


def _per_month(days: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """How many of ``days`` fall in each month ending on ``ends`` (after the previous end)."""
    index = np.searchsorted(ends, days, "left")
    first = month_end_before(ends[0])
    ok = (days > first) & (index < len(ends)) & (days != NEVER)
    return np.bincount(index[ok], minlength=len(ends))[: len(ends)]


def project_reviews(
    cases: pd.DataFrame,
    plan_cease: np.ndarray,
    origin: int,
    months: int,
    *,
    new_plans_central: np.ndarray | None,
    new_plans_draws: np.ndarray | None,
    cessation_rate: float,
    draws: int,
    seed: int,
) -> ReviewProjection | None:
    """``plan_cease`` is the cease day (NEVER while live) of the plan each row of the plans
    table belongs to (:attr:`~ehcp_timeliness.project.caseload.Plans.row_cease`).
    ``new_plans_*`` are projected new plans per month (central (1, m), draws (n, m)) for at
    least ``months`` months from the first month end after the origin."""
    reviews = _rule(cases, REVIEW_12M)
    if reviews is None:
        return None
    status = reviews["status"].cat.codes.to_numpy()
    due = day_numbers(reviews["due_date"])
    held_day = day_numbers(reviews["end_date"])
    # A plan that has ceased owes no review: the pending review of a live plan only.
    cease = plan_cease[reviews["_src"].to_numpy()]
    live = cease == NEVER
    pending_open = (status == OPEN) & live
    overdue_now = int(((status == OVERDUE) & live & (held_day == NEVER)).sum())
    past = month_ends_to(origin, 12)
    held_past = _per_month(held_day[(status == MET) | (status == LATE)], past)
    held_rate = float(held_past[-RECENT_MONTHS:].mean())
    decisions = _rule(cases, DECISION_4W)
    if decisions is not None:
        d_status = decisions["status"].cat.codes.to_numpy()
        d_end = day_numbers(decisions["end_date"])
        dec_past = _per_month(d_end, past)
        dec_rate: float | None = float(dec_past[-RECENT_MONTHS:].mean())
        awaited_now: int | None = int(((d_status == OPEN) | (d_status == OVERDUE)).sum())
    else:
        dec_past, dec_rate, awaited_now = None, None, None

    ahead = month_ends_after(origin, months + 12)
    due_sched = _per_month(due[pending_open], ahead).astype(float)
    # Reviews held early, by the origin, for a due date after it: due in their month as the
    # past months count them, but already held, so not in the queue.
    owed = status != NOT_OWED  # a review due after its plan ended was never due: as Trend counts
    held_early = _per_month(due[owed & (held_day <= origin) & (due > origin)], ahead)[:months]
    survive = (1 - cessation_rate) ** (np.arange(len(ahead)) + 0.5)
    due_sched *= survive
    rng = np.random.default_rng(seed + 11)
    # Each draw: the mean of the recent months, resampled (the same months for both rates).
    picks = rng.integers(0, RECENT_MONTHS, size=(draws, RECENT_MONTHS)) + 12 - RECENT_MONTHS
    held_draws = held_past[picks].mean(axis=1)
    dec_draws = dec_past[picks].mean(axis=1) if dec_past is not None else None
    if new_plans_central is None or new_plans_draws is None:
        new_plans_central = np.zeros((1, months))
        new_plans_draws = np.zeros((draws, months))

    def run(held: np.ndarray, decided: np.ndarray | None, new: np.ndarray) -> dict[str, np.ndarray]:
        n = len(held)
        keep = (1 - cessation_rate) ** 12  # the share of plans still live a year on
        sched = np.broadcast_to(due_sched, (n, len(ahead))).copy()
        # First reviews of the new plans, 12 months after each month's new plans.
        first = min(months, len(ahead)) - 12
        if first > 0:
            sched[:, 12 : 12 + first] += new[:, :first] * keep
        shown = sched.copy()  # due in each month: what is left to hold, and what was held early
        stock = np.full(n, float(overdue_now))
        queue = np.full(n, float(awaited_now or 0))
        out = {k: np.zeros((n, months)) for k in ("due", "held", "overdue", "queue", "over")}
        for m in range(months):  # a loop over months
            stock += sched[:, m]
            done = np.minimum(held, stock)
            stock -= done
            # Meetings to spare hold the next month's reviews early, as councils do.
            early = np.minimum(held - done, sched[:, m + 1]) if m + 1 < len(ahead) else 0.0
            if m + 1 < len(ahead):
                sched[:, m + 1] -= early
            meetings = done + early
            if m + 12 < len(ahead):  # each meeting makes the plan's next review due a year on
                sched[:, m + 12] += meetings * keep
                shown[:, m + 12] += meetings * keep
            out["due"][:, m] = shown[:, m] + held_early[m]
            out["held"][:, m], out["overdue"][:, m] = meetings, stock
            if decided is not None:
                queue += meetings
                queue -= np.minimum(decided, queue)
                out["queue"][:, m] = queue
                out["over"][:, m] = np.maximum(queue - meetings * 28 / DAYS_PER_MONTH, 0)
        return out

    central = run(np.array([held_rate]), None if dec_rate is None else np.array([dec_rate]),
                  new_plans_central)  # fmt: skip
    spread = run(held_draws, dec_draws, new_plans_draws[:draws])
    rows: list[ReviewMonth] = []
    due_all = _per_month(due[owed], past)
    if decisions is not None:
        d_start, d_due = day_numbers(decisions["start_date"]), day_numbers(decisions["due_date"])
        d_stop = day_numbers(decisions["end_date"])
    for j, end in enumerate(past):  # a loop over the last 12 month ends
        overdue_then = int((owed & (due < end) & (held_day > end)).sum())
        awaited = over = None
        if decisions is not None:
            waiting = (d_start <= end) & (d_stop > end)
            awaited, over = exact(int(waiting.sum())), exact(int((waiting & (d_due < end)).sum()))
        rows.append(ReviewMonth(month=str(np.datetime64(date_of(end), "M")), actual=True,
                                due=exact(int(due_all[j])), held=exact(int(held_past[j])),
                                overdue=exact(overdue_then), decisions_awaited=awaited,
                                decisions_over_limit=over))  # fmt: skip
    b = {k: bands(spread[k], central[k][0]) for k in central}
    for m in range(months):
        rows.append(ReviewMonth(
            month=str(np.datetime64(date_of(ahead[m]), "M")), actual=False,
            due=b["due"][m], held=b["held"][m], overdue=b["overdue"][m],
            decisions_awaited=b["queue"][m] if decisions is not None else None,
            decisions_over_limit=b["over"][m] if decisions is not None else None,
        ))  # fmt: skip
    return ReviewProjection(
        held_per_month=round(held_rate, 1),
        decisions_per_month=None if dec_rate is None else round(dec_rate, 1),
        overdue_now=overdue_now, pending_now=int(pending_open.sum()) + overdue_now,
        decisions_awaited_now=awaited_now, months=rows,
    )  # fmt: skip
