"""What to project and how: the options of ``ehcp project``, as data the pipeline takes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from ehcp_timeliness.project.models import Scenario

#: Weeks the stock-flow runs for, whatever the horizon shown: the caseload needs 3 years.
RUN_WEEKS = 157
MIN_HORIZON, MAX_HORIZON = 4, 156
#: Simulated futures behind each band: fewer make a ragged band, more only cost time.
MIN_DRAWS, MAX_DRAWS = 20, 5000
OrderChoice = Literal["auto", "oldest-first", "as-recorded", "recent-rates"]


@dataclass(frozen=True)
class ProjectionOptions:
    """Options for the ``project`` stage of :func:`ehcp_timeliness.analysis.analyse`."""

    horizon_weeks: int = 52
    seed: int = 1
    #: Simulated futures behind each 80% band.
    draws: int = 500
    scenarios: tuple[Scenario, ...] = ()
    order: OrderChoice = "auto"
    #: Target mode: the weekly completions that clear the past-20-week backlog by this date.
    clear_by: date | None = None
    #: Target mode: the month the 20-week rate (excluding exceptions) reaches this share.
    rate_target: float | None = None
    #: The caseload the strategy expects, and the date it expects it by.
    caseload_target: int | None = None
    caseload_date: date | None = None
    #: Re-run the casework projections at earlier origins and measure their errors.
    backtest: bool = False
    #: Weeks between back-test origins.
    backtest_step: int = 4

    def __post_init__(self) -> None:
        if not MIN_HORIZON <= self.horizon_weeks <= MAX_HORIZON:
            raise ValueError(f"the horizon is {MIN_HORIZON} to {MAX_HORIZON} weeks")
        if self.draws < 0:
            raise ValueError("draws cannot be negative")


_CHANGE = re.compile(r"^\s*(?P<sign>[+-]?)\s*(?P<number>\d+(?:\.\d+)?)\s*(?P<pct>%?)\s*$")


def parse_change(text: str) -> tuple[float, float]:
    """``+20%`` -> (1.2, 0); ``-10%`` -> (0.9, 0); ``+3`` -> (1, 3) (a number per week)."""
    m = _CHANGE.match(text)
    if m is None:
        raise ValueError(f"{text!r} is not a change: use +20%, -10% or +3 (per week)")
    value = float(m["number"]) * (-1 if m["sign"] == "-" else 1)
    if m["pct"]:
        if value <= -100:
            raise ValueError(f"{text!r} would leave nothing: a fall must be under 100%")
        return 1 + value / 100, 0.0
    return 1.0, value


def scenario(kind: Literal["capacity", "arrivals"], text: str) -> Scenario:
    """A named scenario from ``--capacity +20%`` or ``--arrivals +10%``."""
    factor, add = parse_change(text)
    name = f"{kind} {text.strip()}" + ("" if "%" in text else " a week")
    if kind == "capacity":
        return Scenario(name=name, capacity_factor=factor, capacity_add=add)
    return Scenario(name=name, arrivals_factor=factor, arrivals_add=add)


def parse_share(text: str) -> float:
    """``60%`` or ``0.6`` -> 0.6."""
    t = text.strip()
    try:
        value = float(t[:-1]) / 100 if t.endswith("%") else float(t)
    except ValueError:
        raise ValueError(f"{text!r} is not a rate: use 60% or 0.6") from None
    if not 0 < value <= 1:
        raise ValueError(f"{text!r} is not a rate between 0 and 100%")
    return value
