"""Error measures of the casework back-test (``project/backtest.py``). The back-test on DfE's
published figures (``project/backtest_published.py``) keeps its own, over councils: its bias
is a median, as its table in docs/projections.md says.

For projections ``p`` of actual values ``a`` over a set of origins:

* mean absolute error: mean of ``|p - a|``;
* mean and median absolute percentage error: of ``|p - a| / a``, over origins where ``a > 0``;
* bias: mean of ``p - a`` (positive: the method projects too high);
* coverage of the 80% band: the share of origins where ``lower <= a <= upper``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ehcp_timeliness.project.models import ErrorRow


@dataclass(frozen=True)
class Errors:
    """The measures above for one set of projections (None where they cannot be computed)."""

    n: int
    mean_abs_error: float
    mean_abs_pct_error: float | None
    median_abs_pct_error: float | None
    bias: float
    coverage_80: float | None


def errors(projected: np.ndarray, actual: np.ndarray, lower: np.ndarray | None = None,
           upper: np.ndarray | None = None) -> Errors:  # fmt: skip
    """Every measure, for projections of ``actual`` (any unit, any horizon); the band's
    coverage only when ``lower`` and ``upper`` are given."""
    p, a = np.asarray(projected, dtype=float), np.asarray(actual, dtype=float)
    err = p - a
    positive = a > 0
    ape = np.abs(err[positive]) / a[positive]
    coverage = None
    if lower is not None and upper is not None and len(a):
        coverage = float(((np.asarray(lower) <= a) & (a <= np.asarray(upper))).mean())
    return Errors(
        n=len(a),
        mean_abs_error=float(np.abs(err).mean()) if len(a) else 0.0,
        mean_abs_pct_error=float(ape.mean()) if len(ape) else None,
        median_abs_pct_error=float(np.median(ape)) if len(ape) else None,
        bias=float(err.mean()) if len(a) else 0.0,
        coverage_80=coverage,
    )


def _round(x: float | None, digits: int) -> float | None:
    return None if x is None else round(x, digits)


def error_row(quantity: str, weeks_ahead: int, method: str, projected: np.ndarray,
              actual: np.ndarray, lower: np.ndarray | None = None,
              upper: np.ndarray | None = None) -> ErrorRow:  # fmt: skip
    """:func:`errors` as a row of the casework back-test's table."""
    e = errors(projected, actual, lower, upper)
    return ErrorRow(
        quantity=quantity, weeks_ahead=weeks_ahead, method=method, origins=e.n,
        mean_abs_error=round(e.mean_abs_error, 2),
        mean_abs_pct_error=_round(e.mean_abs_pct_error, 4),
        median_abs_pct_error=_round(e.median_abs_pct_error, 4), bias=round(e.bias, 2),
        coverage_80=_round(e.coverage_80, 3),
    )  # fmt: skip
