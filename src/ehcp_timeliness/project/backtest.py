"""The casework back-test: the backlog projection re-run as at earlier dates (rolling origins),
each from the validated tables as recorded by then (``history.as_recorded``), and compared with
what the extract shows happened next.

At each origin and for 4, 13 and 26 weeks ahead, three methods are scored:

* the **model** (``backlog.estimate`` and the baseline run), with its 80% band;
* **persistence**: the open backlog stays as it is at the origin; plans are issued at the
  origin's recent weekly rate (the mean of its last 4 weeks) for every week ahead;
* **seasonal naive**: the open backlog is what it was 52 weeks before the target date; plans
  issued are those issued in the same weeks a year earlier. Left out where a year earlier is
  before the extract shows the whole backlog.

The quantities: the open backlog, the backlog past 20 weeks, and plans issued (cumulative from
the origin) at each horizon.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import pandas as pd

from ehcp_timeliness.project.backlog import BASELINE, BacklogModel, estimate, warm_up_weeks
from ehcp_timeliness.project.history import (
    RequestFlows,
    as_recorded,
    date_of,
    day_of,
    request_flows,
)
from ehcp_timeliness.project.metrics import error_row
from ehcp_timeliness.project.models import Backtest, BacktestOrigin
from ehcp_timeliness.project.options import ProjectionOptions

HORIZONS = (4, 13, 26)
QUANTITIES = ("open backlog", "past 20 weeks", "plans issued")
#: Weeks of history an origin needs before it: enough for a year's calibration after the
#: extract's backlog has filled up.
MIN_WEEKS_BEFORE = 52
METHODS = ("model", "persistence", "seasonal naive")


@dataclass
class OriginForecast:
    """One origin's projections at each horizon: quantity -> arrays over HORIZONS."""

    origin: date
    model: BacklogModel
    central: dict[str, np.ndarray]
    lower: dict[str, np.ndarray]
    upper: dict[str, np.ndarray]


def project_at(tables: dict[str, pd.DataFrame], origin: date, limit_days: int,
               options: ProjectionOptions) -> OriginForecast | str:  # fmt: skip
    """The backlog projection as it would have been made on ``origin``, from the tables as
    recorded by then. A reason (text) where it cannot be made."""
    # The backlog model reads requests only: cutting the plans table too cost more than half
    # of a back-test's time.
    recorded = as_recorded({"requests": tables["requests"]}, origin)
    flows = request_flows(recorded["requests"], limit_days)
    weeks = max(HORIZONS)
    model = estimate(flows, day_of(origin), options, run_weeks=weeks)
    if isinstance(model, str):
        return model
    run = model.run(BASELINE)
    k = np.array(HORIZONS) - 1
    central, lower, upper = {}, {}, {}
    for name, c, d in (
        ("open backlog", run.central.open, run.draws.open),
        ("past 20 weeks", run.central.overdue, run.draws.overdue),
        ("plans issued", np.cumsum(run.central.issued, axis=1),
         np.cumsum(run.draws.issued, axis=1)),
    ):  # fmt: skip
        central[name] = c[0, k]
        lo, hi = np.percentile(d[:, k], [10, 90], axis=0) if len(d) else (c[0, k], c[0, k])
        lower[name], upper[name] = lo, hi
    return OriginForecast(origin, model, central, lower, upper)


def _open_at(flows: RequestFlows, day: int) -> int:
    return int(((flows.received <= day) & (flows.exit > day)).sum())


def _overdue_at(flows: RequestFlows, day: int) -> int:
    late = flows.received + flows.limit_days < day
    return int((late & (flows.exit > day)).sum())


def _issued_between(flows: RequestFlows, start: int, end: int) -> int:
    return int((flows.planned & (flows.exit > start) & (flows.exit <= end)).sum())


def origins_for(flows: RequestFlows, as_at: date, step: int) -> list[date]:
    """Origins every ``step`` weeks back from 4 weeks before the as-at date, each with enough
    history before it (the extract's warm-up and a year)."""
    if not len(flows):
        return []
    first = flows.first_day
    assert first is not None
    earliest = first + 7 * (warm_up_weeks(flows) + MIN_WEEKS_BEFORE)
    out = []
    day = day_of(as_at) - 7 * min(HORIZONS)
    while day >= earliest:
        out.append(date_of(day))
        day -= 7 * step
    return sorted(out)


def run_backtest(tables: dict[str, pd.DataFrame], as_at: date, limit_days: int,
                 options: ProjectionOptions) -> tuple[Backtest | None, list[str]]:  # fmt: skip
    """Every origin's projections against what happened; notes on what was left out."""
    truth = request_flows(tables["requests"], limit_days)
    notes: list[str] = []
    origins = origins_for(truth, as_at, options.backtest_step)
    if not origins:
        return None, ["the extract's requests are too short a history for a back-test (it "
                      f"needs {MIN_WEEKS_BEFORE} weeks after the backlog has filled up, and "
                      "4 weeks after that to compare)"]  # fmt: skip
    end = day_of(as_at)
    warm_until = truth.first_day + 7 * warm_up_weeks(truth)  # type: ignore[operator]
    settings = replace(options, backtest=False, scenarios=(), clear_by=None, rate_target=None)
    detail: list[BacktestOrigin] = []
    used: list[date] = []
    for origin in origins:
        forecast = project_at(tables, origin, limit_days, settings)
        if isinstance(forecast, str):
            notes.append(f"origin {origin:%d/%m/%Y} left out: {forecast}")
            continue
        used.append(origin)
        o = day_of(origin)
        last4 = _issued_between(truth, o - 28, o) / 4
        for j, h in enumerate(HORIZONS):
            target = o + 7 * h
            if target > end:
                continue
            year_before = target - 364
            seasonal_ok = year_before - 7 * h >= warm_until
            actual = {
                "open backlog": _open_at(truth, target),
                "past 20 weeks": _overdue_at(truth, target),
                "plans issued": _issued_between(truth, o, target),
            }
            persistence = {
                "open backlog": _open_at(truth, o), "past 20 weeks": _overdue_at(truth, o),
                "plans issued": last4 * h,
            }  # fmt: skip
            seasonal = {
                "open backlog": _open_at(truth, year_before),
                "past 20 weeks": _overdue_at(truth, year_before),
                "plans issued": _issued_between(truth, year_before - 7 * h, year_before),
            }
            for q in QUANTITIES:
                detail.append(BacktestOrigin(
                    origin=origin, weeks_ahead=h, quantity=q, actual=float(actual[q]),
                    projected=round(float(forecast.central[q][j]), 2),
                    lower=round(float(forecast.lower[q][j]), 2),
                    upper=round(float(forecast.upper[q][j]), 2),
                    persistence=round(float(persistence[q]), 2),
                    seasonal_naive=float(seasonal[q]) if seasonal_ok else None,
                ))  # fmt: skip
    errors = []
    for q in QUANTITIES:
        for h in HORIZONS:
            rows = [d for d in detail if d.quantity == q and d.weeks_ahead == h]
            if not rows:
                continue
            happened = np.array([r.actual for r in rows])
            errors.append(error_row(q, h, "model", np.array([r.projected for r in rows]), happened,
                                    np.array([r.lower for r in rows]),
                                    np.array([r.upper for r in rows])))  # fmt: skip
            errors.append(error_row(q, h, "persistence",
                                    np.array([r.persistence for r in rows]), happened))  # fmt: skip
            seasonal_rows = [r for r in rows if r.seasonal_naive is not None]
            if seasonal_rows:
                errors.append(error_row(
                    q, h, "seasonal naive",
                    np.array([r.seasonal_naive for r in seasonal_rows], dtype=float),
                    np.array([r.actual for r in seasonal_rows]),
                ))  # fmt: skip
    if not used:
        return None, notes
    return Backtest(origins=used, horizons=list(HORIZONS), errors=errors, detail=detail), notes
