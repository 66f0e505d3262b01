"""The ``project`` stage of the pipeline: every casework projection from one analysis.

:func:`make_projections` takes what the earlier stages made (the validated tables, the
evaluated cases, the rules) and the as-at date, and returns a
:class:`~ehcp_timeliness.project.models.Projections`. It reads no file and calls no engine
but the back-test's re-evaluation of earlier origins.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd

from ehcp_timeliness.clocks.rules import IntervalRule, RuleSet
from ehcp_timeliness.project.backlog import (
    ORDER_TEXT,
    BacklogModel,
    estimate,
    next_quarter,
    project_backlog,
)
from ehcp_timeliness.project.backtest import run_backtest
from ehcp_timeliness.project.caseload import (
    caseload_at,
    default_caseload_date,
    project_caseload,
)
from ehcp_timeliness.project.cliff import deadline_cliff
from ehcp_timeliness.project.history import day_of, request_flows
from ehcp_timeliness.project.models import (
    Answer,
    CaseloadProjection,
    Cliff,
    FlowProjection,
    Projections,
    ReviewProjection,
    SeriesPart,
)
from ehcp_timeliness.project.options import ProjectionOptions
from ehcp_timeliness.project.reviews import project_reviews
from ehcp_timeliness.report import PLAN_20W


def plan_rule_days(rules: RuleSet) -> int | None:
    """The 20-week rule's limit in days, where it is in force as an interval in days or weeks."""
    rule = next((r for r in rules.enabled if r.id == PLAN_20W), None)
    if isinstance(rule, IntervalRule) and rule.limit.total_days is not None:
        return rule.limit.total_days
    return None


def make_projections(
    tables: dict[str, pd.DataFrame],
    cases: pd.DataFrame,
    rules: RuleSet,
    as_at: date,
    options: ProjectionOptions,
) -> Projections:
    """Every casework projection as at ``as_at`` (see the package docstring)."""
    origin = day_of(as_at)
    notes: list[str] = []
    cliff = deadline_cliff(cases, rules, as_at, options.horizon_weeks)
    limit_days = plan_rule_days(rules)
    requests = tables.get("requests", pd.DataFrame())
    flows = None
    model: BacklogModel | None = None
    flow: FlowProjection | None = None
    if limit_days is None:
        notes.append("the plan-20w rule is not in force as a limit in weeks or days, so the "
                     "assessment backlog is not projected")  # fmt: skip
    elif requests.empty:
        notes.append("the extract has no usable requests, so the assessment backlog is not "
                     "projected")  # fmt: skip
    else:
        flows = request_flows(requests, limit_days)
        estimated = estimate(flows, origin, options)
        if isinstance(estimated, str):
            notes.append(estimated)
        else:
            model = estimated
            flow = project_backlog(model, options)
    plans = tables.get("plans", pd.DataFrame())
    base = model.runs[0] if model is not None else None
    caseload_run = project_caseload(
        plans, origin, flows=flows if model is not None else None,
        issued_central=None if base is None else base.central.issued,
        issued_draws=None if base is None else base.draws.issued,
        draws=options.draws, seed=options.seed,
    ) if not plans.empty else None  # fmt: skip
    if caseload_run is None:
        notes.append("the extract has no usable plans, so neither the caseload nor the annual "
                      "reviews are projected")  # fmt: skip
    reviews = None
    if caseload_run is not None:
        months = max(1, math.ceil(options.horizon_weeks * 7 / (365.25 / 12)))
        reviews = project_reviews(
            cases, caseload_run.plan_cease, origin, months,
            new_plans_central=caseload_run.new_central,
            new_plans_draws=caseload_run.new_draws, cessation_rate=caseload_run.cessation_rate,
            draws=options.draws, seed=options.seed,
        )  # fmt: skip
        if reviews is None:
            notes.append("the review-12m rule is not in force, so annual reviews are not "
                         "projected")  # fmt: skip
    caseload = caseload_run.projection if caseload_run is not None else None
    backtest = None
    if options.backtest:
        if limit_days is None or requests.empty:
            notes.append("no back-test: there is no assessment backlog projection to test")
        else:
            backtest, more = run_backtest(tables, as_at, limit_days, options)
            notes += more
    return Projections(
        as_at=as_at, horizon_weeks=options.horizon_weeks, seed=options.seed,
        draws=options.draws,
        answers=answers(as_at, options, cliff, flow, reviews, caseload),
        assumptions=assumptions(flow, caseload, reviews), notes=notes, cliff=cliff, flow=flow,
        reviews=reviews, caseload=caseload, backtest=backtest,
    )  # fmt: skip


def _n(x: float) -> str:
    return f"{x:,.0f}"


def _pct(x: float) -> str:
    return f"{x:.0%}"


def answers(as_at: date, options: ProjectionOptions, cliff: Cliff, flow: FlowProjection | None,
            reviews: ReviewProjection | None,
            caseload: CaseloadProjection | None) -> list[Answer]:  # fmt: skip
    """A one-line plain-English answer to each board question."""
    out = []
    q1 = "When will the assessment backlog clear?"
    if flow is not None:
        base = flow.scenarios[0]
        last = max(base.overdue)
        now = next(w for w in reversed(flow.weeks) if w.actual)
        if base.overdue_clears is not None:
            text = (f"At today's capacity the backlog past 20 weeks ({_n(now.overdue.value)} "
                    f"now) is projected to clear by {base.overdue_clears:%d %B %Y}.")  # fmt: skip
        else:
            b = base.overdue[last]
            text = (f"Not within {last} weeks at today's capacity: {_n(now.overdue.value)} "
                    f"requests are past 20 weeks now and {_n(b.value)} are projected in {last} "
                    f"weeks (80% band {_n(b.lower)} to {_n(b.upper)}).")  # fmt: skip
        for t in flow.targets:
            if t.question.startswith("What weekly completion rate"):
                text += " " + t.answer
        out.append(Answer(question=q1, answer=text))
    else:
        out.append(Answer(question=q1, answer="Not projected: see the notes."))
    q2 = "What will the 20-week rate be next quarter?"
    rate = flow.scenarios[0].next_quarter_rate if flow is not None else None
    if flow is not None and rate is not None:
        start, end = next_quarter(day_of(as_at))
        recent = [m for m in flow.months if m.actual and m.rate_excluding_exceptions][-3:]
        done = sum(m.issued.value for m in recent)
        met = sum(m.issued.value * m.rate_excluding_exceptions.value for m in recent
                  if m.rate_excluding_exceptions is not None)  # fmt: skip
        before = f", against {met / done:.0%} in the last 3 months" if done else ""
        out.append(Answer(question=q2, answer=(
            f"{rate.value:.0%} of plans issued {start.astype(date):%B} to "
            f"{end.astype(date):%B %Y} are projected within 20 weeks, excluding exceptions "
            f"(80% band {rate.lower:.0%} to {rate.upper:.0%}){before}.")))  # fmt: skip
    else:
        out.append(Answer(question=q2, answer="Not projected: see the notes."))
    for t in flow.targets if flow is not None else []:
        if t.question.startswith("By when"):
            out.append(Answer(question=t.question, answer=t.answer))
    q3 = "How many annual reviews fall due each month?"
    if reviews is not None:
        ahead = [m for m in reviews.months if not m.actual]
        due = np.array([m.due.value for m in ahead])
        final = ahead[-1]
        out.append(Answer(question=q3, answer=(
            f"About {_n(due.mean())} a month over the next {len(ahead)} months ({_n(due.min())} "
            f"to {_n(due.max())}); {_n(reviews.overdue_now)} are overdue now and "
            f"{_n(final.overdue.value)} are projected overdue by "
            f"{np.datetime64(final.month, 'M').astype(date):%B %Y}, with reviews held "
            f"{reviews.how_held}.")))  # fmt: skip
    else:
        out.append(Answer(question=q3, answer="Not projected: see the notes."))
    q4 = "How many children will have a plan?"
    if caseload is not None:
        when = options.caseload_date or default_caseload_date(caseload)
        month = caseload_at(caseload, when) if when is not None else None
        if month is not None:
            text = (f"{_n(month.live.value)} live plans projected at {month.month_end:%d %B %Y} "
                    f"(80% band {_n(month.live.lower)} to {_n(month.live.upper)}), against "
                    f"{_n(caseload.live_now)} now.")  # fmt: skip
            if options.caseload_target is not None:
                goal = options.caseload_target
                live = month.live
                where = (
                    "within the band"
                    if live.lower <= goal <= live.upper
                    else "above the band"
                    if goal > live.upper
                    else "below the band"
                )
                text += f" The expected {_n(goal)} is {where}."
                q4 = f"Will we reach {_n(goal)} children with plans by {month.month_end:%B %Y}?"
            out.append(Answer(question=q4, answer=text))
        else:
            out.append(Answer(question=q4, answer="The date asked for is beyond the 36 months "
                              "projected."))  # fmt: skip
    else:
        out.append(Answer(question=q4, answer="Not projected: see the notes."))
    plan = next((r for r in cliff.rules if r.rule == PLAN_20W), None)
    if plan is not None:
        four = sum(plan.weekly[:4])
        out.append(Answer(question="How many open requests reach 20 weeks soon?", answer=(
            f"{_n(four)} of the {_n(plan.open)} requests still within 20 weeks pass it in the "
            "next 4 weeks if no plan is issued.")))  # fmt: skip
    return out


def _trend_words(part: SeriesPart) -> str:
    """A series' trend as the projection uses it: carried forward and fading, or not at all."""
    if part.trend_projected:
        return (f"a trend of {part.growth_per_year:+.0%} a year that fades (half of it gone in "
                "about 69 weeks)")  # fmt: skip
    return (f"held level: its trend over that time ({part.growth_per_year:+.0%} a year) is not "
            "carried forward")  # fmt: skip


def assumptions(flow: FlowProjection | None, caseload: CaseloadProjection | None,
                reviews: ReviewProjection | None) -> list[str]:  # fmt: skip
    """What each projection assumes, in plain English, for the pack and the console."""
    out = [
        "The deadline cliff assumes nothing is completed: it counts open cases by the week "
        "their due date passes. It is exact, not a forecast.",
        "Bands are 80% bands: 8 in 10 of the simulated futures fall inside. They cover the ups "
        "and downs of recent weeks and the uncertainty of the estimated trends, not a change "
        "of policy, staffing or law.",
    ]
    if flow is not None:
        p = flow.parts
        a, c = p.arrivals, p.capacity
        out += [
            f"Requests keep arriving as over the last {a.weeks_of_history} weeks: about "
            f"{a.level_per_week:,.1f} a week now, {_trend_words(a)}"
            + (", and the same months busy and quiet as before." if a.seasonal
               else ", with no seasonal pattern (less than 2 years of history)."),
            f"Plans are issued at the recent capacity: about {c.level_per_week:,.1f} a week "
            f"now (the last 13 weeks averaged {c.recent_mean_per_week:,.1f}), "
            f"{_trend_words(c)}.",
            f"Requests leave without a plan (refused, no plan, withdrawn) at the rates by age "
            f"seen over the last {p.calibration_weeks} weeks; at those rates "
            f"{p.share_to_plan:.0%} of new requests end in a plan.",
            f"Plans go {ORDER_TEXT[p.order]} ({p.order}: {p.order_chosen_by})"
            + ("." if p.order != "oldest-first" else
               f"; none to a request younger than {p.youngest_plan_weeks} weeks."),
            f"The 20-week rate excluding exceptions assumes the recent shares of plans with an "
            f"exception flag: {p.exception_share_on_time:.0%} of those on time and "
            f"{p.exception_share_late:.0%} of those late.",
        ]  # fmt: skip
    if reviews is not None:
        out.append(
            f"Annual reviews are held {reviews.how_held}; each held review makes the next due "
            f"12 months later. Chosen: {reviews.order_chosen_by}."
            + ("" if reviews.how_decided is None else
               f" Review decisions are made {reviews.how_decided}.")
        )  # fmt: skip
    if caseload is not None:
        by = f"by {caseload.by}, as recorded" if caseload.by else "overall"
        out.append(
            f"Plans cease at last year's monthly rates ({by}; children are not moved between "
            f"groups as they age). New plans come from the {caseload.new_plans_source} "
            f"({caseload.new_plan_ratio:.2f} new plans in the plans table per plan issued from "
            "the requests table last year). The history is only as complete as the extract's "
            "record of plans that have ceased."
        )  # fmt: skip
    return out
