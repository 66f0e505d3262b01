"""Tests for the synthetic EHC casework generator (ehcp_timeliness.sample)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from ehcp_timeliness.sample import PLAN_COLUMNS, REQUEST_COLUMNS, generate, write_sample

AS_AT = date(2025, 3, 31)
ISO = r"^\d{4}-\d{2}-\d{2}$"


@pytest.fixture(scope="module")
def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    return generate()


def _d(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s, format="%Y-%m-%d")


def _date_columns(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if c.endswith("_date")]


def test_deterministic(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    again = generate()
    pd.testing.assert_frame_equal(frames[0], again[0])
    pd.testing.assert_frame_equal(frames[1], again[1])
    other = generate(seed=1)
    assert not frames[0].equals(other[0])


def test_write_sample_byte_identical(tmp_path: Path) -> None:
    a = write_sample(tmp_path / "a", seed=7, n_requests=500, n_plans=400)
    b = write_sample(tmp_path / "b", seed=7, n_requests=500, n_plans=400)
    assert [p.name for p in a] == ["requests.csv", "plans.csv"]
    for pa, pb in zip(a, b, strict=True):
        assert pa.read_bytes() == pb.read_bytes()
    back = pd.read_csv(a[0], dtype="str", keep_default_na=False, na_values=[""])
    assert list(back.columns) == REQUEST_COLUMNS and len(back) == 500


def test_shape_and_text(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    req, plans = frames
    assert list(req.columns) == REQUEST_COLUMNS
    assert list(plans.columns) == PLAN_COLUMNS
    assert len(req) == 6000 and req["request_id"].is_unique
    assert plans["plan_id"].nunique() == 7000
    assert 7000 <= len(plans) <= 7000 * 4
    for df in frames:
        assert all(pd.api.types.is_string_dtype(t) for t in df.dtypes)
    shared = req["person_id"].value_counts()
    assert shared.max() == 2 and 0.02 <= (shared == 2).mean() <= 0.04
    assert set(req["request_outcome"]) == {"Y", "N", "W", "A"}


#: Dates of things still to come, which may lie after the as-at date (as the validator allows).
AHEAD = {"phase_transfer_date", "phase_transfer_due_date"}


def test_dates_iso_and_not_after_as_at(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    for df in frames:
        for col in _date_columns(df):
            s = df[col].dropna()
            assert s.str.match(ISO).all(), col
            if col not in AHEAD:
                assert (_d(s) <= pd.Timestamp(AS_AT)).all(), col
    assert frames[0]["received_date"].notna().all()
    assert frames[1]["plan_issue_date"].notna().all()


def test_request_ordering(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    req = frames[0]
    rec, out = _d(req["received_date"]), _d(req["request_outcome_date"])
    ass, plan = _d(req["assessment_outcome_date"]), _d(req["plan_issue_date"])
    assert (out.dropna() >= rec[out.notna()]).all()
    assert (ass.dropna() >= out[ass.notna()]).all()
    assert (plan.dropna() >= rec[plan.notna()]).all()
    assert (plan.dropna() >= ass[plan.notna()]).all()
    pending = req["request_outcome"] == "A"
    assert req.loc[pending, "request_outcome_date"].isna().all()
    assert (rec[pending] >= pd.Timestamp(AS_AT) - pd.Timedelta(days=60)).all()
    assert (req["week20_exception"].notna() == plan.notna()).all()
    draft = _d(req["draft_plan_date"])
    assert (draft.notna() == plan.notna()).all()
    assert (draft.dropna() >= out[draft.notna()]).all()
    premature = (plan - draft).dt.days.dropna() < 15  # reg 13(1)(a): a few, to show it
    assert 0 < premature.mean() < 0.03


def test_plan_ordering(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    p = frames[1]
    meet, dec = _d(p["review_meeting_date"]), _d(p["review_decision_date"])
    notice, amended = _d(p["amendment_notice_date"]), _d(p["amended_plan_date"])
    issue, cease = _d(p["plan_issue_date"]), _d(p["cease_date"])
    assert (dec.dropna() >= meet[dec.notna()]).all()
    assert (meet.dropna() > issue[meet.notna()]).all()
    assert (amended.dropna() >= notice[amended.notna()]).all()
    assert (cease.dropna() >= issue[cease.notna()]).all()
    assert (p["cease_reason"].notna() == cease.notna()).all()
    no_amend = _d(p["no_amend_notice_date"])
    assert (no_amend.dropna() >= notice[no_amend.notna()]).all()
    assert not (amended.notna() & no_amend.notna()).any()  # one or the other
    # the final amended plan after the parent's 15 days to comment (reg 22(2)(c))
    assert ((amended - notice).dt.days.dropna() >= 15).all()
    # reg 18(1): 15 February, or 31 March for secondary school to post-16, of the move's year
    due = _d(p["phase_transfer_due_date"])
    feb15 = (due.dt.month == 2) & (due.dt.day == 15)
    mar31 = (due.dt.month == 3) & (due.dt.day == 31)
    assert (feb15 | mar31)[due.notna()].all() and mar31.any()
    move, kind = _d(p["phase_transfer_date"]), p["phase_transfer_type"]
    assert (move.notna() == kind.notna()).all() and move.notna().any()
    assert (move.dropna().dt.year == due[move.notna()].dt.year).all()
    assert ((kind == "post16") == (mar31 & move.notna())).all()
    # plan-level phase-transfer dates on one row of each plan only
    assert not p.loc[due.notna(), "plan_id"].duplicated().any()


def test_open_backlog(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    req = frames[0]
    open_ = req["assessment_outcome"].isin(["Y", "A"]) & req["plan_issue_date"].isna()
    weeks = (pd.Timestamp(AS_AT) - _d(req.loc[open_, "received_date"])).dt.days / 7
    assert (weeks > 20).sum() > 50 and (weeks > 52).sum() > 0


def test_approximate_shares(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    req, plans = frames
    rec = _d(req["received_date"])
    issued = (_d(req["plan_issue_date"]) - rec).dt.days.dropna()
    assert abs((issued <= 140).mean() - 0.21) <= 0.04
    decided = (_d(req["request_outcome_date"]) - rec).dt.days.dropna()
    assert abs((decided <= 42).mean() - 0.73) <= 0.05
    review = (_d(plans["review_decision_date"]) - _d(plans["review_meeting_date"])).dt.days.dropna()
    assert abs((review <= 28).mean() - 0.22) <= 0.05
    shares = req["request_outcome"].value_counts(normalize=True)
    assert abs(shares["Y"] - 0.70) <= 0.04 and abs(shares["N"] - 0.22) <= 0.04


def test_the_sample_command_says_its_own_as_at_default() -> None:
    from typer.testing import CliRunner

    from ehcp_timeliness.cli.app import app

    shown = " ".join(CliRunner().invoke(app, ["sample", "--help"]).output.split())
    assert "[default: 2025-03-31]" in shown and "ReferenceDate" not in shown
