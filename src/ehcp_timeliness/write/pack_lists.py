"""The operational lists of the pack: case-level worklists for team leaders, after the board
sheets. Each holds at most the pack's detail cap; a longer list, and always the full history
of breaches, goes to a CSV beside the workbook, in the sheet's order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ehcp_timeliness.analysis import Analysis
from ehcp_timeliness.clocks.engine import CASE_COLUMNS, LATE, OPEN, OVERDUE
from ehcp_timeliness.report import REVIEW_12M
from ehcp_timeliness.words import dimension_label, value_label
from ehcp_timeliness.write.pack import Block, Format, Sheet
from ehcp_timeliness.write.pack_board import STATUS_WORDS

DETAIL_HEADERS = {
    "person_id": "Person ID", "record_id": "Record ID", "start_date": "Start date",
    "due_date": "Due date", "end_date": "End date", "status": "Status",
    "days_over": "Days over", "exception": "Exception flag",
}  # fmt: skip
DETAIL_FORMATS: dict[str, Format] = {
    "Start date": "date", "Due date": "date", "End date": "date", "Days over": "int",
}  # fmt: skip
MARK = "Operational list: "


class Lists:
    """The worklists of one run, capped at ``cap`` rows each, and the CSV files that hold
    what the cap leaves out (named after the workbook: ``board-breaches.csv``)."""

    def __init__(self, analysis: Analysis, cap: int, stem: str):
        self.analysis, self.cap, self.stem = analysis, cap, stem
        self.full_lists: dict[str, pd.DataFrame] = {}
        self.findings_csv: str | None = None
        self._labels = {r.id: r.label for r in analysis.rules.enabled}

    def sheets(self) -> list[Sheet]:
        return [self.breaches(), self.due_soon(), self.annual_reviews(), self.findings()]

    def _csv_name(self, name: str) -> str:
        return f"{self.stem}-{name.lower().replace(' ', '-')}.csv"

    def _cut(self, name: str, total: int) -> list[str]:
        if total <= self.cap:
            return []
        rest = total - self.cap
        return [f"Showing the first {self.cap:,} of {total:,} rows; the other {rest:,} are "
                f"in {self._csv_name(name)}, beside this workbook."]  # fmt: skip

    def _detail(self, name: str, chosen: pd.DataFrame, *, full: pd.DataFrame | None = None,
                when: np.ndarray | None = None, empty: str) -> tuple[Block, list[str]]:  # fmt: skip
        """A capped table of cases, in the order given, with human labels; the full list (or
        ``full``, a longer history) beside the workbook when the sheet cannot hold it all."""
        frame = self._frame(self.analysis.details(chosen.head(self.cap)))
        if when is not None:
            frame.insert(0, "When", when[: len(frame)])
        notes = self._cut(name, len(chosen))
        if full is not None or len(chosen) > self.cap:
            self.full_lists[self._csv_name(name)] = full if full is not None else chosen
        return Block(name, frame, DETAIL_FORMATS, empty=empty), notes

    def _frame(self, details: pd.DataFrame) -> pd.DataFrame:
        rule = details["rule"].astype(str)
        out = details.rename(columns=DETAIL_HEADERS)
        out.insert(0, "Measure", rule.map(self._labels).fillna(rule))
        out["rule"] = rule
        out = out.rename(columns={"rule": "Rule id"})
        flag = out["Exception flag"].astype("boolean")
        out["Exception flag"] = np.where(flag.isna(), "", np.where(flag.fillna(False), "Yes", "No"))
        out["Status"] = out["Status"].astype(str).map(STATUS_WORDS)
        for column in details.columns[len(CASE_COLUMNS) :]:  # dimensions: human names, values
            values = out[column].astype("string")
            codes = {v: value_label(column, v) for v in values.dropna().unique()}
            out[column] = values.map(codes)
            out = out.rename(columns={column: dimension_label(column)})
        order = ["Measure", "Rule id", *DETAIL_HEADERS.values()]
        return out[order + [c for c in out.columns if c not in order]].reset_index(drop=True)

    def breaches(self) -> Sheet:
        a = self.analysis
        cases, period = a.cases, a.period
        status = cases["status"].cat.codes.to_numpy()
        end = cases["end_date"].to_numpy()
        in_period = (end >= np.datetime64(period.start)) & (end <= np.datetime64(period.end))
        every = cases[(status == LATE) | (status == OVERDUE)]
        every = every.sort_values("days_over", ascending=False, kind="stable")
        this = cases[((status == LATE) & in_period) | (status == OVERDUE)]
        this = this.sort_values("days_over", ascending=False, kind="stable")
        block, cut = self._detail("Breaches", this, full=every, empty=(
            f"No case was completed late in {period.label}, and none is overdue."))  # fmt: skip
        return Sheet(
            "Breaches", MARK + "late and overdue cases, most days over first",
            [f"Cases completed late in {period.label} ({period.start:%d/%m/%Y} to "
             f"{period.end:%d/%m/%Y}), and every case still open past its due date at "
             f"{a.as_at:%d/%m/%Y}, whatever its age. Every breach ever recorded in the extract "
             f"({len(every):,}) is in {self._csv_name('Breaches')}, beside this workbook.",
             *cut],
            [block], section="list",
            description="Cases late in the period, and every case overdue now",
        )  # fmt: skip

    def due_soon(self) -> Sheet:
        a = self.analysis
        cases = a.cases
        until = np.datetime64(a.as_at) + np.timedelta64(7 * a.report.due_within_weeks, "D")
        status = cases["status"].cat.codes.to_numpy()
        soon = cases[(status == OPEN) & (cases["due_date"].to_numpy() <= until)]
        soon = soon.sort_values("due_date", kind="stable")
        last = pd.Timestamp(until)
        block, cut = self._detail("Due soon", soon, empty=(
            f"No open case falls due between {a.as_at:%d/%m/%Y} and {last:%d/%m/%Y}."))  # fmt: skip
        return Sheet(
            "Due soon", MARK + f"open cases falling due in the next "
            f"{a.report.due_within_weeks} weeks",
            [f"Open cases due from {a.as_at:%d/%m/%Y} to {last:%d/%m/%Y}, earliest first.", *cut],
            [block], section="list",
            description=f"Open cases due in the next {a.report.due_within_weeks} weeks",
        )  # fmt: skip

    def annual_reviews(self) -> Sheet:
        a = self.analysis
        cases = a.cases
        reviews = cases[(cases["rule"] == REVIEW_12M).to_numpy()]
        status = reviews["status"].cat.codes.to_numpy()
        as_at = pd.Timestamp(a.as_at)
        month_starts = [(as_at + pd.offsets.MonthBegin(k)).normalize() for k in (1, 2, 3)]
        horizon = month_starts[-1] + pd.offsets.MonthEnd(0)
        due = reviews["due_date"]
        overdue = status == OVERDUE
        upcoming = (status == OPEN) & (due <= horizon).to_numpy()
        chosen = reviews[overdue | upcoming]
        when = np.where(chosen["status"] == "overdue", "Overdue", "")
        labels = chosen["due_date"].dt.strftime("Due %b %Y").to_numpy()
        when = np.where(when == "", labels, when)
        order = np.lexsort((chosen["due_date"].to_numpy(), -chosen["days_over"].to_numpy(),
                            when != "Overdue"))  # fmt: skip
        chosen, when = chosen.iloc[order], when[order]
        counts = [f"overdue: {int(overdue.sum()):,}"]
        for start in month_starts:
            end = start + pd.offsets.MonthEnd(0)
            n = int(((status == OPEN) & (due >= start).to_numpy() & (due <= end).to_numpy()).sum())
            counts.append(f"due in {start:%B %Y}: {n:,}")
        block, cut = self._detail("Annual reviews", chosen, when=when, empty=(
            "No annual review is overdue or falls due in the next 3 months."))  # fmt: skip
        return Sheet(
            "Annual reviews", MARK + "annual reviews overdue and due in the next 3 months",
            ["Annual reviews overdue at the as-at date, then those falling due in each of the "
             "next 3 months: " + "; ".join(counts) + ".", *cut],
            [block], section="list",
            description="Annual reviews overdue, and due in the next 3 months",
        )  # fmt: skip

    def findings(self) -> Sheet:
        f = self.analysis.validated.findings
        if len(f) > self.cap:
            self.findings_csv = self._csv_name("Findings")
        detail = f.head(self.cap).rename(columns=str.capitalize).reset_index(drop=True)
        return Sheet(
            "Findings", MARK + "what is wrong with the extract, row by row",
            ["Every finding, by file and row as the file numbers them: fix them in the "
             "case-management system. What each code means is on the Data quality sheet and "
             "in docs/findings.md.", *self._cut("Findings", len(f))],
            [Block("Findings", detail, {"Row": "int"},
                   empty="No findings: every row was read and used as it is.")],
            section="list", description="Every finding about the extract, by file and row",
        )  # fmt: skip
