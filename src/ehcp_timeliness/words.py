"""Words for people: labels for field names and codes, and sentences made from the figures.

A board member reads "Request source: school", not ``request_source = 2``, and "19.3% of plans
were issued within 20 weeks in the 12 months to 31 March 2025, down 1.5 points on the previous
12 months", not a table of fractions. Every sentence here is made from figures passed in, and
says only what those figures support: a direction ("up", "down"), a distance from a target,
never an adjective.

Rates are rounded once, from the exact value, to one decimal place of a percentage.
"""

from __future__ import annotations

from datetime import date

from ehcp_timeliness.report import Period

#: Fewer completed cases than this make a rate too unsteady to read on its own.
FEW_CASES = 10

DIMENSION_LABELS = {
    "team": "Team",
    "caseworker": "Caseworker",
    "primary_need": "Primary need",
    "setting": "Setting",
    "setting_group": "Type of setting",
    "request_source": "Request source",
    "age": "Age",
    "age_group": "Age group",
    "year_group": "Year group",
    "sex": "Sex",
    "ethnicity": "Ethnicity",
    "locality": "Locality",
    "la_code": "Local authority",
}

#: Codes DfE's SEN2 return uses in dimension columns, and what they mean.
CODE_LABELS = {
    "request_source": {
        "1": "parent or young person", "2": "school", "3": "health", "4": "social care",
        "5": "other",
    },
    "primary_need": {
        "ASD": "autistic spectrum disorder", "SEMH": "social, emotional and mental health",
        "SLCN": "speech, language and communication needs", "MLD": "moderate learning difficulty",
        "SPLD": "specific learning difficulty", "SLD": "severe learning difficulty",
        "PMLD": "profound and multiple learning difficulty", "PD": "physical disability",
        "HI": "hearing impairment", "VI": "visual impairment", "MSI": "multi-sensory impairment",
        "DS": "Down syndrome", "OTH": "other difficulty or disability",
    },
    "sex": {"M": "male", "F": "female", "U": "unknown"},
}  # fmt: skip

#: How a sentence names each statutory measure: "{rate} {phrase} in {period}".
MEASURE_PHRASES = {
    "plan-20w": "of EHC plans were issued within 20 weeks",
    "decision-6w": "of decisions whether to assess were made within 6 weeks",
    "no-plan-16w": "of decisions not to issue a plan were notified within 16 weeks",
    "review-12m": "of annual reviews were held within 12 months of the last",
    "review-decision-4w": "of review decisions were made within 4 weeks of the meeting",
    "amended-plan-8w": "of amended plans were issued within 8 weeks of the amendment notice",
    "amended-plan-12w": "of amended plans were issued within 12 weeks of the review meeting",
    "phase-transfer": "of phase-transfer plans were amended by the deadline",
    "dfe-review-decisions": "of annual review decisions were made within 4 weeks, as DfE "
    "measures them,",
    "dfe-request-decisions": "of requests were decided within 6 weeks, as DfE measures them,",
}


def dimension_label(name: str) -> str:
    """ "Primary need" for ``primary_need``; a column not known here, as the file named it."""
    return DIMENSION_LABELS.get(name, name)


def value_label(dimension: str, value: str) -> str:
    """ "school" for request source ``2``; the value itself where the code is not known."""
    return CODE_LABELS.get(dimension, {}).get(value, value)


def group_label(dimension: str, value: str) -> str:
    """ "Request source: school"."""
    return f"{dimension_label(dimension)}: {value_label(dimension, value)}"


def pct(rate: float | None) -> str:
    """19.3%; an em dash where there is no rate."""
    return "—" if rate is None else f"{rate * 100:.1f}%"


def points(difference: float) -> str:
    """A difference of two rates in percentage points, unsigned: "1.5 points"."""
    value = abs(difference) * 100
    return f"{value:.1f} point{'' if f'{value:.1f}' == '1.0' else 's'}"


def period_phrase(period: Period) -> str:
    """How a sentence names a period: "in 2024", "in 2024-25 (April to March)",
    "in Q1 2024", "in March 2024", "in the 12 months to 31 March 2025"; otherwise
    "from 1 January 2024 to 30 June 2024"."""
    start, end, months = period.start, period.end, period.months
    if months is not None and " months to " in period.label:  # asked for as rolling months
        return f"in the {months} months to {end:%-d %B %Y}"
    if months == 12 and start.day == 1 and start.month == 1:
        return f"in {start.year}"
    if months == 12 and start.day == 1 and start.month == 4:
        return f"in {start.year}-{(start.year + 1) % 100:02d} (April to March)"
    if months == 3 and start.day == 1 and start.month in (1, 4, 7, 10):
        return f"in Q{(start.month + 2) // 3} {start.year} ({start:%B} to {end:%B})"
    if months == 1 and start.day == 1:
        return f"in {start:%B %Y}"
    if months is not None:
        return f"in the {months} month{'s' * (months != 1)} to {end:%-d %B %Y}"
    return f"from {start:%-d %B %Y} to {end:%-d %B %Y}"


def previous_phrase(period: Period) -> str:
    """How a sentence names the period before: "the year before", "the previous quarter"."""
    months = period.months
    named = {12: "the year before", 3: "the previous quarter", 1: "the previous month"}
    if months in named:
        return named[months]
    return f"the previous {months} months" if months else "the period before"


def measure_sentence(
    title: str,
    rule: str,
    rate: float | None,
    completed: int,
    period: Period,
    *,
    previous: float | None = None,
    target: float | None = None,
    target_source: str | None = None,
) -> str:
    """One sentence for one measure, from its figures only. ``target_source`` names where the
    target comes from ("England 2024, DfE"): a comparison with England says so."""
    when = period_phrase(period)
    if rate is None:
        return f"{title}: no cases were completed {when}."
    phrase = MEASURE_PHRASES.get(rule)
    if phrase is None:
        text = f"{title}: {pct(rate)} on time {when}"
    else:
        text = f"{pct(rate)} {phrase} {when}"
    text += f" ({completed:,} case{'s' * (completed != 1)})"
    parts = []
    if previous is not None:
        change = rate - previous
        if round(change * 1000) == 0:
            parts.append(f"unchanged on {previous_phrase(period)}")
        else:
            way = "up" if change > 0 else "down"
            parts.append(f"{way} {points(change)} on {previous_phrase(period)}")
    if target is not None:
        gap = rate - target
        against = (f"England ({pct(target)})" if target_source and "England" in target_source
                   else f"the target of {pct(target)}")  # fmt: skip
        if round(gap * 1000) == 0:
            parts.append(f"level with {against}")
        else:
            parts.append(f"{points(gap)} {'above' if gap > 0 else 'below'} {against}")
    if parts:
        text += ", " + " and ".join(parts) if len(parts) <= 2 else ", " + ", ".join(parts)
    if completed < FEW_CASES:
        text += f"; fewer than {FEW_CASES} cases, so read it with care"
    return text + "."


def backlog_sentence(
    open_now: int,
    past_20_now: int,
    as_at: date,
    open_before: int | None = None,
    past_20_before: int | None = None,
    before: date | None = None,
) -> str:
    """The assessment backlog and how it moved since the end of the previous month."""
    text = (f"{open_now:,} request{'s' * (open_now != 1)} for assessment "
            f"{'were' if open_now != 1 else 'was'} waiting for a final plan at "
            f"{as_at:%-d %B %Y}, {past_20_now:,} of them past 20 weeks")  # fmt: skip
    if open_before is not None and past_20_before is not None and before is not None:
        change = open_now - open_before
        moved = ("the same number as" if change == 0 else
                 f"{abs(change):,} {'more' if change > 0 else 'fewer'} than")  # fmt: skip
        text += (f"; {moved} at {before:%-d %B %Y} ({open_before:,}, {past_20_before:,} past "
                 "20 weeks)")  # fmt: skip
    return text + "."
