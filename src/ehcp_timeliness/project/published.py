"""Every council's caseload projected from DfE's published figures alone, back-tested.

:func:`project_published` reads a release folder (``caseload.csv``, and ``newplans.csv`` for
the stock-flow), back-tests every method in :data:`~ehcp_timeliness.project.methods.METHODS`
on all councils from rolling origins (:mod:`~ehcp_timeliness.project.backtest_published`),
chooses the default by that measurement, and projects each council's January census
``horizon_years`` ahead with an 80% band made from the method's own past errors. The result
is a pydantic model, so the JSON output is its dump.

``census_year`` is the calendar year of the January census: DfE's ``202425`` is 2025.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from ehcp_timeliness.errors import InputError
from ehcp_timeliness.project import methods as m
from ehcp_timeliness.project.backtest_published import (
    BANDS,
    CHOOSE_AT,
    DEFAULT_BAND,
    HIGH,
    HORIZONS,
    LOW,
    MIN_ERRORS,
    SELECTED,
    Backtest,
    backtest,
    calibration_error,
    coverage_by_origin,
    coverage_by_size,
    error_sample,
    versus,
)
from ehcp_timeliness.project.published_panel import Panel, panel_from_release
from ehcp_timeliness.read.published import LocalAuthority, Release, read_release

SCHEMA_VERSION = 1
#: The columns of ``--csv``, in order.
CSV_COLUMNS = ["new_la_code", "la_name", "census_year", "projected", "lower_80", "upper_80"]
#: The coverage the 80% band should reach on the back-test, and the baselines the default
#: should beat (the issue's goals).
COVERAGE_GOAL = (0.75, 0.85)
BASELINES = ("persistence", "growth")
#: The release's files this reads (caseload.csv is required).
READS = ("caseload", "newplans")


def _band_how(widening: str, sized: bool) -> str:
    return (
        f"the projection times exp of the {LOW:.0%} and {HIGH:.0%} percentiles of the method's "
        "log errors (log of actual over projected) at the same horizon, pooled across "
        "councils over every back-test origin whose outcome is published; where fewer than "
        f"{MIN_ERRORS} errors at that horizon exist, the longest shorter horizon k that has "
        f"them, {widening}"
        + ("; each error standardised by the spread expected at its council's caseload n at "
           "the origin, spread^2 = a + b/n (fitted on the same errors), and carried to this "
           "council's caseload, so small councils get wider bands" if sized
           else "; the same in proportion for every council")
    )  # fmt: skip


#: How each kind of band is made, in words.
BAND_HOW = {
    "pooled": _band_how("widened by h/k", sized=False),
    "size": _band_how("widened by h/k", sized=True),
    "size+horizon": _band_how("widened by (h/k)^p, p measured from the errors known at two "
                              "horizons (0.5 to 1)", sized=True),
}  # fmt: skip


class MethodInfo(BaseModel):
    name: str
    title: str
    how: str


class Score(BaseModel):
    """One method's back-test at one horizon, on the outcomes every method has."""

    method: str
    horizon: int
    origins: list[int]
    outcomes: int
    #: Percentages: 6.2 is 6.2%.
    median_ape: float | None
    mean_ape: float | None
    #: The median of (projected - actual) / actual, in percent: negative projects too few.
    bias: float | None
    #: The origins and outcomes where every method had a band, and the share of those
    #: outcomes inside the method's 80% band (0.8 is 80%).
    band_origins: list[int]
    band_outcomes: int
    coverage_80: float | None


class SizeCoverage(BaseModel):
    """The default's band coverage for one third of councils by caseload at the origin."""

    horizon: int
    #: small, middle or large.
    tercile: str
    outcomes: int
    coverage_80: float | None


class OriginCoverage(BaseModel):
    """The default's band coverage for the councils projected from one origin at one horizon:
    they share that year's surprise, so coverage moves from one origin to the next."""

    horizon: int
    origin: int
    outcomes: int
    coverage_80: float
    #: The shares of outcomes above and below the band (0.1 is 10%).
    above: float
    below: float
    #: The median of (actual - projected) / projected, in percent: positive where more plans
    #: came than projected (the opposite sign to the bias).
    median_surprise: float


class BandVariant(BaseModel):
    """One way of making the band, back-tested: the default method's coverage per horizon,
    overall and by council size, and the two calibration errors it is chosen by."""

    band: str
    coverage: list[Score]
    by_size: list[SizeCoverage]
    #: Mean over horizons of |coverage - 80%|, percentage points.
    marginal_error: float
    #: Mean over horizons and size terciles of |coverage - 80%|, percentage points.
    size_error: float


class Comparison(BaseModel):
    """The default's median absolute percentage error less a baseline's, at one horizon,
    in percentage points, with a 95% interval from resampling councils."""

    baseline: str
    horizon: int
    difference: float
    low_95: float
    high_95: float


class Goal(BaseModel):
    goal: str
    met: bool
    detail: str


class Projection(BaseModel):
    """One council's projected January census."""

    new_la_code: str
    old_la_code: str
    la_name: str
    census_year: int
    projected: int
    lower_80: int | None
    upper_80: int | None


class Census(BaseModel):
    census_year: int
    plans: int | None


class TargetAnswer(BaseModel):
    """Will the council reach ``plans`` by the January ``census_year`` census?"""

    plans: float
    census_year: int
    projected: int
    lower_80: int | None
    upper_80: int | None
    #: The share of the method's past errors under which the outcome reaches the target.
    chance: float | None
    answer: str


class Council(BaseModel):
    """The council asked for with ``--la``: its censuses, projections, and every method's
    figure for the last projected census."""

    la: LocalAuthority
    history: list[Census]
    projections: list[Projection]
    band_basis: list[str]
    by_method: dict[str, int | None]
    target: TargetAnswer | None = None


class PublishedProjection(BaseModel):
    """Caseload projections from DfE's published figures, with the back-test behind them."""

    model_config = ConfigDict(protected_namespaces=())

    schema_version: int = SCHEMA_VERSION
    folder: str
    files: list[str]
    censuses: list[int]
    origin: int
    horizon_years: int
    seed: int
    methods: list[MethodInfo]
    band: str
    default: str
    default_reason: str
    #: The method projected: the default unless another was asked for.
    method: str
    parameters: dict[str, float | None]
    backtest: list[Score]
    #: The method chosen-by-record used at each back-test origin.
    chosen_by_origin: dict[int, str]
    #: The default's band coverage by council size (thirds by caseload at each origin).
    coverage_by_size: list[SizeCoverage]
    #: The default's band coverage at each back-test origin.
    coverage_by_origin: list[OriginCoverage]
    comparisons: list[Comparison]
    goals: list[Goal]
    projections: list[Projection]
    council: Council | None = None
    notes: list[str]

    def score(self, method: str, horizon: int) -> Score:
        return next(s for s in self.backtest if s.method == method and s.horizon == horizon)

    def csv_frame(self) -> pd.DataFrame:
        """The ``--csv`` table: :data:`CSV_COLUMNS`, one row per council and census."""
        rows = [p.model_dump(include=set(CSV_COLUMNS)) for p in self.projections]
        return pd.DataFrame(rows, columns=CSV_COLUMNS).astype(
            {"lower_80": "Int64", "upper_80": "Int64"}
        )


def project_published(
    folder: Path,
    la: str | None = None,
    *,
    horizon_years: int = 3,
    method: str | None = None,
    target: float | None = None,
    seed: int = 0,
    band: str = DEFAULT_BAND,
) -> PublishedProjection:
    """Back-test every method on ``folder``'s release, choose the default, and project every
    council (or only ``la``) ``horizon_years`` censuses ahead of the latest.

    InputError (exit 3) when caseload.csv is absent or malformed, or ``la`` is unknown or has
    no census in the latest year; ValueError for an unknown ``method`` or ``band`` or a horizon
    below 1. ``band`` is how the 80% bands are made (one of
    :data:`~ehcp_timeliness.project.backtest_published.BANDS`).
    """
    if horizon_years < 1:
        raise ValueError("the horizon is at least one year")
    if method is not None and method not in m.METHODS:
        raise ValueError(f"unknown method {method!r}; known: {', '.join(m.METHODS)}")
    release, panel, notes = _read(folder)
    council = release.find_la(la, source="--la") if la is not None else None
    if council is not None:
        _require_census(council, panel)
    names = [n for n, spec in m.METHODS.items() if _can_run(spec, panel)]
    if method is not None and method not in names:
        raise InputError(f"{folder}: the {method} method needs newplans.csv")
    bt = backtest(panel, names, horizon_years, band)
    used = method or bt.default
    directory = release.local_authorities().set_index("old_la_code")
    projections, bases, by_method = _project(panel, bt, used, horizon_years, directory, names)
    unprojected = sorted(set(directory[directory["last_year"] == panel.origin].index)
                         - {p.old_la_code for p in projections})  # fmt: skip
    if unprojected:
        notes.append(f"not projected by {used} (no census in {panel.origin} or too short a "
                      f"history): {', '.join(unprojected)}")  # fmt: skip
    result = PublishedProjection(
        folder=str(folder),
        files=[p.name for p in release.files.values()],
        censuses=[int(y) for y in panel.years],
        origin=panel.origin,
        horizon_years=horizon_years,
        seed=seed,
        methods=[_info(n) for n in names],
        band=BAND_HOW[band],
        default=bt.default,
        default_reason=bt.reason,
        method=used,
        parameters=_parameters(panel),
        backtest=_scores(bt),
        chosen_by_origin=bt.selected,
        coverage_by_size=_by_size(coverage_by_size(bt.outcomes, bt.default)),
        coverage_by_origin=_by_origin(coverage_by_origin(bt.outcomes, bt.default)),
        comparisons=[],
        goals=[],
        projections=projections,
        notes=notes,
    )
    result.comparisons = _comparisons(bt, seed)
    result.goals = _goals(result)
    if council is not None:
        result.council = _council(council, panel, bt, result, bases, by_method, target)
        result.projections = [p for p in projections if p.old_la_code == council.old_code]
    return result


def _read(folder: Path) -> tuple[Release, Panel, list[str]]:
    found = read_release(folder)  # only the two files used, so only they are read
    release = Release(found.folder, {k: v for k, v in found.files.items() if k in READS})
    panel, notes = panel_from_release(release)
    return release, panel, notes


def _by_size(table: pd.DataFrame) -> list[SizeCoverage]:
    """:func:`coverage_by_size`'s table as models."""
    return [
        SizeCoverage(horizon=int(r["horizon"]), tercile=str(r["tercile"]),
                     outcomes=int(r["outcomes"]),
                     coverage_80=round(float(r["coverage"]), 4) if r["outcomes"] else None)
        for r in table.to_dict("records")
    ]  # fmt: skip


def _by_origin(table: pd.DataFrame) -> list[OriginCoverage]:
    """:func:`coverage_by_origin`'s table as models."""
    return [
        OriginCoverage(horizon=int(r["horizon"]), origin=int(r["origin"]),
                       outcomes=int(r["outcomes"]), coverage_80=round(float(r["coverage"]), 4),
                       above=round(float(r["above"]), 4), below=round(float(r["below"]), 4),
                       median_surprise=round(float(r["median_surprise"]), 2))
        for r in table.to_dict("records")
    ]  # fmt: skip


def compare_bands(folder: Path) -> list[BandVariant]:
    """Every way of making the band (:data:`BANDS`), back-tested on ``folder``'s release: the
    default method's coverage overall and by council size, and the calibration errors. The
    point projections, and so the default, are the same under every band."""
    _, panel, _ = _read(folder)
    names = [n for n, spec in m.METHODS.items() if _can_run(spec, panel)]
    out = []
    for band in BANDS:
        bt = backtest(panel, names, max(HORIZONS), band)
        by_size = coverage_by_size(bt.outcomes, bt.default)
        marginal, conditional = calibration_error(bt.scores, by_size, bt.default)
        out.append(
            BandVariant(
                band=band,
                coverage=[s for s in _scores(bt) if s.method == bt.default],
                by_size=_by_size(by_size),
                marginal_error=round(marginal, 3),
                size_error=round(conditional, 3),
            )
        )
    return out


def choose_band(variants: list[BandVariant]) -> str:
    """The rule fixed before the bands were measured: the lowest ``size_error`` among the
    variants whose ``marginal_error`` is no larger than the ``pooled`` band's (which
    qualifies), ties to the simpler (earlier in :data:`BANDS`)."""
    pooled = next(v for v in variants if v.band == "pooled")
    eligible = [v for v in variants if v.marginal_error <= pooled.marginal_error]
    return min(eligible, key=lambda v: (v.size_error, BANDS.index(v.band))).band


def bands_markdown(variants: list[BandVariant]) -> str:
    """The comparison of bands as the Markdown table docs/projections.md quotes."""
    lines = [
        "| Band | Years ahead | Coverage (outcomes) | Small councils | Middle | Large |",
        "|---|---:|---:|---:|---:|---:|",
    ]

    def pct(x: float | None) -> str:
        return "" if x is None else f"{x:.1%}"

    for v in variants:
        for s in v.coverage:
            third = {c.tercile: c for c in v.by_size if c.horizon == s.horizon}
            cells = " | ".join(f"{pct(third[t].coverage_80)} ({third[t].outcomes})"
                               for t in ("small", "middle", "large"))  # fmt: skip
            lines.append(f"| `{v.band}` | {s.horizon} | {pct(s.coverage_80)} "
                         f"({s.band_outcomes}) | {cells} |")  # fmt: skip
    lines += ["", "| Band | D: mean over horizons of abs(coverage - 80%) | D_size: mean over "
              "horizons and size thirds |", "|---|---:|---:|"]  # fmt: skip
    for v in variants:
        lines.append(f"| `{v.band}` | {v.marginal_error:.1f} points | {v.size_error:.1f} points |")
    return "\n".join(lines) + "\n"


def _can_run(spec: m.MethodSpec, panel: Panel) -> bool:
    return not spec.needs_new_plans or bool(np.isfinite(panel.new_plans).any())


def _info(name: str) -> MethodInfo:
    spec = m.METHODS[name]
    return MethodInfo(name=name, title=spec.title, how=spec.how)


def _parameters(panel: Panel) -> dict[str, float | None]:
    """The fitted parameters at the latest census, for the record."""
    alpha, beta, phi = m.damped_parameters(panel)
    rel = m.relative_growth(panel)
    return {
        "england_growth": rel.england,
        "damped_alpha": alpha,
        "damped_beta": beta,
        "damped_phi": phi,
        "shrink_mean_weight": float(np.mean(m.eb_weights(rel)[np.isfinite(rel.relative)])),
        "shrink_fit_weight": m.fitted_weight(panel),
    }


def _whole(value: float) -> int | None:
    return int(round(value)) if np.isfinite(value) else None


def _project(
    panel: Panel,
    bt: Backtest,
    used: str,
    horizon: int,
    directory: pd.DataFrame,
    names: list[str],
) -> tuple[list[Projection], list[str], dict[str, np.ndarray]]:
    """``used``'s projections of every council from the latest census with their bands, the
    basis of each horizon's band, and every method's projections (for the council view)."""
    past = panel.upto(panel.origin)
    every = {n: m.METHODS[n].function(past, horizon) for n in names}
    point = every[used]
    lower = np.full_like(point, np.nan)
    upper = np.full_like(point, np.nan)
    bases = []
    size = past.caseload[:, -1]  # each council's caseload at the origin
    for h in range(1, horizon + 1):
        sample = error_sample(bt.forecasts, used, panel.origin, h, bt.band)
        if sample is None:
            bases.append(f"{h} year{'s' if h > 1 else ''}: no band (too few past errors)")
            continue
        low, high = sample.bounds(size)
        lower[:, h - 1] = point[:, h - 1] * np.exp(low)
        upper[:, h - 1] = point[:, h - 1] * np.exp(high)
        bases.append(f"{h} year{'s' if h > 1 else ''}: {sample.basis}")
    rows, cols = np.nonzero(np.isfinite(point))
    out = []
    for i, j in zip(rows, cols, strict=True):  # one row per council and census, to output
        code = str(panel.codes[i])
        entry = directory.loc[code]
        out.append(
            Projection(
                new_la_code=str(entry["new_la_code"]),
                old_la_code=code,
                la_name=str(entry["la_name"]),
                census_year=panel.origin + int(j) + 1,
                projected=int(round(point[i, j])),
                lower_80=_whole(lower[i, j]),
                upper_80=_whole(upper[i, j]),
            )
        )
    return out, bases, every


def _scores(bt: Backtest) -> list[Score]:
    def value(x: float) -> float | None:
        return round(float(x), 4) if np.isfinite(x) else None

    return [
        Score(
            method=r["method"],
            horizon=int(r["horizon"]),
            origins=list(r["origins"]),
            outcomes=int(r["outcomes"]),
            median_ape=value(r["median_ape"]),
            mean_ape=value(r["mean_ape"]),
            bias=value(r["bias"]),
            band_origins=list(r["band_origins"]),
            band_outcomes=int(r["band_outcomes"]),
            coverage_80=value(r["coverage"]),
        )
        for r in bt.scores.to_dict("records")
    ]


def _comparisons(bt: Backtest, seed: int) -> list[Comparison]:
    out = []
    for baseline in BASELINES:
        if baseline == bt.default:
            continue
        for h in HORIZONS:
            if not (bt.outcomes["horizon"] == h).any():
                continue
            point, low, high = versus(bt.outcomes, bt.default, baseline, h, seed + h)
            out.append(Comparison(baseline=baseline, horizon=h, difference=round(point, 3),
                                  low_95=round(low, 3), high_95=round(high, 3)))  # fmt: skip
    return out


def _goals(result: PublishedProjection) -> list[Goal]:
    default = result.default
    at = max((s.horizon for s in result.backtest if s.outcomes), default=None)
    if at is None:
        return [Goal(goal="back-test", met=False, detail="too few censuses to back-test")]
    at = min(at, CHOOSE_AT)
    mine = result.score(default, at)
    parts, met = [], True
    for c in (c for c in result.comparisons if c.horizon == at):
        base = result.score(c.baseline, at)
        met &= c.high_95 < 0
        parts.append(
            f"{c.baseline} {base.median_ape:.1f}% (difference {c.difference:+.1f} points, 95% "
            f"interval {c.low_95:+.1f} to {c.high_95:+.1f})"
        )
    beats = Goal(
        goal=f"At {at} years ahead, the default's median absolute percentage error clearly "
        "beats persistence and constant growth (the 95% interval of the difference is below 0)",
        met=met,
        detail=f"{default} {mine.median_ape:.1f}% over {mine.outcomes} outcomes against "
        + "; ".join(parts or ["(the default is a baseline)"]),
    )
    low, high = COVERAGE_GOAL
    cover = [result.score(default, h) for h in HORIZONS]
    cover = [s for s in cover if s.band_outcomes and s.coverage_80 is not None]
    within = all(low <= (s.coverage_80 or 0) <= high for s in cover)
    coverage = Goal(
        goal=f"The default's 80% band covers {low:.0%}-{high:.0%} of outcomes at every horizon",
        met=within and bool(cover),
        detail="; ".join(
            f"{s.horizon} year{'s' if s.horizon > 1 else ''}: {s.coverage_80:.1%} of "
            f"{s.band_outcomes} (origins {', '.join(map(str, s.band_origins))})"
            for s in cover
        )
        + _spread(result),
    )
    sel = result.score(SELECTED, at)
    bases = [result.score(b, at) for b in BASELINES]
    honest = Goal(
        goal=f"Check: choosing the method at each origin from the errors known then (chosen-"
        f"by-record, wholly out of sample) beats persistence and constant growth at {at} years",
        met=all((sel.median_ape or np.inf) < (b.median_ape or 0) for b in bases),
        detail=f"chosen-by-record {sel.median_ape:.1f}% against "
        + ", ".join(f"{b.method} {b.median_ape:.1f}%" for b in bases)
        + f" (the default, chosen on the whole back-test: {mine.median_ape:.1f}%); it chose "
        + ", ".join(f"{m} at {o}" for o, m in result.chosen_by_origin.items()),
    )
    return [beats, coverage, honest]


def _spread(result: PublishedProjection) -> str:
    """The coverage over every horizon together, and its range across origins."""
    by = result.coverage_by_origin
    n = sum(c.outcomes for c in by)
    if not n:
        return ""
    inside = sum(c.coverage_80 * c.outcomes for c in by) / n
    low = min(by, key=lambda c: c.coverage_80)
    high = max(by, key=lambda c: c.coverage_80)

    def at(c: OriginCoverage) -> str:
        return (
            f"{c.coverage_80:.1%} ({c.horizon} year{'s' if c.horizon > 1 else ''} from {c.origin})"
        )

    return (
        f"; every horizon together: {inside:.1%} of {n}; from one origin and horizon to "
        f"another it ranges from {at(low)} to {at(high)}"
    )


def _require_census(la: LocalAuthority, panel: Panel) -> None:
    """InputError unless the council has a census at the panel's origin to project from."""
    rows = np.flatnonzero(panel.codes == la.old_code)
    series = panel.caseload[rows[0]] if len(rows) else np.full(len(panel.years), np.nan)
    if np.isfinite(series[-1]):
        return
    known = panel.years[np.isfinite(series)]
    last = f" (its last is January {known[-1]}; the council was reorganised)" if len(known) else ""
    raise InputError(f"--la: {la.label} has no January {panel.origin} census to project "
                     f"from{last}")  # fmt: skip


def origins_markdown(result: PublishedProjection) -> str:
    """The default's coverage at each origin as the Markdown table docs/projections.md quotes."""
    lines = [
        "| Years ahead | Origin | Outcomes | Coverage | Above the band | Below the band | "
        "Median surprise |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c in result.coverage_by_origin:
        lines.append(f"| {c.horizon} | {c.origin} | {c.outcomes} | {c.coverage_80:.1%} | "
                     f"{c.above:.1%} | {c.below:.1%} | {c.median_surprise:+.1f}% |")  # fmt: skip
    return "\n".join(lines) + "\n"


def backtest_markdown(result: PublishedProjection) -> str:
    """The back-test as the Markdown table docs/projections.md quotes."""
    lines = [
        "| Method | Years ahead | Origins | Outcomes | Median APE | Mean APE | Bias | "
        "80% coverage (outcomes, origins) |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for s in result.backtest:
        span = f"{s.origins[0]}-{s.origins[-1]}" if s.origins else ""
        bands = ", ".join(map(str, s.band_origins))
        coverage = "" if s.coverage_80 is None else f"{s.coverage_80:.1%}"
        name = f"**{s.method}** (default)" if s.method == result.default else s.method
        lines.append(
            f"| {name} | {s.horizon} | {span} | {s.outcomes} | {s.median_ape:.1f}% | "
            f"{s.mean_ape:.1f}% | {s.bias:+.1f}% | {coverage} ({s.band_outcomes}; {bands}) |"
        )
    return "\n".join(lines) + "\n"


def _council(
    la: LocalAuthority,
    panel: Panel,
    bt: Backtest,
    result: PublishedProjection,
    bases: list[str],
    by_method: dict[str, np.ndarray],
    target: float | None,
) -> Council:
    row = int(np.flatnonzero(panel.codes == la.old_code)[0]) if la.old_code in panel.codes else -1
    history = [
        Census(census_year=int(y), plans=_whole(panel.caseload[row, j]) if row >= 0 else None)
        for j, y in enumerate(panel.years)
    ]
    mine = [p for p in result.projections if p.old_la_code == la.old_code]
    council = Council(
        la=la,
        history=history,
        projections=mine,
        band_basis=bases,
        by_method={n: _whole(v[row, -1]) for n, v in by_method.items()},
    )
    if not mine:
        result.notes.append(f"{result.method} cannot project {la.name} (too short a history "
                            "or no new plans); try another --method")  # fmt: skip
    elif target is not None:
        size = float(panel.caseload[row, -1])
        council.target = _answer(la, mine[-1], target, bt, result.method, panel.origin, size)
    return council


def _answer(
    la: LocalAuthority,
    last: Projection,
    target: float,
    bt: Backtest,
    method: str,
    origin: int,
    size: float,
) -> TargetAnswer:
    sample = error_sample(bt.forecasts, method, origin, last.census_year - origin, bt.band)
    chance = (sample.chance_at_least(last.projected, target, size) if sample is not None
              else None)  # fmt: skip
    year = last.census_year
    when = f"January {year} ({year - 1}/{str(year)[2:]})"
    band = (f"80% band {last.lower_80:,} to {last.upper_80:,}"
            if last.lower_80 is not None and last.upper_80 is not None else "no band")  # fmt: skip
    if last.lower_80 is None or last.upper_80 is None:
        above = "at or above" if last.projected >= target else "below"
        verdict = f"The projection is {above} it, but there are too few past errors for a band"
    elif last.lower_80 >= target:
        verdict = "Yes, very likely: the whole band is at or above it"
    elif last.upper_80 < target:
        verdict = "Unlikely: the whole band is below it"
    elif last.projected >= target:
        verdict = "Likely, but not certain: it is inside the band, below the projection"
    else:
        verdict = "Possibly: it is inside the band, above the projection"
    odds = "" if chance is None else f"; under the method's past errors, {chance:.0%} reach it"
    answer = (f"Will {la.name} reach {target:,.0f} plans by {when}? {verdict}. Projected "
              f"{last.projected:,} ({band}, {method}){odds}.")  # fmt: skip
    return TargetAnswer(plans=target, census_year=year, projected=last.projected,
                        lower_80=last.lower_80, upper_80=last.upper_80, chance=chance,
                        answer=answer)  # fmt: skip
