"""Deterministic generator of a synthetic, anonymised EHC plan casework extract.

Two tables are produced, shaped like a council's case-management extract:

* ``requests`` - one row per request for an EHC needs assessment, with the
  decision to assess, the assessment outcome and the date any plan was issued;
* ``plans`` - one row per annual review of an EHC plan (every review since
  issue), or a single row with blank review columns for a plan that has had no
  review.

Every value is text (pandas ``str`` dtype, missing for blank) and every date is
ISO ``YYYY-MM-DD``. No event date is after ``as_at``; a phase transfer's planned dates
(``phase_transfer_date``, ``phase_transfer_due_date``) may lie up to a year ahead. The data are
random but fully vectorised and deterministic: the same seed and arguments give identical frames
and byte-identical CSV files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ehcp_timeliness.write.atomic import write_atomic

REQUEST_COLUMNS = [
    "person_id",
    "request_id",
    "received_date",
    "request_outcome",
    "request_outcome_date",
    "assessment_outcome",
    "assessment_outcome_date",
    "draft_plan_date",
    "plan_issue_date",
    "week20_exception",
    "team",
    "primary_need",
    "age_group",
    "request_source",
]
PLAN_COLUMNS = [
    "person_id",
    "plan_id",
    "plan_issue_date",
    "review_meeting_date",
    "review_decision_date",
    "review_outcome",
    "amendment_notice_date",
    "amended_plan_date",
    "no_amend_notice_date",
    "phase_transfer_date",
    "phase_transfer_type",
    "phase_transfer_due_date",
    "phase_transfer_final_date",
    "cease_date",
    "cease_reason",
    "team",
    "primary_need",
    "age_group",
]

#: Reviews kept per plan. Every review since issue is kept (ten years of yearly
#: reviews fit), because the 12-month review clock runs as a chain from the issue
#: date through each meeting: a truncated history would look like missed reviews.
MAX_REVIEWS = 20
PLAN_YEARS = 10

TEAMS = {"North": 26, "South": 22, "East": 20, "West": 18, "Central": 14}
NEEDS = {
    "ASD": 32,
    "SEMH": 20,
    "SLCN": 18,
    "MLD": 7,
    "SPLD": 5,
    "SLD": 4,
    "PMLD": 1,
    "PD": 4,
    "HI": 2,
    "VI": 1,
    "MSI": 0.5,
    "OTH": 5.5,
}
REQUEST_AGES = {"Under 5": 20, "5 to 10": 42, "11 to 15": 28, "16 to 19": 8, "20 to 25": 2}
PLAN_AGES = {"Under 5": 6, "5 to 10": 34, "11 to 15": 34, "16 to 19": 20, "20 to 25": 6}
SOURCES = {"1": 45, "2": 38, "3": 8, "4": 5, "5": 4}
CEASE_REASONS = {"1": 8, "2": 30, "3": 7, "4": 6, "5": 25, "6": 7, "7": 5, "8": 2, "9": 10}
AGES = list(REQUEST_AGES)  # same labels, in order, for both tables

BLANK = -1  # code for a blank value / blank date (never a real day number here)


def _pick(rng: np.random.Generator, weights: Mapping[str, float], n: int) -> np.ndarray:
    """Draw ``n`` category codes (indices into ``weights``) with the given relative weights."""
    p = np.fromiter(weights.values(), float)
    return np.searchsorted(np.cumsum(p / p.sum())[:-1], rng.random(n), side="right")


def _days(
    rng: np.random.Generator, n: int, segments: Sequence[tuple[float, int, int, float]]
) -> np.ndarray:
    """Draw integer day counts from a mixture of truncated exponentials.

    Each segment is ``(weight, lo, hi, scale)`` on the whole days ``lo..hi``:
    ``scale > 0`` puts more mass near ``lo``, ``scale < 0`` near ``hi`` and
    ``scale == 0`` is uniform.
    """
    w, lo, hi, sc = (np.array(c, float) for c in zip(*segments, strict=True))
    seg = np.searchsorted(np.cumsum(w / w.sum())[:-1], rng.random(n), side="right")
    lo, width, sc, u = lo[seg], hi[seg] - lo[seg] + 1, sc[seg], rng.random(n)
    a = np.where(sc == 0, 1.0, np.abs(sc))
    x = np.where(sc == 0, u * width, -a * np.log1p(-u * -np.expm1(-width / a)))
    x = np.where(sc < 0, width - x, x)
    return (lo + np.minimum(np.floor(x), width - 1)).astype(np.int64)


def _growth(rng: np.random.Generator, n: int, rate: float) -> np.ndarray:
    """Draw ``n`` points in [0, 1) with density proportional to ``exp(rate * t)``."""
    return np.log1p(rng.random(n) * np.expm1(rate)) / rate


def _text(labels: Sequence[str], codes: np.ndarray) -> pd.Series:
    """Map integer codes to a ``str`` Series of ``labels`` (code ``BLANK`` -> missing)."""
    table = np.array([*labels, None], dtype=object)  # index -1 is the blank
    return pd.Series(table[codes], dtype="str")


def _dates(days: np.ndarray, as_at: int) -> pd.Series:
    """Format day numbers (days since 1970-01-01) as ISO text.

    ``BLANK`` days and days after ``as_at`` become missing values.
    """
    ok = (days != BLANK) & (days <= as_at)
    lo = int(days[ok].min()) if ok.any() else as_at
    labels = np.datetime_as_string(np.arange(lo, as_at + 1).astype("datetime64[D]"))
    return _text(list(labels), np.where(ok, days - lo, BLANK))


def _ids(prefix: str, numbers: np.ndarray, width: int = 7) -> np.ndarray:
    """Format integers as zero-padded identifiers such as ``P0000123``."""
    if numbers.size == 0:
        return np.array([], dtype=object)
    digits = np.strings.zfill(numbers.astype(str), max(width, len(str(int(numbers.max())))))
    return np.strings.add(prefix, digits).astype(object)


def _year(days: np.ndarray) -> np.ndarray:
    """Calendar year (counted from 1970) of day numbers."""
    return days.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64)


def _on(years: np.ndarray, month: int, day: int) -> np.ndarray:
    """Day number of ``day`` ``month`` in years counted from 1970."""
    first = years.astype("datetime64[Y]").astype("datetime64[M]") + (month - 1)
    return first.astype("datetime64[D]").astype(np.int64) + day - 1


def _requests(
    rng: np.random.Generator, as_at: int, n: int, extra: np.random.Generator
) -> dict[str, np.ndarray]:
    """Simulate ``n`` requests; returns day numbers and integer codes per column. ``extra``
    draws the columns added later, so that ``rng`` draws what it always drew."""
    span = round(365.25 * min(max(3.0, n / 2000), 4.0))
    received = np.sort(as_at - np.floor((1 - _growth(rng, n, 0.3)) * span).astype(np.int64))
    age = as_at - received
    dec = _days(rng, n, [(0.725, 14, 42, -12.0), (0.275, 43, 120, 20.0)])
    late = (dec > age) & (age > 56)  # only recent requests may still await a decision
    dec[late] = rng.integers(43, age[late] + 1)
    outcome = _pick(rng, {"Y": 73, "N": 23.5, "W": 3.5}, n)
    out_date = received + dec
    outcome[out_date > as_at] = 3  # 'A': decision not yet made
    out_date[outcome == 3] = BLANK

    assess = _pick(rng, {"Y": 88, "N": 10, "W": 2}, n)
    plan_day = received + np.maximum(
        _days(rng, n, [(0.19, 84, 140, -25.0), (0.76, 141, 365, 100.0), (0.05, 366, 900, 100.0)]),
        dec + 28,
    )
    ass_date = np.select(
        [assess == 0, assess == 1],
        [
            np.maximum(plan_day - rng.integers(14, 41, n), out_date),
            np.maximum(received + rng.integers(80, 201, n), out_date + 7),
        ],
        out_date + rng.integers(7, 121, n),
    )
    is_y = outcome == 0
    assess[is_y & (ass_date > as_at)] = 3  # 'A': assessment still open
    assess[~is_y] = BLANK
    ass_date[(assess == 3) | ~is_y] = BLANK
    issued = (assess == 0) & (plan_day <= as_at)
    plan_day[~issued] = BLANK
    week20 = np.where(issued, (rng.random(n) < 0.04).astype(np.int64), BLANK)
    # the draft 15-35 days before the final plan (after the decision to assess); about 1% of
    # plans are finalised before the parent's 15 days to comment had run (reg 13(1)(a))
    gap = np.where(extra.random(n) < 0.01, extra.integers(5, 15, n), extra.integers(15, 36, n))
    draft = np.where(issued, np.maximum(plan_day - gap, out_date), BLANK)

    # about 3% of persons re-request after a refusal: a later request takes their key
    person = np.arange(n)
    m = round(0.04 * n / 1.03)
    refused = np.flatnonzero((outcome == 1) & (out_date < as_at - 30))
    first = np.sort(rng.choice(refused, min(m, refused.size), replace=False))
    later = np.searchsorted(received, out_date[first] + rng.integers(14, 366, first.size))
    ok = (later < n) & ~np.isin(later, first)
    first, later = first[ok], later[ok]
    _, keep = np.unique(later, return_index=True)
    person[later[keep]] = person[first[keep]]
    return {
        "person": person,
        "received": received,
        "outcome": outcome,
        "out_date": out_date,
        "assess": assess,
        "ass_date": ass_date,
        "plan_day": plan_day,
        "draft": draft,
        "week20": week20,
        "team": _pick(rng, TEAMS, n),
        "need": _pick(rng, NEEDS, n),
        "age": _pick(rng, REQUEST_AGES, n),
        "source": _pick(rng, SOURCES, n),
    }


def _plans(
    rng: np.random.Generator,
    as_at: int,
    n: int,
    req: dict[str, np.ndarray],
    extra: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Simulate ``n`` plans (some issued from ``req``) and their review histories; ``extra``
    draws the columns added later, as for :func:`_requests`."""
    pool = np.flatnonzero(req["plan_day"] != BLANK)
    linked = np.sort(rng.choice(pool, min(pool.size, round(0.15 * n)), replace=False))
    k = n - linked.size
    span = round(365.25 * PLAN_YEARS)
    issue = np.concatenate(
        [
            req["plan_day"][linked],
            as_at - np.floor((1 - _growth(rng, k, 0.3)) * span).astype(np.int64),
        ]
    )
    person = np.concatenate([req["person"][linked], req["person"].size + np.arange(k)])
    team = np.concatenate([req["team"][linked], _pick(rng, TEAMS, k)])
    need = np.concatenate([req["need"][linked], _pick(rng, NEEDS, k)])
    age = np.concatenate([req["age"][linked], _pick(rng, PLAN_AGES, k)])
    order = np.argsort(issue, kind="stable")
    issue, person, team, need, age = (a[order] for a in (issue, person, team, need, age))

    # ~2% cease before any review; the rest have reviews every ~10-14 months
    early = rng.random(n) < 0.02
    early_cease = np.where(early, issue + rng.integers(60, 300, n), BLANK)
    n_slots = span // 300 + 2
    gaps = _days(rng, n * n_slots, [(0.8, 300, 365, 0.0), (0.2, 366, 430, 40.0)])
    meet_all = issue[:, None] + np.cumsum(gaps.reshape(n, n_slots), axis=1)
    valid = (meet_all <= as_at) & ~early[:, None]
    plan, slot = np.nonzero(valid)
    meet = meet_all[plan, slot]
    del meet_all, gaps

    decision = meet + _days(rng, meet.size, [(0.215, 7, 28, 0.0), (0.785, 29, 120, 30.0)])
    outcome = _pick(rng, {"M": 55, "A": 40, "C": 5}, meet.size)
    outcome[decision > as_at] = BLANK
    is_c = (outcome == 2).astype(np.int64)
    before = np.cumsum(is_c) - is_c  # C outcomes before this review (all plans)
    seen_c = before - before[np.searchsorted(plan, plan)]  # ... within this plan
    keep = seen_c == 0  # no reviews after a decision to cease
    counts = np.bincount(plan[keep], minlength=n)
    pos = np.arange(keep.sum()) - (np.cumsum(counts) - counts)[plan[keep]]
    sel = np.flatnonzero(keep)[pos >= counts[plan[keep]] - MAX_REVIEWS]
    plan, meet, decision, outcome = plan[sel], meet[sel], decision[sel], outcome[sel]
    counts = np.bincount(plan, minlength=n)

    m = plan.size
    amended = outcome == 1
    notice = np.where(amended, decision + rng.integers(0, 15, m), BLANK)
    # the final amended plan after the parent's 15 days to comment (reg 22(2)(c)); ~8% of
    # proposed amendments end instead in a notice of a decision not to amend (reg 22(4))
    amend = np.where(
        amended, notice + _days(rng, m, [(0.5, 15, 56, 0.0), (0.5, 57, 300, 45.0)]), BLANK
    )
    not_amended = amended & (extra.random(m) < 0.08)
    no_amend = np.where(not_amended, amend, BLANK)
    amend[not_amended] = BLANK
    cease = np.where(outcome == 2, decision + rng.integers(0, 61, m), BLANK)
    cease[cease > as_at] = BLANK
    reason = np.where(cease != BLANK, _pick(rng, CEASE_REASONS, m), BLANK)
    early_cease[early_cease > as_at] = BLANK
    early_reason = np.where(early_cease != BLANK, _pick(rng, CEASE_REASONS, n), BLANK)

    # ~10% of plans have a phase transfer due on 15 February of a later year
    ceased = early | (np.bincount(plan, weights=outcome == 2, minlength=n) > 0)
    lo = _year(issue + 31)
    lo += _on(lo, 2, 15) < issue + 31
    hi = _year(np.array(as_at))
    hi -= _on(hi, 2, 15) > as_at
    transfer = (rng.random(n) < 0.12) & ~ceased & (lo <= hi)
    lo = np.maximum(lo, hi - 2)  # the last three rounds are in the extract
    due_year = lo + np.floor(rng.random(n) * np.maximum(hi - lo + 1, 1)).astype(np.int64)
    # a quarter move from secondary school to post-16 (before 31 March, reg 18(1)(a)); half
    # of the extract's transfers carry the move date (1 September) and type as well
    post16 = transfer & (extra.random(n) < 0.25)
    due = np.where(transfer, np.where(post16, _on(due_year, 3, 31), _on(due_year, 2, 15)), BLANK)
    final = np.where(transfer, np.maximum(due + rng.integers(-45, 61, n), issue), BLANK)
    dated = transfer & (extra.random(n) < 0.5)
    moves = np.where(dated, _on(due_year, 9, 1), BLANK)
    kind = np.where(dated, post16.astype(np.int64), BLANK)

    rows = np.maximum(counts, 1)
    row_plan = np.repeat(np.arange(n), rows)
    has = np.repeat(counts > 0, rows)
    # plan-level phase-transfer dates only on each plan's latest row, as many systems give them
    latest = np.r_[row_plan[1:] != row_plan[:-1], True]

    def on_latest(values: np.ndarray) -> np.ndarray:
        return np.where(latest, values[row_plan], BLANK)

    def per_row(review: np.ndarray, no_review: np.ndarray | None = None) -> np.ndarray:
        """Spread a per-review value over the rows; plans without reviews get ``no_review``."""
        out = np.full(row_plan.size, BLANK, dtype=np.int64)
        out[has] = review
        if no_review is not None:
            out[~has] = no_review[row_plan[~has]]
        return out

    return {
        "person": person[row_plan],
        "plan_no": row_plan + 1,
        "issue": issue[row_plan],
        "meet": per_row(meet),
        "decision": per_row(decision),
        "outcome": per_row(outcome),
        "notice": per_row(notice),
        "amend": per_row(amend),
        "no_amend": per_row(no_amend),
        "move": on_latest(moves),
        "kind": on_latest(kind),
        "due": on_latest(due),
        "final": on_latest(final),
        "cease": per_row(cease, early_cease),
        "reason": per_row(reason, early_reason),
        "team": team[row_plan],
        "need": need[row_plan],
        "age": age[row_plan],
    }


def generate(
    *,
    seed: int = 2025,
    as_at: date = date(2025, 3, 31),
    n_requests: int = 6000,
    n_plans: int = 7000,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return ``(requests, plans)`` DataFrames whose columns are all text.

    Values are pandas ``str`` dtype with missing values for blanks; dates are ISO
    ``YYYY-MM-DD`` and never after ``as_at``, but for phase transfers planned up to a year
    ahead. Requests are received over
    ``max(3, n_requests / 2000)`` years (capped at 4) ending at ``as_at``. Plans are
    issued over the 10 years before ``as_at`` (recent years more common; up to 15%
    of them are plans issued from the requests table, sharing ``person_id``). The
    plans table has one row per review since issue, or one row for a plan without
    reviews: about 3.6 rows per plan on average, so ``n_plans=200_000`` gives
    roughly 730,000 rows.
    """
    rng = np.random.default_rng(seed)
    day = int(np.datetime64(as_at, "D").astype(np.int64))
    extra = np.random.default_rng([seed, 8])  # issue 8's columns: a stream of their own
    r = _requests(rng, day, n_requests, extra)
    p = _plans(rng, day, n_plans, r, extra)
    n_people = n_requests + n_plans
    pid = _ids("P", rng.permutation(n_people) + 1)
    ab = ("Y", "N", "W", "A")
    requests = pd.DataFrame(
        {
            "person_id": pd.Series(pid[r["person"]], dtype="str"),
            "request_id": pd.Series(_ids("R", np.arange(1, n_requests + 1)), dtype="str"),
            "received_date": _dates(r["received"], day),
            "request_outcome": _text(ab, r["outcome"]),
            "request_outcome_date": _dates(r["out_date"], day),
            "assessment_outcome": _text(ab, r["assess"]),
            "assessment_outcome_date": _dates(r["ass_date"], day),
            "draft_plan_date": _dates(r["draft"], day),
            "plan_issue_date": _dates(r["plan_day"], day),
            "week20_exception": _text(("0", "1"), r["week20"]),
            "team": _text(list(TEAMS), r["team"]),
            "primary_need": _text(list(NEEDS), r["need"]),
            "age_group": _text(AGES, r["age"]),
            "request_source": _text(list(SOURCES), r["source"]),
        }
    )
    plans = pd.DataFrame(
        {
            "person_id": pd.Series(pid[p["person"]], dtype="str"),
            "plan_id": pd.Series(
                _ids("E", np.arange(1, n_plans + 1))[p["plan_no"] - 1], dtype="str"
            ),
            "plan_issue_date": _dates(p["issue"], day),
            "review_meeting_date": _dates(p["meet"], day),
            "review_decision_date": _dates(p["decision"], day),
            "review_outcome": _text(("M", "A", "C"), p["outcome"]),
            "amendment_notice_date": _dates(p["notice"], day),
            "amended_plan_date": _dates(p["amend"], day),
            "no_amend_notice_date": _dates(p["no_amend"], day),
            # the move and its deadline may be after the as-at date
            "phase_transfer_date": _dates(p["move"], day + 366),
            "phase_transfer_type": _text(("school", "post16"), p["kind"]),
            "phase_transfer_due_date": _dates(p["due"], day + 366),
            "phase_transfer_final_date": _dates(p["final"], day),
            "cease_date": _dates(p["cease"], day),
            "cease_reason": _text(list(CEASE_REASONS), p["reason"]),
            "team": _text(list(TEAMS), p["team"]),
            "primary_need": _text(list(NEEDS), p["need"]),
            "age_group": _text(AGES, p["age"]),
        }
    )
    return requests, plans


def write_sample(
    outdir: Path, frames: tuple[pd.DataFrame, pd.DataFrame] | None = None, **kwargs: Any
) -> list[Path]:
    """Write ``requests.csv`` and ``plans.csv`` to ``outdir``: ``frames`` as :func:`generate`
    made them, else generated from the keyword arguments.

    Files are UTF-8 with no index and blanks as empty fields. Returns the two paths written.
    """
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, frame in zip(("requests", "plans"), frames or generate(**kwargs), strict=True):
        path = outdir / f"{name}.csv"

        def write(tmp: Path, frame: pd.DataFrame = frame) -> None:
            frame.to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n")

        write_atomic(path, write)
        paths.append(path)
    return paths


#: Local-style headers and codes of the XLSX copy, as a case-management export might write
#: them; ``sample_data/mapping-example.toml`` maps them back (see :data:`LOCAL_MAPPING`).
LOCAL_HEADERS = {
    "person_id": "Child Ref",
    "request_id": "Referral No",
    "received_date": "Date Referral Rec'd",
    "request_outcome": "Decision to Assess",
    "request_outcome_date": "Decision Made On",
    "assessment_outcome": "Outcome of Assessment",
    "assessment_outcome_date": "Outcome Date",
    "plan_id": "EHCP No",
    "review_meeting_date": "AR Meeting Held",
    "review_decision_date": "AR Decision Sent",
    "review_outcome": "AR Result",
    "amendment_notice_date": "Amendment Notice Sent",
    "amended_plan_date": "Amended EHCP Final",
    "week20_exception": "20wk Exception",
    "cease_date": "Ceased On",
}
#: The plan issue date is named differently in the two sheets, as a mapping list allows.
LOCAL_ISSUE = {"requests": "Final EHCP Issued", "plans": "EHCP Start Date"}
LOCAL_CODES = {
    "request_outcome": {
        "Y": "Agreed",
        "N": "Refused",
        "A": "Awaiting Decision",
        "W": "Withdrawn (Parent)",
    },
    "assessment_outcome": {
        "Y": "Issue EHCP",
        "N": "No Plan - SEN Support",
        "A": "Assessment Ongoing",
        "W": "Withdrawn (Parent)",
    },
    "review_outcome": {"M": "Continue", "A": "Amend Plan", "C": "Cease Plan"},
}


def local_mapping_toml() -> str:
    """The mapping file that reads :func:`write_local_xlsx` output."""
    lines = [
        "# Maps the local headers and codes of sample_data/local/casework.xlsx",
        "# onto the canonical extract (docs/extract-format.md).",
        "schema_version = 1",
        "",
        "[columns]",
    ]
    for name, header in LOCAL_HEADERS.items():
        lines.append(f'{name} = "{header}"')
    issue = ", ".join(f'"{h}"' for h in LOCAL_ISSUE.values())
    lines.append(f"plan_issue_date = [{issue}]")
    for column, codes in LOCAL_CODES.items():
        lines += ["", f"[values.{column}]"]
        lines += [f'"{local}" = "{code}"' for code, local in codes.items()]
    return "\n".join(lines) + "\n"


def write_local_xlsx(path: Path, requests: pd.DataFrame, plans: pd.DataFrame) -> Path:
    """Write the extract as one workbook with local-style headers, codes and real dates."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for name, frame in (("Requests", requests), ("Plans", plans)):
        frame = frame.copy()
        for column, codes in LOCAL_CODES.items():
            if column in frame:
                frame[column] = frame[column].map(codes)
        date_cols = [c for c in frame.columns if c.endswith("_date")]
        for c in date_cols:
            frame[c] = pd.to_datetime(frame[c], format="%Y-%m-%d")
        headers = {**LOCAL_HEADERS, "plan_issue_date": LOCAL_ISSUE[name.lower()]}
        ws = wb.create_sheet(name)
        ws.append([headers.get(c, c.replace("_", " ").title()) for c in frame.columns])
        values = frame.astype(object).where(frame.notna(), None)
        for row in values.itertuples(index=False, name=None):
            ws.append([v.to_pydatetime() if isinstance(v, pd.Timestamp) else v for v in row])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path
