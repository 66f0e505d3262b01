"""The board pack's Projections sheet set, assembled as data from a
:class:`~ehcp_timeliness.project.models.Projections` (``ehcp project --xlsx`` / ``--csv-dir``).

Sheets: Projections (the board questions answered, the scenario table, the estimated parts
and the assumptions), Backlog projection, Rate projection, Deadline cliff, Review projection,
Caseload projection, and Back-test when one was run. Each chart shows the actual history as a
solid line and the projection dashed, with its 80% band shaded. A projected series starts at
the last actual point, so the two lines meet.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from ehcp_timeliness.project.models import Band, Projections
from ehcp_timeliness.write.pack import Block, Chart, Format, Sheet

LOWER, UPPER = "lower 80%", "upper 80%"


def projection_sheets(p: Projections) -> list[Sheet]:
    """Every sheet of the set, in order (the parts not projected are left out)."""
    sheets = [_summary(p)]
    if p.flow is not None:
        sheets += [_backlog(p), _rates(p)]
    sheets.append(_cliff(p))
    if p.reviews is not None:
        sheets.append(_reviews(p))
    if p.caseload is not None:
        sheets.append(_caseload(p))
    if p.backtest is not None:
        sheets.append(_backtest(p))
    return sheets


def _pct(x: float | None) -> str:
    return "" if x is None else f"{x:.1%}"


def _summary(p: Projections) -> Sheet:
    answers = pd.DataFrame([(a.question, a.answer) for a in p.answers],
                           columns=["Question", "Answer"])  # fmt: skip
    blocks = [Block("Board questions", answers)]
    if p.flow is not None:
        rows = []
        for s in p.flow.scenarios:
            for k in sorted(s.open):
                rows.append({
                    "Scenario": s.scenario.name, "Weeks ahead": k,
                    "Open assessments": s.open[k].value, f"Open {LOWER}": s.open[k].lower,
                    f"Open {UPPER}": s.open[k].upper,
                    "Past 20 weeks": s.overdue[k].value, f"Past 20 weeks {LOWER}":
                    s.overdue[k].lower, f"Past 20 weeks {UPPER}": s.overdue[k].upper,
                    "Plans issued": s.issued[k].value, f"Plans issued {LOWER}":
                    s.issued[k].lower, f"Plans issued {UPPER}": s.issued[k].upper,
                    "Past-20-week backlog clears": s.overdue_clears,
                    "20-week rate next quarter": None if s.next_quarter_rate is None
                    else s.next_quarter_rate.value,
                })  # fmt: skip
        frame = pd.DataFrame(rows)
        formats: dict[str, Format] = {c: "int" for c in frame.columns if c not in (
            "Scenario", "Past-20-week backlog clears", "20-week rate next quarter")}  # fmt: skip
        formats["Past-20-week backlog clears"] = "date"
        formats["20-week rate next quarter"] = "percent"
        blocks.append(Block("Scenarios", frame, formats))
        blocks.append(Block("Estimated parts", _parts(p)))
        if p.flow.targets:
            blocks.append(
                Block(
                    "Targets",
                    pd.DataFrame(
                        [(t.question, t.answer) for t in p.flow.targets],
                        columns=["Question", "Answer"],
                    ),
                )
            )
    blocks.append(Block("Assumptions", pd.DataFrame({"Assumption": p.assumptions})))
    if p.notes:
        blocks.append(Block("Not projected", pd.DataFrame({"Note": p.notes})))
    return Sheet(
        "Projections", f"Projections from the casework as at {p.as_at:%d/%m/%Y}",
        [f"Projected {p.horizon_weeks} weeks ahead (caseload 36 months) from the council's own "
         f"extract; bands are 80% bands from {p.draws} simulated futures (seed {p.seed}). "
         "Every method is described, with its back-test, in docs/projections.md."],
        blocks,
    )  # fmt: skip


def _parts(p: Projections) -> pd.DataFrame:
    assert p.flow is not None
    f = p.flow.parts
    rows: list[tuple[str, str]] = []
    for s in (f.arrivals, f.capacity):
        rows += [
            (f"{s.name.capitalize()}: per week now (seasonally adjusted)",
             f"{s.level_per_week:,.1f}"),
            (f"{s.name.capitalize()}: last 13 weeks' average", f"{s.recent_mean_per_week:,.1f}"),
            (f"{s.name.capitalize()}: trend a year", f"{s.growth_per_year:+.1%}"),
            (f"{s.name.capitalize()}: weeks of history", f"{s.weeks_of_history}"),
            (f"{s.name.capitalize()}: month factors",
             ", ".join(f"{m} {v:.2f}" for m, v in s.monthly_factors.items())
             if s.seasonal else "none (less than 2 years)"),
        ]  # fmt: skip
    rows += [
        ("Share of new requests ending in a plan, at recent rates", _pct(f.share_to_plan)),
        ("Share of decisions agreeing to assess", _pct(f.share_assessed)),
        ("Share of assessments ending in a plan", _pct(f.share_assessed_to_plan)),
        ("Youngest request issued a plan (weeks)", str(f.youngest_plan_weeks)),
        ("Completion order", f"{f.order} ({f.order_chosen_by})"),
        *((f"Hold-out score, {o.order}", f"{o.score:.3f}") for o in f.order_fits),
        ("Exception flags among plans on time / late",
         f"{_pct(f.exception_share_on_time)} / {_pct(f.exception_share_late)}"),
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["Part", "Estimate"])


def _split(rows: list[Any], actual: Callable[[Any], bool], value: Callable[[Any], Band],
           name: str) -> dict[str, list[float | None]]:  # fmt: skip
    """Actual and projected columns, and the band, for one quantity; the projected column
    repeats the last actual value so the lines meet."""
    out: dict[str, list[float | None]] = {
        f"{name} (actual)": [], f"{name} (projected)": [], f"{name} {LOWER}": [],
        f"{name} {UPPER}": [],
    }  # fmt: skip
    last_actual = max((i for i, r in enumerate(rows) if actual(r)), default=None)
    for i, r in enumerate(rows):
        b = value(r)
        if actual(r):
            out[f"{name} (actual)"].append(b.value)
            joined = i == last_actual
            out[f"{name} (projected)"].append(b.value if joined else None)
            out[f"{name} {LOWER}"].append(b.value if joined else None)
            out[f"{name} {UPPER}"].append(b.value if joined else None)
        else:
            out[f"{name} (actual)"].append(None)
            out[f"{name} (projected)"].append(b.value)
            out[f"{name} {LOWER}"].append(b.lower)
            out[f"{name} {UPPER}"].append(b.upper)
    return out


def _chart(title: str, y_title: str, name: str, percent: bool = False) -> Chart:
    return Chart("line", title, y_title, [f"{name} (actual)", f"{name} (projected)"],
                 percent=percent, dashed=[f"{name} (projected)"],
                 band=(f"{name} {LOWER}", f"{name} {UPPER}"))  # fmt: skip


def _backlog(p: Projections) -> Sheet:
    assert p.flow is not None
    weeks = p.flow.weeks
    frame = pd.DataFrame({"Week ending": [pd.Timestamp(w.week_end) for w in weeks]})
    for name, get in (("Open assessments", lambda w: w.open),
                      ("Past 20 weeks", lambda w: w.overdue),
                      ("Plans issued", lambda w: w.issued)):  # fmt: skip
        for column, values in _split(weeks, lambda w: w.actual, get, name).items():
            frame[column] = values
    formats: dict[str, Format] = {"Week ending": "date"}
    formats |= {c: "number" for c in frame.columns[1:]}
    return Sheet(
        "Backlog projection", "Open assessments, past 20 weeks, and plans issued, by week",
        ["Actual weeks are rebuilt from the extract's requests (each request waits from its "
         "receipt until its plan is issued or it leaves without one); projected weeks are the "
         "central projection with its 80% band. Weeks end on the as-at date's weekday."],
        [Block("Backlog by week", frame, formats)],
        [_chart("Open assessments: actual and projected", "Requests waiting", "Open assessments"),
         _chart("Requests past 20 weeks: actual and projected", "Requests", "Past 20 weeks")],
    )  # fmt: skip


def _rates(p: Projections) -> Sheet:
    assert p.flow is not None
    months = p.flow.months
    frame = pd.DataFrame({"Month": [pd.Timestamp(m.month) for m in months]})

    def rate(m: Any) -> Band:
        r = m.rate_excluding_exceptions
        return r if r is not None else Band(value=float("nan"), lower=float("nan"),
                                            upper=float("nan"))  # fmt: skip

    for column, values in _split(months, lambda m: m.actual, rate, "20-week rate").items():
        frame[column] = values
    for column, values in _split(months, lambda m: m.actual, lambda m: m.issued,
                                 "Plans issued").items():  # fmt: skip
        frame[column] = values
    formats: dict[str, Format] = {"Month": "month"}
    formats |= {c: "percent" if c.startswith("20-week") else "number" for c in frame.columns[1:]}
    return Sheet(
        "Rate projection", "Plans issued within 20 weeks (excluding exceptions), by month",
        ["The 20-week rate of plans issued in each month, excluding exceptions as DfE's "
         "headline does: actual for the last 12 whole months, then projected."],
        [Block("20-week rate by month", frame, formats)],
        [_chart("20-week rate, excluding exceptions", "Within 20 weeks", "20-week rate",
                percent=True)],
    )  # fmt: skip


def _cliff(p: Projections) -> Sheet:
    frame = pd.DataFrame({"Week ending": [pd.Timestamp(d) for d in p.cliff.week_ends]})
    for r in p.cliff.rules:
        frame[r.rule] = r.weekly
    frame["All rules"] = frame[[r.rule for r in p.cliff.rules]].sum(axis=1)
    totals = pd.DataFrame([(r.rule, r.title, r.overdue_now, r.open, sum(r.weekly),
                            r.beyond_horizon) for r in p.cliff.rules],
                          columns=["Rule", "Title", "Overdue now", "Open now",
                                   "Passing due date within the horizon",
                                   "Passing due date later"])  # fmt: skip
    formats: dict[str, Format] = {"Week ending": "date"}
    formats |= {c: "int" for c in frame.columns[1:]}
    return Sheet(
        "Deadline cliff", "Open cases passing their due date each week if none is completed",
        ["Exact counts from the case list, not a forecast: each open case by the week its due "
         "date passes. 'Open now' is the open count in the Summary sheet; it equals the cases "
         "passing their due date within the horizon plus those passing it later."],
        [Block("Cases passing their due date, by week", frame, formats),
         Block("By rule", totals, {c: "int" for c in totals.columns[2:]})],
        [Chart("stacked", "Open cases passing their due date, by week", "Cases",
               [r.rule for r in p.cliff.rules])],
    )  # fmt: skip


def _reviews(p: Projections) -> Sheet:
    r = p.reviews
    assert r is not None
    frame = pd.DataFrame({"Month": [pd.Timestamp(m.month) for m in r.months]})
    frame["Due (actual)"] = [m.due.value if m.actual else None for m in r.months]
    frame["Due (projected)"] = [None if m.actual else m.due.value for m in r.months]
    frame["Held (actual)"] = [m.held.value if m.actual else None for m in r.months]
    frame["Held (projected)"] = [None if m.actual else m.held.value for m in r.months]
    for column, values in _split(r.months, lambda m: m.actual, lambda m: m.overdue,
                                 "Overdue").items():  # fmt: skip
        frame[column] = values
    if r.decisions_awaited_now is not None:
        frame["Decisions awaited"] = [
            None if m.decisions_awaited is None else m.decisions_awaited.value for m in r.months
        ]
        frame["Decisions awaited over 4 weeks"] = [
            None if m.decisions_over_limit is None else m.decisions_over_limit.value
            for m in r.months]  # fmt: skip
    formats: dict[str, Format] = {"Month": "month"}
    formats |= {c: "number" for c in frame.columns[1:]}
    return Sheet(
        "Review projection", "Annual reviews falling due, held and overdue, by month",
        [f"Actual for the last 12 months, then projected with reviews held {r.how_held}. "
         "Overdue: reviews due and not held at the month end.",
         f"Chosen: {r.order_chosen_by}"
         + "".join(f"; hold-out score, {o.order}: {o.score:.3f}" for o in r.order_fits) + "."],
        [Block("Annual reviews by month", frame, formats)],
        [_chart("Annual reviews overdue at the month end", "Reviews", "Overdue")],
    )  # fmt: skip


def _caseload(p: Projections) -> Sheet:
    c = p.caseload
    assert c is not None
    frame = pd.DataFrame({"Month end": [pd.Timestamp(m.month_end) for m in c.months]})
    for column, values in _split(c.months, lambda m: m.actual, lambda m: m.live,
                                 "Live plans").items():  # fmt: skip
        frame[column] = values
    frame["New plans"] = [m.new_plans.value for m in c.months]
    frame["Ceased"] = [m.ceased.value for m in c.months]
    rates = pd.DataFrame([(r.group, r.live, r.monthly_rate, r.share_of_new_plans)
                          for r in c.rates],
                         columns=[c.by or "Group", "Live now", "Monthly cessation rate",
                                  "Share of new plans"])  # fmt: skip
    formats: dict[str, Format] = {"Month end": "date"}
    formats |= {c: "number" for c in frame.columns[1:]}
    return Sheet(
        "Caseload projection", "Children with a plan (live plans), by month",
        ["Actual: live plans at each month end, rebuilt from plan issue and cease dates. "
         "Projected: last month's plans, plus new plans, less cessations, for 36 months."],
        [Block("Live plans by month", frame, formats),
         Block("Cessation rates", rates, {"Live now": "int", "Share of new plans": "percent",
                                          "Monthly cessation rate": "percent"})],
        [_chart("Live plans: actual and projected", "Plans", "Live plans")],
    )  # fmt: skip


def _backtest(p: Projections) -> Sheet:
    b = p.backtest
    assert b is not None
    names = [
        "Quantity",
        "Weeks ahead",
        "Method",
        "Origins",
        "Mean absolute error",
        "Mean absolute % error",
        "Median absolute % error",
        "Bias",
        "80% band coverage",
    ]
    errors = pd.DataFrame([(e.quantity, e.weeks_ahead, e.method, e.origins, e.mean_abs_error,
                            e.mean_abs_pct_error, e.median_abs_pct_error, e.bias, e.coverage_80)
                           for e in b.errors], columns=names)  # fmt: skip
    detail = pd.DataFrame([d.model_dump() for d in b.detail])
    if len(detail):
        detail["origin"] = pd.to_datetime(detail["origin"])
    detail = detail.rename(columns=lambda c: c.replace("_", " ").capitalize())
    return Sheet(
        "Back-test", "How the backlog projection did at earlier dates",
        [f"The projection re-run at {len(b.origins)} earlier dates, each from the extract as "
         "recorded then, against what happened, beside persistence and seasonal-naive "
         "baselines (docs/projections.md)."],
        [Block("Errors", errors, {"Weeks ahead": "int", "Origins": "int",
                                  "Mean absolute error": "number",
                                  "Mean absolute % error": "percent",
                                  "Median absolute % error": "percent", "Bias": "number",
                                  "80% band coverage": "percent"}),
         Block("By origin", detail, {"Origin": "date", "Weeks ahead": "int"})],
    )  # fmt: skip
