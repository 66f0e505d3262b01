"""What ``ehcp project`` reports: pydantic models, so ``--json`` is their dump.

:class:`Projections` holds one part per board question, each computed from the council's own
casework. A part that cannot be computed from the extract (no requests, no plan-20w rule in
force) is ``None`` and :attr:`Projections.notes` says why.

The published-data projections (DfE's caseload figures, ``--published``) are a separate part
still to come; see docs/projections.md.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict

from ehcp_timeliness import __version__

SCHEMA_VERSION = 1


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class Band(_Model):
    """A projected value with its 80% band (10th and 90th percentiles of the draws)."""

    value: float
    lower: float
    upper: float


class CliffRule(_Model):
    """Open cases of one rule by the week they pass their due date, if nothing is completed."""

    rule: str
    title: str
    open: int
    overdue_now: int
    #: Cases passing their due date in week 1, 2, ... of the horizon.
    weekly: list[int]
    beyond_horizon: int


class Cliff(_Model):
    """The deadline cliff: exact counts from the case list, no model.

    A case passes its due date in week k when the day after its due date falls in week k
    (week 1 starts the day after the as-at date), so a case due on the as-at date itself passes
    it in week 1. For each rule, ``sum(weekly) + beyond_horizon == open``, the open count of
    ``ehcp report``.
    """

    week_ends: list[date]
    rules: list[CliffRule]


class SeriesPart(_Model):
    """An estimated weekly series: level, trend and seasonality (see ``project/series.py``)."""

    name: str
    weeks_of_history: int
    level_per_week: float
    recent_mean_per_week: float
    growth_per_year: float
    #: Whether the trend is carried into the projection (fading), or only estimated and shown.
    trend_projected: bool
    seasonal: bool
    #: Month (Jan..Dec) -> multiplicative effect; all 1.0 without seasonality.
    monthly_factors: dict[str, float]


class OrderFit(_Model):
    """How well one completion order would have projected the last weeks of history: mean
    absolute errors of the weekly open and past-20-week backlogs and of the plans issued on
    time each week, and their sum, each relative to its actual mean (lowest wins)."""

    order: str
    weeks: int
    mean_abs_error_overdue: float
    mean_abs_error_open: float
    mean_abs_error_on_time: float
    score: float


class FlowParts(_Model):
    """Every estimated part of the stock-flow model, as printed."""

    calibration_weeks: int
    arrivals: SeriesPart
    capacity: SeriesPart
    #: Share of requests received recently that end in a plan, at the estimated exit rates.
    share_to_plan: float
    #: Of requests decided, the share the council agreed to assess; of assessments
    #: concluded, the share ending in a plan (both over the calibration window).
    share_assessed: float | None
    share_assessed_to_plan: float | None
    #: Weekly rate of leaving without a plan, by weeks since the request (bands of ages).
    leave_rate_by_age: dict[str, float]
    #: Youngest age (weeks) at which a plan is issued, the 5th percentile recently.
    youngest_plan_weeks: int
    order: str
    order_chosen_by: str
    order_fits: list[OrderFit]
    limit_weeks: int
    exception_share_on_time: float
    exception_share_late: float


class FlowWeek(_Model):
    """One week of the backlog: actual (history) or projected, with the band."""

    week_end: date
    actual: bool
    open: Band
    overdue: Band
    issued: Band
    #: Plans issued in the weeks 1..k of the projection (0 for history).
    issued_to_date: Band


class MonthRate(_Model):
    """The 20-week rate of plans issued in a month, actual or projected."""

    month: str
    actual: bool
    issued: Band
    rate_including_exceptions: Band | None
    rate_excluding_exceptions: Band | None


class Scenario(_Model):
    """A named change to arrivals and capacity: ``capacity +20%``."""

    name: str
    capacity_factor: float = 1.0
    capacity_add: float = 0.0
    arrivals_factor: float = 1.0
    arrivals_add: float = 0.0


class ScenarioResult(_Model):
    scenario: Scenario
    #: Weeks ahead -> open backlog and past-limit backlog at that week end.
    open: dict[int, Band]
    overdue: dict[int, Band]
    issued: dict[int, Band]
    #: The first week end the past-limit backlog is below one case, central projection.
    overdue_clears: date | None
    #: The 20-week rate (excluding exceptions) in the next quarter.
    next_quarter_rate: Band | None


class TargetAnswer(_Model):
    question: str
    answer: str
    #: The weekly completions needed (clear-by), or the month reached (rate target).
    value: float | None = None
    when: date | None = None


class FlowProjection(_Model):
    parts: FlowParts
    weeks: list[FlowWeek]
    months: list[MonthRate]
    scenarios: list[ScenarioResult]
    targets: list[TargetAnswer]


class ReviewMonth(_Model):
    month: str
    actual: bool
    #: Reviews falling due in the month (from live plans, and new plans' first reviews).
    due: Band
    held: Band
    #: Reviews due and not held at the month end.
    overdue: Band
    #: Review decisions awaited at the month end, and those awaited more than 4 weeks.
    decisions_awaited: Band | None
    decisions_over_limit: Band | None


class ReviewOrderFit(_Model):
    """How well one way of projecting meetings and decisions would have projected the last
    months: mean absolute errors of the meetings a month, the reviews overdue and the decisions
    awaited at each month end (None without a decisions clock), and their sum over the actual
    meetings a month (lowest wins)."""

    order: str
    months: int
    mean_abs_error_held: float
    mean_abs_error_overdue: float
    mean_abs_error_awaited: float | None
    score: float


class ReviewProjection(_Model):
    #: How meetings are projected: ``capacity`` or ``timing``; why; the hold-out behind it;
    #: and the plain-English phrase the outputs use.
    order: str
    order_chosen_by: str
    order_fits: list[ReviewOrderFit]
    how_held: str
    how_decided: str | None
    held_per_month: float
    decisions_per_month: float | None
    overdue_now: int
    pending_now: int
    decisions_awaited_now: int | None
    months: list[ReviewMonth]


class CaseloadMonth(_Model):
    month_end: date
    actual: bool
    live: Band
    new_plans: Band
    ceased: Band


class CessationRate(_Model):
    group: str
    live: int
    monthly_rate: float
    share_of_new_plans: float


class CaseloadProjection(_Model):
    #: The dimension cessation rates are taken by (age_group...), or None for overall.
    by: str | None
    rates: list[CessationRate]
    #: New plans in the plans table per plan issued from the requests table, recently
    #: (transfers in and plans from requests outside the extract).
    new_plan_ratio: float
    new_plans_source: str
    live_now: int
    months: list[CaseloadMonth]


class ErrorRow(_Model):
    """Errors of one method, for one quantity at one horizon, over the back-test origins."""

    quantity: str
    weeks_ahead: int
    method: str
    origins: int
    mean_abs_error: float
    mean_abs_pct_error: float | None
    median_abs_pct_error: float | None
    bias: float
    coverage_80: float | None


class BacktestOrigin(_Model):
    origin: date
    weeks_ahead: int
    quantity: str
    actual: float
    projected: float
    lower: float
    upper: float
    persistence: float
    seasonal_naive: float | None


class Backtest(_Model):
    """Projections re-run at earlier dates on the tables as recorded then, against what
    happened (``project/backtest.py``)."""

    origins: list[date]
    horizons: list[int]
    errors: list[ErrorRow]
    detail: list[BacktestOrigin]


class Answer(_Model):
    """A one-line plain-English answer to a board question."""

    question: str
    answer: str


class Projections(_Model):
    """Everything ``ehcp project`` reports; ``--json`` writes its dump."""

    schema_version: int = SCHEMA_VERSION
    tool_version: str = __version__
    as_at: date
    horizon_weeks: int
    seed: int
    draws: int
    answers: list[Answer]
    assumptions: list[str]
    notes: list[str]
    cliff: Cliff
    flow: FlowProjection | None
    reviews: ReviewProjection | None
    caseload: CaseloadProjection | None
    backtest: Backtest | None = None
