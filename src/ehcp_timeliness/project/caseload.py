"""Children with a plan (live plans) by month: the history rebuilt from plan issue and cease
dates, and the next 3 years projected as last month's caseload + new plans - cessations.

* New plans come from the backlog projection (plans issued from the requests table), scaled
  by how many new plans the plans table gained per plan issued from the requests table over
  the last 12 months (transfers in, plans from requests outside the extract). Without a
  backlog projection, the plans table's own weekly new plans are projected (``series.fit``).
* Cessations: each group's monthly cessation rate over the last 12 months (ceased / live plans
  at the month ends), by age or year group where the plans table has one, otherwise overall.
  New plans join the groups in the shares of the last 12 months' new plans. Groups are as
  recorded: children are not moved from one age group to the next.
* The band: each draw takes its new plans from a draw of the backlog projection, and its
  cessation rates scaled by the mean of 12 resampled months of last year's rates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from ehcp_timeliness.history import plan_codes
from ehcp_timeliness.project import series
from ehcp_timeliness.project.backlog import bands, exact
from ehcp_timeliness.project.history import (
    NEVER,
    RequestFlows,
    date_of,
    day_numbers,
    month_end_before,
    month_ends_after,
    month_ends_to,
    month_shares,
    week_end,
    week_of,
)
from ehcp_timeliness.project.models import CaseloadMonth, CaseloadProjection, CessationRate

#: Dimensions cessation rates are taken by, the first the plans table has.
GROUP_COLUMNS = ("age_group", "year_group", "age")
MONTHS_AHEAD = 36
HISTORY_MONTHS = 60
#: Smallest group given its own rate; smaller ones share the overall rate.
MIN_GROUP = 30


class Plans:
    """One row per plan: issue day, cease day (NEVER while live), group label."""

    def __init__(self, table: pd.DataFrame):
        codes = plan_codes(table["plan_id"])
        frame = pd.DataFrame({"plan": codes, "issue": day_numbers(table["plan_issue_date"])})
        cease = day_numbers(table["cease_date"]) if "cease_date" in table else None
        frame["cease"] = np.where(cease == NEVER, -1, cease) if cease is not None else -1
        self.by = next((c for c in GROUP_COLUMNS if c in table and table[c].notna().any()), None)
        grouped = frame.groupby("plan", sort=True)
        self.issue = grouped["issue"].min().to_numpy()
        last_cease = grouped["cease"].max().to_numpy()
        self.cease = np.where(last_cease < 0, NEVER, last_cease)
        #: The cease day of the plan each row of the table belongs to.
        self.row_cease = self.cease[codes]
        if self.by is None:
            self.group = np.zeros(len(self.issue), dtype=np.int64)
            self.labels = ["all plans"]
        else:
            first_row = grouped.head(1).sort_values("plan").index.to_numpy()
            values = table[self.by].astype("string").fillna("(not recorded)")
            labels = values.to_numpy(dtype=object)[first_row]
            codes2, uniques = pd.factorize(labels, sort=True)
            self.group, self.labels = codes2, [str(u) for u in uniques]

    def live_at(self, days: np.ndarray, group: int | None = None) -> np.ndarray:
        issue, cease = (self.issue, self.cease) if group is None else (
            self.issue[self.group == group], self.cease[self.group == group])  # fmt: skip
        issue, cease = np.sort(issue), np.sort(cease)
        return np.searchsorted(issue, days, "right") - np.searchsorted(cease, days, "right")

    def between(self, values: np.ndarray, start: int, end: int) -> np.ndarray:
        """Which of ``values`` (day numbers) fall in ``(start, end]``."""
        return (values > start) & (values <= end)


@dataclass
class CaseloadRun:
    """The projection, and the monthly new plans and overall cessation rate behind it (the
    annual-review projection takes them)."""

    projection: CaseloadProjection
    new_central: np.ndarray  # (1, months)
    new_draws: np.ndarray  # (draws, months)
    cessation_rate: float
    #: The cease day (NEVER while live) of the plan each row of the plans table belongs to.
    plan_cease: np.ndarray


def project_caseload(
    plans_table: pd.DataFrame,
    origin: int,
    *,
    flows: RequestFlows | None,
    issued_central: np.ndarray | None,
    issued_draws: np.ndarray | None,
    draws: int,
    seed: int,
) -> CaseloadRun | None:
    """Live plans by month: history and projection. ``issued_*`` are the backlog projection's
    plans issued per week from week 1 (central (1, weeks), draws (n, weeks)), or None."""
    if plans_table.empty:
        return None
    plans = Plans(plans_table)
    year_ago = origin - 365
    ends_past = month_ends_to(origin, 12)
    starts_past = np.r_[month_end_before(ends_past[0]), ends_past[:-1]]
    # Recent new plans: in the plans table, and issued from the requests table.
    new_recent = int(plans.between(plans.issue, year_ago, origin).sum())
    source = "plans table's new plans, projected"
    ratio = 1.0
    if flows is not None and issued_central is not None:
        from_requests = int((flows.planned & plans.between(flows.exit, year_ago, origin)).sum())
        ratio = new_recent / from_requests if from_requests else 1.0
        source = "backlog projection's plans issued, scaled by the recent ratio"
    rng = np.random.default_rng(seed + 7)
    ends_ahead = month_ends_after(origin, MONTHS_AHEAD)
    weeks = int(np.ceil((ends_ahead[-1] - origin) / 7))
    if issued_central is None or issued_draws is None or issued_central.shape[1] < weeks:
        issued_central, issued_draws = _own_new_plans(plans, origin, weeks, draws, rng)
        ratio, source = 1.0, "plans table's new plans per week (level, trend, season), projected"

    # Weekly plans to months, each week's plans shared by its days in each month.
    shares, _ = month_shares(origin, weeks, ends_ahead)

    def monthly(values: np.ndarray) -> np.ndarray:
        return values[:, :weeks] @ shares * ratio

    new_c, new_d = monthly(issued_central), monthly(issued_draws)

    # Cessation rates per group over the last 12 months.
    n_groups = len(plans.labels)
    live_past = np.array([plans.live_at(ends_past, g) for g in range(n_groups)])  # (G, 12)
    ceased_past = np.zeros((n_groups, 12))
    for j in range(12):
        ceased = plans.between(plans.cease, starts_past[j], ends_past[j])
        ceased_past[:, j] = np.bincount(plans.group[ceased], minlength=n_groups)
    overall = ceased_past.sum() / max(live_past.sum(), 1)
    exposure = live_past.sum(axis=1)
    rate = np.where(exposure >= MIN_GROUP * 12,
                    ceased_past.sum(axis=1) / np.maximum(exposure, 1), overall)  # fmt: skip
    new_groups = np.bincount(plans.group[plans.between(plans.issue, year_ago, origin)],
                             minlength=n_groups).astype(float)  # fmt: skip
    share = new_groups / new_groups.sum() if new_groups.sum() else np.full(n_groups, 1 / n_groups)
    live_now = np.array([int(plans.live_at(np.array([origin]), g)[0]) for g in range(n_groups)])
    monthly_rates = ceased_past.sum(axis=0) / np.maximum(live_past.sum(axis=0), 1)
    if monthly_rates.mean() > 0 and draws:
        picks = rng.integers(0, 12, size=(draws, 12))
        scale = monthly_rates[picks].mean(axis=1) / monthly_rates.mean()
    else:
        scale = np.ones(draws)

    def run(new: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        live = np.broadcast_to(live_now.astype(float), (len(new), n_groups)).copy()
        out_live, out_ceased = np.zeros((len(new), MONTHS_AHEAD)), np.zeros_like(new)
        first_days = (ends_ahead[0] - origin) / 30.44  # the first month may be part of one
        for m in range(MONTHS_AHEAD):  # a loop over months
            part = min(first_days, 1.0) if m == 0 else 1.0
            ceased = live * np.clip(rate[None, :] * scale[:, None] * part, 0, 1)
            live = live - ceased + new[:, m : m + 1] * share[None, :]
            out_live[:, m], out_ceased[:, m] = live.sum(axis=1), ceased.sum(axis=1)
        return out_live, out_ceased

    live_c, ceased_c = run(new_c, np.ones(1))
    live_d, ceased_d = run(new_d, scale[: len(new_d)] if len(new_d) else scale)

    months: list[CaseloadMonth] = []
    first_plan = int(plans.issue.min())
    history_ends = month_ends_to(origin, HISTORY_MONTHS)
    history_ends = history_ends[history_ends >= first_plan]
    live_hist = plans.live_at(history_ends)
    for j, end in enumerate(history_ends):
        start = history_ends[j - 1] if j else month_end_before(end)
        months.append(CaseloadMonth(
            month_end=date_of(end), actual=True, live=exact(live_hist[j]),
            new_plans=exact(int(plans.between(plans.issue, start, end).sum())),
            ceased=exact(int(plans.between(plans.cease, start, end).sum())),
        ))  # fmt: skip
    lb, nb, cb = bands(live_d, live_c[0]), bands(new_d, new_c[0]), bands(ceased_d, ceased_c[0])
    for m, end in enumerate(ends_ahead):
        months.append(CaseloadMonth(month_end=date_of(end), actual=False, live=lb[m],
                                    new_plans=nb[m], ceased=cb[m]))  # fmt: skip
    projection = CaseloadProjection(
        by=plans.by,
        rates=[CessationRate(group=label, live=int(live_now[g]),
                             monthly_rate=round(float(rate[g]), 5),
                             share_of_new_plans=round(float(share[g]), 4))
               for g, label in enumerate(plans.labels)],  # fmt: skip
        new_plan_ratio=round(ratio, 4), new_plans_source=source,
        live_now=int(live_now.sum()), months=months,
    )  # fmt: skip
    return CaseloadRun(projection, new_c, new_d, float(overall), plans.row_cease)


def _own_new_plans(plans: Plans, origin: int, weeks: int, draws: int,
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """New plans per week from the plans table itself: level, trend and season."""
    history = np.arange(-103, 1)
    week = week_of(plans.issue, origin)
    counts = np.bincount(week[(week > -104) & (week <= 0)] + 103, minlength=104)
    fit = series.fit("new plans", counts, week_end(history, origin))
    months = series.month_of_week(week_end(np.arange(1, weeks + 1), origin))
    positions = rng.random((draws, series.blocks(weeks)))
    return fit.point(months)[None, :], fit.draws(months, rng, positions)


def caseload_at(projection: CaseloadProjection, when: date) -> CaseloadMonth | None:
    """The projected month end on or after ``when``."""
    for m in projection.months:
        if not m.actual and m.month_end >= when:
            return m
    return None


def default_caseload_date(projection: CaseloadProjection) -> date | None:
    """The last January projected: the census month."""
    januaries = [m.month_end for m in projection.months if not m.actual and m.month_end.month == 1]
    return januaries[-1] if januaries else None
