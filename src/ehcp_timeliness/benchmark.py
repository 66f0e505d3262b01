"""Where a council stands against England, its region and its neighbours.

:func:`benchmark` reads DfE's published "Education, health and care plans" figures (through
:mod:`ehcp_timeliness.read.published`) for one council and, for each measure in
:data:`MEASURES` and each published year: the council, England, its region, a comparator group
(median, lowest, highest, pooled), the council's rank and quartile among all local authorities,
the change on the previous year, a sentence in plain English, and outlier notes.

:func:`casework_figures` computes the same measures from the council's own casework (validated
tables and evaluated cases) for calendar years, so the two can sit side by side with a
reconciliation of the plan counts, and the months DfE has not published yet appear as
provisional.

Rates are fractions (0.213 for 21.3%); DfE's own percentages are used where published, else
numerator over denominator. Changes and gaps in rates are in fractions too (0.025 is 2.5
percentage points).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from ehcp_timeliness import __version__
from ehcp_timeliness.clocks.rules import RuleSet
from ehcp_timeliness.errors import InputError
from ehcp_timeliness.read.published import (
    FILES,
    LOCAL,
    NATIONAL,
    REGIONAL,
    LocalAuthority,
    PublishedTable,
    Release,
    note,
    read_release,
)
from ehcp_timeliness.report import Period, Report, build_report
from ehcp_timeliness.targets import DFE_REQUEST_DECISIONS, DFE_REVIEW_DECISIONS, Targets
from ehcp_timeliness.validate.checks import Validated
from ehcp_timeliness.words import points as point_words

SCHEMA_VERSION = 1


class Direction(StrEnum):
    """Which way a measure is ranked: rank 1 is the best, or for neutral measures the highest."""

    HIGHER = "higher is better"
    LOWER = "lower is better"
    NEUTRAL = "neither; ranked highest first"


@dataclass(frozen=True)
class Measure:
    """A published figure: where it is in DfE's files and how to read it."""

    id: str
    title: str
    #: The words that start its sentence ("Plans within 20 weeks").
    short: str
    file: str
    unit: Literal["rate", "count"]
    direction: Direction
    #: DfE's own figure: a percentage (0-100) for a rate, the number for a count.
    value: str | None
    numerator: tuple[str, ...] = ()
    subtract: tuple[str, ...] = ()  # taken from the numerator
    denominator: tuple[str, ...] = ()
    #: The statutory rule whose scorecard target England's figure becomes, if any.
    rule: str | None = None

    @property
    def source(self) -> str:
        cols = [self.value] if self.value else [*self.numerator, *self.denominator]
        return f"{FILES[self.file].filename}: {', '.join(dict.fromkeys(cols))}"


H, L, N = Direction.HIGHER, Direction.LOWER, Direction.NEUTRAL
T20 = "timeliness_20_week"
MEASURES: list[Measure] = [
    Measure("plan-20w", "EHC plans issued within 20 weeks, excluding exceptions",
            "Plans within 20 weeks (excluding exceptions)", T20, "rate", H,
            "PC_plans_issued_20_weeks_ex", ("plans_issued_20_weeks_ex",), (),
            ("plans_issued_den_ex",), rule="plan-20w"),
    Measure("plan-20w-including", "EHC plans issued within 20 weeks, including exceptions",
            "Plans within 20 weeks (including exceptions)", T20, "rate", H,
            "pc_plans_issued_within_20_weeks", ("plans_issued_within_20_weeks",), (),
            ("plans_issued_den",)),
    Measure("plan-20-52w", "EHC plans issued in 20 to 52 weeks, including exceptions",
            "Plans issued in 20 to 52 weeks", T20, "rate", L,
            "pc_plans_issued_gt20weeks_ltYear", ("plans_issued_gt20weeks_ltYear",), (),
            ("plans_issued_den",)),
    Measure("plan-over-52w", "EHC plans issued after 52 weeks, including exceptions",
            "Plans issued after 52 weeks", T20, "rate", L, "pc_plans_issued_gt_1_year",
            ("plans_issued_gt_1_year",), (), ("plans_issued_den",)),
    Measure("exception-share", "EHC plans issued with an exception to the 20-week limit",
            "Plans with the exception flag", T20, "rate", N, None, ("plans_issued_den",),
            ("plans_issued_den_ex",), ("plans_issued_den",)),
    Measure("requests", "Requests for an EHC needs assessment", "Requests for assessment",
            "requests", "count", N, "requests_received_in_year"),
    Measure("decision-6w", "Decisions whether to assess made within 6 weeks",
            "Decisions within 6 weeks", "requests", "rate", H, "request_outcome_six_weeks_pc",
            ("request_outcome_six_weeks",), (),
            ("request_outcome_six_weeks", "request_outcome_over_6_weeks"), rule="decision-6w"),
    Measure("no-plan-16w", "Decisions not to issue a plan made within 16 weeks",
            "No-plan decisions within 16 weeks", "assessments", "rate", H,
            "outcome_decision_within_time_pc", ("outcome_decision_within_time",), (),
            ("outcome_decision_within_time", "outcome_decision_over_time"),
            rule="no-plan-16w"),
    Measure("review-decision-4w", "Annual review decisions made within 4 weeks",
            "Review decisions within 4 weeks", "annual_reviews", "rate", H, "pc_decsion_4weeks",
            ("number_decsion_4weeks",), (), ("number_decsion_4weeks",
                                             "number_decision_gt_4weeks"),
            rule="review-decision-4w"),
    Measure("new-plans", "New EHC plans", "New EHC plans", "newplans", "count", N,
            "new_ehc_plans"),
    Measure("caseload", "EHC plans at the January census", "EHC plans in place", "caseload",
            "count", N, "ehcplans"),
    *(
        Measure(f"caseload-{key}", f"EHC plans: {words}", f"Plans in {words}", "caseload",
                "rate", N, pc, (count,), (), ("ehcplans",))
        for key, words, count, pc in (
            ("mainstream", "mainstream schools", "mainstream_total", "mainstream_total_pc"),
            ("special", "special schools", "special_total", "special_total_pc"),
            ("ap", "alternative provision", "ap_pru_total", "AP_PRU_total_pc"),
            ("post16", "further education and post-16", "fe_total", "fe_total_pc"),
            ("elsewhere", "education elsewhere", "ed_elsewhere", "ed_elsewhere_pc"),
            ("early-years", "non-maintained early years", "nm_early_years",
             "nm_early_years_pc"),
            ("not-recorded", "placements not recorded", "placement_unknown",
             "placement_unknown_pc"),
        )
    ),
]  # fmt: skip
MEASURE_IDS = {m.id: m for m in MEASURES}
#: An outlier: among the highest or lowest this share of councils.
EXTREME = 0.05
#: An exception share this many times England's, and this far above it, is far above.
EXCEPTION_TIMES, EXCEPTION_POINTS = 2.0, 0.05


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class Figure(_Model):
    """One published or casework figure. ``value`` is None when there is none, and ``note``
    says why (DfE's symbol, no row for the LA that year, no cases)."""

    value: float | None
    numerator: int | None = None
    denominator: int | None = None
    note: str = ""


class GroupFigure(_Model):
    """A comparator group's figures: each member's value, summarised."""

    median: float | None
    lowest: float | None
    highest: float | None
    #: A rate over the whole group: its numerators summed over its denominators.
    pooled: float | None
    reporting: int
    members: int


class Point(_Model):
    """A measure in one published year."""

    year: int
    period: str
    council: Figure
    england: Figure
    region: Figure
    comparators: GroupFigure | None
    #: Among local authorities with a published figure that year; 1 is the best (or, for a
    #: neutral measure, the highest). Quartile 1 holds ranks in the first quarter.
    rank: int | None
    ranked: int
    quartile: int | None
    #: The council's change on the previous year; England's; the council minus England.
    change: float | None
    england_change: float | None
    gap: float | None
    casework: Figure | None = None


class Provisional(_Model):
    """A casework figure for months DfE has not published yet."""

    label: str
    start: date
    end: date
    figure: Figure


class MeasureResult(_Model):
    id: str
    title: str
    short: str
    unit: Literal["rate", "count"]
    direction: Direction
    source: str
    rule: str | None
    points: list[Point]
    provisional: list[Provisional] = []
    sentence: str

    def latest_england(self) -> tuple[float, str] | None:
        """England's latest published figure and its period ("2024"), if any."""
        for p in reversed(self.points):
            if p.england.value is not None:
                return p.england.value, p.period
        return None


class Outlier(_Model):
    measure: str
    period: str
    message: str


class ReconciliationItem(_Model):
    label: str
    plans: int
    explanation: str


class Reconciliation(_Model):
    """Plans issued in a year: how many DfE counts and how many the casework counts, and the
    cases that explain a difference."""

    year: int
    published: int | None
    published_excluding_exceptions: int | None
    casework: int
    casework_excluding_exceptions: int
    difference: int | None
    items: list[ReconciliationItem]
    line: str


class PublishedFile(_Model):
    name: str
    path: str
    sha256: str
    periods: list[str]


class PlanCounts(_Model):
    """The casework's plans issued in a calendar year, as the reconciliation needs them."""

    counted: int
    counted_excluding_exceptions: int
    exceptions: int
    transferred_in: int
    plans_table: int
    plans_table_other_year: int
    plans_table_no_request: int
    requests_not_in_plans_table: int


class CaseworkYear(_Model):
    year: int
    start: date
    end: date
    #: False when the as-at date falls inside the year: the figures run to the as-at date.
    complete: bool
    #: Why the casework may undercount this year ("" if no reason to think so).
    caveat: str
    figures: dict[str, Figure]
    plans: PlanCounts


class CensusCount(_Model):
    """Plans in place on a day, from the plans table (DfE counts them at the January
    census)."""

    year: int
    day: date
    figure: Figure


class Casework(_Model):
    """The council's own figures, by calendar year, from its validated extract."""

    as_at: date
    earliest_request: date | None
    request_rows_rejected: int
    years: list[CaseworkYear]
    census: list[CensusCount]
    #: Plans in place on the as-at date.
    caseload_at_as_at: Figure


class Benchmark(_Model):
    """Everything ``ehcp benchmark`` reports; ``--json`` writes its dump."""

    schema_version: int = SCHEMA_VERSION
    tool_version: str = __version__
    published: str
    files: list[PublishedFile]
    council: LocalAuthority
    comparators: list[LocalAuthority]
    comparator_source: str | None
    as_at: date | None
    measures: list[MeasureResult]
    outliers: list[Outlier]
    reconciliation: list[Reconciliation]
    notes: list[str]
    casework: Casework | None = None

    def measure(self, measure_id: str) -> MeasureResult:
        return next(m for m in self.measures if m.id == measure_id)


# --- comparators --------------------------------------------------------------------------


def comparators_from_codes(release: Release, codes: str) -> list[LocalAuthority]:
    """``--compare``: comma-separated old codes, new codes or names."""
    parts = [p.strip() for p in codes.split(",") if p.strip()]
    return _unique(release.find_la(p, source="--compare") for p in parts)


def comparators_from_file(release: Release, path: Path) -> list[LocalAuthority]:
    """``--neighbours``: a CSV of ``new_la_code``, one per line (a header line, blank lines and
    further columns are allowed; old codes and names are accepted too)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        text = path.read_text(encoding="cp1252")
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        cell = line.split(",")[0].strip().strip('"').strip()
        if not cell or (
            number == 1
            and cell.casefold().replace(" ", "_")
            in {"new_la_code", "la_code", "code", "old_la_code", "la_name"}
        ):
            continue  # fmt: skip
        out.append(release.find_la(cell, source=f"{path}: line {number}"))
    if not out:
        raise InputError(f"{path}: no local authority codes (one new_la_code per line)")
    return _unique(out)


def _unique(las: Iterable[LocalAuthority]) -> list[LocalAuthority]:
    return list({la.old_code: la for la in las}.values())


# --- published figures --------------------------------------------------------------------


def _sum(frame: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """Columns added across; NaN where any is NaN."""
    total = pd.Series(0.0, index=frame.index)
    for c in columns:
        total = total + frame[c]
    return total


def _published(table: PublishedTable, m: Measure) -> pd.DataFrame:
    """The headline rows with ``value``, ``numerator``, ``denominator`` and ``note``."""
    head = table.headline()
    f = head[["year", "period", "geographic_level", "region_code", "old_la_code"]].copy()
    nan = pd.Series(np.nan, index=head.index)
    num = _sum(head, m.numerator) - _sum(head, m.subtract) if m.numerator else nan
    den = _sum(head, m.denominator) if m.denominator else nan
    f["numerator"], f["denominator"] = num, den
    if m.unit == "count":
        f["value"] = head[m.value]
    else:  # DfE's percentage where published, else numerator over denominator
        computed = (num / den.where(den > 0)).round(4)
        f["value"] = (head[m.value] / 100).round(4).fillna(computed) if m.value else computed
    cols = [m.value] if m.value else [*m.numerator, *m.subtract, *m.denominator]
    marks = table.markers.loc[head.index, list(dict.fromkeys(cols))]
    first = marks.bfill(axis=1).iloc[:, 0]  # the first column with a symbol
    known = {code: note(code) for code in first.dropna().unique()}
    f["note"] = first.map(known).astype(object).where(first.notna(), "")
    f.loc[f["value"].notna(), "note"] = ""
    return f


def _row(frame: pd.DataFrame, year: int) -> pd.Series | None:
    """The row for ``year`` of a frame indexed by year, if any."""
    rows = frame[frame.index == year]
    return None if rows.empty else rows.iloc[0]


def _figure(row: pd.Series | None, missing: str) -> Figure:
    if row is None:
        return Figure(value=None, note=missing)

    def whole(v) -> int | None:
        return None if pd.isna(v) else int(round(v))

    value = row["value"]
    return Figure(
        value=None if pd.isna(value) else float(value),
        numerator=whole(row["numerator"]),
        denominator=whole(row["denominator"]),
        note=str(row["note"]) or ("" if not pd.isna(value) else "not published"),
    )


def _group(rows: pd.DataFrame, members: int) -> GroupFigure:
    values = rows["value"].dropna()
    num, den = rows["numerator"], rows["denominator"]
    both = num.notna() & den.notna()
    pooled = (float(num[both].sum() / den[both].sum())
              if both.any() and den[both].sum() > 0 else None)  # fmt: skip
    return GroupFigure(
        median=float(values.median()) if len(values) else None,
        lowest=float(values.min()) if len(values) else None,
        highest=float(values.max()) if len(values) else None,
        pooled=None if pooled is None else round(pooled, 4),
        reporting=len(values),
        members=members,
    )


def _points(
    table: PublishedTable,
    m: Measure,
    la: LocalAuthority,
    comparators: list[LocalAuthority],
) -> list[Point]:
    f = _published(table, m)
    local = f[f["geographic_level"] == LOCAL].copy()
    ascending = m.direction is Direction.LOWER
    local["rank"] = local.groupby("year")["value"].rank(method="min", ascending=ascending)
    counts = local.groupby("year")["value"].count()
    mine = local[local["old_la_code"] == la.old_code].set_index("year")
    england = f[f["geographic_level"] == NATIONAL].set_index("year")
    region = f[(f["geographic_level"] == REGIONAL) & (f["region_code"] == la.region_code)]
    region = region.set_index("year")
    comp_codes = {c.old_code for c in comparators}
    comp = local[local["old_la_code"].isin(comp_codes)]
    points: list[Point] = []
    for year in table.years:
        label = table.period_label(year)
        row = _row(mine, year)
        council = _figure(row, f"no row for {la.name} in {table.spec.filename}")
        eng = _figure(_row(england, year), "no England row")
        reg = _figure(_row(region, year), f"no row for {la.region_name}")
        group = (_group(comp[comp["year"] == year], len(comparators)) if comparators
                 else None)  # fmt: skip
        rank = None if row is None or pd.isna(row["rank"]) else int(row["rank"])
        ranked = int(counts.get(year, 0))
        quartile = None if rank is None else math.ceil(4 * rank / ranked)
        before = points[-1] if points and points[-1].year == year - 1 else None
        points.append(
            Point(
                year=year,
                period=label,
                council=council,
                england=eng,
                region=reg,
                comparators=group,
                rank=rank,
                ranked=ranked,
                quartile=quartile,
                change=_diff(council.value, before.council.value if before else None, m),
                england_change=_diff(eng.value, before.england.value if before else None, m),
                gap=_diff(council.value, eng.value, m) if m.unit == "rate" else None,
            )  # fmt: skip
        )
    return points


def _diff(a: float | None, b: float | None, m: Measure) -> float | None:
    if a is None or b is None:
        return None
    return round(a - b, 4) if m.unit == "rate" else a - b


# --- words ---------------------------------------------------------------------------------


def _pct(v: float | None) -> str:
    return "no figure" if v is None else f"{v:.1%}"


def _value(v: float | None, m: Measure) -> str:
    if v is None:
        return "no figure"
    return _pct(v) if m.unit == "rate" else f"{v:,.0f}"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def sentence(m: Measure, points: list[Point], la: LocalAuthority) -> str:
    """One plain sentence from the latest year's figures: nothing the numbers do not say."""
    if not points:
        return f"{m.short}: not in the published files."
    p = points[-1]
    before = points[-2] if len(points) > 1 and points[-2].year == p.year - 1 else None
    if p.council.value is None:
        why = f" ({p.council.note})" if p.council.note else ""
        return f"{m.short}: no published figure for {la.name} in {p.period}{why}."
    if m.unit == "count":
        text = f"{m.short}: {p.council.value:,.0f} in {p.period}"
        if before is not None and before.council.value and p.change is not None:
            text += (f", {'up' if p.change > 0 else 'down'} {abs(p.change):,.0f} "
                     f"({abs(p.change) / before.council.value:.0%}) on {before.period}"
                     if p.change else f", the same as in {before.period}")  # fmt: skip
            e_now, e_before = p.england.value, before.england.value
            if e_now is not None and e_before:
                growth = (e_now - e_before) / e_before
                text += (f"; England {'up' if growth > 0 else 'down'} {abs(growth):.0%}"
                         if round(growth, 2) else "; England about the same")  # fmt: skip
        return text + "."
    text = f"{m.short}: {p.council.value:.1%} in {p.period}"
    if p.gap is not None and p.england.value is not None:
        if round(p.gap, 3) == 0:
            text += f", level with England ({p.england.value:.1%})"
        else:
            side = "above" if p.gap > 0 else "below"
            text += f", {point_words(p.gap)} {side} England ({p.england.value:.1%})"
        if before is not None and before.gap is not None:
            now, then = round(p.gap, 3), round(before.gap, 3)
            if now and then and (now > 0) == (then > 0):
                if abs(now) == abs(then):
                    text += f"; the gap is the same as in {before.period}"
                else:
                    verb = "widened" if abs(now) > abs(then) else "narrowed"
                    text += f"; the gap {verb} by {point_words(abs(now) - abs(then))}"
            else:
                where = ("level with" if not then else
                         f"{point_words(then)} {'above' if then > 0 else 'below'}")  # fmt: skip
                text += f", against {where} England in {before.period}"
    if p.rank is not None and m.direction is not Direction.NEUTRAL:
        text += f"; {_ordinal(p.rank)} of {p.ranked} councils ({_quartile_words(p.quartile)})"
    return text + "."


def _quartile_words(q: int | None) -> str:
    return {1: "top quarter", 2: "second quarter", 3: "third quarter",
            4: "bottom quarter"}.get(q or 0, "")  # fmt: skip


def _outliers(m: Measure, points: list[Point], la: LocalAuthority) -> list[Outlier]:
    out = []

    def add(p: Point, message: str) -> None:
        out.append(Outlier(measure=m.id, period=p.period, message=message))

    for p in points:
        v = p.council.value
        if v is None or p.rank is None or not p.ranked:
            continue
        if m.direction is not Direction.NEUTRAL:
            tail = math.ceil(EXTREME * p.ranked)
            where = ("bottom" if p.rank > p.ranked - tail else
                     "top" if p.rank <= tail else None)  # fmt: skip
            if where is not None:
                add(p, f"{m.short}: {_value(v, m)} in {p.period}, among the {where} 5% of "
                       f"councils ({_ordinal(p.rank)} of {p.ranked}; {m.direction})")  # fmt: skip
        if m.id == "exception-share" and p.england.value is not None:
            e = p.england.value
            n, d = p.council.numerator, p.council.denominator
            counts = f" ({n:,} of {d:,})" if n is not None and d is not None else ""
            if v >= 1:
                add(p, f"Every plan {la.name} issued in {p.period}{counts} carried the "
                       f"exception flag (England {e:.1%}), so DfE publishes no 20-week rate "
                       "excluding exceptions for it")  # fmt: skip
            elif e > 0 and v >= EXCEPTION_TIMES * e and v - e >= EXCEPTION_POINTS:
                add(p, f"{v:.1%} of plans issued in {p.period}{counts} carried the exception "
                       f"flag, {v / e:.1f} times England's {e:.1%}: exceptions leave these "
                       "plans out of the headline 20-week rate")  # fmt: skip
    return out


# --- the council's own figures -------------------------------------------------------------


def census_day(year: int) -> date:
    """The January census day: the third Thursday of January, the school census day that the
    SEN2 return shares (16 January 2025)."""
    first = date(year, 1, 1)
    return first + timedelta(days=(3 - first.weekday()) % 7 + 14)


def plans_in_place(plans: pd.DataFrame, days: Sequence[date]) -> list[int]:
    """Plans (distinct ``plan_id``) issued on or before each day and not ceased by it."""
    if plans.empty:
        return [0 for _ in days]
    per = plans.groupby("plan_id", observed=True).agg(
        issued=("plan_issue_date", "min"), ceased=("cease_date", "max")
    )
    issued, ceased = per["issued"].to_numpy(), per["ceased"].to_numpy()
    out = []
    for day in days:
        d = np.datetime64(day)
        out.append(int(((issued <= d) & (np.isnat(ceased) | (ceased > d))).sum()))
    return out


def _day(d: date) -> str:
    return f"{d.day} {d:%b %Y}"


def _rate_figure(met: int, completed: int) -> Figure:
    return Figure(value=met / completed if completed else None, numerator=met,
                  denominator=completed, note="" if completed else "no cases")  # fmt: skip


def _between(values: pd.Series, start: date, end: date) -> np.ndarray:
    v = values.to_numpy()
    return (v >= np.datetime64(start)) & (v <= np.datetime64(end))


def _year_figures(report: Report, requests: pd.DataFrame, start: date, end: date
                  ) -> dict[str, Figure]:  # fmt: skip
    out: dict[str, Figure] = {}
    p = report.plan_20w
    if p is not None:
        inc, exc = p.including_exceptions, p.excluding_exceptions
        out["plan-20w"] = _rate_figure(exc.met, exc.completed)
        out["plan-20w-including"] = _rate_figure(inc.met, inc.completed)
        out["plan-20-52w"] = _rate_figure(p.bands.get("20-52 weeks", 0), inc.completed)
        out["plan-over-52w"] = _rate_figure(p.bands.get("over 52 weeks", 0), inc.completed)
        out["exception-share"] = _rate_figure(inc.completed - exc.completed, inc.completed)
    for r in report.rules:
        if r.rule == "no-plan-16w":
            out[r.rule] = _rate_figure(r.met, r.completed)
    # DfE's request- and review-decision rates are not counts of decisions made in the year:
    # compare them with the same measures reproduced from the casework (measures.py)
    for key, measure in (("decision-6w", report.dfe_request_decisions),
                         ("review-decision-4w", report.dfe_review_decisions)):  # fmt: skip
        if measure is not None:
            out[key] = _rate_figure(measure.numerator, measure.denominator)
    received = int(_between(requests["received_date"], start, end).sum())
    out["requests"] = Figure(value=received, numerator=received)
    issued = _between(requests["plan_issue_date"], start, end) & ~_transferred(requests)
    out["new-plans"] = Figure(value=int(issued.sum()), numerator=int(issued.sum()))
    return out


def _transferred(requests: pd.DataFrame) -> np.ndarray:
    """Requests recorded as historical or transferred in (outcome H): not the council's own
    assessments, so in neither 20-week figure."""
    h = (requests["assessment_outcome"] == "H") | (requests["request_outcome"] == "H")
    return h.fillna(False).to_numpy(dtype=bool)


@dataclass
class _People:
    """Requests and plans keyed by one integer code per person, made once for every year."""

    request_person: np.ndarray
    request_issued: np.ndarray
    transferred: np.ndarray
    plan_person: np.ndarray
    plan_issued: np.ndarray
    people: int  # codes run 0..people-1; the code ``people`` stands for a blank person_id

    @classmethod
    def of(cls, requests: pd.DataFrame, plans: pd.DataFrame) -> _People:
        if plans.empty:
            first = pd.DataFrame({"person_id": pd.Series([], dtype="string"),
                                  "issued": pd.Series([], dtype="datetime64[s]")})  # fmt: skip
        else:
            first = plans.groupby("plan_id", observed=True).agg(
                person_id=("person_id", "first"), issued=("plan_issue_date", "min"))  # fmt: skip
        both = pd.concat([requests["person_id"].astype("string"),
                          first["person_id"].astype("string")], ignore_index=True)  # fmt: skip
        codes, uniques = pd.factorize(both)
        codes = np.where(codes < 0, len(uniques), codes)
        n = len(requests)
        return cls(codes[:n], requests["plan_issue_date"].to_numpy(), _transferred(requests),
                   codes[n:], first["issued"].to_numpy(), len(uniques))  # fmt: skip

    def mark(self, codes: np.ndarray) -> np.ndarray:
        marked = np.zeros(self.people + 1, dtype=bool)
        marked[codes] = True
        marked[self.people] = False  # a blank person_id matches nothing
        return marked


def _plan_counts(report: Report, people: _People, start: date, end: date) -> PlanCounts:
    p = report.plan_20w
    counted = p.including_exceptions.completed if p else 0
    counted_ex = p.excluding_exceptions.completed if p else 0
    lo, hi = np.datetime64(start), np.datetime64(end)
    issued = people.request_issued
    in_year = (issued >= lo) & (issued <= hi)
    # people whose request has a plan issued this year (transferred in or not), or another year
    this_year = people.mark(people.request_person[in_year])
    other_year = people.mark(people.request_person[~np.isnat(issued) & ~in_year])
    new = (people.plan_issued >= lo) & (people.plan_issued <= hi)
    person = people.plan_person[new]
    matched = this_year[person]
    other = ~matched & other_year[person]
    return PlanCounts(
        counted=counted,
        counted_excluding_exceptions=counted_ex,
        exceptions=counted - counted_ex,
        transferred_in=int((in_year & people.transferred).sum()),
        plans_table=int(new.sum()),
        plans_table_other_year=int(other.sum()),
        plans_table_no_request=int((~matched & ~other).sum()),
        requests_not_in_plans_table=int((this_year & ~people.mark(person)).sum()),
    )


def casework_figures(
    validated: Validated,
    cases: pd.DataFrame,
    rules: RuleSet,
    *,
    as_at: date,
    years: Iterable[int],
    census_years: Iterable[int] = (),
) -> Casework:
    """The council's figures for each calendar year in ``years`` (from 1 January to 31
    December, or to the as-at date in its year; years starting after it are skipped) and its
    plans in place on each January census day of ``census_years`` (on or before the as-at
    date), from its validated extract and evaluated cases.

    Years ending before the extract's earliest request are skipped; a year starting before
    it carries a caveat, as its figures miss earlier requests.
    """
    requests, plans = validated.tables["requests"], validated.tables["plans"]
    earliest = requests["received_date"].min() if len(requests) else pd.NaT
    first_day = None if pd.isna(earliest) else pd.Timestamp(earliest).date()
    out = []
    people = _People.of(requests, plans)
    for year in sorted(set(years)):
        start, end = date(year, 1, 1), min(date(year, 12, 31), as_at)
        if start > as_at or first_day is None or date(year, 12, 31) < first_day:
            continue
        caveat = ""
        if first_day > start:
            caveat = (f"the extract's earliest request was received on {first_day:%d/%m/%Y}, so "
                      f"figures for {year} may miss cases from earlier requests")  # fmt: skip
        period = Period(label=str(year) if end.month == 12 and end.day == 31 else
                        f"{_day(start)} to {_day(end)}", start=start, end=end)  # fmt: skip
        # DfE's review-decision figure for a year is taken at the next January census
        report = build_report(
            validated,
            cases,
            rules,
            as_at=as_at,
            period=period,
            census=min(census_day(year + 1), as_at),
            compare_only=True,
        )
        out.append(CaseworkYear(
            year=year, start=start, end=end, complete=end == date(year, 12, 31), caveat=caveat,
            figures=_year_figures(report, requests, start, end),
            plans=_plan_counts(report, people, start, end)))  # fmt: skip
    days = [(y, census_day(y)) for y in sorted(set(census_years)) if census_day(y) <= as_at]
    counts = plans_in_place(plans, [d for _, d in days] + [as_at])
    census = [CensusCount(year=y, day=d, figure=Figure(value=n, numerator=n))
              for (y, d), n in zip(days, counts, strict=False)]  # fmt: skip
    rejected = sum(s.rows_rejected for s in validated.summaries if s.table == "requests")
    return Casework(as_at=as_at, earliest_request=first_day, request_rows_rejected=rejected,
                    years=out, census=census,
                    caseload_at_as_at=Figure(value=counts[-1], numerator=counts[-1]))  # fmt: skip


def casework_years(release: Release, as_at: date) -> tuple[list[int], list[int]]:
    """For :func:`casework_figures`: the calendar years the release publishes and those after
    them up to the as-at date's (provisional), and the census years it publishes."""
    calendar: set[int] = set()
    census: set[int] = set()
    for t in release.tables():
        (census if t.spec.kind == "census" else calendar).update(t.years)
    last = max(calendar | {y - 1 for y in census})
    return sorted(calendar | set(range(last + 1, as_at.year + 1))), sorted(census)


# --- putting it together -------------------------------------------------------------------


def _reconciliation(year: int, published: int | None, published_ex: int | None, c: PlanCounts,
                    casework: Casework) -> Reconciliation:  # fmt: skip
    flagged = ("an unknown number" if published is None or published_ex is None
               else f"{published - published_ex:,}")  # fmt: skip
    items = [
        ReconciliationItem(
            label="exception flag", plans=c.exceptions,
            explanation="casework plans with the exception flag, counted only including "
                        f"exceptions; DfE's figures flag {flagged}"),
        ReconciliationItem(
            label="transferred in", plans=c.transferred_in,
            explanation="requests with outcome H (historical or transferred in) and a plan "
                        "issued in the year: in neither 20-week count"),
        ReconciliationItem(
            label="year of issue", plans=c.plans_table_other_year,
            explanation="plans the plans table dates to this year whose request gives another "
                        "year of issue (DfE counts a plan in the year it was issued)"),
        ReconciliationItem(
            label="no request", plans=c.plans_table_no_request,
            explanation="plans the plans table dates to this year with no request in the "
                        "extract (transferred in, or requested before the extract starts)"),
        ReconciliationItem(
            label="rows rejected", plans=casework.request_rows_rejected,
            explanation="request rows rejected in validation, in any year, counted nowhere; "
                        "see ehcp validate"),
    ]  # fmt: skip
    diff = None if published is None else c.counted - published
    pub = (
        "DfE publishes no count"
        if published is None
        else f"DfE counts {published:,} plans issued"
        + ("" if published_ex is None else f" ({published_ex:,} excluding exceptions)")
    )
    line = (f"{year}: {pub}; the casework counts {c.counted:,} "
            f"({c.counted_excluding_exceptions:,} excluding exceptions)"
            + ("" if diff is None else f", {abs(diff):,} {'more' if diff > 0 else 'fewer'}"
               if diff else ", the same")
            + f"; its plans table dates {c.plans_table:,} plans to {year}. Cases: "
            + "; ".join(f"{i.label} {i.plans:,}" for i in items) + ".")  # fmt: skip
    return Reconciliation(year=year, published=published,
                          published_excluding_exceptions=published_ex, casework=c.counted,
                          casework_excluding_exceptions=c.counted_excluding_exceptions,
                          difference=diff, items=items, line=line)  # fmt: skip


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def benchmark(
    release: Release,
    la: LocalAuthority,
    *,
    comparators: Sequence[LocalAuthority] = (),
    comparator_source: str | None = None,
    casework: Casework | None = None,
) -> Benchmark:
    """Every measure in :data:`MEASURES` whose file the release has, for ``la``."""
    comps = [c for c in comparators if c.old_code != la.old_code]
    notes = [n for t in release.tables() for n in t.notes]
    missing = [s for s in FILES.values() if not release.has(s.name)]
    for spec in missing:
        notes.append(f"{spec.filename} is not in {release.folder}: its measures are left out")
    if len(comps) < len(comparators):
        notes.append(f"{la.name} is left out of its own comparator group")
    by_year = {cw.year: cw for cw in casework.years} if casework else {}
    last_published = max(t.years[-1] for t in release.tables() if t.spec.kind == "calendar")
    results, outliers = [], []
    for m in MEASURES:
        if not release.has(m.file):
            continue
        table = release.table(m.file)
        points = _points(table, m, la, comps)
        provisional: list[Provisional] = []
        if casework is not None:
            points, provisional = _with_casework(m, table, points, casework, by_year)
        results.append(MeasureResult(
            id=m.id, title=m.title, short=m.short, unit=m.unit, direction=m.direction,
            source=m.source, rule=m.rule, points=points, provisional=provisional,
            sentence=_with_provisional(sentence(m, points, la), provisional, m)))  # fmt: skip
        outliers += _outliers(m, points, la)
    reconciliation = []
    if casework is not None and release.has(T20):
        inc = next(r for r in results if r.id == "plan-20w-including")
        exc = next(r for r in results if r.id == "plan-20w")
        for p_inc, p_exc in zip(inc.points, exc.points, strict=True):
            cw = by_year.get(p_inc.year)
            if cw is not None and cw.complete:
                reconciliation.append(_reconciliation(
                    p_inc.year, p_inc.council.denominator, p_exc.council.denominator, cw.plans,
                    casework))  # fmt: skip
    if casework is not None:
        for cw in casework.years:
            if cw.caveat and cw.year <= last_published:
                notes.append(f"Casework {cw.year}: {cw.caveat}.")
    files = [PublishedFile(name=t.spec.filename, path=str(t.path), sha256=_sha256(t.path),
                           periods=[t.period_label(y) for y in t.years])
             for t in release.tables()]  # fmt: skip
    return Benchmark(
        published=str(release.folder), files=files, council=la, comparators=comps,
        comparator_source=comparator_source if comps else None,
        as_at=casework.as_at if casework else None, measures=results, outliers=outliers,
        reconciliation=reconciliation, notes=notes, casework=casework,
    )  # fmt: skip


def _with_casework(
    m: Measure,
    table: PublishedTable,
    points: list[Point],
    casework: Casework,
    by_year: dict[int, CaseworkYear],
) -> tuple[list[Point], list[Provisional]]:
    last = table.years[-1]
    if m.file == "caseload":
        if m.id != "caseload":
            return points, []
        census = {c.year: c for c in casework.census}
        points = [p.model_copy(update={"casework": census[p.year].figure})
                  if p.year in census else p for p in points]  # fmt: skip
        later = [c for c in casework.census if c.year > last]
        provisional = [Provisional(label=f"census day {c.day:%d/%m/%Y}", start=c.day,
                                   end=c.day, figure=c.figure) for c in later]  # fmt: skip
        last_day = max([census_day(last), *(c.day for c in later)])
        if casework.as_at > last_day:
            provisional.append(Provisional(label=f"as at {casework.as_at:%d/%m/%Y}",
                                           start=casework.as_at, end=casework.as_at,
                                           figure=casework.caseload_at_as_at))  # fmt: skip
        return points, provisional
    points = [p.model_copy(update={"casework": by_year[p.year].figures.get(m.id)})
              if p.year in by_year and by_year[p.year].complete else p
              for p in points]  # fmt: skip
    provisional = [
        Provisional(label=f"{_day(cw.start)} to {_day(cw.end)}", start=cw.start,
                    end=cw.end, figure=cw.figures[m.id])
        for cw in casework.years
        if m.id in cw.figures and (cw.year > last or not cw.complete)
    ]  # fmt: skip
    return points, provisional


def _with_provisional(text: str, provisional: list[Provisional], m: Measure) -> str:
    shown = [p for p in provisional if p.figure.value is not None]
    if not shown:
        return text
    p = shown[-1]
    return f"{text[:-1]}; provisional, from casework: {_value(p.figure.value, m)} ({p.label})."


@dataclass(frozen=True)
class PublishedSpec:
    """Which published figures to compare with: DfE's folder, the council, its comparators."""

    folder: Path
    la: str
    #: Comparator councils as comma-separated codes or names, or a neighbours file (not both).
    compare: str | None = None
    neighbours: Path | None = None


def compare_published(
    spec: PublishedSpec,
    extract: tuple[Validated, pd.DataFrame, RuleSet, date] | None = None,
) -> Benchmark:
    """Read the published files and compare the council with England, its region and its
    comparators; with ``extract`` (validated tables, cases, rules, as-at date), its casework
    figures beside them. Raises :class:`~ehcp_timeliness.errors.InputError` for files that
    cannot be read, an unknown council and the like."""
    release = read_release(spec.folder)
    council = release.find_la(spec.la, source="--la")
    comparators: list[LocalAuthority] = []
    source = None
    if spec.compare is not None:
        comparators, source = comparators_from_codes(release, spec.compare), "--compare"
    elif spec.neighbours is not None:
        comparators, source = comparators_from_file(release, spec.neighbours), spec.neighbours.name
    casework = None
    if extract is not None:
        validated, cases, rules, when = extract
        years, census = casework_years(release, when)
        casework = casework_figures(validated, cases, rules, as_at=when, years=years,
                                    census_years=census)  # fmt: skip
    return benchmark(release, council, comparators=comparators, comparator_source=source,
                     casework=casework)  # fmt: skip


#: England's rate for these rules is on DfE's own measure, which the scorecard shows on its
#: own row under this target key (see targets.py), not on the tool's per-case rate.
TARGET_KEYS = {"decision-6w": DFE_REQUEST_DECISIONS, "review-decision-4w": DFE_REVIEW_DECISIONS}


def target_key(rule: str) -> str:
    """The scorecard target England's published figure for ``rule`` becomes."""
    return TARGET_KEYS.get(rule, rule)


def published_targets(bench: Benchmark) -> dict[str, tuple[float, str]]:
    """England's latest published rate for each statutory rule DfE publishes one for, as
    scorecard targets (target key -> (fraction, where it comes from)), each on the measure DfE
    publishes it on."""
    out = {}
    for r in bench.measures:
        if r.rule is not None and (latest := r.latest_england()) is not None:
            out[target_key(r.rule)] = (latest[0], f"England {latest[1]}, DfE")
    return out


def with_published_targets(targets: Targets, bench: Benchmark) -> Targets:
    """``targets`` with England's published rates as the defaults: a target set in the
    targets file still wins, and rules DfE publishes nothing for keep the built-in default."""
    published = {k: v for k, v in published_targets(bench).items() if k not in targets.targets}
    return targets.model_copy(update={
        "targets": {**{k: value for k, (value, _) in published.items()}, **targets.targets},
        "sources": {**{k: source for k, (_, source) in published.items()}, **targets.sources},
    })  # fmt: skip


def target_note(bench: Benchmark, targets: Targets) -> str:
    """Which scorecard targets are England's published figures, for the pack."""
    parts = []
    for r in bench.measures:
        latest = r.latest_england()
        if r.rule is not None and latest is not None and target_key(r.rule) not in targets.targets:
            parts.append(f"{target_key(r.rule)} {latest[0]:.1%} ({latest[1]})")
    if not parts:
        return ""
    return ("The scorecard's targets for these rules are England's published figures: "
            + ", ".join(parts) + ".")  # fmt: skip
