"""The assessment backlog as a stock and its flows, after the NHS referral-to-treatment models.

The stock is the requests waiting for a final plan, counted by their age in weeks. Each week:

1. some leave without a plan (refused, no plan, withdrawn), at a weekly rate by age estimated
   from the council's recent history;
2. plans are issued in one of three ways (the **order**):

   * ``oldest-first``: up to the week's **capacity**, to the oldest cases old enough to have
     been assessed;
   * ``as-recorded``: up to the week's capacity, to cases of each age in proportion to the
     rate at which cases of that age were issued plans recently;
   * ``recent-rates``: at the recent rate by age itself, with no capacity limit, so plans
     issued follow the backlog (the week's "capacity" is then a multiplier of those rates,
     1 unless a scenario changes it);
3. everyone still waiting is a week older, and the week's new requests join at age 0.

A request's age at a day ``T`` is ``floor((T - received - 1) / 7)`` whole weeks, so a request
is past its 20-week limit at ``T`` exactly when its age is 20 or more: the stock at the origin
reproduces the open and overdue counts of ``ehcp report`` exactly. New requests are taken to
arrive at age 0 at the end of their week, which is exact but for those received on its last
day (a day younger).

All draws are simulated at once: the state is an array (draws x ages) and the loop runs over
the weeks of the horizon only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from ehcp_timeliness.project.history import NEVER, RequestFlows, week_of

#: Ages (weeks since the request) are tracked to here; older cases share the last bin.
MAX_AGE = 156
#: Bin i holds age i - 1: ages -1 (received on the day) .. MAX_AGE (and older).
BINS = MAX_AGE + 2
#: Ages are pooled into bands until each holds this many weeks at risk, for stable rates.
MIN_AT_RISK = 150
Order = Literal["oldest-first", "as-recorded", "recent-rates"]
ORDERS: tuple[Order, ...] = ("oldest-first", "as-recorded", "recent-rates")


def ages_at(received: np.ndarray, day: int) -> np.ndarray:
    """Whole weeks since the request at ``day``: ``floor((day - received - 1) / 7)``."""
    return (day - received - 1) // 7


def state_at(flows: RequestFlows, day: int) -> np.ndarray:
    """The backlog at the end of ``day`` by age bin (see :data:`BINS`)."""
    waiting = (flows.received <= day) & (flows.exit > day)
    age = np.clip(ages_at(flows.received[waiting], day), -1, MAX_AGE)
    return np.bincount(age + 1, minlength=BINS).astype(float)


@dataclass
class Hazards:
    """Weekly exit rates by age bin, estimated over a window of recent weeks."""

    leave: np.ndarray  # leaving without a plan
    plan: np.ndarray  # issued a plan, as recorded
    at_risk: np.ndarray  # weeks at risk per bin in the window
    bands: np.ndarray  # band number of each bin
    on_time_at_limit: float  # share on time of plans issued in the week the limit falls
    youngest_plan_age: int  # 5th percentile of the age at which plans were issued
    window_weeks: int
    exception_on_time: float
    exception_late: float
    share_assessed: float | None
    share_assessed_to_plan: float | None

    def share_to_plan(self) -> float:
        """The chance a new request ends in a plan at these rates (none is left at the end)."""
        alive, planned = 1.0, 0.0
        for i in range(1, BINS):  # from age 0; the last bin repeats until nearly all are out
            repeats = 200 if i == BINS - 1 else 1
            for _ in range(repeats):
                planned += alive * (1 - self.leave[i]) * self.plan[i]
                alive *= (1 - self.leave[i]) * (1 - self.plan[i])
        return planned


def _bands(at_risk: np.ndarray) -> np.ndarray:
    """Consecutive bins pooled until each band has :data:`MIN_AT_RISK` weeks at risk."""
    bands = np.zeros(len(at_risk), dtype=np.int64)
    band, total = 0, 0.0
    for i, n in enumerate(at_risk):
        bands[i] = band
        total += n
        if total >= MIN_AT_RISK:
            band, total = band + 1, 0.0
    if total < MIN_AT_RISK and band > 0:  # a short last band joins the one before
        bands[bands == band] = band - 1
    return bands


def calibrate(flows: RequestFlows, origin: int, window: int) -> Hazards:
    """Exit rates by age over the ``window`` weeks ending at ``origin``, from each request's
    weeks at risk (the start of each week it was waiting) and the week it left."""
    w0 = 1 - window
    r, x = flows.received, flows.exit
    g = ages_at(r, origin)  # age at the origin; age at the start of week w is w - 1 + g
    first = np.maximum(week_of(r, origin) + 1, w0)  # first week whose start it waited at
    last = np.minimum(week_of(x, origin), 0)  # the week it left in (or 0)
    risky = first <= last
    lo = np.clip(first[risky] - 1 + g[risky], -1, MAX_AGE) + 1
    hi = np.clip(last[risky] - 1 + g[risky], -1, MAX_AGE) + 1
    top = BINS - 1
    below_lo, below_hi = np.minimum(lo, top), np.minimum(hi, top - 1)
    span = below_lo <= below_hi
    diff = np.bincount(below_lo[span], minlength=BINS + 1)[: BINS + 1].astype(float)
    diff -= np.bincount(below_hi[span] + 1, minlength=BINS + 1)[: BINS + 1]
    at_risk = np.cumsum(diff)[:BINS]
    # Weeks at risk in the last bin: every week of the span at or past MAX_AGE.
    top_weeks = (last[risky] - 1 + g[risky]) - np.maximum(first[risky] - 1 + g[risky], MAX_AGE) + 1
    at_risk[top] += np.clip(top_weeks, 0, None).sum()

    xw = week_of(x, origin)
    left_in = (x != NEVER) & (xw >= w0) & (xw <= 0) & (xw >= week_of(r, origin) + 1)
    age_out = np.clip(xw - 1 + g, -1, MAX_AGE) + 1
    plans = np.bincount(age_out[left_in & flows.planned], minlength=BINS).astype(float)
    leaves = np.bincount(age_out[left_in & ~flows.planned], minlength=BINS).astype(float)
    bands = _bands(at_risk)
    n_bands = int(bands.max()) + 1

    def rate(events: np.ndarray) -> np.ndarray:
        per = np.bincount(bands, weights=events, minlength=n_bands)
        risk = np.bincount(bands, weights=at_risk, minlength=n_bands)
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.where(risk > 0, per / np.maximum(risk, 1e-12), 0.0)
        return np.clip(out, 0.0, 1.0)[bands]

    limit = limit_weeks(flows)
    due = flows.received + flows.limit_days
    at_limit = left_in & flows.planned & (age_out == limit)  # age limit - 1 at the week start
    on_time_at_limit = float((x[at_limit] <= due[at_limit]).mean()) if at_limit.any() else 0.5
    plan_ages = np.repeat(np.arange(BINS) - 1, plans.astype(np.int64))
    youngest = int(np.percentile(plan_ages, 5)) if len(plan_ages) else limit // 2
    issued = left_in & flows.planned
    on_time = issued & (x <= due)
    late = issued & ~on_time
    exc = flows.exception

    def share(num: int, den: int) -> float:
        return num / den if den else 0.0

    def in_window(day: np.ndarray) -> np.ndarray:
        week = week_of(day, origin)
        return (day != NEVER) & (week >= w0) & (week <= 0)

    agreed = int(in_window(flows.assessed).sum())
    refused = int((in_window(x) & flows.refused).sum())
    concluded = in_window(x) & ~flows.refused & (flows.assessed != NEVER)
    decided, assessments = agreed + refused, int(concluded.sum())

    return Hazards(
        leave=rate(leaves),
        plan=rate(plans),
        at_risk=at_risk,
        bands=bands,
        on_time_at_limit=on_time_at_limit,
        youngest_plan_age=max(youngest, 0),
        window_weeks=window,
        exception_on_time=share(int((on_time & exc).sum()), int(on_time.sum())),
        exception_late=share(int((late & exc).sum()), int(late.sum())),
        share_assessed=agreed / decided if decided else None,
        share_assessed_to_plan=(
            int((concluded & flows.planned).sum()) / assessments if assessments else None
        ),
    )


def limit_weeks(flows: RequestFlows) -> int:
    """The rule's limit in whole weeks (20 for the 20-week rule)."""
    return -(-flows.limit_days // 7)


@dataclass
class Paths:
    """Simulated weeks 1..H, each array shaped (draws, weeks)."""

    open: np.ndarray
    overdue: np.ndarray
    issued: np.ndarray
    on_time: np.ndarray


def _oldest_first(stock: np.ndarray, capacity: np.ndarray, youngest_bin: int) -> np.ndarray:
    """Capacity taken from the oldest bins down, no younger than ``youngest_bin``."""
    eligible = stock[:, youngest_bin:]
    from_top = np.cumsum(eligible[:, ::-1], axis=1)[:, ::-1]  # this bin and every older one
    above = from_top - eligible
    out = np.zeros_like(stock)
    out[:, youngest_bin:] = np.clip(capacity[:, None] - above, 0.0, eligible)
    return out


def _as_recorded(stock: np.ndarray, capacity: np.ndarray, plan_rate: np.ndarray) -> np.ndarray:
    """Capacity shared in proportion to ``stock x plan_rate``, no bin giving more than it has:
    ``min(k x want, stock)`` summed over bins equals the capacity (or every case that can be).
    A rate under one in a billion counts as none.

    ``k`` is found by raising it until the capacity is used: each round gives the capacity
    left over to the bins not yet exhausted, in proportion. Each round exhausts at least one
    more bin or uses the capacity up, so a few rounds settle it to well under a case."""
    rate = np.where(plan_rate > 1e-9, plan_rate, 0.0)  # a vanishing rate takes no share
    want = stock * rate[None, :]
    total = want.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.where(total > 0, capacity / np.where(total > 0, total, 1.0), 0.0)
    done = np.minimum(k[:, None] * want, stock)
    for _ in range(12):
        short = capacity - done.sum(axis=1)
        open_want = np.where(done < stock, want, 0.0).sum(axis=1)
        more = (short > 1e-6) & (open_want > 0)
        if not more.any():
            break
        with np.errstate(divide="ignore", invalid="ignore"):
            k = k + np.where(more, short / np.where(open_want > 0, open_want, 1.0), 0.0)
        done = np.minimum(k[:, None] * want, stock)
    return done


def simulate(
    state: np.ndarray,
    arrivals: np.ndarray,
    capacity: np.ndarray,
    hazards: Hazards,
    order: Order,
    limit: int,
) -> Paths:
    """Run the stock forward: ``state`` (bins,) or (draws, bins); ``arrivals`` and ``capacity``
    (draws, weeks). Plans issued never exceed the cases waiting, nor the capacity where the
    order has one (for ``recent-rates``, ``capacity`` multiplies the recent rates)."""
    arrivals = np.atleast_2d(np.asarray(arrivals, dtype=float))
    capacity = np.atleast_2d(np.asarray(capacity, dtype=float))
    n, h = np.broadcast_shapes(arrivals.shape, capacity.shape)
    arrivals = np.broadcast_to(arrivals, (n, h))
    capacity = np.broadcast_to(capacity, (n, h))
    stock = np.broadcast_to(np.asarray(state, dtype=float), (n, BINS)).copy()
    out = {k: np.zeros((n, h)) for k in ("open", "overdue", "issued", "on_time")}
    youngest_bin = min(hazards.youngest_plan_age + 1, BINS - 1)
    for week in range(h):
        left = stock * hazards.leave[None, :]
        stock -= left
        if order == "oldest-first":
            done = _oldest_first(stock, capacity[:, week], youngest_bin)
        elif order == "as-recorded":
            done = _as_recorded(stock, capacity[:, week], hazards.plan)
        else:
            done = np.minimum(stock * hazards.plan[None, :] * capacity[:, week, None], stock)
        stock -= done
        np.maximum(stock, 0.0, out=stock)
        # Ages limit - 2 and younger at the week's start are on time whenever issued in it;
        # age limit - 1 is on time if issued by its due date, in the share seen recently.
        on_time = done[:, :limit].sum(axis=1) + hazards.on_time_at_limit * done[:, limit]
        older = np.zeros_like(stock)
        older[:, 1:] = stock[:, :-1]
        older[:, -1] += stock[:, -1]
        older[:, 1] += arrivals[:, week]
        stock = older
        out["open"][:, week] = stock.sum(axis=1)
        out["overdue"][:, week] = stock[:, limit + 1 :].sum(axis=1)
        out["issued"][:, week] = done.sum(axis=1)
        out["on_time"][:, week] = on_time
    return Paths(**out)
