"""A weekly count's level, trend and school-year seasonality, and draws of its future.

The model, fitted by least squares to ``log(count + 0.5)`` over a window of recent weeks:

    log(count + 0.5) = a + growth x weeks + season(month of the week)

* ``season`` is one effect per calendar month (summing to zero), fitted only when the window
  holds at least two whole years, so each month is seen twice; otherwise there is none. The
  school year shows in requests as a fall over the summer holiday and at Christmas.
* The **level** the projection starts from is the mean of the last ``RECENT`` weeks, each
  seasonally adjusted and carried along the trend to the origin: recent weeks, not the
  regression line's end, which a short or uneven history can swing.
* ``growth`` is damped when projected: each week ahead adds a little less than the one before
  (``DAMPING`` per week), so a trend is carried forward for a year or so, not for ever. A fit
  may be asked to carry no trend at all (``trend=False``): its growth is estimated and printed,
  but not projected.

Draws for the band come from a moving-block bootstrap of the last year's residuals (blocks of
``BLOCK`` weeks keep runs of busy and quiet weeks together): each draw refits the model on the
fitted values plus resampled residuals, so the trend and seasons vary; resamples the recent
weeks the level is taken from; lets the level wander as a random walk as far as it has
wandered in the history (``drift``: the spread of the change between successive 13-week means
of the residuals, beyond what weekly noise alone would make); and adds resampled residual
blocks to the weeks ahead, so the weeks vary too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
#: Weeks per block in the bootstrap.
BLOCK = 4
#: Each week ahead carries this much of the previous week's growth (a half-life of 69 weeks).
DAMPING = 0.99
#: Weeks of history needed before seasonality is fitted.
SEASONAL_WEEKS = 104
#: Weeks of residuals resampled for the band.
RESAMPLED_WEEKS = 52
#: Whether month effects are shrunk toward none by how far they stand out from noise.
SHRINK = True
#: Recent weeks whose mean sets the level the projection starts from.
RECENT = 13


def month_of_week(week_ends: np.ndarray) -> np.ndarray:
    """Calendar month (0-11) of the middle day of each week, given its last day (day number)."""
    middle = (np.asarray(week_ends, dtype=np.int64) - 3).astype("datetime64[D]")
    return (middle.astype("datetime64[M]").astype(np.int64) % 12).astype(np.int64)


def damped(steps: np.ndarray, phi: float = DAMPING) -> np.ndarray:
    """The trend's weeks of growth after ``steps`` weeks ahead: phi + phi^2 + ... + phi^h."""
    steps = np.asarray(steps, dtype=float)
    if phi >= 1:
        return steps
    return phi * (1 - phi**steps) / (1 - phi)


@dataclass
class SeriesFit:
    """A fitted weekly series (see the module docstring)."""

    name: str
    weeks: int  # weeks of history in the fit
    seasonal: bool
    trend: bool  # whether the growth is carried forward
    coef: np.ndarray  # a, growth per week, then 11 month effects when seasonal
    residuals: np.ndarray  # of the fit, oldest first
    observed: np.ndarray  # the counts fitted
    months: np.ndarray  # calendar month (0-11) of each week fitted
    phi: float = DAMPING
    #: Weekly standard deviation of the random walk of the log level (see the docstring).
    drift: float = 0.0

    @property
    def _x(self) -> np.ndarray:
        return design(np.arange(-self.weeks + 1, 1, dtype=float), self.months, self.seasonal)

    def _start(self, z: np.ndarray, coef: np.ndarray, picks: np.ndarray | None = None
               ) -> np.ndarray:  # fmt: skip
        """Log level at the origin from the last weeks of ``z`` (weeks x draws), given
        ``coef`` (params x draws); ``picks`` (RECENT x draws) resamples those weeks."""
        x = self._x[-RECENT:]
        growth = coef[1] if self.trend else np.zeros(coef.shape[1])
        adjusted = z[-RECENT:] - x[:, 2:] @ coef[2:] - x[:, 1:2] * growth[None, :]
        if picks is not None:
            adjusted = np.take_along_axis(adjusted, picks, axis=0)
        return np.log(np.exp(adjusted).mean(axis=0))

    @property
    def level(self) -> float:
        """Seasonally adjusted count per week at the origin."""
        z = np.log(self.observed + 0.5)[:, None]
        return float(np.exp(self._start(z, self.coef[:, None])[0]) - 0.5)

    @property
    def growth_per_year(self) -> float:
        """The estimated trend, whether or not it is carried forward."""
        return float(np.exp(52 * self.coef[1]) - 1)

    @property
    def season(self) -> list[float]:
        """Multiplicative effect of each calendar month (1.0 = an average month)."""
        if not self.seasonal:
            return [1.0] * 12
        effects = np.r_[self.coef[2:], -self.coef[2:].sum()]
        return [float(x) for x in np.exp(effects)]

    @property
    def recent_mean(self) -> float:
        return float(self.observed[-13:].mean()) if len(self.observed) else 0.0

    def _future(self, months: np.ndarray, coef: np.ndarray, start: np.ndarray) -> np.ndarray:
        """Log counts + 0.5 of the weeks ahead (weeks x draws)."""
        x = design(damped(np.arange(1, len(months) + 1), self.phi), months, self.seasonal)
        growth = coef[1] if self.trend else np.zeros(coef.shape[1])
        return start[None, :] + x[:, 1:2] * growth[None, :] + x[:, 2:] @ coef[2:]

    def point(self, months: np.ndarray) -> np.ndarray:
        """The projected count in each of the weeks ahead (1, 2, ...), whose months are given."""
        z = np.log(self.observed + 0.5)[:, None]
        start = self._start(z, self.coef[:, None])
        return np.maximum(np.exp(self._future(months, self.coef[:, None], start)[:, 0]) - 0.5, 0)

    def draws(self, months: np.ndarray, rng: np.random.Generator, ahead: np.ndarray) -> np.ndarray:
        """Draws of the weeks ahead, shape ``(n, weeks)``: one per row of ``ahead``, the
        positions (0 to 1) of the residual blocks to add to the weeks ahead. Series given the
        same ``ahead`` have their busy and quiet weeks together."""
        n, h = ahead.shape[0], len(months)
        if n == 0 or h == 0 or self.weeks == 0:
            return np.broadcast_to(self.point(months), (n, h)).copy()
        res = self.residuals[-RESAMPLED_WEEKS:]
        x = self._x
        # Refit on the fitted values plus a resampled residual series: varies trend and seasons.
        z_star = (x @ self.coef)[:, None] + resample(res, rng.random((n, blocks(self.weeks))),
                                                     self.weeks).T  # fmt: skip
        coef = np.linalg.pinv(x) @ z_star  # (params, n): one solve for every draw
        # The level: the recent weeks as they were, resampled, under each draw's trend and seasons.
        recent = min(RECENT, self.weeks)
        picks = rng.integers(0, recent, size=(recent, n))
        z = np.broadcast_to(np.log(self.observed + 0.5)[:, None], (self.weeks, n))
        start = self._start(z, coef, picks)
        noise = resample(res, ahead, h).T - np.log(np.exp(res).mean())
        walk = np.cumsum(rng.normal(0.0, self.drift, (h, n)), axis=0)
        return np.maximum(np.exp(self._future(months, coef, start) + noise + walk) - 0.5, 0.0).T


def design(trend: np.ndarray, months: np.ndarray, seasonal: bool) -> np.ndarray:
    """Columns: 1, trend, and 11 sum-to-zero month effects when ``seasonal``."""
    cols = [np.ones(len(trend)), np.asarray(trend, dtype=float)]
    if seasonal:
        for m in range(11):
            cols.append((months == m).astype(float) - (months == 11).astype(float))
    return np.column_stack(cols)


def fit(name: str, counts: np.ndarray, week_ends: np.ndarray, *, seasonal: bool | None = None,
        trend: bool = True, phi: float = DAMPING) -> SeriesFit:  # fmt: skip
    """Fit a weekly series (oldest first, the last week ending on the origin)."""
    counts = np.asarray(counts, dtype=float)
    n = len(counts)
    months = month_of_week(week_ends)
    if seasonal is None:
        seasonal = n >= SEASONAL_WEEKS
    x = design(np.arange(-n + 1, 1, dtype=float), months, seasonal)
    z = np.log(counts + 0.5)
    if n >= x.shape[1] + 2:
        coef = np.linalg.lstsq(x, z, rcond=None)[0]
        if seasonal and SHRINK:
            coef[2:] *= season_shrinkage(coef, z - x @ coef, n)
    else:  # too short for a trend: the mean level only
        coef = np.zeros(x.shape[1])
        coef[0] = z.mean() if n else np.log(0.5)
    residuals = z - x @ coef
    return SeriesFit(name, n, seasonal, trend, coef, residuals, counts, months, phi,
                     drift(residuals))  # fmt: skip


def drift(residuals: np.ndarray, span: int = 13) -> float:
    """Weekly standard deviation of a random walk in the level that would explain how much the
    means of successive ``span`` weeks of ``residuals`` differ, beyond their noise."""
    if len(residuals) < 2 * span + 4:
        return 0.0
    means = np.convolve(residuals, np.ones(span) / span, mode="valid")
    steps = means[span:] - means[:-span]
    excess = steps.var() - 2 * residuals.var() / span
    return float(np.sqrt(max(excess, 0.0) / span))


def season_shrinkage(coef: np.ndarray, residuals: np.ndarray, n: int) -> float:
    """How much of the fitted month effects to keep: ``1 - noise / spread``, at least 0.

    ``spread`` is the mean square of the 12 month effects; ``noise`` what a month effect's
    square would be from weekly noise alone (the residual variance over the weeks in a month).
    Months that differ no more than noise would make them are taken as the same (an empirical
    Bayes shrinkage), so a history without seasons is not given made-up ones."""
    effects = np.r_[coef[2:], -coef[2:].sum()]
    spread = float((effects**2).mean())
    noise = float(residuals.var()) / max(n / 12, 1.0)
    return max(0.0, 1 - noise / spread) if spread > 0 else 0.0


def blocks(length: int) -> int:
    """Blocks of :data:`BLOCK` weeks needed to cover ``length`` weeks."""
    return max(1, -(-length // BLOCK))


def resample(residuals: np.ndarray, positions: np.ndarray, length: int) -> np.ndarray:
    """Series of ``length`` weeks built from blocks of ``residuals``: one series per row of
    ``positions`` (numbers from 0 to 1 placing each block's start), shape ``(n, length)``."""
    k = len(residuals)
    n = positions.shape[0]
    if k == 0:
        return np.zeros((n, length))
    need = blocks(length)
    if positions.shape[1] < need:  # fewer positions than blocks: reuse them in turn
        positions = np.tile(positions, (1, -(-need // positions.shape[1])))
    starts = np.floor(positions[:, :need] * max(k - BLOCK + 1, 1)).astype(np.int64)
    index = (starts[:, :, None] + np.arange(BLOCK)[None, None, :]).reshape(n, -1)[:, :length]
    return residuals[np.minimum(index, k - 1)]
