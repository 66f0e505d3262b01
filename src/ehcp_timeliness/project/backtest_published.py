"""Rolling-origin back-test of the caseload methods on DfE's published figures, and the 80%
bands made from the methods' own past errors.

For each origin census (every January but the last), each method projects every council from
``panel.upto(origin)``, so from the censuses up to that January and the new plans of the
calendar years before it; the projections are compared with the later censuses. The error of a
projection is ``log(actual / projected)``.

**Bands.** A projection's 80% band is made from the method's log errors at the same horizon,
pooled across councils, over the projections whose outcome was already published at the origin
(origin + horizon <= the origin in question). So in the back-test every band is out of sample:
it is made only from errors that could have been known then. Where fewer than
:data:`MIN_ERRORS` errors at that horizon are known yet, the band is the longest horizon ``k``
that has enough, widened (errors times ``h / k``, because a growth rate that is wrong by a
little is wrong by ``h`` times as much after ``h`` years). Errors must come from at least
:data:`MIN_ORIGINS` origins, because one year's errors share that year's surprise. Where no
horizon has enough (the earliest origins), there is no band. Three ways of turning the errors
into a band (:data:`BANDS`):

- ``pooled``: the 10th and 90th percentiles of the errors, the same in proportion for every
  council.
- ``size``: a location-scale band. Each error is standardised by a scale that depends on the
  council's caseload ``n`` at its origin, ``s(n) = sqrt(a + b / n)`` (:func:`fit_scale`), and
  the band at size ``n`` is ``c + s(n)`` times the percentiles of the standardised errors, ``c``
  their median. Small councils' counts are noisier, so their bands are wider.
- ``size+horizon``: ``size``, but the widening from ``k`` to ``h`` years is ``(h / k) ** p``,
  ``p`` measured from the errors known at two horizons (:func:`horizon_power`).

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
#: The ways of making a band from past errors (see the module docstring), and the default.
BANDS = ("pooled", "size", "size+horizon")
DEFAULT_BAND = "pooled"
#: ``size``: the errors are split into this many equal groups by council size to fit the scale.
SIZE_GROUPS = 5
#: 1.4826 times the median absolute deviation estimates a normal standard deviation.
MAD_TO_SD = 1.4826
#: ``size+horizon``: the power of ``h / k`` is held between these (``sqrt(h)``: surprises that
#: add up like a random walk; ``h``: a wrong growth rate).
POWER_LIMITS = (0.5, 1.0)


def forecasts(panel: Panel, methods: list[str], horizon: int, origins: list[int]) -> pd.DataFrame:
    """Every method's projections from every origin: one row per (method, origin, horizon,
    council row) with ``target`` (the census year), ``projected`` and ``actual`` (NaN where not
    published), ``size`` (the council's caseload at the origin) and ``error`` (log of actual
    over projected)."""
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
        size = panel.caseload[:, origin - int(panel.years[0])]
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
                        "size": np.repeat(size, horizon),
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
    """The log errors that make one band, and how they carry to a council of a given size and
    to the horizon: a past error ``e`` of a council of size ``m`` is ``centre + scale(m) * z``;
    at size ``n`` and the band's horizon it becomes ``widen * (centre + scale(n) * z)``. With
    ``a = 1, b = 0, centre = 0`` (the ``pooled`` band) ``z`` is the error itself."""

    #: The standardised errors ``z``.
    errors: np.ndarray
    #: "3-year errors from origins 2020-2022 (458)" or "1-year errors x 3 ...".
    basis: str
    centre: float = 0.0
    a: float = 1.0
    b: float = 0.0
    widen: float = 1.0

    def scale(self, size: np.ndarray | float) -> np.ndarray:
        """``sqrt(a + b / size)``: the spread of errors at a caseload of ``size``."""
        n = np.asarray(size, dtype=float)
        if self.b == 0:  # the same for every council, whatever (or whether) its size
            return np.full(n.shape, np.sqrt(self.a))
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(n > 0, np.sqrt(self.a + self.b / n), np.nan)  # no size, no band

    def log_errors(self, size: float) -> np.ndarray:
        """The past errors as they would be for a council of ``size`` at the band's horizon."""
        return self.widen * (self.centre + self.scale(size) * self.errors)

    def bounds(self, size: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        """The band's log bounds (10th and 90th percentiles) for councils of ``size``."""
        low, high = np.quantile(self.errors, [LOW, HIGH])
        s = self.scale(size)
        return self.widen * (self.centre + s * low), self.widen * (self.centre + s * high)

    def chance_at_least(self, projected: float, target: float, size: float) -> float:
        """The share of past errors, carried to a council of ``size``, under which the outcome
        would reach ``target``."""
        return float(np.mean(projected * np.exp(self.log_errors(size)) >= target))


def error_sample(
    errors: pd.DataFrame, method: str, as_of: int, horizon: int, band: str = DEFAULT_BAND
) -> ErrorSample | None:
    """The errors behind ``method``'s band ``horizon`` years ahead of the ``as_of`` census:
    those published by then, at that horizon if there are :data:`MIN_ERRORS` from at least
    :data:`MIN_ORIGINS` origins, else at the longest shorter horizon ``k`` that has them,
    widened to ``horizon``; None if none has."""
    return _sample(_known(errors[errors["method"] == method]), as_of, horizon, band)


_Known = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _known(errors: pd.DataFrame) -> _Known:
    """(origin, horizon, target, error, size, row) of the finite errors, as arrays (size and
    row NaN / -1 where the frame has none, as in hand-made tests)."""
    ok = np.isfinite(errors["error"].to_numpy())
    columns = ("origin", "horizon", "target", "error")
    origin, horizon, target, error = (errors[c].to_numpy()[ok] for c in columns)
    size = (errors["size"].to_numpy(dtype=float)[ok] if "size" in errors
            else np.full(len(error), np.nan))  # fmt: skip
    row = errors["row"].to_numpy()[ok] if "row" in errors else np.full(len(error), -1)
    return origin, horizon, target, error, size, row


def fit_scale(residuals: np.ndarray, size: np.ndarray) -> tuple[float, float]:
    """``(a, b)`` of the spread of ``residuals`` against council ``size``: ``a + b / size``.

    The errors are split into :data:`SIZE_GROUPS` equal groups by size; each group's spread is
    a robust variance, ``(1.4826 x median |residual|) ** 2``, at the group's mean of
    ``1 / size``. The line is fitted by least squares weighted by the groups' counts, with
    ``a, b >= 0``. ``(1, 0)``, the same scale for all, where it cannot be fitted."""
    ok = np.isfinite(residuals) & np.isfinite(size) & (size > 0)
    if ok.sum() < SIZE_GROUPS * 2:
        return 1.0, 0.0
    r, n = residuals[ok], size[ok]
    groups = np.array_split(np.argsort(n, kind="stable"), SIZE_GROUPS)
    v = np.array([(MAD_TO_SD * np.median(np.abs(r[g]))) ** 2 for g in groups])
    x = np.array([np.mean(1.0 / n[g]) for g in groups])
    w = np.array([len(g) for g in groups], dtype=float)
    xm, vm = np.average(x, weights=w), np.average(v, weights=w)
    sxx = np.sum(w * (x - xm) ** 2)
    b = np.sum(w * (x - xm) * (v - vm)) / sxx if sxx > 0 else 0.0
    a = vm - b * xm
    if b < 0:
        a, b = vm, 0.0
    elif a < 0:
        a, b = 0.0, np.sum(w * x * v) / np.sum(w * x * x)
    if a <= 0 and b <= 0:
        return 1.0, 0.0
    return float(a), float(b)


def horizon_power(known: _Known, published: np.ndarray, k: int) -> tuple[float, int] | None:
    """``(p, j)``: how the width (90th less 10th percentile) of the errors grows from ``k``
    years ahead to the longest horizon ``j > k`` with :data:`MIN_ERRORS` councils whose errors
    at both are published (``published``), same council and origin:
    ``log(width_j / width_k) / log(j / k)``, held to :data:`POWER_LIMITS`. None if no ``j``."""
    origin, ahead, _, error, _, row = known
    at_k = published & (ahead == k)
    keys_k = origin[at_k].astype(np.int64) * 100_000 + row[at_k].astype(np.int64)
    for j in sorted((int(u) for u in np.unique(ahead[published]) if u > k), reverse=True):
        at_j = published & (ahead == j)
        keys_j = origin[at_j].astype(np.int64) * 100_000 + row[at_j].astype(np.int64)
        both, in_k, in_j = np.intersect1d(keys_k, keys_j, return_indices=True)
        if len(both) < MIN_ERRORS:
            continue
        wk = np.subtract(*np.quantile(error[at_k][in_k], [HIGH, LOW]))
        wj = np.subtract(*np.quantile(error[at_j][in_j], [HIGH, LOW]))
        if wk <= 0 or wj <= 0:
            continue
        return float(np.clip(np.log(wj / wk) / np.log(j / k), *POWER_LIMITS)), j
    return None


def _sample(known: _Known, as_of: int, horizon: int, band: str = DEFAULT_BAND) -> (
    ErrorSample | None
):  # fmt: skip
    if band not in BANDS:
        raise ValueError(f"unknown band {band!r}; known: {', '.join(BANDS)}")
    origin, ahead, target, error, size, _ = known
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
    basis = f"{k}-year errors from origins {span} ({int(at.sum()):,})"
    widen = horizon / k
    if k != horizon and band == "size+horizon":
        measured = horizon_power(known, published, k)
        if measured is not None:
            power, j = measured
            widen = widen**power
            basis += f", widened x{widen:.3g} ((h/k)^{power:.2f}, from {k}- and {j}-year errors)"
        else:
            basis += f", widened x{widen:g}"
    elif k != horizon:
        basis += f", widened x{widen:g}"
    e = error[at]
    if band == "pooled":
        return ErrorSample(e, basis, widen=widen)
    n = size[at]
    sized = np.isfinite(n) & (n > 0)
    if not sized.any():  # sizes unknown (hand-made errors): the same scale for all
        return ErrorSample(e, basis, widen=widen)
    e, n = e[sized], n[sized]
    centre = float(np.median(e))
    a, b = fit_scale(e - centre, n)
    z = (e - centre) / np.sqrt(a + b / n)
    basis += f", scaled by council size (spread^2 = {a:.3g} + {b:.3g} / caseload)"
    return ErrorSample(z, basis, centre=centre, a=a, b=b, widen=widen)


def with_bands(fc: pd.DataFrame, band: str = DEFAULT_BAND) -> pd.DataFrame:
    """``fc`` with ``lower_80``, ``upper_80`` and ``band_basis``, each band made from the errors
    published by its own origin (:func:`error_sample`) and, for the bands that depend on it,
    the council's size at that origin."""
    out = fc.copy()
    low = np.full(len(fc), np.nan)
    high = np.full(len(fc), np.nan)
    basis = np.full(len(fc), "", dtype=object)
    size = fc["size"].to_numpy(dtype=float) if "size" in fc else np.full(len(fc), np.nan)
    methods = fc["method"].to_numpy()
    origins = fc["origin"].to_numpy()
    horizons = fc["horizon"].to_numpy()
    for method in pd.unique(methods):  # a loop over methods, origins and horizons, not councils
        mine = methods == method
        known = _known(fc[mine])
        for origin in np.unique(origins[mine]):
            for horizon in np.unique(horizons[mine]):
                sample = _sample(known, int(origin), int(horizon), band)
                if sample is None:
                    continue
                i = np.flatnonzero(mine & (origins == origin) & (horizons == horizon))
                low[i], high[i] = sample.bounds(size[i])
                basis[i] = sample.basis
    with np.errstate(over="ignore", invalid="ignore"):  # extreme sizes in made-up panels
        out["lower_80"] = out["projected"].to_numpy() * np.exp(low)
        out["upper_80"] = out["projected"].to_numpy() * np.exp(high)
    out["band_basis"] = basis
    return out


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
    #: How the bands were made (one of :data:`BANDS`).
    band: str = DEFAULT_BAND


def backtest(
    panel: Panel, methods: list[str], horizon: int = max(HORIZONS), band: str = DEFAULT_BAND
) -> Backtest:
    """Project from every census but the last, score on :data:`HORIZONS`, choose the default.

    Projections reach ``horizon`` years (at least 3) so that longer-range bands can use
    direct errors where the censuses allow."""
    origins = [int(y) for y in panel.years[:-1]]
    fc = with_bands(forecasts(panel, methods, max(horizon, max(HORIZONS)), origins), band)
    outcomes = scored_outcomes(fc, methods)
    selected = select_by_record(fc, methods, sorted(outcomes["origin"].unique()))
    picked = outcomes.merge(
        pd.DataFrame({"origin": list(selected), "method": list(selected.values())})
    ).assign(method=SELECTED)
    scores = score(pd.concat([outcomes, picked], ignore_index=True), [*methods, SELECTED])
    default, reason = choose(scores[scores["method"] != SELECTED])
    return Backtest(fc, scores, outcomes, selected, default, reason, band)


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


#: The thirds of councils by caseload at the origin, for coverage by size.
TERCILES = ("small", "middle", "large")


def coverage_by_size(outcomes: pd.DataFrame, method: str) -> pd.DataFrame:
    """``method``'s band coverage by horizon and council size: at each origin and horizon the
    banded outcomes are split into thirds by the council's caseload at the origin
    (:data:`TERCILES`, ties by council order). One row per (horizon, tercile): ``outcomes``
    and ``coverage``."""
    b = outcomes[(outcomes["method"] == method) & outcomes["banded"]].copy()
    rank = b.groupby(["origin", "horizon"])["size"].rank(method="first") - 1
    count = b.groupby(["origin", "horizon"])["size"].transform("size")
    b["tercile"] = (rank * len(TERCILES) // count).astype(int)
    out = []
    for h in HORIZONS:
        for i, name in enumerate(TERCILES):
            r = b[(b["horizon"] == h) & (b["tercile"] == i)]
            out.append({"horizon": h, "tercile": name, "outcomes": len(r),
                        "coverage": float(r["inside"].mean()) if len(r) else np.nan})  # fmt: skip
    return pd.DataFrame(out)


def coverage_by_origin(outcomes: pd.DataFrame, method: str) -> pd.DataFrame:
    """``method``'s band coverage for each horizon and origin: one row per (horizon, origin)
    with banded outcomes: ``outcomes``, ``coverage``, the shares ``above`` and ``below`` the
    band, and ``median_surprise``, the median of (actual - projected) / projected in percent
    (the surprise that origin's councils shared: positive where more plans came than projected,
    so the opposite sign to the bias)."""
    b = outcomes[(outcomes["method"] == method) & outcomes["banded"]]
    b = b.assign(
        above=b["actual"] > b["upper_80"],
        below=b["actual"] < b["lower_80"],
        surprise=(b["actual"] / b["projected"] - 1) * 100,
    )
    return (
        b.groupby(["horizon", "origin"], sort=True)
        .agg(
            outcomes=("inside", "size"),
            coverage=("inside", "mean"),
            above=("above", "mean"),
            below=("below", "mean"),
            median_surprise=("surprise", "median"),
        )  # fmt: skip
        .reset_index()
    )


def calibration_error(scores: pd.DataFrame, by_size: pd.DataFrame, method: str) -> (
    tuple[float, float]
):  # fmt: skip
    """``(D, D_size)``: the mean over horizons of ``|coverage - 80%|`` for ``method`` and the
    mean over horizons and size terciles, in percentage points (the criteria the band was
    chosen by)."""
    mine = scores[(scores["method"] == method) & (scores["band_outcomes"] > 0)]
    marginal = float(np.mean(np.abs(mine["coverage"] - 0.8))) * 100
    sized = by_size[by_size["outcomes"] > 0]
    conditional = float(np.mean(np.abs(sized["coverage"] - 0.8))) * 100
    return marginal, conditional


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
