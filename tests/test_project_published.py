"""Caseload methods on hand-made series with known answers, the bands, the scoring, and the
property that a projection from an origin never reads anything after it."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ehcp_timeliness.project import backtest_published as bp
from ehcp_timeliness.project import methods as m
from ehcp_timeliness.project.published_panel import Panel

NAN = np.nan


def panel(caseload, new_plans=None, england=None, start: int = 2019) -> Panel:
    """A panel from lists of rows (councils) and columns (years from ``start``)."""
    c = np.array(caseload, dtype=float)
    n, years = c.shape
    new = np.full((n, years), NAN) if new_plans is None else np.array(new_plans, dtype=float)
    eng = np.nansum(c, axis=0) if england is None else np.array(england, dtype=float)
    return Panel(np.arange(start, start + years), np.array([f"{800 + i}" for i in range(n)]),
                 c, new, eng, np.full(years, NAN))  # fmt: skip


def exponential(base: float, rate: float, years: int) -> list[float]:
    return [base * (1 + rate) ** t for t in range(years)]


# --- methods on series with known answers ---------------------------------------------------


def test_persistence_repeats_the_latest_census():
    p = panel([[100, 120, 130], [5, NAN, 7]])
    assert m.persistence(p, 3).tolist() == [[130] * 3, [7] * 3]


def test_linear_adds_the_least_squares_increase_to_the_latest_census():
    p = panel([[100, 110, 120], [NAN, 50, 60], [10, 30, 20]])
    got = m.linear(p, 3)
    assert got[0] == pytest.approx([130, 140, 150])
    assert got[1] == pytest.approx([70, 80, 90])  # a missing first census is skipped
    assert got[2] == pytest.approx([25, 30, 35])  # slope 5 from 10, 30, 20; from the last, 20


def test_growth_continues_a_constant_rate():
    p = panel([exponential(100, 0.1, 4), [NAN, NAN, NAN, 40]])
    got = m.growth(p, 2)
    assert got[0] == pytest.approx([100 * 1.1**4, 100 * 1.1**5])
    assert np.isnan(got[1]).all()  # one census: no rate to continue


def test_a_council_without_a_census_at_the_origin_is_not_projected():
    p = panel([[100, 110, NAN]])
    for spec in m.METHODS.values():
        assert np.isnan(spec.function(p, 2)).all(), spec.name


def test_damped_trend_damps_a_steady_growth_rate():
    """With alpha = beta = 1 the level is the latest log census and the trend the latest log
    growth, so on an exponential the log projection is the latest log plus log(1.1) x (phi +
    phi^2 + ...)."""
    p = panel([exponential(200, 0.1, 5)])
    got = m.damped(p, 3, params=(1.0, 1.0, 0.9))[0]
    step = math.log(1.1)
    last = math.log(200 * 1.1**4)
    expected = [math.exp(last + step * s) for s in (0.9, 0.9 + 0.81, 0.9 + 0.81 + 0.729)]
    assert got == pytest.approx(expected)


def test_damped_trend_fits_its_parameters_or_falls_back():
    few = panel([exponential(100, 0.1, 4)])
    assert m.damped_parameters(few) == m.DAMPED_FALLBACK  # 2 one-step errors: too few
    rng = np.random.default_rng(1)
    growth = 0.1 + rng.normal(0, 0.02, (60, 6))
    many = panel(100 * np.exp(np.cumsum(growth, axis=1)))
    alpha, beta, phi = m.damped_parameters(many)
    assert alpha in m.DAMPED_GRID["alpha"] and phi in m.DAMPED_GRID["phi"]
    grid = np.array([[alpha], [m.DAMPED_FALLBACK[0]]])
    b = np.array([[beta], [m.DAMPED_FALLBACK[1]]])
    ph = np.array([[phi], [m.DAMPED_FALLBACK[2]]])
    _, _, sse, count = m.holt_damped(np.log(many.caseload), grid, b, ph)
    assert count[0] >= m.MIN_FIT and sse[0] <= sse[1]  # the fit is at least the fallback


def test_cessation_rates_follow_the_identity():
    p = panel([[100, 105, 109.75]], new_plans=[[10, 10, NAN]])
    assert m.cessation_rates(p)[0] == pytest.approx([0.05, 0.05])


def test_stock_flow_keeps_plans_less_ceasing_plus_new():
    p = panel([[100, 105, 109.75]], new_plans=[[10, 10, NAN]])
    first = 109.75 * 0.95 + 10
    assert m.stockflow(p, 2)[0] == pytest.approx([first, first * 0.95 + 10])


def test_stock_flow_projects_new_plans_on_their_trend():
    # New plans 10, 20 (growing x2 a year): next calendar year 40, then 80.
    p = panel([[100, 100, 110]], new_plans=[[10, 20, NAN]])
    rate = np.median([(100 + 10 - 100) / 100, (100 + 20 - 110) / 100])
    first = 110 * (1 - rate) + 40
    assert m.stockflow(p, 2)[0] == pytest.approx([first, first * (1 - rate) + 80])


def test_stock_flow_needs_new_plans():
    assert np.isnan(m.stockflow(panel([[100, 110, 120]]), 2)).all()


def test_shrinkage_keeps_exact_growth_and_gives_a_newcomer_englands():
    """Councils on exact exponentials have no sampling noise, so each keeps its own growth;
    a council with one census grows at England's rate."""
    england = exponential(1000, 0.1, 5)
    p = panel([exponential(100, 0.05, 5), exponential(100, 0.15, 5), [NAN] * 4 + [50]],
              england=england)  # fmt: skip
    rel = m.relative_growth(p)
    assert rel.england == pytest.approx(math.log(1.1))
    weights = m.eb_weights(rel)
    assert weights.tolist() == [1.0, 1.0, 0.0]
    got = m.shrink(p, 2)
    assert got[0] == pytest.approx([100 * 1.05**5, 100 * 1.05**6])
    assert got[1] == pytest.approx([100 * 1.15**5, 100 * 1.15**6])
    assert got[2] == pytest.approx([55, 60.5])


def test_shrinkage_pulls_noisy_growth_toward_englands():
    rng = np.random.default_rng(7)
    noise = rng.normal(0, 0.05, (80, 6))  # councils differ only by noise: nothing to keep
    england = 1000 * 1.1 ** np.arange(6)
    p = panel(100 * 1.1 ** np.arange(6) * np.exp(noise), england=england)
    rel = m.relative_growth(p)
    assert m.eb_weights(rel).mean() < 0.5
    shrunk = np.log(m.shrink(p, 1)[:, 0] / p.caseload[:, -1])
    own = np.log(m.growth(p, 1)[:, 0] / p.caseload[:, -1])
    assert np.abs(shrunk - math.log(1.1)).mean() < np.abs(own - math.log(1.1)).mean()


def test_fitted_weight_is_one_when_relative_growth_persists():
    rates = np.linspace(0.02, 0.2, 60)
    caseload = [exponential(100, r, 6) for r in rates]
    p = panel(caseload, england=exponential(5000, 0.1, 6))
    assert m.fitted_weight(p) == pytest.approx(1.0)
    assert m.fitted_weight(p.upto(2021)) is None  # 60 one-step pairs: too few to fit
    assert m.shrink_fit(p, 1)[:, 0] == pytest.approx(p.caseload[:, -1] * (1 + rates))


# --- the panel and its origins ----------------------------------------------------------------


def test_upto_keeps_censuses_to_the_origin_and_new_plans_before_it():
    p = panel([[1, 2, 3, 4]], new_plans=[[10, 20, 30, NAN]])
    past = p.upto(2021)
    assert past.years.tolist() == [2019, 2020, 2021]
    assert past.caseload.tolist() == [[1, 2, 3]]
    # The new plans of calendar 2021 are published with the January 2022 census, not before.
    assert past.new_plans[0, :2].tolist() == [10, 20] and np.isnan(past.new_plans[0, 2])
    past.caseload[0, 0] = 99
    assert p.caseload[0, 0] == 1  # a copy: nothing reaches back


@st.composite
def two_histories(draw):
    """Two panels equal up to an origin and different after it, and the origin."""
    n = draw(st.integers(1, 6))
    years = draw(st.integers(3, 7))
    origin_at = draw(st.integers(1, years - 2))
    values = st.floats(1, 50_000, allow_nan=False)
    later = st.one_of(values, st.just(NAN), st.just(0.0), st.just(1e9))

    def matrix(cells) -> np.ndarray:
        return np.array(draw(st.lists(st.lists(cells, min_size=years, max_size=years),
                                      min_size=n, max_size=n)))  # fmt: skip

    c1, n1 = matrix(values), matrix(values)
    c2, n2 = matrix(later), matrix(later)
    c2[:, : origin_at + 1] = c1[:, : origin_at + 1]
    n2[:, :origin_at] = n1[:, :origin_at]  # calendar years before the origin's census
    e1 = c1.sum(axis=0)
    e2 = np.concatenate([e1[: origin_at + 1], np.array(draw(st.lists(
        later, min_size=years - origin_at - 1, max_size=years - origin_at - 1)))])  # fmt: skip
    codes = np.array([str(800 + i) for i in range(n)])
    ys = np.arange(2019, 2019 + years)
    empty = np.full(years, NAN)
    a = Panel(ys, codes, c1, n1, e1, empty)
    b = Panel(ys, codes, c2, n2, e2, empty)
    return a, b, int(ys[origin_at])


@settings(max_examples=60, deadline=None)
@given(two_histories())
def test_no_method_reads_after_its_origin(histories):
    a, b, origin = histories
    for spec in m.METHODS.values():
        np.testing.assert_array_equal(
            spec.function(a.upto(origin), 3), spec.function(b.upto(origin), 3), spec.name
        )


@pytest.mark.parametrize("band", bp.BANDS)
@settings(max_examples=25, deadline=None)
@given(histories=two_histories())
def test_backtest_projections_and_bands_never_read_after_their_origin(band, histories):
    """Bands too, however they are made: each is made only from errors whose outcome was
    published by its origin (and, for the size bands, sizes known at the origins)."""
    a, b, origin = histories
    names = list(m.METHODS)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(bp, "MIN_ERRORS", 1)  # small panels: let bands form from a few errors
        mp.setattr(bp, "MIN_ORIGINS", 1)
        mp.setattr(bp, "SIZE_GROUPS", 2)  # and let the size scale be fitted from a few
        origins = [int(y) for y in a.years[:-1]]
        fa = bp.with_bands(bp.forecasts(a, names, 3, origins), band)
        fb = bp.with_bands(bp.forecasts(b, names, 3, origins), band)
    cols = ["projected", "lower_80", "upper_80", "band_basis"]
    early = fa["origin"] <= origin
    assert early.any()
    pd.testing.assert_frame_equal(fa.loc[early, cols], fb.loc[early, cols])


# --- bands and scores -------------------------------------------------------------------------


def errors_frame(method: str, horizon: int, origins: list[int], errors: np.ndarray) -> (
    pd.DataFrame
):  # fmt: skip
    per = len(errors) // len(origins)
    return pd.DataFrame({"method": method, "horizon": horizon,
                         "origin": np.repeat(origins, per), "error": errors,
                         "target": np.repeat(origins, per) + horizon})  # fmt: skip


def test_a_band_is_the_10th_and_90th_percentile_of_known_errors():
    errors = np.linspace(-0.5, 0.5, 101)
    fc = errors_frame("growth", 1, [2020, 2021], errors[:100])
    sample = bp.error_sample(fc, "growth", 2022, 1, "pooled")
    assert sample is not None
    low, high = sample.bounds(1000.0)
    assert low == pytest.approx(np.quantile(errors[:100], 0.1))
    assert high == pytest.approx(np.quantile(errors[:100], 0.9))
    assert sample.basis == "1-year errors from origins 2020-2021 (100)"
    assert bp.error_sample(fc, "growth", 2021, 1) is None  # 2021's outcomes are in 2022
    assert bp.error_sample(fc, "linear", 2022, 1) is None


def test_a_longer_band_widens_the_longest_known_horizon():
    errors = np.linspace(-0.1, 0.1, 120)
    fc = errors_frame("growth", 1, [2020, 2021], errors)
    sample = bp.error_sample(fc, "growth", 2022, 3, "pooled")
    assert sample is not None
    assert sample.log_errors(1000.0) == pytest.approx(errors * 3)
    assert sample.basis.endswith("widened x3")


def test_errors_from_one_origin_make_no_band():
    fc = errors_frame("growth", 1, [2020], np.linspace(-0.1, 0.1, 300))
    assert bp.error_sample(fc, "growth", 2022, 1) is None


def test_chance_of_reaching_a_target_counts_past_errors():
    sample = bp.ErrorSample(np.log(np.array([0.9, 1.0, 1.1, 1.2])), "")
    assert sample.chance_at_least(1000, 1050, size=500) == 0.5
    assert sample.chance_at_least(1000, 800, size=500) == 1.0


# --- bands scaled by council size --------------------------------------------------------------


def sized_errors(rng, n_per: int = 150, origins=(2020, 2021), horizon: int = 1) -> pd.DataFrame:
    """Known errors of councils of 100 plans (spread 0.2) and of 10,000 (spread 0.02)."""
    rows = []
    for origin in origins:
        size = np.repeat([100.0, 10_000.0], n_per // 2)
        error = rng.normal(0, np.where(size < 1000, 0.2, 0.02))
        rows.append(pd.DataFrame({"method": "growth", "origin": origin, "horizon": horizon,
                                  "target": origin + horizon, "error": error, "size": size,
                                  "row": np.arange(n_per)}))  # fmt: skip
    return pd.concat(rows, ignore_index=True)


def test_fit_scale_recovers_the_spread_of_errors_against_size():
    rng = np.random.default_rng(1)
    size = np.exp(rng.uniform(np.log(200), np.log(20_000), 20_000))
    a, b = 0.001, 1.0  # a spread of 3% plus the noise of counting (7% at 200 plans)
    errors = rng.normal(0, np.sqrt(a + b / size))
    fa, fb = bp.fit_scale(errors, size)
    assert fa == pytest.approx(a, rel=0.15) and fb == pytest.approx(b, rel=0.15)
    # No dependence on size: b / 200 (the smallest council) is a small part of the spread.
    fa, fb = bp.fit_scale(rng.normal(0, 0.05, 20_000), size)
    assert fb / 200 < 0.05 * fa
    assert bp.fit_scale(np.zeros(50), np.full(50, 10.0)) == (1.0, 0.0)  # nothing to fit
    assert bp.fit_scale(np.ones(5), np.arange(1.0, 6)) == (1.0, 0.0)  # too few


def test_a_size_band_is_wider_for_small_councils_and_covers_each():
    fc = sized_errors(np.random.default_rng(2))
    pooled = bp.error_sample(fc, "growth", 2022, 1, "pooled")
    sized = bp.error_sample(fc, "growth", 2022, 1, "size")
    assert pooled is not None and sized is not None
    (small_lo, big_lo), (small_hi, big_hi) = sized.bounds(np.array([100.0, 10_000.0]))
    assert small_hi - small_lo > 5 * (big_hi - big_lo)  # the spreads differ tenfold
    p_lo, p_hi = pooled.bounds(np.array([100.0, 10_000.0]))
    assert p_lo[0] == p_lo[1] and small_lo < p_lo[0] < big_lo and big_hi < p_hi[0] < small_hi
    # Fresh errors like the known ones: each size is covered about 80% of the time.
    new = sized_errors(np.random.default_rng(3), n_per=4000, origins=(2022,))
    low, high = sized.bounds(new["size"].to_numpy())
    inside = (new["error"] >= low) & (new["error"] <= high)
    for _, share in inside.groupby(new["size"]).mean().items():
        assert 0.75 < share < 0.85
    small = inside[new["size"] == 100].mean()
    big = inside[new["size"] == 10_000].mean()
    low, high = pooled.bounds(new["size"].to_numpy())
    pooled_inside = (new["error"] >= low) & (new["error"] <= high)
    assert pooled_inside[new["size"] == 100].mean() < small - 0.1  # too narrow for small
    assert pooled_inside[new["size"] == 10_000].mean() > big + 0.1  # too wide for large
    assert "scaled by council size" in sized.basis


def test_a_size_band_equals_the_pooled_band_when_councils_are_alike():
    fc = sized_errors(np.random.default_rng(4)).assign(size=2000.0)
    pooled = bp.error_sample(fc, "growth", 2022, 1, "pooled")
    sized = bp.error_sample(fc, "growth", 2022, 1, "size")
    assert pooled is not None and sized is not None
    np.testing.assert_allclose(sized.bounds(2000.0), pooled.bounds(2000.0))
    np.testing.assert_allclose(sized.bounds(50.0), pooled.bounds(50.0))  # b = 0: no size


def test_the_chance_of_a_target_follows_the_councils_size():
    sized = bp.error_sample(sized_errors(np.random.default_rng(5)), "growth", 2022, 1, "size")
    assert sized is not None
    # 10% above the projection: a 10,000-plan council's errors (2%) never reach it; a small
    # council's (20%) do about a third of the time.
    assert sized.chance_at_least(1000, 1100, size=10_000) < 0.02
    assert 0.2 < sized.chance_at_least(1000, 1100, size=100) < 0.5
    # The chance agrees with the band: the lower bound is reached 90% of the time.
    for size in (100.0, 10_000.0):
        low, high = sized.bounds(size)
        assert sized.chance_at_least(1000, 1000 * np.exp(low), size) >= 0.9
        assert sized.chance_at_least(1000, 1000 * np.exp(high) * 1.0001, size) <= 0.1


def test_a_size_band_uses_only_errors_published_by_its_origin():
    fc = sized_errors(np.random.default_rng(6), origins=(2020, 2021, 2022))
    before = bp.error_sample(fc, "growth", 2022, 1, "size")
    wild = fc.copy()
    wild.loc[wild["origin"] == 2022, "error"] *= 50  # the 2022 origin's outcome is 2023's
    wild.loc[wild["origin"] == 2022, "size"] = 5.0
    after = bp.error_sample(wild, "growth", 2022, 1, "size")
    assert before is not None and after is not None
    assert (before.a, before.b, before.centre) == (after.a, after.b, after.centre)
    np.testing.assert_array_equal(before.errors, after.errors)
    assert "origins 2020-2021 (300)" in after.basis


def test_horizon_power_is_measured_from_two_known_horizons():
    rng = np.random.default_rng(7)
    one = rng.normal(0, 0.05, 300)

    def frame(grow: float) -> pd.DataFrame:
        parts = []
        for h, scale in ((1, 1.0), (2, grow)):
            parts.append(pd.DataFrame({"method": "growth", "horizon": h,
                                       "origin": np.repeat([2019, 2020], 150),
                                       "row": np.tile(np.arange(150), 2), "size": 1000.0,
                                       "error": one * scale}))  # fmt: skip
        out = pd.concat(parts, ignore_index=True)
        return out.assign(target=out["origin"] + out["horizon"])

    # 2-year errors 1.41 times the 1-year: p = 0.5, a random walk.
    walk = bp.horizon_power(bp._known(frame(2**0.5)), np.full(600, True), 1)
    assert walk is not None and walk[0] == pytest.approx(0.5) and walk[1] == 2
    # Three times as wide is more than a wrong rate: held to 1.
    assert bp.horizon_power(bp._known(frame(3.0)), np.full(600, True), 1) == (1.0, 2)
    fc = frame(2**0.75)  # p = 0.75
    # By 2021 the 1-year errors of 2019 and 2020 are known (k = 1), and the 2-year errors of
    # 2019 alone: too few for a 2-year band, enough (150 pairs) to measure p.
    sample = bp.error_sample(fc, "growth", 2021, 3, "size+horizon")
    assert sample is not None and sample.widen == pytest.approx(3**0.75)
    assert "from 1- and 2-year errors" in sample.basis
    assert bp.error_sample(fc, "growth", 2021, 3, "size").widen == pytest.approx(3.0)
    # By 2022 the 2-year errors make the band (k = 2) and nothing longer is known: h / k.
    late = bp.error_sample(fc, "growth", 2022, 3, "size+horizon")
    assert late is not None and late.widen == pytest.approx(1.5)


def test_forecasts_carry_each_councils_size_at_the_origin():
    p = panel([exponential(100, 0.1, 5), exponential(5000, 0.05, 5)])
    fc = bp.forecasts(p, ["growth"], 2, [2020, 2021])
    at = fc.set_index(["origin", "row", "horizon"])["size"]
    assert at[(2020, 0, 2)] == pytest.approx(110.0) and at[(2021, 1, 1)] == p.caseload[1, 2]


def test_coverage_by_size_splits_each_origin_into_thirds():
    outcomes = pd.DataFrame({"method": "growth", "horizon": 1, "banded": True,
                             "origin": np.repeat([2022, 2023], 6),
                             "size": [1, 2, 3, 4, 5, 6, 60, 50, 40, 30, 20, 10],
                             "inside": [False, False, True, True, True, False] * 2})  # fmt: skip
    table = bp.coverage_by_size(outcomes, "growth").set_index(["horizon", "tercile"])
    assert table.loc[(1, "small"), "outcomes"] == 4
    assert table.loc[(1, "small"), "coverage"] == 0.25  # sizes 1, 2 (out), 10 (out), 20 (in)
    assert table.loc[(1, "middle"), "coverage"] == 1.0
    assert table.loc[(1, "large"), "coverage"] == 0.25
    assert table.loc[(2, "small"), "outcomes"] == 0


def test_coverage_by_origin_counts_each_origins_outcomes_above_inside_and_below():
    outcomes = pd.DataFrame({
        "method": "growth", "horizon": 1, "banded": [True] * 5 + [False],
        "origin": [2022, 2022, 2022, 2023, 2023, 2023],
        "projected": 100.0, "lower_80": 90.0, "upper_80": 110.0,
        "actual": [95.0, 120, 80, 111, 130, 100],
    })  # fmt: skip
    outcomes["inside"] = outcomes["actual"].between(outcomes["lower_80"], outcomes["upper_80"])
    table = bp.coverage_by_origin(outcomes, "growth").set_index("origin")
    assert table.loc[2022, "outcomes"] == 3 and table.loc[2023, "outcomes"] == 2  # unbanded out
    assert table.loc[2022, "coverage"] == pytest.approx(1 / 3)
    assert table.loc[2022, "above"] == pytest.approx(1 / 3)
    assert table.loc[2022, "below"] == pytest.approx(1 / 3)
    assert table.loc[2022, "median_surprise"] == pytest.approx(-5.0)  # of -5, +20, -20
    assert table.loc[2023, "coverage"] == 0 and table.loc[2023, "above"] == 1
    assert table.loc[2023, "median_surprise"] == pytest.approx(20.5)  # of +11, +30
    assert bp.coverage_by_origin(outcomes, "linear").empty


def test_scores_on_hand_made_outcomes():
    rows = pd.DataFrame({
        "method": "growth", "origin": [2020, 2020, 2021, 2021], "horizon": 1,
        "row": [0, 1, 0, 1], "projected": [110.0, 90, 100, 100],
        "actual": [100.0, 100, 100, 125], "lower_80": [95.0, 95, 90, 90],
        "upper_80": [105.0, 105, 110, 110],
    })  # fmt: skip
    rows["target"] = rows["origin"] + 1
    out = bp.score(bp.scored_outcomes(rows, ["growth"]), ["growth"])
    one = out[out["horizon"] == 1].iloc[0]
    assert one["outcomes"] == 4 and one["origins"] == [2020, 2021]
    assert one["median_ape"] == pytest.approx(10.0)  # 10, 10, 0, 20
    assert one["mean_ape"] == pytest.approx(10.0)
    assert one["bias"] == pytest.approx(-5.0)  # +10, -10, 0, -20
    assert one["coverage"] == pytest.approx(0.75)  # 125 is outside 90..110


def test_versus_is_reproducible_and_zero_against_itself():
    rng = np.random.default_rng(3)
    outcomes = pd.DataFrame({"method": np.repeat(["a", "b"], 200), "horizon": 3,
                             "origin": np.tile(np.repeat([2021, 2022], 100), 2),
                             "row": np.tile(np.arange(100), 4),
                             "ape": np.concatenate([rng.uniform(0, 10, 200),
                                                    rng.uniform(5, 15, 200)])})  # fmt: skip
    first = bp.versus(outcomes, "a", "b", 3, seed=1)
    assert bp.versus(outcomes, "a", "b", 3, seed=1) == first
    assert first[1] <= first[0] <= first[2] < 0
    assert bp.versus(outcomes, "a", "a", 3, seed=1) == (0.0, 0.0, 0.0)
