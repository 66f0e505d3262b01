"""Ways to project each council's January caseload, all councils at once.

Every method is a function ``method(panel, horizon) -> array`` of shape (councils, horizon):
the point projection of the January censuses ``origin + 1 ... origin + horizon``, where the
origin is the panel's latest census. A council gets NaN where the method cannot project it
(no census at the origin, too short a history, no new plans for the stock-flow). A method
reads only the panel it is given, and :meth:`Panel.upto` gives it nothing after the origin;
parameters a method fits (the damped trend's smoothing, the fitted shrinkage weight) are fitted
on that panel alone.

The methods, in :data:`METHODS`:

``persistence``  next January is this January.
``linear``       this January plus the average yearly increase in plans (least squares slope).
``growth``       this January growing at the council's average yearly rate (least squares slope
                 of log caseload: log-linear).
``damped``       Holt's trend on log caseload, damped so growth fades (Gardner and McKenzie);
                 smoothing and damping fitted across all councils on the history.
``stockflow``    plans carried over (this January less the council's usual share ceasing in a
                 year) plus new plans, projected on the council's log-linear trend in new plans.
``shrink``       the council's growth drawn toward England's by empirical Bayes: the less its
                 own history says, the more it takes England's growth.
``shrink-fit``   the same, with one weight for every council fitted to how well past growth
                 predicted the next year's.

The 80% bands are not made here but from the methods' own past errors, in
:mod:`ehcp_timeliness.project.backtest_published`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import product

import numpy as np

from ehcp_timeliness.project.published_panel import Panel

Method = Callable[[Panel, int], np.ndarray]

#: One-step errors needed before a parameter is fitted from them (about two-thirds of one
#: year's councils); with fewer, a method uses its stated fallback.
MIN_FIT = 100


def _log(values: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(values > 0, np.log(np.where(values > 0, values, 1.0)), np.nan)


def _steps(horizon: int) -> np.ndarray:
    return np.arange(1, horizon + 1, dtype=float)


@dataclass(frozen=True)
class Fit:
    """A least squares line through each row's non-missing points."""

    slope: np.ndarray
    intercept: np.ndarray  # the line's value at x = 0
    points: np.ndarray  # non-missing points per row
    sxx: np.ndarray  # sum of squared deviations of x
    rss: np.ndarray  # residual sum of squares

    def at(self, x: np.ndarray | float) -> np.ndarray:
        return self.intercept[:, None] + self.slope[:, None] * np.asarray(x, dtype=float)


def fit_lines(x: np.ndarray, y: np.ndarray) -> Fit:
    """Least squares ``y ~ a + b x`` for every row of ``y`` over its non-missing cells;
    slope NaN for a row with fewer than two points."""
    y = np.atleast_2d(np.asarray(y, dtype=float))
    x = np.broadcast_to(np.asarray(x, dtype=float), y.shape)
    ok = np.isfinite(y)
    n = ok.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        xbar = np.where(ok, x, 0.0).sum(axis=1) / n
        ybar = np.where(ok, y, 0.0).sum(axis=1) / n
        dx = np.where(ok, x - xbar[:, None], 0.0)
        dy = np.where(ok, y - ybar[:, None], 0.0)
        sxx = (dx**2).sum(axis=1)
        slope = np.where(n >= 2, (dx * dy).sum(axis=1) / np.where(sxx > 0, sxx, np.nan), np.nan)
        intercept = ybar - slope * xbar
        rss = np.where(ok, (dy - slope[:, None] * dx) ** 2, 0.0).sum(axis=1)
    return Fit(slope, intercept, n, sxx, np.where(n >= 2, rss, np.nan))


def persistence(panel: Panel, horizon: int) -> np.ndarray:
    """Every future January equals the latest one."""
    return np.repeat(panel.caseload[:, -1:], horizon, axis=1)


def linear(panel: Panel, horizon: int) -> np.ndarray:
    """The latest January plus the least squares yearly increase over the council's censuses,
    once per year ahead. Needs two censuses."""
    fit = fit_lines(panel.years, panel.caseload)
    return panel.caseload[:, -1:] + fit.slope[:, None] * _steps(horizon)


def growth(panel: Panel, horizon: int) -> np.ndarray:
    """The latest January growing at the council's constant yearly rate: the least squares
    slope of log caseload on year (log-linear). Needs two censuses."""
    fit = fit_lines(panel.years, _log(panel.caseload))
    return panel.caseload[:, -1:] * np.exp(fit.slope[:, None] * _steps(horizon))


# --- damped trend -------------------------------------------------------------------------

#: The grid searched for the damped trend's parameters, fitted on one-step errors of log
#: caseload pooled across councils. alpha smooths the level, beta (as a share of alpha) the
#: trend, phi damps the trend each year ahead.
DAMPED_GRID = {
    "alpha": (0.2, 0.4, 0.6, 0.8, 1.0),
    "beta": (0.05, 0.1, 0.2, 0.4, 0.7, 1.0),
    "phi": (0.8, 0.85, 0.9, 0.95, 0.98),
}
#: Used when the history gives fewer than MIN_FIT one-step errors (a census or three).
DAMPED_FALLBACK = (0.8, 0.2, 0.9)


def holt_damped(
    y: np.ndarray, alpha: np.ndarray, beta: np.ndarray, phi: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Damped Holt smoothing of every row of ``y`` (rows x years) for every parameter set
    (arrays of shape (k, 1)): level and trend at the last year (k x rows), the sum of squared
    one-step errors and their count (k). A row starts at its first two non-missing points
    (level the second, trend their difference); a missing year after that carries the state
    forward without an update; a row with a missing last year gets NaN."""
    k, n = alpha.shape[0], y.shape[0]
    level = np.full((k, n), np.nan)
    trend = np.full((k, n), np.nan)
    previous = np.full(n, np.nan)  # the last value seen before the row starts
    started = np.zeros(n, dtype=bool)
    sse = np.zeros(k)
    count = np.zeros(k)
    for t in range(y.shape[1]):
        value = y[:, t]
        ok = np.isfinite(value)
        forecast = level + phi * trend
        error = np.where(started & ok, value - forecast, 0.0)
        sse += (error**2).sum(axis=1)
        count += (started & ok).sum()
        level = np.where(started, forecast + alpha * error, level)
        trend = np.where(started, phi * trend + alpha * beta * error, trend)
        begin = ~started & ok & np.isfinite(previous)
        level = np.where(begin, value, level)
        trend = np.where(begin, value - previous, trend)
        started |= begin
        previous = np.where(ok, value, previous)
    last_ok = np.isfinite(y[:, -1])
    return np.where(last_ok, level, np.nan), np.where(last_ok, trend, np.nan), sse, count


def damped_parameters(panel: Panel) -> tuple[float, float, float]:
    """(alpha, beta, phi) with the least squared one-step error of log caseload across all
    councils on the panel's history; :data:`DAMPED_FALLBACK` when it has too few errors."""
    grid = np.array(list(product(*DAMPED_GRID.values())))
    a, b, p = (grid[:, i : i + 1] for i in range(3))
    _, _, sse, count = holt_damped(_log(panel.caseload), a, b, p)
    if count[0] < MIN_FIT:
        return DAMPED_FALLBACK
    best = int(np.argmin(sse))
    return float(grid[best, 0]), float(grid[best, 1]), float(grid[best, 2])


def damped(panel: Panel, horizon: int, params: tuple[float, float, float] | None = None) -> (
    np.ndarray
):  # fmt: skip
    """Holt's linear trend on log caseload with the trend damped by ``phi`` each year ahead:
    log projection = level + (phi + phi^2 + ... + phi^h) x trend. Parameters from
    :func:`damped_parameters` unless given."""
    alpha, beta, phi = params if params is not None else damped_parameters(panel)
    level, trend, _, _ = holt_damped(
        _log(panel.caseload), np.array([[alpha]]), np.array([[beta]]), np.array([[phi]])
    )
    damping = np.cumsum(phi ** _steps(horizon))
    return np.exp(level[0][:, None] + trend[0][:, None] * damping)


# --- stock-flow -------------------------------------------------------------------------


def cessation_rates(panel: Panel) -> np.ndarray:
    """Each year's plans ceased as a share of the January caseload, from the identity
    ``ceased[t] = caseload[t] + new[t] - caseload[t + 1]`` (rows x years - 1; NaN where a
    figure is missing). Negative where the published figures do not add up."""
    c, new = panel.caseload, panel.new_plans
    with np.errstate(invalid="ignore", divide="ignore"):
        ceased = c[:, :-1] + new[:, :-1] - c[:, 1:]
        return np.where(c[:, :-1] > 0, ceased / c[:, :-1], np.nan)


def stockflow(panel: Panel, horizon: int) -> np.ndarray:
    """caseload[t + 1] = caseload[t] x (1 - ceasing rate) + new plans[t], year by year.

    The ceasing rate is the median of the council's yearly rates (:func:`cessation_rates`),
    held between 0 and 1. New plans follow the least squares line through log new plans of
    the calendar years published (flat at the one year when there is only one). NaN for a
    council without new plans or without a ceasing rate."""
    rate = np.clip(_nanmedian(cessation_rates(panel)), 0.0, 1.0)
    fit = fit_lines(panel.years, _log(panel.new_plans))
    slope = np.where(fit.points == 1, 0.0, fit.slope)
    logs = _log(panel.new_plans)
    single = np.where(np.isfinite(logs), logs, 0.0).sum(axis=1)  # the one year's, if only one
    intercept = np.where(fit.points == 1, single, fit.intercept)
    intercept = np.where(fit.points == 0, np.nan, intercept)
    out = np.empty((len(panel.codes), horizon))
    current = panel.caseload[:, -1]
    for step in range(horizon):  # a loop over years ahead, not councils
        year = panel.origin + step  # the calendar year between this census and the next
        current = current * (1 - rate) + np.exp(intercept + slope * year)
        out[:, step] = current
    return out


def _nanmedian(values: np.ndarray) -> np.ndarray:
    out = np.full(values.shape[0], np.nan)
    some = np.isfinite(values).any(axis=1)
    if some.any():
        out[some] = np.nanmedian(values[some], axis=1)
    return out


# --- shrinkage toward England ---------------------------------------------------------------


@dataclass(frozen=True)
class Relative:
    """Each council's log-linear growth relative to England's, and England's own."""

    england: float  # England's yearly log growth (least squares)
    relative: np.ndarray  # each council's slope of log(council / England), NaN if < 2 censuses
    variance: np.ndarray  # the sampling variance of each relative slope
    spread: float  # the variance of true relative growth across councils (tau squared)


def relative_growth(panel: Panel) -> Relative:
    """The pieces of the empirical Bayes shrinkage: the sampling variance of a council's slope
    is the residual variance pooled across councils with three or more censuses, over its own
    sum of squares of years; the spread of true slopes is the variance of the slopes less the
    mean sampling variance (method of moments, at least 0)."""
    england = fit_lines(panel.years, _log(panel.england)[None, :]).slope[0]
    fit = fit_lines(panel.years, _log(panel.caseload) - _log(panel.england)[None, :])
    residual = fit.points >= 3
    pooled = (
        float(np.nansum(fit.rss[residual]) / (fit.points[residual] - 2).sum())
        if residual.any()
        else np.nan
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        variance = np.where(fit.points >= 2, pooled / fit.sxx, np.nan)
    has = np.isfinite(fit.slope) & np.isfinite(variance)
    spread = (
        max(0.0, float(np.var(fit.slope[has], ddof=1) - np.mean(variance[has])))
        if has.sum() >= 2
        else 0.0
    )
    return Relative(float(england), fit.slope, variance, spread)


def eb_weights(rel: Relative) -> np.ndarray:
    """The weight each council's own relative growth keeps: tau^2 / (tau^2 + its sampling
    variance); 0 where it has no growth of its own (or nothing varies), 1 with no noise."""
    with np.errstate(divide="ignore", invalid="ignore"):
        w = rel.spread / (rel.spread + rel.variance)
    w = np.where(rel.variance == 0, 1.0, w)
    return np.where(np.isfinite(rel.relative) & np.isfinite(w), w, 0.0)


def _shrunk(panel: Panel, horizon: int, weight: np.ndarray) -> np.ndarray:
    rel = relative_growth(panel)
    rate = rel.england + weight * np.nan_to_num(rel.relative)
    return panel.caseload[:, -1:] * np.exp(rate[:, None] * _steps(horizon))


def shrink(panel: Panel, horizon: int) -> np.ndarray:
    """The latest January growing at England's log-linear rate plus the council's own relative
    growth shrunk by its empirical Bayes weight (:func:`eb_weights`). A council with one census
    grows at England's rate."""
    return _shrunk(panel, horizon, eb_weights(relative_growth(panel)))


def fitted_weight(panel: Panel) -> float | None:
    """One weight for every council: the least squares fit (held to 0..1) of each council's
    next-year log growth, less England's projected growth, on its relative growth so far,
    over every earlier census of the panel. None with fewer than MIN_FIT such pairs."""
    x, y = [], []
    for origin in panel.years[1:-1]:  # a loop over origins, not councils
        past = panel.upto(int(origin))
        rel = relative_growth(past)
        j = int(origin - panel.years[0])
        actual = _log(panel.caseload[:, j + 1]) - _log(panel.caseload[:, j])
        ok = np.isfinite(rel.relative) & np.isfinite(actual)
        x.append(rel.relative[ok])
        y.append(actual[ok] - rel.england)
    xs = np.concatenate(x) if x else np.array([])
    ys = np.concatenate(y) if y else np.array([])
    if len(xs) < MIN_FIT or not (xs**2).sum() > 0:
        return None
    return float(np.clip((xs * ys).sum() / (xs**2).sum(), 0.0, 1.0))


def shrink_fit(panel: Panel, horizon: int) -> np.ndarray:
    """As :func:`shrink`, with every council's relative growth kept by one weight
    (:func:`fitted_weight`), or by its empirical Bayes weight while too few years have passed
    to fit one."""
    w = fitted_weight(panel)
    weight = eb_weights(relative_growth(panel)) if w is None else np.full(len(panel.codes), w)
    return _shrunk(panel, horizon, weight)


@dataclass(frozen=True)
class MethodSpec:
    name: str
    title: str
    function: Method
    #: In plain words, for the JSON output and the docs.
    how: str
    needs_new_plans: bool = False


METHODS = {
    spec.name: spec
    for spec in (
        MethodSpec(
            "persistence", "Persistence: next January is this January", persistence,
            "Every future January has the same number of plans as the latest one.",
        ),
        MethodSpec(
            "linear", "Linear trend: the average yearly increase continues", linear,
            "The latest January plus, for each year ahead, the council's average yearly "
            "increase in plans (a least squares line through all its censuses).",
        ),
        MethodSpec(
            "growth", "Constant growth: the average yearly rate continues", growth,
            "The latest January growing each year at the council's average yearly growth "
            "rate (a least squares line through the logarithm of its censuses).",
        ),
        MethodSpec(
            "damped", "Damped trend: growth continues but fades", damped,
            "Holt's trend on the logarithm of the caseload, with the growth rate shrinking by a "
            "damping factor each year ahead; smoothing and damping are the values that best "
            "predicted each next January across all councils so far.",
        ),
        MethodSpec(
            "stockflow", "Stock-flow: plans kept plus new plans", stockflow,
            "Each January is the last one less the council's usual share of plans ceasing in a "
            "year (the median of past years, from caseload + new plans - next caseload), plus "
            "the year's new plans on the council's trend in new plans.",
            needs_new_plans=True,
        ),
        MethodSpec(
            "shrink", "Growth shrunk toward England's (empirical Bayes)", shrink,
            "The latest January growing at England's rate plus the council's own difference "
            "from England, kept in proportion to how reliably its history measures that "
            "difference (empirical Bayes); a council with one census grows at England's rate.",
        ),
        MethodSpec(
            "shrink-fit", "Growth shrunk toward England's (fitted weight)", shrink_fit,
            "As shrink, but every council keeps the same share of its difference from "
            "England's growth: the share that best predicted each next January's growth so "
            "far (empirical Bayes weights until enough years have passed to fit it).",
        ),
    )
}  # fmt: skip
