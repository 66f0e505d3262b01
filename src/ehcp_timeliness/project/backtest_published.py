"""Rolling-origin back-test of the caseload methods on DfE's published figures, and the 80%
bands made from the methods' own past errors.

For each origin census (every January but the last), each method projects every council from
``panel.upto(origin)``, so from the censuses up to that January and the new plans of the
calendar years before it; the projections are compared with the later censuses. The error of a
projection is ``log(actual / projected)``.

**Bands.** A projection's 80% band is the projection times ``exp`` of the 10th and 90th
percentiles of the method's log errors at the same horizon, pooled across councils, over the
projections whose outcome was already published at the origin (origin + horizon <= the origin
in question). So in the back-test every band is out of sample: it is made only from errors
that could have been known then. Where fewer than :data:`MIN_ERRORS` errors at that horizon
are known yet, the band is the longest horizon ``k`` that has enough, widened in proportion to
the horizon (percentiles times ``h / k``), because a growth rate that is wrong by a little is
wrong by ``h`` times as much after ``h`` years. Errors must come from at least
:data:`MIN_ORIGINS` origins, because one year's errors share that year's surprise. Where no
horizon has enough (the earliest origins), there is no band.

**Scoring.** Every method is scored on the same outcomes: the (origin, horizon, council)
triples where every method compared has a projection and the outcome is published. For each
method and horizon: the median and mean absolute percentage error and the bias (the median of
``(projected - actual) / actual``: positive is projecting too many). The coverage (the share of
outcomes inside the 80% band) is over the subset where every method also has a band.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ehcp_timeliness.project.methods import METHODS
from ehcp_timeliness.project.published_panel import Panel

#: The band's percentiles of the log errors: an 80% band.
LOW, HIGH = 0.10, 0.90
#: Errors at one horizon needed before its percentiles are used directly (about two-thirds of
#: one year's councils).
MIN_ERRORS = 100
#: ... from at least this many origins: one origin's errors share that year's surprise.
MIN_ORIGINS = 2
#: The horizons the back-test reports (years ahead), and the one the default is chosen at.
HORIZONS = (1, 2, 3)
CHOOSE_AT = 3


def forecasts(panel: Panel, methods: list[str], horizon: int, origins: list[int]) -> pd.DataFrame:
    """Every method's projections from every origin: one row per (method, origin, horizon,
    council row) with ``target`` (the census year), ``projected`` and ``actual`` (NaN where not
    published) and ``error`` (log of actual over projected)."""
    n = len(panel.codes)
    steps = np.arange(1, horizon + 1)
    parts = []
    for origin in origins:  # a loop over origins and methods, not councils
        past = panel.upto(origin)
        targets = origin + steps
        columns = targets - int(panel.years[0])
        inside = columns < len(panel.years)
        actual = np.full((n, horizon), np.nan)
        actual[:, inside] = panel.caseload[:, columns[inside]]
        for name in methods:
            projected = METHODS[name].function(past, horizon)
            parts.append(
                pd.DataFrame(
                    {
                        "method": name,
                        "origin": origin,
                        "horizon": np.tile(steps, n),
                        "row": np.repeat(np.arange(n), horizon),
                        "target": np.tile(targets, n),
                        "projected": projected.ravel(),
                        "actual": actual.ravel(),
                    }
                )
            )
    out = pd.concat(parts, ignore_index=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = out["actual"].to_numpy() / out["projected"].to_numpy()
        out["error"] = np.where(ratio > 0, np.log(np.where(ratio > 0, ratio, 1.0)), np.nan)
    return out


@dataclass(frozen=True)
class ErrorSample:
    """The log errors that make one band, already widened to the horizon."""

    errors: np.ndarray
    #: "3-year errors from origins 2020-2022 (458)" or "1-year errors x 3 ...".
    basis: str

    @property
    def low(self) -> float:
        return float(np.quantile(self.errors, LOW))

    @property
    def high(self) -> float:
        return float(np.quantile(self.errors, HIGH))

    def chance_at_least(self, projected: float, target: float) -> float:
        """The share of past errors under which the outcome would reach ``target``."""
        return float(np.mean(projected * np.exp(self.errors) >= target))


def error_sample(errors: pd.DataFrame, method: str, as_of: int, horizon: int) -> (
    ErrorSample | None
):  # fmt: skip
    """The errors behind ``method``'s band ``horizon`` years ahead of the ``as_of`` census:
    those published by then, at that horizon if there are :data:`MIN_ERRORS` from at least
    :data:`MIN_ORIGINS` origins, else at the longest shorter horizon ``k`` that has them,
    scaled by ``horizon / k``; None if none has."""
    return _sample(_known(errors[errors["method"] == method]), as_of, horizon)


_Known = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _known(errors: pd.DataFrame) -> _Known:
    """(origin, horizon, target, error) of the finite errors, as arrays."""
    ok = np.isfinite(errors["error"].to_numpy())
    columns = ("origin", "horizon", "target", "error")
    origin, horizon, target, error = (errors[c].to_numpy()[ok] for c in columns)
    return origin, horizon, target, error


def _sample(known: _Known, as_of: int, horizon: int) -> ErrorSample | None:
    origin, ahead, target, error = known
    published = target <= as_of
    usable = []
    for k in np.unique(ahead[published]):
        at = published & (ahead == k)
        if at.sum() >= MIN_ERRORS and len(np.unique(origin[at])) >= MIN_ORIGINS:
            usable.append(int(k))
    k = horizon if horizon in usable else max((u for u in usable if u < horizon), default=None)
    if k is None:
        return None
    at = published & (ahead == k)
    origins = np.unique(origin[at])
    span = f"{origins[0]}" if len(origins) == 1 else f"{origins[0]}-{origins[-1]}"
    scale = horizon / k
    basis = f"{k}-year errors from origins {span} ({int(at.sum()):,})"
    if k != horizon:
        basis += f", widened x{scale:g}"
    return ErrorSample(error[at] * scale, basis)


def with_bands(fc: pd.DataFrame) -> pd.DataFrame:
    """``fc`` with ``lower_80``, ``upper_80`` and ``band_basis``, each band made from the errors
    published by its own origin (:func:`error_sample`)."""
    bands = []
    for method, mine in fc.groupby("method", sort=False):  # a loop over methods, origins and
        known = _known(mine)  # horizons, not councils
        for origin in np.unique(mine["origin"]):
            for horizon in np.unique(mine["horizon"]):
                sample = _sample(known, int(origin), int(horizon))
                if sample is not None:
                    bands.append((method, origin, horizon, sample.low, sample.high, sample.basis))
    table = pd.DataFrame(bands, columns=["method", "origin", "horizon", "low", "high",
                                         "band_basis"])  # fmt: skip
    table = table.astype({"origin": fc["origin"].dtype, "horizon": fc["horizon"].dtype,
                          "low": float, "high": float})  # fmt: skip
    out = fc.merge(table, on=["method", "origin", "horizon"], how="left")
    out["lower_80"] = out["projected"] * np.exp(out["low"])
    out["upper_80"] = out["projected"] * np.exp(out["high"])
    out["band_basis"] = out["band_basis"].fillna("")
    return out.drop(columns=["low", "high"])


#: The pseudo-method that, at each origin, uses whichever method had the lowest median
#: absolute percentage error one year ahead on the outcomes published by then: the choice of
#: method, itself back-tested.
SELECTED = "chosen-by-record"
#: Resamples of councils for the intervals of the difference from a baseline.
RESAMPLES = 2000


@dataclass(frozen=True)
class Backtest:
    """The back-test's projections (with their bands), the scores, and the default chosen."""

    forecasts: pd.DataFrame
    #: One row per (method, horizon): origins, outcomes, median_ape, mean_ape, bias, coverage.
    #: The last rows, method :data:`SELECTED`, score the choice of method made at each origin.
    scores: pd.DataFrame
    #: The outcomes scored: one row per (method, origin, horizon, council row).
    outcomes: pd.DataFrame
    #: The method :data:`SELECTED` used at each origin.
    selected: dict[int, str]
    default: str
    reason: str


def backtest(panel: Panel, methods: list[str], horizon: int = max(HORIZONS)) -> Backtest:
    """Project from every census but the last, score on :data:`HORIZONS`, choose the default.

    Projections reach ``horizon`` years (at least 3) so that longer-range bands can use
    direct errors where the censuses allow."""
    origins = [int(y) for y in panel.years[:-1]]
    fc = with_bands(forecasts(panel, methods, max(horizon, max(HORIZONS)), origins))
    outcomes = scored_outcomes(fc, methods)
    selected = select_by_record(fc, methods, sorted(outcomes["origin"].unique()))
    picked = outcomes.merge(
        pd.DataFrame({"origin": list(selected), "method": list(selected.values())})
    ).assign(method=SELECTED)
    scores = score(pd.concat([outcomes, picked], ignore_index=True), [*methods, SELECTED])
    default, reason = choose(scores[scores["method"] != SELECTED])
    return Backtest(fc, scores, outcomes, selected, default, reason)


def scored_outcomes(fc: pd.DataFrame, methods: list[str]) -> pd.DataFrame:
    """The projections every method is scored on (see the module docstring), with ``ape``
    (absolute percentage error), ``signed`` (percentage error, positive when projecting too
    many), ``banded`` (every method has a band for this outcome) and ``inside`` (the outcome is
    inside the method's 80% band)."""
    measured = fc[fc["horizon"].isin(HORIZONS) & fc["method"].isin(methods)].copy()
    measured["point"] = np.isfinite(measured["projected"]) & np.isfinite(measured["actual"])
    measured["band"] = measured["point"] & np.isfinite(measured["lower_80"])
    key = ["origin", "horizon", "row"]
    everyone = measured.groupby(key)[["point", "band"]].agg("all")
    everyone = everyone[measured.groupby(key).size() == len(methods)]
    everyone.columns = ["every_point", "banded"]
    rows = measured.join(everyone, on=key, how="inner")
    rows = rows[rows["every_point"]]
    pct = (rows["projected"] - rows["actual"]) / rows["actual"] * 100
    rows["ape"] = pct.abs()
    rows["signed"] = pct
    rows["inside"] = (rows["actual"] >= rows["lower_80"]) & (rows["actual"] <= rows["upper_80"])
    return rows.drop(columns=["point", "band", "every_point"]).reset_index(drop=True)


def select_by_record(fc: pd.DataFrame, methods: list[str], origins: list[int]) -> dict[int, str]:
    """For each origin, the method with the lowest median absolute percentage error one year
    ahead over the outcomes published by that origin that every method projected (ties to the
    first in ``methods``); persistence where none is published yet."""
    one = fc[(fc["horizon"] == 1) & fc["method"].isin(methods)]
    one = one.assign(ape=(one["projected"] - one["actual"]).abs() / one["actual"])
    ape = one.pivot_table(index=["target", "row"], columns="method", values="ape")
    ape = ape.reindex(columns=methods).dropna()  # the outcomes every method projected
    target = ape.index.get_level_values("target")
    out = {}
    for origin in origins:
        known = ape[target <= origin]
        out[int(origin)] = str(known.median().idxmin()) if len(known) else "persistence"
    return out


def score(rows: pd.DataFrame, methods: list[str]) -> pd.DataFrame:
    """For each method and horizon: the origins and number of outcomes, median and mean
    absolute percentage error, bias (median percentage error) and the band's coverage."""
    out = []
    for method in methods:
        for h in HORIZONS:
            r = rows[(rows["method"] == method) & (rows["horizon"] == h)]
            b = r[r["banded"]]
            out.append(
                {
                    "method": method,
                    "horizon": h,
                    "origins": sorted(int(o) for o in r["origin"].unique()),
                    "outcomes": len(r),
                    "median_ape": float(r["ape"].median()) if len(r) else np.nan,
                    "mean_ape": float(r["ape"].mean()) if len(r) else np.nan,
                    "bias": float(r["signed"].median()) if len(r) else np.nan,
                    "band_origins": sorted(int(o) for o in b["origin"].unique()),
                    "band_outcomes": len(b),
                    "coverage": float(b["inside"].mean()) if len(b) else np.nan,
                }
            )
    return pd.DataFrame(out)


def versus(outcomes: pd.DataFrame, method: str, baseline: str, horizon: int, seed: int) -> (
    tuple[float, float, float]
):  # fmt: skip
    """How much lower ``method``'s median absolute percentage error is than ``baseline``'s at
    ``horizon`` (in percentage points; negative is better), with a 95% interval from resampling
    councils (each council's outcomes from every origin together, since they are not
    independent), :data:`RESAMPLES` times from ``seed``."""
    at = outcomes[outcomes["horizon"] == horizon]
    a = at[at["method"] == method].set_index(["origin", "row"])["ape"]
    b = at[at["method"] == baseline].set_index(["origin", "row"])["ape"].reindex(a.index)
    councils, which = np.unique(a.index.get_level_values("row"), return_inverse=True)
    draws = np.random.default_rng(seed).integers(0, len(councils), (RESAMPLES, len(councils)))
    counts = np.zeros((RESAMPLES, len(councils)))
    np.add.at(counts, (np.arange(RESAMPLES)[:, None], draws), 1.0)
    weights = counts[:, which]  # each outcome weighted by how often its council was drawn
    diff = _weighted_median(a.to_numpy(), weights) - _weighted_median(b.to_numpy(), weights)
    point = float(np.median(a.to_numpy()) - np.median(b.to_numpy()))
    low, high = np.quantile(diff, [0.025, 0.975])
    return point, float(low), float(high)


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The weighted median of ``values`` under each row of ``weights`` (resamples x values)."""
    order = np.argsort(values)
    cumulative = np.cumsum(weights[:, order], axis=1)
    half = cumulative[:, -1:] / 2
    return values[order][np.argmax(cumulative >= half, axis=1)]


def choose(scores: pd.DataFrame) -> tuple[str, str]:
    """The default: the lowest median absolute percentage error at :data:`CHOOSE_AT` years
    ahead (or the longest horizon measured, with fewer censuses), and why."""
    measured = scores[scores["outcomes"] > 0]
    if measured.empty:
        return "persistence", "too few censuses to back-test; persistence assumes least"
    at = min(CHOOSE_AT, int(measured["horizon"].max()))
    table = measured[measured["horizon"] == at].sort_values(["median_ape", "method"])
    best = table.iloc[0]
    others = ", ".join(
        f"{method} {ape:.1f}%"
        for method, ape in zip(table["method"].iloc[1:], table["median_ape"].iloc[1:], strict=True)
    )
    reason = (
        f"lowest median absolute percentage error {at} year{'s' if at > 1 else ''} ahead in "
        f"the back-test: {best['median_ape']:.1f}% over {best['outcomes']} outcomes (others: "
        f"{others})"
    )
    return str(best["method"]), reason
