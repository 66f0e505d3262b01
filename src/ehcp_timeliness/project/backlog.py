"""The assessment backlog projected: estimate each part from history, run the stock-flow for
the baseline and each scenario, and answer the target questions.

The parts (each printed, each in :class:`~ehcp_timeliness.project.models.FlowParts`):

* weekly requests arriving: level, trend and school-year seasonality (``series.fit`` over up to
  3 years of requests);
* weekly plans issued, the **capacity**: the same fit over up to 2 years, leaving out the first
  weeks of the extract, when the backlog it can see is still filling up;
* the weekly rates of leaving without a plan and of being issued one, by weeks since the
  request, over the last year (``flow.calibrate``);
* the completion order (``flow.ORDERS``): whichever would have projected the last 26 weeks
  best, unless one is asked for. Each is estimated as at 26 weeks before the origin, from the
  requests as they stood then, and run forward with the arrivals and capacity projected then;
  the one whose open and past-20-week backlogs were closest to what happened is chosen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from ehcp_timeliness.project import series
from ehcp_timeliness.project.flow import (
    ORDERS,
    Hazards,
    Order,
    Paths,
    calibrate,
    limit_weeks,
    simulate,
    state_at,
)
from ehcp_timeliness.project.history import (
    RequestFlows,
    WeeklyHistory,
    date_of,
    is_month_end,
    month_ends_after,
    month_shares,
    week_end,
    week_of,
    weekly_history,
)
from ehcp_timeliness.project.models import (
    Band,
    FlowParts,
    FlowProjection,
    FlowWeek,
    MonthRate,
    OrderFit,
    Scenario,
    ScenarioResult,
    SeriesPart,
    TargetAnswer,
)
from ehcp_timeliness.project.options import RUN_WEEKS, ProjectionOptions

#: Weeks of history needed before the backlog is projected at all.
MIN_HISTORY_WEEKS = 26
ARRIVAL_WEEKS, CAPACITY_WEEKS, CALIBRATION_WEEKS, REPLAY_WEEKS = 156, 104, 52, 26
#: Whether each series' trend is carried forward (chosen by the back-test: docs/projections.md).
ARRIVALS_TREND, CAPACITY_TREND = True, False
#: Weeks of actual history shown beside the projection.
SHOWN_HISTORY_WEEKS = 52
#: Each order in words, for answers and assumptions.
ORDER_TEXT = {
    "oldest-first": "to the oldest requests first",
    "as-recorded": "to requests of each age in the proportions seen recently",
    "recent-rates": "to requests of each age at the recent rates, with no capacity limit",
}
#: Weeks ahead at which scenarios are compared.
CHECKPOINTS = (4, 13, 26, 52, 104, 156)
BASELINE = Scenario(name="baseline")


def band(draws: np.ndarray, central: float, digits: int = 2) -> Band:
    """The 80% band (10th and 90th percentiles) of ``draws`` around ``central``, leaving out
    draws that are not numbers (a rate with no plans to divide by)."""
    draws = draws[~np.isnan(draws)]
    lo, hi = np.percentile(draws, [10, 90]) if len(draws) else (central, central)
    return Band(value=round(float(central), digits), lower=round(float(lo), digits),
                upper=round(float(hi), digits))  # fmt: skip


def bands(draws: np.ndarray, central: np.ndarray) -> list[Band]:
    """:func:`band` for each column of ``draws`` (draws x columns)."""
    if not len(draws):
        return [band(draws, c) for c in central]
    lo, hi = np.percentile(draws, [10, 90], axis=0)
    return [Band(value=round(float(c), 2), lower=round(float(a), 2), upper=round(float(b), 2))
            for c, a, b in zip(central, lo, hi, strict=True)]  # fmt: skip


def exact(value: float) -> Band:
    return Band(value=float(value), lower=float(value), upper=float(value))


@dataclass
class Run:
    """One scenario's central path (draws=1) and its draws, weeks 1..RUN_WEEKS."""

    scenario: Scenario
    central: Paths
    draws: Paths


@dataclass
class BacklogModel:
    """Everything estimated at one origin, and the runs made from it."""

    origin: int
    flows: RequestFlows
    history: WeeklyHistory
    arrivals: series.SeriesFit
    capacity: series.SeriesFit
    hazards: Hazards
    order: Order
    order_chosen_by: str
    fits: list[OrderFit]
    months: np.ndarray  # calendar month of each week ahead
    arrival_point: np.ndarray
    capacity_point: np.ndarray
    arrival_draws: np.ndarray
    capacity_draws: np.ndarray
    runs: list[Run] = field(default_factory=list)

    @property
    def limit(self) -> int:
        return limit_weeks(self.flows)

    @property
    def state(self) -> np.ndarray:
        return state_at(self.flows, self.origin)

    def run(self, scenario: Scenario, *, weeks: int | None = None,
            central_only: bool = False) -> Run:  # fmt: skip
        h = weeks or len(self.months)
        arrivals = self.arrival_point[:h] * scenario.arrivals_factor + scenario.arrivals_add
        capacity = self.capacity_point[:h] * scenario.capacity_factor + scenario.capacity_add
        arrival_draws = np.maximum(
            self.arrival_draws[:, :h] * scenario.arrivals_factor + scenario.arrivals_add, 0
        )
        capacity_draws = np.maximum(
            self.capacity_draws[:, :h] * scenario.capacity_factor + scenario.capacity_add, 0
        )
        if self.order == "recent-rates":  # capacity as a multiplier of the recent rates
            base = np.where(self.capacity_point[:h] > 0, self.capacity_point[:h], 1.0)
            capacity, capacity_draws = capacity / base, capacity_draws / base
            capacity_draws = (
                capacity_draws / capacity_draws.mean(axis=0).clip(1e-9) * capacity
                if len(capacity_draws)
                else capacity_draws
            )
        central = self.simulate(arrivals[None, :], capacity[None, :])
        if central_only:
            return Run(scenario, central, central)
        return Run(scenario, central, self.simulate(arrival_draws, capacity_draws))

    def simulate(self, arrivals: np.ndarray, capacity: np.ndarray) -> Paths:
        return simulate(self.state, np.maximum(arrivals, 0), np.maximum(capacity, 0),
                        self.hazards, self.order, self.limit)  # fmt: skip


def first_week(flows: RequestFlows, origin: int) -> int:
    """The first whole week of the extract's requests."""
    return int(week_of(np.array([flows.first_day]), origin)[0]) + 1


def warm_up_weeks(flows: RequestFlows) -> int:
    """Weeks after the extract's first request before the backlog it shows is complete: the
    90th percentile of the weeks from request to plan, at most a year."""
    waits = (flows.exit[flows.planned] - flows.received[flows.planned]) / 7
    return int(min(np.ceil(np.percentile(waits, 90)), 52)) if len(waits) else 26


def estimate(flows: RequestFlows, origin: int, options: ProjectionOptions,
             run_weeks: int = RUN_WEEKS, *, order: Order | None = None,
             draws: int | None = None) -> BacklogModel | str:  # fmt: skip
    """Estimate every part at ``origin``; a reason (text) where the history is too short."""
    if not len(flows):
        return "no usable requests in the extract, so the assessment backlog is not projected"
    first = first_week(flows, origin)
    n = 1 - first
    if n < MIN_HISTORY_WEEKS:
        return (f"only {max(n, 0)} whole weeks of requests before {date_of(origin):%d/%m/%Y}; "
                f"the backlog projection needs {MIN_HISTORY_WEEKS}")  # fmt: skip
    history = weekly_history(flows, origin, first)
    valid = min(first + warm_up_weeks(flows), 1 - MIN_HISTORY_WEEKS // 2)
    ends = week_end(history.weeks, origin)

    def tail(values: np.ndarray, weeks: int, start: int = first) -> tuple[np.ndarray, np.ndarray]:
        keep = history.weeks >= max(start, 1 - weeks)
        return values[keep], ends[keep]

    arrivals = series.fit("requests received", *tail(history.arrivals, ARRIVAL_WEEKS),
                          trend=ARRIVALS_TREND)  # fmt: skip
    capacity = series.fit("plans issued", *tail(history.issued, CAPACITY_WEEKS, valid),
                          trend=CAPACITY_TREND)  # fmt: skip
    hazards = calibrate(flows, origin, min(CALIBRATION_WEEKS, n))
    fits: list[OrderFit] = []
    if order is not None:
        chosen_by = "asked for" if options.order != "auto" else "tested"
    elif options.order != "auto":
        order, chosen_by = options.order, "asked for"
    else:
        fits = hold_out(flows, origin, options, history)
        if fits:
            best = min(fits, key=lambda f: f.score)
            order = best.order  # type: ignore[assignment]
            chosen_by = f"it would have projected the last {best.weeks} weeks best"
        else:
            order, chosen_by = "recent-rates", "too little history to compare them"
    assert order is not None
    ahead = np.arange(1, run_weeks + 1)
    months = series.month_of_week(week_end(ahead, origin))
    rng = np.random.default_rng(options.seed)
    positions = rng.random((options.draws if draws is None else draws, series.blocks(run_weeks)))
    return BacklogModel(
        origin=origin, flows=flows, history=history, arrivals=arrivals,
        capacity=capacity, hazards=hazards, order=order, order_chosen_by=chosen_by, fits=fits,
        months=months, arrival_point=arrivals.point(months),
        capacity_point=capacity.point(months),
        arrival_draws=arrivals.draws(months, rng, positions),
        capacity_draws=capacity.draws(months, rng, positions),
    )  # fmt: skip


def _mae(projected: np.ndarray, actual: np.ndarray) -> float:
    return round(float(np.abs(projected - actual).mean()), 2)


def hold_out(flows: RequestFlows, origin: int, options: ProjectionOptions,
             history: WeeklyHistory) -> list[OrderFit]:  # fmt: skip
    """Each order's errors over the last weeks, projected from as many weeks before (see the
    module docstring); none where the history is too short."""
    weeks = REPLAY_WEEKS
    start = origin - 7 * weeks
    earlier = flows.as_at(start)
    if not len(earlier) or first_week(earlier, start) > -CALIBRATION_WEEKS:
        return []
    keep = history.weeks > -weeks
    actual_open, actual_overdue = history.open[keep], history.overdue[keep]
    actual_on_time = history.on_time[keep]
    model = estimate(earlier, start, options, weeks, order="as-recorded", draws=0)
    if isinstance(model, str):
        return []
    out = []
    for order in ORDERS:  # the same estimates, each order in turn
        model.order = order
        paths = model.run(BASELINE, central_only=True).central
        errors = [(_mae(p[0], a), max(float(a.mean()), 1.0)) for p, a in (
            (paths.overdue, actual_overdue), (paths.open, actual_open),
            (paths.on_time, actual_on_time))]  # fmt: skip
        out.append(OrderFit(
            order=order, weeks=weeks, mean_abs_error_overdue=errors[0][0],
            mean_abs_error_open=errors[1][0], mean_abs_error_on_time=errors[2][0],
            score=round(sum(e / scale for e, scale in errors), 4),
        ))  # fmt: skip
    return out


def _series_part(fit: series.SeriesFit) -> SeriesPart:
    return SeriesPart(
        name=fit.name, weeks_of_history=fit.weeks, level_per_week=round(fit.level, 2),
        recent_mean_per_week=round(fit.recent_mean, 2),
        growth_per_year=round(fit.growth_per_year, 4), trend_projected=fit.trend,
        seasonal=fit.seasonal,
        monthly_factors={m: round(f, 3) for m, f in zip(series.MONTHS, fit.season, strict=True)},
    )  # fmt: skip


def _parts(model: BacklogModel) -> FlowParts:
    hz = model.hazards
    ages = np.arange(len(hz.bands)) - 1
    leave: dict[str, float] = {}
    for b in range(int(hz.bands.max()) + 1):
        inside = ages[hz.bands == b]
        lo, hi = max(int(inside.min()), 0), int(inside.max())
        label = f"{lo}+" if hi >= len(ages) - 2 else (f"{lo}" if lo == hi else f"{lo}-{hi}")
        leave[label] = round(float(hz.leave[hz.bands == b][0]), 4)
    return FlowParts(
        calibration_weeks=hz.window_weeks, arrivals=_series_part(model.arrivals),
        capacity=_series_part(model.capacity), share_to_plan=round(hz.share_to_plan(), 4),
        share_assessed=None if hz.share_assessed is None else round(hz.share_assessed, 4),
        share_assessed_to_plan=None if hz.share_assessed_to_plan is None
        else round(hz.share_assessed_to_plan, 4),
        leave_rate_by_age=leave, youngest_plan_weeks=hz.youngest_plan_age, order=model.order,
        order_chosen_by=model.order_chosen_by, order_fits=model.fits, limit_weeks=model.limit,
        exception_share_on_time=round(hz.exception_on_time, 4),
        exception_share_late=round(hz.exception_late, 4),
    )  # fmt: skip


def excluding_exceptions(on_time: np.ndarray, issued: np.ndarray, hz: Hazards) -> np.ndarray:
    """The 20-week rate excluding exceptions, taking the recent shares of plans flagged among
    those on time and those late."""
    kept_on = on_time * (1 - hz.exception_on_time)
    kept_late = np.maximum(issued - on_time, 0) * (1 - hz.exception_late)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(kept_on + kept_late > 0, kept_on / (kept_on + kept_late), np.nan)


def _months(model: BacklogModel, weeks: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The months the first ``weeks`` weeks ahead reach into, how the weeks share out over them
    (:func:`~ehcp_timeliness.project.history.month_shares`: ``values @ shares`` are monthly
    totals), and which months the weeks cover whole."""
    ends = month_ends_after(model.origin, weeks * 7 // 28 + 2)
    shares, whole = month_shares(model.origin, weeks, ends)
    return ends.astype("datetime64[D]").astype("datetime64[M]"), shares, whole


def _rate_band(on: np.ndarray, issued: np.ndarray, hz: Hazards, central_on: np.ndarray,
               central_issued: np.ndarray, exclude: bool) -> list[Band | None]:  # fmt: skip
    def rate(o: np.ndarray, i: np.ndarray) -> np.ndarray:
        if exclude:
            return excluding_exceptions(o, i, hz)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(i > 0, o / i, np.nan)

    draws, central = rate(on, issued), rate(central_on, central_issued)[0]
    return [None if np.isnan(c) else band(draws[:, j], c, digits=4)
            for j, c in enumerate(central)]  # fmt: skip


def _actual_months(model: BacklogModel, months: int = 12) -> list[MonthRate]:
    """The 20-week rate of plans issued in each of the last whole months, from the requests."""
    f, origin = model.flows, model.origin
    last = np.datetime64(date_of(origin), "M") - (0 if is_month_end(origin) else 1)
    first = last - (months - 1)
    day = f.exit.astype("datetime64[D]")
    issued = f.planned & (f.exit >= first.astype("datetime64[D]").astype(np.int64))
    issued &= f.exit < (last + 1).astype("datetime64[D]").astype(np.int64)
    index = (day[issued].astype("datetime64[M]") - first).astype(np.int64)
    on = (f.exit <= f.received + f.limit_days)[issued]
    exc = f.exception[issued]
    n = np.bincount(index, minlength=months)
    k = np.bincount(index[on], minlength=months)
    n_ex = np.bincount(index[~exc], minlength=months)
    k_ex = np.bincount(index[on & ~exc], minlength=months)
    rows = []
    for j in range(months):
        rows.append(MonthRate(
            month=str(first + j), actual=True, issued=exact(n[j]),
            rate_including_exceptions=exact(round(k[j] / n[j], 4)) if n[j] else None,
            rate_excluding_exceptions=exact(round(k_ex[j] / n_ex[j], 4)) if n_ex[j] else None,
        ))  # fmt: skip
    return rows


def _first_below(values: np.ndarray, origin: int, threshold: float = 0.5) -> date | None:
    below = np.flatnonzero(values < threshold)
    return date_of(int(week_end(int(below[0]) + 1, origin))) if len(below) else None


def next_quarter(origin: int) -> tuple[np.datetime64, np.datetime64]:
    """The first and last month of the calendar quarter after the one the origin is in."""
    month = np.datetime64(date_of(origin), "M")
    index = int(month.astype(np.int64))
    start = np.datetime64((index // 3 + 1) * 3, "M")
    return start, start + 2


def _quarter_rate(model: BacklogModel, run: Run) -> Band | None:
    months, shares, whole = _months(model, run.central.issued.shape[1])
    start, end = next_quarter(model.origin)
    inside = (months >= start) & (months <= end) & whole
    if not inside.any():
        return None
    quarter = shares[:, inside].sum(axis=1)  # each week's share in the quarter

    def rate(p: Paths) -> np.ndarray:
        return excluding_exceptions(p.on_time @ quarter, p.issued @ quarter, model.hazards)

    central, draws = rate(run.central)[0], rate(run.draws)
    return None if np.isnan(central) else band(draws, central, digits=4)


def scenario_result(model: BacklogModel, run: Run, horizon: int) -> ScenarioResult:
    points = [k for k in CHECKPOINTS if k <= horizon]

    def at(values_c: np.ndarray, values_d: np.ndarray) -> dict[int, Band]:
        out = {}
        for k in points:
            out[k] = band(values_d[:, k - 1], float(values_c[0, k - 1]))
        return out

    cum_c, cum_d = np.cumsum(run.central.issued, axis=1), np.cumsum(run.draws.issued, axis=1)
    return ScenarioResult(
        scenario=run.scenario,
        open=at(run.central.open, run.draws.open),
        overdue=at(run.central.overdue, run.draws.overdue),
        issued=at(cum_c, cum_d),
        overdue_clears=_first_below(run.central.overdue[0], model.origin),
        next_quarter_rate=_quarter_rate(model, run),
    )


def _clear_by(model: BacklogModel, when: date) -> TargetAnswer:
    question = f"What weekly completion rate clears the past-20-week backlog by {when:%d %B %Y}?"
    week = int(week_of(np.array([np.datetime64(when, "D").astype(np.int64)]), model.origin)[0])
    if week < 1 or week > len(model.months):
        return TargetAnswer(question=question, answer=f"{when:%d/%m/%Y} is not within "
                            f"the {len(model.months)} weeks projected.")  # fmt: skip
    arrivals = model.arrival_point[None, :week]
    # A weekly number of plans needs an order with a capacity: the estimated one, or plans
    # shared as recorded where the estimate issues at recent rates with no capacity.
    order: Order = "as-recorded" if model.order == "recent-rates" else model.order

    def overdue_at(capacity: float) -> float:
        paths = simulate(model.state, arrivals, np.full((1, week), capacity), model.hazards,
                         order, model.limit)  # fmt: skip
        return float(paths.overdue[0, -1])

    recent = model.capacity.recent_mean
    hi = max(recent, 1.0)
    while overdue_at(hi) >= 0.5 and hi < 1e6:
        hi *= 2
    if hi >= 1e6:
        return TargetAnswer(question=question, answer="No weekly rate clears it by then.")
    lo = 0.0
    for _ in range(40):  # bisection on a constant weekly rate, on the central projection
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if overdue_at(mid) < 0.5 else (mid, hi)
    change = f"{hi / recent - 1:+.0%} on" if recent > 0 else "against"
    return TargetAnswer(
        question=question, value=round(hi, 1), when=when,
        answer=f"About {hi:,.1f} plans a week from now on ({change} the recent "
               f"{recent:,.1f} a week) clears it by {when:%d %B %Y}, if requests arrive as "
               f"projected and plans go {ORDER_TEXT[order]}.",
    )  # fmt: skip


def _rate_target(model: BacklogModel, months: list[MonthRate], target: float) -> TargetAnswer:
    question = f"By when does the 20-week rate reach {target:.0%} at today's capacity?"
    ahead = [m for m in months if not m.actual and m.rate_excluding_exceptions is not None]

    def first(pick: str) -> str | None:
        for m in ahead:
            rate = m.rate_excluding_exceptions
            assert rate is not None
            if getattr(rate, pick) >= target:
                return m.month
        return None

    central, early, late = first("value"), first("upper"), first("lower")
    if central is None:
        tail = f"; it might by {early} at the top of its band" if early else ""
        return TargetAnswer(question=question, answer=f"Not within the {len(ahead)} months "
                            f"projected at today's capacity{tail}.")  # fmt: skip
    when = np.datetime64(central, "M").astype("datetime64[D]").astype(date)
    band_text = f" (80% band: {early or central} to {late or 'after the horizon'})"
    return TargetAnswer(question=question, when=when,
                        answer=f"In {when:%B %Y}{band_text}, excluding exceptions.")  # fmt: skip


def project_backlog(model: BacklogModel, options: ProjectionOptions) -> FlowProjection:
    """The baseline and every scenario, shown to the horizon, with the target answers."""
    horizon = options.horizon_weeks
    model.runs = [model.run(s) for s in (BASELINE, *options.scenarios)]
    base = model.runs[0]
    h = model.history
    shown = h.weeks > -SHOWN_HISTORY_WEEKS
    weeks = [FlowWeek(week_end=date_of(int(week_end(int(w), model.origin))), actual=True,
                      open=exact(o), overdue=exact(d), issued=exact(i), issued_to_date=exact(0))
             for w, o, d, i in zip(h.weeks[shown], h.open[shown], h.overdue[shown],
                                   h.issued[shown], strict=True)]  # fmt: skip
    c, d = base.central, base.draws
    cum_c, cum_d = np.cumsum(c.issued, axis=1), np.cumsum(d.issued, axis=1)
    weekly = {name: bands(getattr(d, name)[:, :horizon], getattr(c, name)[0, :horizon])
              for name in ("open", "overdue", "issued")}  # fmt: skip
    cumulative = bands(cum_d[:, :horizon], cum_c[0, :horizon])
    for k in range(horizon):
        weeks.append(FlowWeek(
            week_end=date_of(int(week_end(k + 1, model.origin))), actual=False,
            open=weekly["open"][k], overdue=weekly["overdue"][k],
            issued=weekly["issued"][k], issued_to_date=cumulative[k],
        ))  # fmt: skip
    months_ahead, shares, whole = _months(model, horizon)
    on_d, issued_d = d.on_time[:, :horizon] @ shares, d.issued[:, :horizon] @ shares
    on_c, issued_c = c.on_time[:, :horizon] @ shares, c.issued[:, :horizon] @ shares
    incl = _rate_band(on_d, issued_d, model.hazards, on_c, issued_c, exclude=False)
    excl = _rate_band(on_d, issued_d, model.hazards, on_c, issued_c, exclude=True)
    issued_bands = bands(issued_d, issued_c[0])
    months = _actual_months(model)
    for j, m in enumerate(months_ahead):
        if not whole[j]:
            continue  # the as-at month (part history) or one the horizon ends in
        months.append(MonthRate(month=str(m), actual=False, issued=issued_bands[j],
                                rate_including_exceptions=incl[j],
                                rate_excluding_exceptions=excl[j]))  # fmt: skip
    targets = []
    if options.clear_by is not None:
        targets.append(_clear_by(model, options.clear_by))
    if options.rate_target is not None:
        targets.append(_rate_target(model, months, options.rate_target))
    return FlowProjection(
        parts=_parts(model), weeks=weeks, months=months,
        scenarios=[scenario_result(model, run, horizon) for run in model.runs],
        targets=targets,
    )  # fmt: skip
