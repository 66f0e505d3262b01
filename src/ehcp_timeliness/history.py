"""Review histories: each plan's review meetings as a chain of links, and the links the extract
cannot vouch for.

Shared by the validator (which reports a ``review-history-gap`` finding) and the clock engine
(which gives such a link the status ``unknown``), so that the two always agree.

A *link* runs from the plan's issue date, or from its previous review meeting, to the next
meeting. Two shapes of extract exist in practice:

* a **full history**: every review since the plan was issued, one row each;
* **latest only**: one review per plan, the most recent, as SEN2 holds it (``ReviewMeeting``).

A link longer than two review periods cannot be judged in either: at least one review must
lie between its ends, missing from the extract or never held, and which of the two the
extract cannot say. In a latest-only extract a link longer than **one** period cannot be judged
either: the reviews before the latest one are not in the extract at all, so a latest review
13 months after the issue date may follow a review held on time a year earlier.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from ehcp_timeliness.dates import as_arrow_text, period_end

D = "datetime64[D]"
History = Literal["auto", "full", "latest-only"]
#: The review period, in months, that the validator's finding assumes (CFA 2014 s.44(1)).
REVIEW_MONTHS = 12
#: reg 15(5)(b): the first review after a transfer in may fall within 3 months of it.
TRANSFER_MONTHS = 3
NEVER = np.iinfo(np.int64).max  # sorts a missing meeting after every real one


@dataclass
class Links:
    """One plan's rows after another, meetings in date order, as numpy arrays.

    ``src`` is each sorted row's position in the table; ``plan`` numbers the plans 0, 1, ...
    in sorted order and ``starts`` holds each plan's first sorted row. ``keep`` picks the rows
    that are held links (a meeting date, not a repeat of the row before); ``m_plan``,
    ``m_start`` and ``m_date`` are those links' plan, start and meeting; ``same`` is True
    where a link's plan is that of the link before.
    """

    src: np.ndarray
    plan: np.ndarray
    starts: np.ndarray
    plan_issue: np.ndarray
    keep: np.ndarray
    m_plan: np.ndarray
    m_start: np.ndarray
    m_date: np.ndarray
    same: np.ndarray

    def per_plan(self, values: np.ndarray, reduce: np.ufunc) -> np.ndarray:
        """``reduce`` over each plan's sorted rows (``values`` in sorted order), as int64."""
        if not len(self.starts):
            return values.astype(np.int64)
        return reduce.reduceat(values.astype(np.int64), self.starts)


def plan_codes(ids: pd.Series) -> np.ndarray:
    """An integer per distinct plan id (blank ids are not expected: they are required).

    Extracts usually come sorted by plan: then the codes are a running count of where the id
    changes, one comparison of neighbours, rather than a hash of every id."""
    if len(ids) > 1 and ids.notna().all():
        text = as_arrow_text(ids)
        before, after = text.slice(0, len(text) - 1), text.slice(1)
        if pc.all(pc.greater_equal(after, before)).as_py():
            changed = pc.not_equal(after, before).to_numpy(zero_copy_only=False)
            return np.r_[0, np.cumsum(changed)]
    return pd.factorize(ids)[0]


def sort_order(plan_code: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Rows in (plan, key) order: the identity when they already are, else one lexsort."""
    if len(key) > 1:
        step, same = plan_code[1:] - plan_code[:-1], plan_code[1:] == plan_code[:-1]
        if ((step > 0) | (same & (key[1:] >= key[:-1]))).all():
            return np.arange(len(key))
    return np.lexsort((key, plan_code))


def links(plan_code: np.ndarray, issue: np.ndarray, meeting: np.ndarray) -> Links:
    """The chain links of rows given as plan codes (integers, one per plan), issue dates and
    meeting dates (``datetime64[D]``, NaT where there is no meeting). One sort (none when the
    rows come in plan and meeting order), then reductions over each plan's run of rows."""
    order = sort_order(plan_code, np.where(np.isnat(meeting), NEVER, meeting.astype(np.int64)))
    code, meeting, issue = plan_code[order], meeting[order], issue[order]
    first = np.r_[True, code[1:] != code[:-1]] if len(code) else np.zeros(0, bool)
    starts = np.flatnonzero(first)
    plan = np.cumsum(first) - 1
    plan_issue = (
        np.minimum.reduceat(issue.astype(np.int64), starts).astype(D) if len(starts) else issue
    )
    held = ~np.isnat(meeting)
    repeat = np.r_[False, (plan[1:] == plan[:-1]) & (meeting[1:] == meeting[:-1])]
    keep = np.flatnonzero(held & ~repeat)
    m_plan, m_date = plan[keep], meeting[keep]
    same = np.r_[False, m_plan[1:] == m_plan[:-1]]
    previous = np.r_[np.datetime64("NaT", "D"), m_date[:-1]] if len(keep) else m_date
    m_start = np.where(same, previous, plan_issue[m_plan])
    return Links(order, plan, starts, plan_issue, keep, m_plan, m_start, m_date, same)


def is_latest_only(chain: Links, months: int) -> bool:
    """Whether the extract holds only each plan's latest review: no plan has two reviews,
    yet some plan's only review comes more than two periods after its issue (which, in a full
    history, would mean a review missing from between them)."""
    if not len(chain.m_plan) or chain.same.any():
        return False
    return bool((chain.m_date > period_end(chain.m_start, 2 * months)).any())


def unknown_links(chain: Links, months: int, history: History) -> np.ndarray:
    """True for each held link the extract cannot vouch for: longer than two periods, or, in
    a latest-only extract, longer than one."""
    latest = history == "latest-only" or (history == "auto" and is_latest_only(chain, months))
    periods = 1 if latest else 2
    return chain.m_date > period_end(chain.m_start, periods * months)
