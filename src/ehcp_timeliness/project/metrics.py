"""Error measures for back-tests, shared by every projection that is measured against what
happened (the casework back-test here; the published-data back-test can use the same).

For projections ``p`` of actual values ``a`` over a set of origins:

* mean absolute error: mean of ``|p - a|``;
* mean and median absolute percentage error: of ``|p - a| / a``, over origins where ``a > 0``;
* bias: mean of ``p - a`` (positive: the method projects too high);
* coverage of the 80% band: the share of origins where ``lower <= a <= upper``.
"""

from __future__ import annotations

import numpy as np

from ehcp_timeliness.project.models import ErrorRow


def error_row(quantity: str, weeks_ahead: int, method: str, projected: np.ndarray,
              actual: np.ndarray, lower: np.ndarray | None = None,
              upper: np.ndarray | None = None) -> ErrorRow:  # fmt: skip
    p, a = np.asarray(projected, dtype=float), np.asarray(actual, dtype=float)
    err = p - a
    positive = a > 0
    ape = np.abs(err[positive]) / a[positive]
    coverage = None
    if lower is not None and upper is not None and len(a):
        coverage = round(float(((np.asarray(lower) <= a) & (a <= np.asarray(upper))).mean()), 3)
    return ErrorRow(
        quantity=quantity, weeks_ahead=weeks_ahead, method=method, origins=len(a),
        mean_abs_error=round(float(np.abs(err).mean()), 2) if len(a) else 0.0,
        mean_abs_pct_error=round(float(ape.mean()), 4) if len(ape) else None,
        median_abs_pct_error=round(float(np.median(ape)), 4) if len(ape) else None,
        bias=round(float(err.mean()), 2) if len(a) else 0.0, coverage_80=coverage,
    )  # fmt: skip
