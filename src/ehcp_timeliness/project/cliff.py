"""The deadline cliff: for the cases open at the as-at date, how many pass their due date in
each week ahead if nothing is completed. Exact: a count of the case list, no model.

A case due on day ``d`` is overdue from ``d + 1``; it passes its due date in week
``floor((d - as_at) / 7) + 1`` of the grid (week 1 is the 7 days after the as-at date), so
one due on the as-at date itself passes it in week 1.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from ehcp_timeliness.clocks.engine import OPEN, OVERDUE
from ehcp_timeliness.clocks.rules import RuleSet
from ehcp_timeliness.project.history import day_of, week_end_dates
from ehcp_timeliness.project.models import Cliff, CliffRule


def passing_week(due: np.ndarray, as_at: date) -> np.ndarray:
    """The week of the horizon in which each due date is passed (1 for the as-at date)."""
    days = np.asarray(due).astype("datetime64[D]").astype(np.int64)
    return (days - day_of(as_at)) // 7 + 1


def deadline_cliff(cases: pd.DataFrame, rules: RuleSet, as_at: date, horizon: int) -> Cliff:
    """Every rule in force: its open cases by the week they pass their due date."""
    status = cases["status"].cat.codes.to_numpy()
    rule_codes = cases["rule"].cat.codes.to_numpy().astype(np.int64)
    categories = list(cases["rule"].cat.categories)
    is_open = status == OPEN
    week = np.clip(passing_week(cases["due_date"].to_numpy()[is_open], as_at), 1, horizon + 1)
    slots = len(categories) * (horizon + 1)  # (rule, week), the last week beyond the horizon
    weekly = np.bincount(rule_codes[is_open] * (horizon + 1) + week - 1, minlength=slots)
    weekly = weekly.reshape(len(categories), horizon + 1)
    overdue = np.bincount(rule_codes[status == OVERDUE], minlength=len(categories))
    rows = []
    for rule in rules.enabled:
        code = categories.index(rule.id) if rule.id in categories else None
        counts = weekly[code] if code is not None else np.zeros(horizon + 1, dtype=np.int64)
        rows.append(CliffRule(
            rule=rule.id, title=rule.title, open=int(counts.sum()),
            overdue_now=0 if code is None else int(overdue[code]),
            weekly=[int(c) for c in counts[:horizon]], beyond_horizon=int(counts[horizon]),
        ))  # fmt: skip
    return Cliff(week_ends=week_end_dates(np.arange(1, horizon + 1), day_of(as_at)), rules=rows)
