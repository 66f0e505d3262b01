"""The annual-review projection's two ways of holding reviews and deciding them, on hand-made
reviews (project/reviews.py)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ehcp_timeliness.project import reviews as rv
from ehcp_timeliness.project.history import NEVER, day_of

ORIGIN = day_of(date(2025, 3, 31))


def waits(refs: list[date], done: list[date | None], start: date = date(2024, 1, 1)
          ) -> rv.Waits:  # fmt: skip
    day = np.array([day_of(d) for d in refs])
    end = np.array([NEVER if d is None else day_of(d) for d in done])
    return rv.Waits(day, end, np.full(len(day), NEVER), np.full(len(day), day_of(start)))


def test_timing_shares_are_held_over_waiting_by_month_from_the_due_month():
    # Four reviews due in January 2025: two held in January, one in February, one never.
    w = waits([date(2025, 1, 10)] * 4,
              [date(2025, 1, 5), date(2025, 1, 20), date(2025, 2, 3), None])  # fmt: skip
    at_risk, ended = rv.timing_counts(w, int(rv._month(np.array([ORIGIN]))[0]))
    share = rv.shares(at_risk.sum(axis=0), ended.sum(axis=0))
    k = rv.EARLY_MONTHS  # the column of the due month
    assert at_risk.sum(axis=0)[k] == 4 and ended.sum(axis=0)[k] == 2
    assert share[k] == 0.5 and share[k + 1] == 0.5  # one of the two left, in February
    assert share[k + 2] == 0.0  # the last waited through March, not held
    assert (share[:k] == 0).all()  # none held early
    # Where no one was waiting (4 or more months late), the last month's share carries on.
    assert share[k + 3] == share[k + 2]


def test_a_review_held_more_than_three_months_early_counts_as_three():
    w = waits([date(2025, 3, 15)], [date(2024, 10, 1)])
    at_risk, ended = rv.timing_counts(w, int(rv._month(np.array([ORIGIN]))[0]))
    assert ended.sum() == 1 and ended.sum(axis=0)[0] == 1


def state(overdue: float, due: list[float], awaited: float | None = None) -> rv.State:
    months = len(due)
    ahead = rv.month_ends_after(ORIGIN, months + 12)
    scheduled = np.r_[due, np.zeros(12)].astype(float)
    late = np.zeros(rv._PRE + 1)  # by month overdue from: the last month before the first
    late[rv._PRE - 1] = overdue
    wait = None if awaited is None else np.r_[np.zeros(rv._PRE - 1), awaited, 0.0]
    return rv.State(ahead, scheduled, scheduled.copy(), np.zeros(months), late, wait)


def test_capacity_holds_the_oldest_first_then_next_month_s_early():
    s = state(overdue=30, due=[50, 50, 50])
    out = rv._run(s, rv.Pace(held_rate=np.array([100.0])), np.zeros((1, 3)), 0.0, 3)
    # April: the 30 overdue, April's 50 and 20 of May's early; May: its other 30 and all 50
    # of June's early (80, under the 100 meetings); June: none left.
    assert out["held"][0].tolist() == [100, 80, 0]
    assert out["overdue"][0].tolist() == [0, 0, 0]
    assert out["due"][0].tolist() == [50, 50, 50]


def test_timing_holds_each_review_at_its_share_and_leaves_the_rest_overdue():
    s = state(overdue=0, due=[100, 100])
    share = np.zeros((1, rv._WIDTH))
    share[0, rv.EARLY_MONTHS] = 0.8  # 80% held in the due month
    share[0, rv.EARLY_MONTHS + 1 :] = 0.5  # half of the rest each month after
    out = rv._run(s, rv.Pace(held_share=share), np.zeros((1, 2)), 0.0, 2)
    assert out["held"][0].tolist() == pytest.approx([80, 80 + 10])
    assert out["overdue"][0].tolist() == pytest.approx([20, 10 + 20])


def test_decisions_at_capacity_and_at_timing():
    s = state(overdue=0, due=[100, 100], awaited=50)
    share = np.zeros((1, rv._WIDTH))
    share[0, rv.EARLY_MONTHS] = 1.0
    capacity = rv._run(s, rv.Pace(held_share=share, decided_rate=np.array([60.0])),
                       np.zeros((1, 2)), 0.0, 2)  # fmt: skip
    assert capacity["queue"][0].tolist() == pytest.approx([50 + 100 - 60, 90 + 100 - 60])
    decided = np.zeros((1, rv._WIDTH))
    decided[0, rv.EARLY_MONTHS :] = 0.5  # half of those waiting are decided each month
    timing = rv._run(s, rv.Pace(held_share=share, decided_share=decided), np.zeros((1, 2)),
                     0.0, 2)  # fmt: skip
    assert timing["queue"][0].tolist() == pytest.approx([75, 37.5 + 50])


@settings(max_examples=60, deadline=None)
@given(overdue=st.floats(0, 500), due=st.lists(st.floats(0, 500), min_size=1, max_size=8),
       rate=st.floats(0, 800), on_time=st.floats(0, 1), late=st.floats(0, 1))  # fmt: skip
def test_reviews_are_never_held_twice_nor_lost(overdue, due, rate, on_time, late):
    """Every review due is held or still overdue: by each month end, reviews held plus those
    overdue equal those due by then (plus, under capacity, next month's held early), and
    with no meetings the overdue only grow."""
    s = state(overdue, due)
    months = len(due)
    due_by = overdue + np.cumsum(due)
    share = np.zeros((1, rv._WIDTH))
    share[0, rv.EARLY_MONTHS] = on_time
    share[0, rv.EARLY_MONTHS + 1 :] = late
    timing = rv._run(s, rv.Pace(held_share=share), np.zeros((1, months)), 0.0, months)
    accounted = np.cumsum(timing["held"][0]) + timing["overdue"][0]
    assert accounted == pytest.approx(
        due_by, abs=1e-6
    )  # none held early: shares from the due month
    capacity = rv._run(s, rv.Pace(held_rate=np.array([rate])), np.zeros((1, months)), 0.0,
                       months)  # fmt: skip
    accounted = np.cumsum(capacity["held"][0]) + capacity["overdue"][0]
    early = accounted - due_by  # next month's reviews held early
    assert (early >= -1e-6).all() and (early <= np.r_[due[1:], 0.0] + 1e-6).all()
    assert (capacity["held"][0] <= rate + 1e-6).all()
    none = rv._run(s, rv.Pace(held_rate=np.array([0.0])), np.zeros((1, months)), 0.0, months)
    assert none["overdue"][0] == pytest.approx(due_by, abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(days=st.lists(st.tuples(st.integers(0, 800), st.integers(0, 900) | st.none(),
                               st.integers(0, 900) | st.none(), st.integers(0, 800)),
                     min_size=1, max_size=30),
       cut=st.integers(0, 900))  # fmt: skip
def test_waits_as_recorded_hold_nothing_after_the_day(days, cut):
    """The hold-out's starting point: waits not yet begun are left out, and meetings,
    decisions and cessations after the day have not happened."""
    base = day_of(date(2023, 1, 1))
    ref = np.array([base + r for r, _, _, _ in days])
    done = np.array([NEVER if d is None else base + d for _, d, _, _ in days])
    cease = np.array([NEVER if c is None else base + c for _, _, c, _ in days])
    start = np.array([base + s for _, _, _, s in days])
    w = rv.Waits(ref, done, cease, start).as_at(base + cut)
    assert (w.start <= base + cut).all()
    assert ((w.done <= base + cut) | (w.done == NEVER)).all()
    assert ((w.cease <= base + cut) | (w.cease == NEVER)).all()
    assert len(w.ref) == int((start <= base + cut).sum())


@settings(max_examples=60, deadline=None)
@given(waiting=st.lists(st.floats(0, 1000), min_size=1, max_size=20), share=st.floats(0, 1),
       seed=st.integers(0, 2**32 - 1))  # fmt: skip
def test_endings_drawn_about_their_share_stay_between_none_and_all(waiting, share, seed):
    w = np.array([waiting])
    drawn = rv._ended(w, np.full(w.shape, share), np.random.default_rng(seed))
    assert (drawn >= 0).all() and (drawn <= w + 1e-9).all()
    assert np.array_equal(rv._ended(w, np.full(w.shape, share), None), w * share)


def test_the_band_carries_each_month_s_own_variation():
    """Each simulated future's months take different recent months (capacity) or draw their
    meetings about their shares (timing), so the band has width even a month ahead, and the
    average of many futures is the central projection."""
    s = state(overdue=50, due=[400] * 6, awaited=300)
    held = np.array([380.0, 420, 400, 450, 350, 400])
    picks = np.random.default_rng(1).integers(0, rv.RECENT_MONTHS, size=(2000, 6))
    spread = rv._pace("capacity", held, held * 0.9, None, None, months=picks)
    central = rv._pace("capacity", held, held * 0.9, None, None)
    run = rv._run(s, spread, np.zeros((2000, 6)), 0.0, 6)
    mean = rv._run(s, central, np.zeros((1, 6)), 0.0, 6)
    lo, hi = np.percentile(run["held"][:, 0], [10, 90])
    assert hi - lo >= 50 and lo <= mean["held"][0, 0] <= hi
    share = np.zeros((1, rv._WIDTH))
    share[0, rv.EARLY_MONTHS] = 0.8
    share[0, rv.EARLY_MONTHS + 1 :] = 0.5
    noisy = rv.Pace(held_share=np.repeat(share, 2000, axis=0), noise=np.random.default_rng(2))
    no_decisions = state(overdue=50, due=[400] * 6)
    drawn = rv._run(no_decisions, noisy, np.zeros((2000, 6)), 0.0, 6)
    exact = rv._run(no_decisions, rv.Pace(held_share=share), np.zeros((1, 6)), 0.0, 6)
    assert drawn["held"][:, 0].std() > 1
    assert drawn["held"][:, 0].mean() == pytest.approx(exact["held"][0, 0], rel=0.01)
