"""Annual review workload by month: reviews falling due, held, overdue, and the queue of review
decisions, for the last 12 months and over the horizon.

The projection is a monthly queue:

* **due**: each live plan's next review falls due on its date (the ``review-12m`` case list),
  and each projected new plan's first review 12 months after it is issued; each review held
  makes the next due 12 months later. A due review counts only while its plan is live, at the
  overall monthly cessation rate. Reviews already held early for a due date after the origin
  count as due in their month (as the past months count them) but are not held again.
* **held** and **decided**, one of two ways (:data:`ORDERS`):

  - ``capacity``: reviews are held at the recent rate (meetings a month over the last 6 whole
    months), the oldest due first, and meetings to spare in a month hold the next month's
    reviews early; decisions are made at the recent rate (decisions a month, last 6 months);
  - ``timing``: each review is held at the recent timing of meetings around due dates: of the
    reviews not yet held at each month from the due month (3 before to 6 or more after), the
    share held in it over the last 12 months. Each decision likewise, by months since the
    meeting. Meetings and decisions then follow the reviews due, with no limit.

  The one used is the one that would have projected the last 6 months best
  (:func:`choose_order`). Reviews due and not held by a month end are overdue. Decisions
  awaited over 4 weeks are the queue less the last 4 weeks' meetings.

The band resamples the recent months (the last 6 for the rates, the last 12 for the timing).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ehcp_timeliness.clocks.engine import LATE, MET, NOT_OWED, OPEN, OVERDUE
from ehcp_timeliness.project.backlog import bands, exact
from ehcp_timeliness.project.history import (
    NEVER,
    date_of,
    day_numbers,
    is_month_end,
    month_end_before,
    month_ends_after,
    month_ends_to,
)
from ehcp_timeliness.project.models import ReviewMonth, ReviewOrderFit, ReviewProjection
from ehcp_timeliness.report import REVIEW_12M

DECISION_4W = "review-decision-4w"
RECENT_MONTHS = 6
DAYS_PER_MONTH = 365.25 / 12
#: How meetings and decisions are projected (see the module docstring).
ORDERS = ("capacity", "timing")
#: ``timing``: months before the month waited from that a review may be held (earlier ones
#: count as this early), and months after it from which the share is pooled.
EARLY_MONTHS, LATE_MONTHS = 3, 6
#: ``timing``: the months its shares are measured over.
TIMING_MONTHS = 12
#: The months the order is chosen on, and the meetings before them a choice needs (with
#: fewer: ``capacity``, the rule as written).
HOLDOUT_MONTHS = 6
MIN_HELD = 100
_WIDTH = EARLY_MONTHS + LATE_MONTHS + 1
_PRE = LATE_MONTHS + 1  # months of waiting cohorts before the first month ahead


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


def _month(days: np.ndarray) -> np.ndarray:
    """The month (a running count) each day number falls in; NEVER stays NEVER."""
    days = np.asarray(days, dtype=np.int64)
    never = days == NEVER
    month = np.where(never, 0, days).astype("datetime64[D]").astype("datetime64[M]")
    return np.where(never, NEVER, month.astype(np.int64))


@dataclass(frozen=True)
class Waits:
    """Things waited for, as day numbers: reviews, from the day each is overdue if not held
    (the day after its due date) to the meeting; or review decisions, from the meeting to the
    decision. ``ref`` is the day waited from, ``done`` the day the wait ended (NEVER if it has
    not), ``cease`` the day the plan ceased (NEVER while live), ``start`` the day the wait was
    first known (a review: its plan's issue or previous review; a decision: the meeting).
    Counted by the month of ``ref``, a review not held at a month end is overdue exactly when
    its month is that month or earlier, as the past months count it."""

    ref: np.ndarray
    done: np.ndarray
    cease: np.ndarray
    start: np.ndarray

    def where(self, keep: np.ndarray) -> Waits:
        return Waits(self.ref[keep], self.done[keep], self.cease[keep], self.start[keep])

    def as_at(self, day: int) -> Waits:
        """As recorded on ``day``: those known by then; later endings not yet happened."""
        known = self.where(self.start <= day)
        return Waits(known.ref, np.where(known.done <= day, known.done, NEVER),
                     np.where(known.cease <= day, known.cease, NEVER), known.start)  # fmt: skip

    def waiting(self, origin: int, first_month: int) -> np.ndarray:
        """Those waiting at ``origin`` (of live plans) and waited from by then, by the month
        waited from: :data:`_PRE` months before ``first_month`` (the oldest pooled in the
        first) and ``first_month`` itself (the as-at month, when it has not ended)."""
        late = (self.done == NEVER) & (self.cease == NEVER) & (self.ref <= origin)
        cohort = np.clip(_month(self.ref[late]) - (first_month - _PRE), 0, _PRE)
        return np.bincount(cohort, minlength=_PRE + 1).astype(float)


def timing_counts(w: Waits, last: int) -> tuple[np.ndarray, np.ndarray]:
    """For each of the :data:`TIMING_MONTHS` months up to month ``last`` (rows, oldest first)
    and each month from the month waited from (columns, ``-EARLY_MONTHS .. LATE_MONTHS``;
    later months pooled in the last, earlier endings counted in the first): those still
    waiting at its start (known by then, of live plans), and those whose wait ended in it."""
    first = last - TIMING_MONTHS + 1
    first_day = int(np.datetime64(first, "M").astype("datetime64[D]").astype(np.int64))
    # Only waits not over before the window can be in it.
    w = w.where((w.done >= first_day) & (w.cease >= first_day))
    ref, done, cease, start = (_month(x) for x in (w.ref, w.done, w.cease, w.start))
    at_risk = np.zeros((TIMING_MONTHS, _WIDTH))
    ended = np.zeros((TIMING_MONTHS, _WIDTH))
    for j, t in enumerate(range(first, last + 1)):  # a loop over months
        k = t - ref
        now = done == t
        risk = ((k >= -EARLY_MONTHS) | now) & (done >= t) & (cease >= t) & (start <= t)
        column = np.clip(k, -EARLY_MONTHS, LATE_MONTHS) + EARLY_MONTHS
        at_risk[j] = np.bincount(column[risk], minlength=_WIDTH)
        ended[j] = np.bincount(column[risk & now], minlength=_WIDTH)
    return at_risk, ended


def shares(at_risk: np.ndarray, ended: np.ndarray) -> np.ndarray:
    """Ended over waiting, by month from the month waited from (last axis); where none were
    waiting in a month, 0 before the month waited from and the previous month's share from
    it on."""
    with np.errstate(invalid="ignore", divide="ignore"):
        out = ended / at_risk
    out[..., :EARLY_MONTHS] = np.nan_to_num(out[..., :EARLY_MONTHS])
    for c in range(EARLY_MONTHS, _WIDTH):  # a loop over a few months
        before = out[..., c - 1] if c > EARLY_MONTHS else np.zeros(out.shape[:-1])
        out[..., c] = np.where(np.isfinite(out[..., c]), out[..., c], before)
    return out


def _share_of(cohorts: np.ndarray, m: int, share: np.ndarray) -> np.ndarray:
    """The share of each cohort (columns: months from :data:`_PRE` before the first month
    ahead) whose wait ends in month ``m`` ahead, for each row of ``share``."""
    k = m - (np.arange(cohorts.shape[1]) - _PRE)
    column = np.clip(k, -EARLY_MONTHS, LATE_MONTHS) + EARLY_MONTHS
    return share[:, column] * (k >= -EARLY_MONTHS)


@dataclass(frozen=True)
class State:
    """The reviews and decisions at an origin, as the projection starts from them."""

    #: Month ends projected (and 12 more, for the reviews a meeting makes due a year later).
    ahead: np.ndarray
    #: Reviews still to hold by the month each would be overdue from, and by the month each
    #: falls due (what the months show as due), in each month of ``ahead``, scaled by the
    #: share of plans still live then.
    scheduled: np.ndarray
    due: np.ndarray
    #: Reviews due in each month of ``ahead`` already held early.
    held_early: np.ndarray
    #: Reviews overdue at the origin, and decisions awaited, by month waited from
    #: (:meth:`Waits.waiting`); None without a decisions clock.
    overdue: np.ndarray
    awaited: np.ndarray | None


def state_at(reviews: Waits, decisions: Waits | None, origin: int, months: int,
             cessation_rate: float) -> State:  # fmt: skip
    ahead = month_ends_after(origin, months + 12)
    live = reviews.cease == NEVER
    future = (reviews.done == NEVER) & live & (reviews.ref > origin)
    survive = (1 - cessation_rate) ** (np.arange(len(ahead)) + 0.5)
    scheduled = _per_month(reviews.ref[future], ahead) * survive
    due = _per_month(reviews.ref[future] - 1, ahead) * survive
    early = (reviews.done != NEVER) & (reviews.ref > origin)
    held_early = _per_month(reviews.ref[early] - 1, ahead)[:months].astype(float)
    first = int(_month(ahead[:1])[0])
    awaited = None if decisions is None else decisions.waiting(origin, first)
    return State(ahead, scheduled, due, held_early, reviews.waiting(origin, first), awaited)


@dataclass(frozen=True)
class Pace:
    """How meetings and decisions are made, for each draw (row): at a rate a month
    (``capacity``: one per draw, or one per draw and month ahead) or at shares by month waited
    (``timing``; with ``noise``, the number ending each month is drawn around its share, as
    a binomial count is)."""

    held_rate: np.ndarray | None = None
    held_share: np.ndarray | None = None
    decided_rate: np.ndarray | None = None
    decided_share: np.ndarray | None = None
    noise: np.random.Generator | None = None

    @property
    def draws(self) -> int:
        first = self.held_rate if self.held_rate is not None else self.held_share
        assert first is not None
        return len(first)


def _run(state: State, pace: Pace, new: np.ndarray, cessation_rate: float, months: int
         ) -> dict[str, np.ndarray]:  # fmt: skip
    """Reviews due, held and overdue, and decisions awaited and awaited over 4 weeks, each
    month ahead (draws x months)."""
    n = pace.draws
    keep = (1 - cessation_rate) ** 12  # the share of plans still live a year on
    r = np.zeros((n, _PRE + len(state.ahead)))  # reviews still to hold, by month overdue from
    r[:, _PRE:] = state.scheduled
    r[:, : _PRE + 1] += state.overdue
    shown = np.broadcast_to(state.due, (n, len(state.ahead))).copy()  # due, by due month
    first = min(months, len(state.ahead)) - 12  # first reviews of the new plans, a year on
    if first > 0:
        r[:, _PRE + 12 : _PRE + 12 + first] += new[:, :first] * keep
        shown[:, 12 : 12 + first] += new[:, :first] * keep
    d = None  # decisions awaited, by meeting month
    if state.awaited is not None:
        d = np.zeros((n, _PRE + months))
        d[:, : _PRE + 1] = state.awaited
    out = {k: np.zeros((n, months)) for k in ("due", "held", "overdue", "queue", "over")}
    for m in range(months):  # a loop over months
        r[:, : _PRE + m] *= 1 - cessation_rate  # plans ceasing owe their overdue reviews no more
        if pace.held_share is None:  # oldest first up to the month's meetings, then early
            assert pace.held_rate is not None
            meetings = np.zeros(n)
            rate = pace.held_rate[:, m] if pace.held_rate.ndim == 2 else pace.held_rate
            for c in range(min(_PRE + m + 2, r.shape[1])):  # a loop over cohorts
                done = np.minimum(rate - meetings, r[:, c])
                r[:, c] -= done
                meetings += done
        else:
            done = _ended(r, _share_of(r, m, pace.held_share), pace.noise)
            r -= done
            meetings = done.sum(axis=1)
        if m + 12 < len(state.ahead):  # each meeting makes the plan's next review due a year on
            r[:, _PRE + m + 12] += meetings * keep
            shown[:, m + 12] += meetings * keep
        out["due"][:, m] = shown[:, m] + state.held_early[m]
        out["held"][:, m] = meetings
        out["overdue"][:, m] = r[:, : _PRE + m + 1].sum(axis=1)
        if d is not None:
            d[:, _PRE + m] += meetings
            if pace.decided_share is None:
                assert pace.decided_rate is not None
                rate = pace.decided_rate
                rate = rate[:, m] if rate.ndim == 2 else rate
                queue = d.sum(axis=1)
                d *= (1 - np.minimum(rate, queue) / np.maximum(queue, 1e-9))[:, None]
            else:
                d -= _ended(d, _share_of(d, m, pace.decided_share), pace.noise)
            queue = d.sum(axis=1)
            out["queue"][:, m] = queue
            out["over"][:, m] = np.maximum(queue - meetings * 28 / DAYS_PER_MONTH, 0)
    return out


Counts = tuple[np.ndarray, np.ndarray]


def _ended(waiting: np.ndarray, share: np.ndarray, noise: np.random.Generator | None
           ) -> np.ndarray:  # fmt: skip
    """How many of ``waiting`` end at ``share``: the expected number, or with ``noise`` a
    draw about it with a binomial count's spread (a normal approximation, held between none
    and all)."""
    mean = waiting * share
    if noise is None:
        return mean
    spread = np.sqrt(np.maximum(mean * (1 - share), 0))
    return np.clip(mean + spread * noise.standard_normal(mean.shape), 0, waiting)


def _pace(order: str, held: np.ndarray, decided: np.ndarray | None, held_counts: Counts | None,
          decided_counts: Counts | None, months: np.ndarray | None = None,
          noise: np.random.Generator | None = None) -> Pace:  # fmt: skip
    """The pace of ``order``: ``held`` and ``decided`` are meetings and decisions a month over
    the months before the origin (the last :data:`RECENT_MONTHS` make a rate), the counts
    :func:`timing_counts` of the reviews and the decisions. Without ``months``, the central
    pace from every month. With it (draws x columns), each draw's: for a rate, each month
    ahead takes one of the recent months (positions in the last :data:`RECENT_MONTHS`), so the
    months vary as they have; for a timing, the shares come from the months picked (positions
    in the counts) and ``noise`` draws each month's endings about them."""
    if order == "capacity":
        recent = len(held) - RECENT_MONTHS
        if months is None:
            return Pace(held_rate=np.array([held[recent:].mean()]),
                        decided_rate=None if decided is None
                        else np.array([decided[recent:].mean()]))  # fmt: skip
        return Pace(
            held_rate=held[months + recent],
            decided_rate=None if decided is None else decided[months + recent],
        )
    if months is None:
        months = np.arange(TIMING_MONTHS)[None, :]

    def share(counts: Counts) -> np.ndarray:
        at_risk, ended = counts
        return shares(at_risk[months].sum(axis=1), ended[months].sum(axis=1))

    assert held_counts is not None
    return Pace(
        held_share=share(held_counts),
        decided_share=None if decided_counts is None else share(decided_counts),
        noise=noise,
    )


def choose_order(
    reviews: Waits,
    decisions: Waits | None,
    origin: int,
    cessation_rate: float,
    actual: dict[str, np.ndarray],
) -> tuple[str, str, list[ReviewOrderFit]]:
    """The order that would have projected the last :data:`HOLDOUT_MONTHS` whole months best:
    each run from the reviews and decisions as recorded at their start, scored by the mean
    absolute errors of the meetings a month, the reviews overdue and the decisions awaited at
    each month end, added and divided by the actual meetings a month. ``actual`` holds the last 12
    months' ``held``, ``overdue``, ``decided`` and ``awaited``. ``capacity`` where too few
    reviews were held before them to choose."""
    ends = month_ends_to(origin, 12)
    start = int(ends[-HOLDOUT_MONTHS - 1])
    r0 = reviews.as_at(start)
    d0 = None if decisions is None else decisions.as_at(start)
    if (r0.done != NEVER).sum() < MIN_HELD:
        return "capacity", (f"capacity, the rule as written: fewer than {MIN_HELD} reviews "
                            f"held {HOLDOUT_MONTHS} months ago to choose by"), []  # fmt: skip
    state = state_at(r0, d0, start, HOLDOUT_MONTHS, cessation_rate)
    last = int(_month(np.array([start]))[0])
    before = slice(0, 12 - HOLDOUT_MONTHS)
    decided = actual["decided"][before] if decisions is not None else None
    counts = timing_counts(r0, last), None if d0 is None else timing_counts(d0, last)
    none = np.zeros((1, HOLDOUT_MONTHS))
    fits = []
    for order in ORDERS:
        pace = _pace(order, actual["held"][before], decided, *counts)
        run = _run(state, pace, none, cessation_rate, HOLDOUT_MONTHS)
        errors = {q: float(np.mean(np.abs(run[k][0] - actual[q][-HOLDOUT_MONTHS:])))
                  for q, k in (("held", "held"), ("overdue", "overdue"), ("awaited", "queue"))
                  if q != "awaited" or decisions is not None}  # fmt: skip
        # In reviews, over a month's meetings: one unit for all three, so a quantity near
        # zero (few overdue) does not decide the choice by itself.
        score = sum(errors.values()) / max(float(actual["held"][-HOLDOUT_MONTHS:].mean()), 1.0)
        fits.append(ReviewOrderFit(
            order=order, months=HOLDOUT_MONTHS, mean_abs_error_held=round(errors["held"], 2),
            mean_abs_error_overdue=round(errors["overdue"], 2),
            mean_abs_error_awaited=round(errors["awaited"], 2) if "awaited" in errors else None,
            score=round(score, 4)))  # fmt: skip
    best = min(fits, key=lambda f: (f.score, ORDERS.index(f.order)))
    return best.order, (f"{best.order}: it would have projected the last {HOLDOUT_MONTHS} "
                        "months best"), fits  # fmt: skip


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
    rv = _rule(cases, REVIEW_12M)
    if rv is None:
        return None
    status = rv["status"].cat.codes.to_numpy()
    due_day = day_numbers(rv["due_date"])
    held_day = day_numbers(rv["end_date"])
    cease_day = plan_cease[rv["_src"].to_numpy()]
    # A review due after its plan ended was never due: as the Trend sheet counts.
    owed = status != NOT_OWED
    past = month_ends_to(origin, 12)
    actual = {
        "held": _per_month(held_day[(status == MET) | (status == LATE)], past),
        # Of plans live at the month end: a ceased plan owes no review.
        "overdue": np.array([int((owed & (due_day < end) & (held_day > end)
                                  & (cease_day > end)).sum()) for end in past]),
    }  # fmt: skip
    # The reviews the clock could judge. Those found not owed (due after their plan ended)
    # stay: at a hold-out's start the plan may still have been live.
    judged = np.isin(status, (MET, LATE, OPEN, OVERDUE, NOT_OWED))
    overdue_from = np.where(due_day == NEVER, NEVER, due_day + 1)  # the day after it is due
    reviews = Waits(overdue_from[judged], held_day[judged], cease_day[judged],
                    day_numbers(rv["start_date"])[judged])  # fmt: skip
    dc = _rule(cases, DECISION_4W)
    decisions = None
    if dc is not None:
        d_status = dc["status"].cat.codes.to_numpy()
        d_start, d_due = day_numbers(dc["start_date"]), day_numbers(dc["due_date"])
        d_end = day_numbers(dc["end_date"])
        d_judged = np.isin(d_status, (MET, LATE, OPEN, OVERDUE))
        decisions = Waits(d_start[d_judged], d_end[d_judged],
                          np.full(int(d_judged.sum()), NEVER), d_start[d_judged])  # fmt: skip
        actual["decided"] = _per_month(d_end, past)
        actual["awaited"] = np.array([int(((d_start <= end) & (d_end > end)).sum())
                                      for end in past])  # fmt: skip
        awaited_now: int | None = int(((d_status == OPEN) | (d_status == OVERDUE)).sum())
    else:
        awaited_now = None
    # As recorded by the as-at date: an extract run as at an earlier date may hold later
    # meetings, decisions and cessations, which have not happened yet.
    reviews = reviews.as_at(origin)
    decisions = None if decisions is None else decisions.as_at(origin)
    order, why, fits = choose_order(reviews, decisions, origin, cessation_rate, actual)
    state = state_at(reviews, decisions, origin, months, cessation_rate)
    last = int(_month(past[-1:])[0])
    held_counts = None if order == "capacity" else timing_counts(reviews, last)
    decided_counts = (None if order == "capacity" or decisions is None
                      else timing_counts(decisions, last))  # fmt: skip
    rng = np.random.default_rng(seed + 11)
    # Each draw: the recent months, resampled (the same months for meetings and decisions).
    if order == "capacity":  # a recent month for each month ahead
        picks = rng.integers(0, RECENT_MONTHS, size=(draws, months))
    else:  # the months the shares come from
        picks = rng.integers(0, TIMING_MONTHS, size=(draws, TIMING_MONTHS))
    decided = actual.get("decided")
    central = _pace(order, actual["held"], decided, held_counts, decided_counts)
    spread = _pace(order, actual["held"], decided, held_counts, decided_counts, months=picks,
                   noise=rng)  # fmt: skip
    if new_plans_central is None or new_plans_draws is None:
        new_plans_central = np.zeros((1, months))
        new_plans_draws = np.zeros((draws, months))
    runs = (_run(state, central, new_plans_central, cessation_rate, months),
            _run(state, spread, new_plans_draws[:draws], cessation_rate, months))  # fmt: skip

    rows: list[ReviewMonth] = []
    due_all = _per_month(due_day[owed], past)
    for j, end in enumerate(past):  # a loop over the last 12 month ends
        awaited = over = None
        if dc is not None:
            waiting = (d_start <= end) & (d_end > end)
            awaited = exact(int(actual["awaited"][j]))
            over = exact(int((waiting & (d_due < end)).sum()))
        rows.append(ReviewMonth(month=str(np.datetime64(date_of(end), "M")), actual=True,
                                due=exact(int(due_all[j])), held=exact(int(actual["held"][j])),
                                overdue=exact(int(actual["overdue"][j])),
                                decisions_awaited=awaited, decisions_over_limit=over))  # fmt: skip
    b = {k: bands(runs[1][k], runs[0][k][0]) for k in runs[0]}
    for m in range(months):
        if m == 0 and not is_month_end(origin):
            continue  # the as-at month: part history, part projection, whole in neither
        rows.append(ReviewMonth(
            month=str(np.datetime64(date_of(state.ahead[m]), "M")), actual=False,
            due=b["due"][m], held=b["held"][m], overdue=b["overdue"][m],
            decisions_awaited=b["queue"][m] if dc is not None else None,
            decisions_over_limit=b["over"][m] if dc is not None else None,
        ))  # fmt: skip
    held_rate = float(actual["held"][-RECENT_MONTHS:].mean())
    dec_rate = None if dc is None else float(actual["decided"][-RECENT_MONTHS:].mean())
    if order == "capacity":
        how_held = (f"at the recent {held_rate:,.0f} meetings a month, the oldest due first "
                    "(spare meetings hold the next month's reviews early)")  # fmt: skip
        how_decided = None if dec_rate is None else f"at the recent {dec_rate:,.0f} a month"
    else:
        how_held = ("at the recent timing of meetings around their due dates, so meetings "
                    "follow the reviews due")  # fmt: skip
        how_decided = None if dc is None else "at the recent timing after each meeting"
    live = cease_day == NEVER
    overdue_now = int(((status == OVERDUE) & live & (held_day == NEVER)).sum())
    return ReviewProjection(
        order=order, order_chosen_by=why, order_fits=fits, how_held=how_held,
        how_decided=how_decided, held_per_month=round(held_rate, 1),
        decisions_per_month=None if dec_rate is None else round(dec_rate, 1),
        overdue_now=overdue_now, pending_now=overdue_now + int(((status == OPEN) & live).sum()),
        decisions_awaited_now=awaited_now, months=rows,
    )  # fmt: skip
