"""Sentences and labels made from the figures: exact text for known figures."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ehcp_timeliness.report import Period, parse_period
from ehcp_timeliness.words import (
    backlog_sentence,
    group_label,
    measure_sentence,
    pct,
    period_phrase,
    points,
    previous_phrase,
)

AS_AT = date(2025, 3, 31)


@pytest.mark.parametrize(
    ("text", "now", "before", "previous"),
    [
        ("2024", "in 2024", "in 2023", "the year before"),
        ("2024-25", "in 2024-25 (April to March)", "in 2023-24 (April to March)",
         "the year before"),
        ("2024-Q1", "in Q1 2024 (January to March)", "in Q4 2023 (October to December)",
         "the previous quarter"),
        ("2024-03", "in March 2024", "in February 2024", "the previous month"),
        ("rolling-12", "in the 12 months to 31 March 2025", "in 2023-24 (April to March)",
         "the year before"),
        ("rolling-6", "in the 6 months to 31 March 2025", "in the 6 months to 30 September 2024",
         "the previous 6 months"),
    ],
)  # fmt: skip
def test_periods_in_words(text, now, before, previous):
    period = parse_period(text, AS_AT)
    assert period_phrase(period) == now
    assert period_phrase(period.previous()) == before
    assert previous_phrase(period) == previous


def test_a_custom_period_and_a_leap_day():
    custom = Period(label="x", start=date(2024, 1, 10), end=date(2024, 2, 20))
    assert period_phrase(custom) == "from 10 January 2024 to 20 February 2024"
    leap = parse_period("rolling-12", date(2024, 2, 29))
    assert period_phrase(leap) == "in the 12 months to 29 February 2024"


def test_the_headline_sentence_for_known_figures():
    period = parse_period("rolling-12", AS_AT)
    text = measure_sentence("Final EHC plan within 20 weeks", "plan-20w", 249 / 1290, 1290,
                            period, previous=0.208, target=0.464,
                            target_source="England 2024, DfE")  # fmt: skip
    assert text == (
        "19.3% of EHC plans were issued within 20 weeks in the 12 months to 31 March 2025 "
        "(1,290 cases), down 1.5 points on the year before and 27.1 points below England "
        "(46.4%)."
    )


def test_rates_round_once_from_the_exact_value():
    assert pct(53 / 1343) == "3.9%"  # 0.03946...: rounding to 0.0395 first would say 4.0%
    assert points(0.0149) == "1.5 points" and points(-0.01) == "1.0 point"


def test_a_local_rule_few_cases_and_no_change():
    text = measure_sentence("Local: plan within 14 weeks", "local-14w", 0.5, 8,
                            parse_period("2024", AS_AT), previous=0.5, target=0.6)  # fmt: skip
    assert text == (
        "Local: plan within 14 weeks: 50.0% on time in 2024 (8 cases), unchanged on the year "
        "before and 10.0 points below the target of 60.0%; fewer than 10 cases, so read it "
        "with care."
    )


def test_no_cases_says_so_and_nothing_else():
    text = measure_sentence("Phase transfer", "phase-transfer", None, 0,
                            parse_period("2024-03", AS_AT), previous=0.4, target=0.9)  # fmt: skip
    assert text == "Phase transfer: no cases were completed in March 2024."


def test_backlog_sentence():
    assert backlog_sentence(975, 279, AS_AT, 963, 250, date(2025, 2, 28)) == (
        "975 requests for assessment were waiting for a final plan at 31 March 2025, 279 of "
        "them past 20 weeks; 12 more than at 28 February 2025 (963, 250 past 20 weeks)."
    )
    assert backlog_sentence(1, 0, AS_AT).startswith("1 request for assessment was waiting")


def test_labels():
    assert group_label("request_source", "2") == "Request source: school"
    assert group_label("primary_need", "ASD") == "Primary need: autistic spectrum disorder"
    assert group_label("team", "North") == "Team: North"
    assert group_label("my_local_field", "x") == "My local field: x"


@given(
    rate=st.floats(0, 1),
    previous=st.none() | st.floats(0, 1),
    target=st.none() | st.floats(0, 1),
    completed=st.integers(1, 10_000),
)
def test_sentences_never_contradict_their_figures(rate, previous, target, completed):
    text = measure_sentence("T", "plan-20w", rate, completed, parse_period("2024", AS_AT),
                            previous=previous, target=target)  # fmt: skip
    assert text.startswith(pct(rate))
    if previous is not None:
        change = round((rate - previous) * 1000)
        assert ("up " in text) == (change > 0) and ("down " in text) == (change < 0)
    if target is not None:
        gap = round((rate - target) * 1000)
        assert (" above " in text) == (gap > 0) and (" below " in text) == (gap < 0)
