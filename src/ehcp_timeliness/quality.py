"""Whether a run's result is fit to publish: thresholds a board pack or a scheduled job checks.

A run whose every row of a table the rules need was rejected would publish a confident pack of
zeros. :func:`check` says what is wrong with a result, as :class:`Problem` models, so a command
can refuse to publish, or publish with the problem marked, and pick its exit code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from ehcp_timeliness.analysis import Analysis
from ehcp_timeliness.read.paths import split_sheet

#: The share of rows rejected above which a pack is not published without ``--allow-partial``.
DEFAULT_MAX_REJECTED_SHARE = 0.10


class Problem(BaseModel):
    """One reason a result is not fit to publish as it is."""

    model_config = ConfigDict(frozen=True)

    code: Literal["nothing-usable", "rejected-share", "rule-without-data"]
    message: str
    #: True when nothing in the result could be published: no usable rows at all.
    fatal: bool = False


def check(
    analysis: Analysis,
    *,
    max_rejected_share: float | None = DEFAULT_MAX_REJECTED_SHARE,
    required_rules: list[str] | None = None,
) -> list[Problem]:
    """Problems with ``analysis``: a table the rules need with no usable rows (fatal when no
    table has any), a share of rows rejected above ``max_rejected_share``, and each rule of
    ``required_rules`` that has no cases at all."""
    problems = []
    needed = {r.table for r in analysis.rules.enabled}
    read = {s.table for s in analysis.validated.summaries}
    usable = {t: len(f) for t, f in analysis.tables.items()}
    empty: list[str] = sorted(t for t in needed & read if not usable.get(t))
    if empty:
        message = f"no usable rows in {' or '.join(empty)}: {_why_unusable(analysis, empty)}"
        nothing = not any(usable.get(t) for t in needed)
        problems.append(Problem(code="nothing-usable", message=message, fatal=nothing))
    rows = sum(s.rows_read for s in analysis.validated.summaries)
    rejected = sum(s.rows_rejected for s in analysis.validated.summaries)
    if max_rejected_share is not None and rows and rejected / rows > max_rejected_share:
        problems.append(
            Problem(
                code="rejected-share",
                message=(
                    f"{rejected:,} of {rows:,} rows ({rejected / rows:.1%}) were rejected, "
                    f"more than the {max_rejected_share:.0%} allowed; see the findings"
                ),
            )
        )
    counts = analysis.cases["rule"].value_counts()
    for rule in required_rules or []:
        if not int(counts.get(rule, 0)):
            problems.append(
                Problem(
                    code="rule-without-data",
                    message=(
                        f"the required rule {rule} has no cases: no usable row is in its scope"
                    ),
                )
            )
    return problems


def _why_unusable(analysis: Analysis, tables: list[str]) -> str:
    """The commonest cause: a required column no header was recognised as."""
    findings = analysis.validated.findings
    missing = findings[(findings["code"] == "missing-column") & findings["table"].isin(tables)]
    if len(missing):
        columns = ", ".join(sorted(set(missing["column"].astype(str))))
        files = {Path(split_sheet(str(f))[0]) for f in missing["file"]}
        near = sorted({m for f in files for folder in (f.parent, f.parent.parent)
                       for m in folder.glob("*mapping*.toml")})  # fmt: skip
        hint = (
            f"did you mean --mapping {near[0]}?"
            if near
            else "name the headers with --mapping (see docs/extract-format.md)"
        )
        return f"no column was recognised as {columns}; {hint} Run ehcp validate to see why."
    read = sum(s.rows_read for s in analysis.validated.summaries if s.table in tables)
    if not read:
        return "its files hold a header and no rows."
    return "every row was rejected; run ehcp validate to see why."


def banner(problems: list[Problem], why: str) -> str | None:
    """The warning a pack published despite ``problems`` carries on its first sheet; ``why``
    says why it was published anyway ("this run crossed a failure threshold")."""
    if not problems:
        return None
    return (f"WARNING: {why}, so these figures may be incomplete: "
            + "; ".join(p.message for p in problems) + ".")  # fmt: skip
