"""Synthetic casework histories for back-testing the projections (not shipped in the package).

The bundled sample (``ehcp sample``) issues each plan after a random delay, whatever the
backlog: plans issued follow requests, and the backlog is nearly steady. Councils are often
the other way round: a team issues as many plans a week as its staff can, and the backlog
grows or shrinks as requests outrun that or fall behind it. :func:`capacity_led` makes such a
history, with school-year seasonality in requests and capacity and a change of capacity
part-way through, so the back-test can show how each method copes with both kinds.

Every value is text, as ``ehcp_timeliness.sample.generate`` writes it, so the history goes
through the same read and validate stages as a real extract.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

#: Requests by calendar month (Jan..Dec): a dip over Easter, the summer holiday and Christmas.
REQUEST_SEASON = [1.0, 1.05, 1.1, 0.9, 1.1, 1.15, 0.95, 0.45, 1.0, 1.1, 1.15, 0.75]
#: Plans issued by calendar month: fewer in August and December (leave).
CAPACITY_SEASON = [1.0, 1.0, 1.05, 0.95, 1.05, 1.05, 1.0, 0.7, 1.0, 1.05, 1.05, 0.8]


def _iso(days: np.ndarray, as_at: int) -> pd.Series:
    out = np.where((days >= 0) & (days <= as_at), days, -1)
    text = np.datetime_as_string(np.where(out >= 0, out, 0).astype("datetime64[D]"))
    return pd.Series(np.where(out >= 0, text, None), dtype="str")


def capacity_led(
    *,
    seed: int = 7,
    as_at: date = date(2025, 3, 31),
    years: int = 4,
    requests_per_week: float = 40.0,
    growth: float = 0.08,
    capacity: tuple[float, ...] = (28.0, 28.0, 22.0, 31.0),
    live_plans: int = 4000,
    review_capacity: tuple[float, ...] = (1.0, 1.0, 0.85, 1.1),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(requests, plans)``: ``years`` of requests with seasonality and growth, decided at
    4-7 weeks (25% refused), 8% of assessments ending in no plan, and plans issued by a weekly
    capacity (``capacity[y]`` a week in year ``y``, seasonal, Poisson), mostly oldest first.
    The plans table holds the plans issued and ``live_plans`` older ones, ceasing at about 1%
    a month, with their annual reviews held as meetings allow (:func:`_reviews`): a year's
    meetings are ``review_capacity[y]`` times a twelfth of the plans live at its start."""
    rng = np.random.default_rng(seed)
    end = int(np.datetime64(as_at, "D").astype(np.int64))
    weeks = 52 * years
    week_end = end - 7 * (weeks - 1 - np.arange(weeks))
    month = ((week_end - 3).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)) % 12
    rate = requests_per_week * (1 + growth) ** (np.arange(weeks) / 52)
    counts = rng.poisson(rate * np.array(REQUEST_SEASON)[month])
    week_of = np.repeat(np.arange(weeks), counts)
    received = week_end[week_of] - rng.integers(0, 7, len(week_of))
    n = len(received)
    decided = received + rng.integers(28, 50, n)
    refused = rng.random(n) < 0.25
    no_plan = ~refused & (rng.random(n) < 0.08)
    no_plan_day = received + rng.integers(90, 127, n)
    destined = ~refused & ~no_plan
    eligible = received + 84
    issued = np.full(n, -1, dtype=np.int64)
    waiting = np.zeros(n, dtype=bool)
    order = np.argsort(received, kind="stable")
    next_index = 0
    for w in range(weeks):  # a loop over weeks: the team's capacity each week
        day = week_end[w]
        while next_index < n and eligible[order[next_index]] <= day:
            i = order[next_index]
            waiting[i] = destined[i]
            next_index += 1
        pool = np.flatnonzero(waiting)
        if not len(pool):
            continue
        cap = rng.poisson(capacity[min(w // 52, len(capacity) - 1)] * CAPACITY_SEASON[month[w]])
        priority = (day - received[pool]) + rng.normal(0, 28, len(pool))  # mostly oldest first
        chosen = pool[np.argsort(-priority)[:cap]]
        issued[chosen] = np.maximum(day - rng.integers(0, 7, len(chosen)), eligible[chosen])
        waiting[chosen] = False
    request_outcome = np.where(decided <= end, np.where(refused, "N", "Y"), "A")
    assessment = np.full(n, None, dtype=object)
    assessment_day = np.full(n, -1, dtype=np.int64)
    yes = request_outcome == "Y"
    assessment[yes] = "A"
    done_no = yes & no_plan & (no_plan_day <= end)
    assessment[done_no], assessment_day[done_no] = "N", no_plan_day[done_no]
    done_yes = yes & (issued >= 0)
    assessment[done_yes] = "Y"
    assessment_day[done_yes] = np.maximum(issued[done_yes] - rng.integers(7, 22, done_yes.sum()),
                                          decided[done_yes])  # fmt: skip
    exception = np.where(issued >= 0, np.where(rng.random(n) < 0.03, "1", "0"), None)
    requests = pd.DataFrame({
        "person_id": pd.Series([f"P{i:07d}" for i in range(n)], dtype="str"),
        "request_id": pd.Series([f"R{i:07d}" for i in range(n)], dtype="str"),
        "received_date": _iso(received, end),
        "request_outcome": pd.Series(request_outcome, dtype="str"),
        "request_outcome_date": _iso(np.where(request_outcome != "A", decided, -1), end),
        "assessment_outcome": pd.Series(assessment, dtype="str"),
        "assessment_outcome_date": _iso(assessment_day, end),
        "plan_issue_date": _iso(issued, end),
        "week20_exception": pd.Series(exception, dtype="str"),
    })  # fmt: skip
    old_issue = end - rng.integers(365, 365 * 8, live_plans)
    new = np.flatnonzero(issued >= 0)
    issue = np.r_[old_issue, issued[new]]
    cease = issue + rng.exponential(100 * 30.4, len(issue)).astype(np.int64)
    m = len(issue)
    plans = pd.DataFrame({
        "person_id": pd.Series([f"Q{i:07d}" for i in range(live_plans)]
                               + [f"P{i:07d}" for i in new], dtype="str"),
        "plan_id": pd.Series([f"E{i:07d}" for i in range(m)], dtype="str"),
        "plan_issue_date": _iso(issue, end),
        "cease_date": _iso(np.where(cease <= end, cease, -1), end),
        "age_group": pd.Series(rng.choice(["Under 5", "5 to 10", "11 to 15", "16 to 19"], m),
                               dtype="str"),
    })  # fmt: skip
    plan_row, meeting, decision = _reviews(issue, cease, end, years, review_capacity, seed + 1)
    reviews = plans.iloc[plan_row].reset_index(drop=True)
    reviews["review_meeting_date"] = _iso(meeting, end)
    reviews["review_decision_date"] = _iso(decision, end)
    reviews["review_outcome"] = pd.Series(np.where(decision <= end, "M", None), dtype="str")
    unreviewed = plans[~np.isin(np.arange(m), plan_row)]
    return requests, pd.concat([unreviewed, reviews], ignore_index=True)


def _reviews(issue: np.ndarray, cease: np.ndarray, end: int, years: int,
             capacity: tuple[float, ...], seed: int) -> tuple[np.ndarray, ...]:  # fmt: skip
    """Annual reviews held as a team's meetings allow: each month the reviews due by the month
    end (or within the next month) are held oldest due first, up to that month's meetings:
    ``capacity[y]`` times a twelfth of the plans live at the start of the extract's year
    ``y`` (before the extract, a twelfth of those live at the month's start). Each meeting
    makes the next review due a year later; decisions follow 2 to 10 weeks after. ``(plan
    row, meeting day, decision day)`` per review, in day numbers."""
    rng = np.random.default_rng(seed)
    first = end - 365 * years
    next_due = issue + 365
    rows, meetings = [], []
    months = np.arange(np.datetime64(int(issue.min()), "D").astype("datetime64[M]"),
                       np.datetime64(end, "D").astype("datetime64[M]") + 1)  # fmt: skip
    for month in months:  # a loop over months, not plans
        start = int(month.astype("datetime64[D]").astype(np.int64))
        stop = int((month + 1).astype("datetime64[D]").astype(np.int64)) - 1
        year = min(len(capacity) - 1, (start - first) // 365)
        counted = start if year < 0 else first + 365 * year  # the year's start, in the extract
        live_then = ((issue <= counted) & (cease > counted)).sum()
        slots = int(rng.poisson(capacity[max(year, 0)] * live_then / 12))
        waiting = np.flatnonzero((next_due <= stop + 31) & (cease > stop) & (issue <= stop))
        held = waiting[np.argsort(next_due[waiting], kind="stable")[:slots]]
        day = np.minimum(start + rng.integers(0, stop - start + 1, len(held)), end + 1)
        rows.append(held)
        meetings.append(day)
        next_due[held] = day + 365
    row, meeting = np.concatenate(rows), np.concatenate(meetings)
    ok = meeting <= end
    decision = meeting[ok] + rng.integers(14, 71, int(ok.sum()))
    return row[ok], meeting[ok], decision


def write_history(folder: Path, **kwargs: object) -> Path:
    """Write :func:`capacity_led` as ``requests.csv`` and ``plans.csv`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    requests, plans = capacity_led(**kwargs)  # type: ignore[arg-type]
    requests.to_csv(folder / "requests.csv", index=False)
    plans.to_csv(folder / "plans.csv", index=False)
    return folder
