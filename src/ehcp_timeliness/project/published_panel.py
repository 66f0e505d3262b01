"""DfE's published caseload and new plans as matrices: one row per local authority, one column
per year, so every projection method works on all councils at once.

A :class:`Panel` holds the January censuses (``caseload.csv``'s ``ehcplans``) and the new plans
of each calendar year (``newplans.csv``'s ``new_ehc_plans``) for every local authority, keyed by
DfE's old three-digit code, with England's figures beside them. Column ``j`` of ``caseload`` is
the census of January ``years[j]``; column ``j`` of ``new_plans`` is the calendar year
``years[j]``, the plans that started between that census and the next. So the stock-flow
identity reads ``caseload[:, j + 1] = caseload[:, j] + new_plans[:, j] - ceased[:, j]``.

:meth:`Panel.upto` is the only way a back-test sees the past: it keeps the censuses up to the
origin and the new plans of the calendar years before it (DfE publishes the January census and
the previous calendar year's new plans together, each June), and nothing later.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ehcp_timeliness.errors import InputError
from ehcp_timeliness.read.published import LOCAL, NATIONAL, Release


@dataclass(frozen=True)
class Panel:
    """Annual series for every local authority (rows) and year (columns), NaN where missing."""

    #: Census years, ascending and consecutive (2019 ... 2025).
    years: np.ndarray
    #: Old LA codes, one per row.
    codes: np.ndarray
    #: Children with a plan at each January census (rows x years).
    caseload: np.ndarray
    #: New plans in each calendar year (rows x years); NaN where unknown or not yet published.
    new_plans: np.ndarray
    #: England's caseload and new plans, by the same years.
    england: np.ndarray
    england_new: np.ndarray

    def __post_init__(self) -> None:
        n, m = len(self.codes), len(self.years)
        for name in ("caseload", "new_plans"):
            if getattr(self, name).shape != (n, m):
                raise ValueError(f"{name} is {getattr(self, name).shape}, not {(n, m)}")
        for name in ("england", "england_new"):
            if getattr(self, name).shape != (m,):
                raise ValueError(f"{name} is {getattr(self, name).shape}, not {(m,)}")
        if m and not np.array_equal(self.years, np.arange(self.years[0], self.years[0] + m)):
            raise ValueError(f"years must be consecutive: {self.years}")

    @property
    def origin(self) -> int:
        """The latest census the panel holds: projections start from it."""
        return int(self.years[-1])

    def upto(self, origin: int) -> Panel:
        """The panel as it stood when the January ``origin`` census was published: censuses up
        to ``origin``, new plans up to the calendar year ``origin - 1``. Copies, so nothing
        after the origin is reachable from the result."""
        if origin not in self.years:
            raise ValueError(f"no census {origin} in {self.years[0]}..{self.years[-1]}")
        keep = self.years <= origin
        new_plans = self.new_plans[:, keep].copy()
        new_plans[:, -1] = np.nan  # the calendar year after the census is not over yet
        england_new = self.england_new[keep].copy()
        england_new[-1] = np.nan
        return Panel(
            years=self.years[keep].copy(),
            codes=self.codes.copy(),
            caseload=self.caseload[:, keep].copy(),
            new_plans=new_plans,
            england=self.england[keep].copy(),
            england_new=england_new,
        )


def panel_from_release(release: Release) -> tuple[Panel, list[str]]:
    """The panel of a release (``caseload.csv`` required, ``newplans.csv`` where present), and
    notes for the reader. InputError when caseload.csv is absent or malformed."""
    table = release.table("caseload")
    head = table.headline()
    notes = list(table.notes)
    years = np.arange(min(table.years), max(table.years) + 1)
    caseload, england, codes = _matrix(head, "ehcplans", years, None)
    if release.has("newplans"):
        new_table = release.table("newplans")
        notes += new_table.notes
        new_plans, england_new, _ = _matrix(new_table.headline(), "new_ehc_plans", years, codes)
        new_plans, found = _implausible(new_plans, caseload, years, codes)
        notes += found
    else:
        new_plans = np.full_like(caseload, np.nan)
        england_new = np.full(len(years), np.nan)
        notes.append("no newplans.csv: the stock-flow method needs it and is left out")
    if len(codes) == 0:
        raise InputError(f"{table.path}: no local authority rows for all children")
    panel = Panel(years, codes, caseload, new_plans, england, england_new)
    return panel, notes


def _implausible(
    new_plans: np.ndarray,
    caseload: np.ndarray,
    years: np.ndarray,
    codes: np.ndarray,
) -> tuple[np.ndarray, list[str]]:
    """New plans read as missing where they cannot be a council's own, with a note: more than
    the next January's caseload (new plans of a year are nearly all still live in January).
    A council showing its region's total is already missing: the shared reader sees to that
    (``read.published``)."""
    notes = []
    out = new_plans.copy()
    with np.errstate(invalid="ignore"):
        over = np.zeros_like(out, dtype=bool)
        over[:, :-1] = out[:, :-1] > caseload[:, 1:]
    if over.any():
        where = [f"{codes[i]} {years[j]}" for i, j in zip(*np.nonzero(over), strict=True)]
        notes.append(
            f"newplans.csv: {len(where)} council-year{'s' if len(where) > 1 else ''} with more "
            f"new plans than the next January's caseload ({', '.join(where[:5])}"
            f"{'...' if len(where) > 5 else ''}); read as missing"
        )
        out[over] = np.nan
    return out, notes


def _matrix(
    head: pd.DataFrame, column: str, years: np.ndarray, codes: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """LA rows x years of ``column`` (one value per old code and year; a second row for the
    same code and year, which DfE's files do not have, is an error), England's row, the codes."""
    la = head[head["geographic_level"] == LOCAL]
    twice = la.duplicated(["old_la_code", "year"])
    if twice.any():
        row = la[twice].iloc[0]
        raise InputError(f"{column}: local authority {row['old_la_code']} has two rows for "
                         f"{row['period']}")  # fmt: skip
    wide = la.pivot(index="old_la_code", columns="year", values=column)
    if codes is None:
        codes = np.array(sorted(wide.index), dtype=object)
    wide = wide.reindex(index=codes, columns=years)
    nat = head[head["geographic_level"] == NATIONAL].drop_duplicates("year").set_index("year")
    england = nat[column].reindex(years).to_numpy(dtype=float)
    return wide.to_numpy(dtype=float), england, codes
