"""Projections from the council's own casework, back-tested (``ehcp project``).

Modules, in the order the stage runs them:

* ``history``: the weekly grid, the tables as recorded by a date (``as_recorded``), and each
  request's time in the assessment backlog (``request_flows``);
* ``cliff``: the deadline cliff, exact from the case list;
* ``series``: level, trend and seasonality of a weekly count, and bootstrap draws;
* ``flow``: the stock-flow of the backlog (exit rates by age, capacity, completion order);
* ``backlog``: the backlog projected for the baseline and each scenario, and the targets;
* ``caseload``: live plans by month, rebuilt and projected;
* ``reviews``: annual review workload by month;
* ``backtest`` and ``metrics``: the rolling-origin back-test and its error measures;
* ``run``: :func:`make_projections`, the stage itself; ``models`` and ``options``.

Projections from DfE's published figures (``ehcp project --published``) are to be added beside
these as their own modules; they share ``metrics`` and ``series`` (docs/projections.md).
"""

from ehcp_timeliness.project.options import ProjectionOptions

__all__ = ["ProjectionOptions"]
