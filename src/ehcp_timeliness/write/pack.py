"""The Partnership Board pack, assembled as data: sheets of titled tables.

:func:`assemble` turns a report, its evaluated cases and the validated extract into
:class:`Sheet` objects, each holding one or more :class:`Block` (a pandas table with one
header row and a format per column). :mod:`ehcp_timeliness.write.xlsx` writes them as a workbook
and ``--csv-dir`` as CSV files; neither decides what the figures are.

Sheet and column names are fixed, so the pack looks the same month after month.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from ehcp_timeliness import __version__
from ehcp_timeliness.analysis import Analysis
from ehcp_timeliness.clocks.engine import LATE, MET, OPEN, OVERDUE
from ehcp_timeliness.clocks.rules import RuleSet
from ehcp_timeliness.report import BACKLOG_BANDS, PLAN_20W, Report, _band
from ehcp_timeliness.targets import Targets
from ehcp_timeliness.validate.checks import Validated
from ehcp_timeliness.validate.findings import CODES
from ehcp_timeliness.write.atomic import OutputSet, sha256_file, write_csv_to

Format = Literal["text", "date", "month", "percent", "change", "int", "number"]
#: The most rows Excel holds in a sheet, less the header.
EXCEL_MAX_ROWS = 1_048_575
REVIEW_12M = "review-12m"
DETAIL_HEADERS = {
    "rule": "Rule", "person_id": "Person ID", "record_id": "Record ID",
    "start_date": "Start date", "due_date": "Due date", "end_date": "End date",
    "status": "Status", "days_over": "Days over", "exception": "Exception flag",
}  # fmt: skip
DETAIL_FORMATS: dict[str, Format] = {
    "Start date": "date", "Due date": "date", "End date": "date", "Days over": "int",
}  # fmt: skip


@dataclass
class Block:
    """One table: a title, a frame with one header row, and how to show each column."""

    title: str
    frame: pd.DataFrame
    formats: dict[str, Format] = field(default_factory=dict)
    #: Rows there were before the sheet's cap, where it was capped.
    total_rows: int | None = None

    def format_of(self, column: str) -> Format:
        return self.formats.get(column, "text")


@dataclass
class Chart:
    kind: Literal["line", "bar", "stacked"]
    title: str
    y_title: str
    columns: list[str]  # series: columns of the chart's block; categories: its first column
    percent: bool = False
    #: Which of the sheet's blocks holds the data. A sheet of one block has its charts below
    #: the table, side by side; a sheet of several has them beside the tables, one under
    #: another.
    block: int = 0
    #: Series drawn dashed (a projection), and a shaded band between two columns (line charts).
    dashed: list[str] = field(default_factory=list)
    band: tuple[str, str] | None = None


@dataclass
class Sheet:
    name: str
    title: str
    notes: list[str]
    blocks: list[Block]
    charts: list[Chart] = field(default_factory=list)
    #: Column holding a scorecard status word, to fill red/amber/green beside the word.
    status_column: str | None = None
    #: A warning shown in bold under the title (a run that crossed a failure threshold).
    warning: str | None = None


#: A capped detail table of cases, and the notes saying what was cut (see ``assemble``).
Detail = tuple[Block, list[str]]


@dataclass
class Pack:
    sheets: list[Sheet]
    #: Full lists of capped detail sheets: file name -> cases (written beside the workbook).
    full_lists: dict[str, pd.DataFrame]
    #: File name for every finding, when the Data quality sheet's list is capped.
    findings_csv: str | None = None


def sha256_of(path: str) -> str:
    """SHA-256 of an input file (a workbook's, for one of its sheets)."""
    return sha256_file(Path(path.split("[", 1)[0] if path.endswith("]") else path))


def _headline(report: Report, rule: str) -> float | None:
    """A rule's headline rate: the 20-week rate excluding exceptions, as DfE publishes it."""
    if rule == PLAN_20W and report.plan_20w is not None:
        return report.plan_20w.excluding_exceptions.rate
    return next(r.on_time_rate for r in report.rules if r.rule == rule)


def _measure(title: str, rule: str) -> str:
    return f"{title} (excluding exceptions)" if rule == PLAN_20W else title


def assemble(
    analysis: Analysis,
    targets: Targets,
    *,
    council: str,
    max_detail_rows: int,
    workbook_name: str,
    banner: str | None = None,
) -> Pack:
    """Every sheet of the board pack, in order, from one run's result. ``banner`` is a warning
    shown at the top of the first sheet."""
    report, previous, cases = analysis.report, analysis.previous, analysis.cases
    validated, rules = analysis.validated, analysis.rules
    cap = min(max_detail_rows, EXCEL_MAX_ROWS)
    stem = Path(workbook_name).stem
    by = report.by
    full_lists: dict[str, pd.DataFrame] = {}

    def cut(name: str, total: int) -> tuple[str | None, list[str]]:
        """The file a list longer than the cap goes to, and the note saying so."""
        if total <= cap:
            return None, []
        csv_name = f"{stem}-{name.lower().replace(' ', '-')}.csv"
        return csv_name, [f"Showing the first {cap:,} of {total:,} rows; {total - cap:,} rows "
                          f"are left out here. The full list is in {csv_name}, beside this "
                          "workbook."]  # fmt: skip

    def detail(name: str, chosen: pd.DataFrame, when: np.ndarray | None = None) -> Detail:
        """A capped detail table of cases, in the order given; the full list when capped."""
        frame = _detail_frame(analysis.details(chosen.head(cap)))
        if when is not None:
            frame.insert(0, "When", when[: len(frame)])
        csv_name, notes = cut(name, len(chosen))
        if csv_name is not None:
            full_lists[csv_name] = chosen
        return Block(name, frame, DETAIL_FORMATS, total_rows=len(chosen)), notes

    status = cases["status"].cat.codes.to_numpy()
    late = cases[(status == LATE) | (status == OVERDUE)]
    breaches, breach_notes = detail(
        "Breaches", late.sort_values("days_over", ascending=False, kind="stable")
    )
    until = np.datetime64(report.as_at) + np.timedelta64(7 * report.due_within_weeks, "D")
    soon_cases = cases[(status == OPEN) & (cases["due_date"].to_numpy() <= until)]
    due_soon, soon_notes = detail("Due soon", soon_cases.sort_values("due_date", kind="stable"))
    findings_csv, findings_notes = cut("Findings", len(validated.findings))

    sheets = [
        _cover(report, previous, validated, rules, council),
        _summary(report, previous, targets),
        _trend(report, cases),
        Sheet(
            "Breaches",
            "Late and overdue cases, most days over first",
            [
                f"Every case that missed its deadline (late) or is past it and still open "
                f"(overdue) as at {report.as_at:%d/%m/%Y}, whatever the period.",
                *breach_notes,
            ],
            [breaches],
        ),  # fmt: skip
        Sheet(
            "Due soon",
            f"Open cases falling due in the next {report.due_within_weeks} weeks",
            [
                f"Open cases due from {report.as_at:%d/%m/%Y} to "
                f"{pd.Timestamp(until):%d/%m/%Y}, earliest first: the worklist.",
                *soon_notes,
            ],
            [due_soon],
        ),  # fmt: skip
        _backlog(analysis, by),
        _annual_reviews(report, cases, detail),
        _data_quality(validated, cap, findings_notes),
        _breakdown(report, targets, by),
    ]
    if analysis.projections is not None:  # ehcp project --xlsx: the Projections sheet set
        from ehcp_timeliness.write.projections_sheet import projection_sheets

        sheets += projection_sheets(analysis.projections)
    sheets[0].warning = banner
    return Pack(sheets, full_lists, findings_csv)


def _detail_frame(details: pd.DataFrame) -> pd.DataFrame:
    out = details.rename(columns=DETAIL_HEADERS)
    flag = out["Exception flag"].astype("boolean")
    out["Exception flag"] = np.where(flag.isna(), "", np.where(flag.fillna(False), "Yes", "No"))
    out["Status"] = out["Status"].astype(str)
    out["Rule"] = out["Rule"].astype(str)
    return out.reset_index(drop=True)


def _cover(report: Report, previous: Report, validated: Validated, rules: RuleSet,
           council: str) -> Sheet:  # fmt: skip
    about = pd.DataFrame(
        [
            ("Council", council),
            ("As at", report.as_at.strftime("%d/%m/%Y")),
            ("Reporting period", f"{report.period.label}: {report.period.start:%d/%m/%Y} to "
                                 f"{report.period.end:%d/%m/%Y}"),
            ("Previous period", f"{previous.period.start:%d/%m/%Y} to "
                                f"{previous.period.end:%d/%m/%Y}"),
            ("Produced by", f"ehcp-timeliness {__version__}"),
            ("Rules in force (SHA-256)", report.rules_sha256),
        ],
        columns=["Item", "Value"],
    )  # fmt: skip
    inputs = pd.DataFrame(
        [(s.file, s.table, s.rows_read, s.rows_usable, s.rows_rejected, sha256_of(s.file))
         for s in report.inputs],
        columns=["File", "Table", "Rows read", "Rows usable", "Rows rejected", "SHA-256"],
    )  # fmt: skip
    rule_rows = pd.DataFrame(
        [(r.id, r.title, r.limit_text, r.citation, rules.sources[r.id]) for r in rules.enabled],
        columns=["Rule", "Title", "Limit and reading", "Legal source", "Defined in"],
    )
    rejected = sum(s.rows_rejected for s in report.inputs)
    caveats = pd.DataFrame(
        {"Caveat": [
            "Figures come from the council's own case-management extract as at the date above, "
            "not from DfE's published statistics, which use the January SEN2 return and may "
            "differ.",
            "'Excluding exceptions' leaves out of both numerator and denominator the plans "
            "flagged with an exception to the 20-week limit (SEN2 Week20), as DfE's headline "
            "rate does; 'including exceptions' counts every plan issued.",
            "Completed cases count in the period their clock stopped in (a plan in the period "
            "it was issued); open and overdue cases are counted as at the as-at date.",
            "The 12-month review period is read as 'the period of 12 months starting with' the "
            "previous review (CFA 2014 s.44), unless the rules above say otherwise.",
            f"Rows that failed validation are left out: {rejected:,} of them; see the Data "
            "quality sheet.",
            "Person IDs are pseudonymous. No names, postcodes, UPN, ULN or birth dates are in "
            "this workbook.",
        ]}
    )  # fmt: skip
    return Sheet(
        "Cover", "EHC plan statutory timeliness: Partnership Board pack",
        ["Source, dates, rules and caveats for the figures in this workbook."],
        [Block("About this pack", about), Block("Input files", inputs,
         {"Rows read": "int", "Rows usable": "int", "Rows rejected": "int"}),
         Block("Rules in force", rule_rows), Block("Caveats", caveats)],
    )  # fmt: skip


def _summary(report: Report, previous: Report, targets: Targets) -> Sheet:
    rows = []
    for r in report.rules:
        now, before = _headline(report, r.rule), _headline(previous, r.rule)
        change = None if now is None or before is None else round(now - before, 4)
        rows.append({
            "Measure": _measure(r.title, r.rule), "Rule": r.rule,
            "This period": now, "Previous period": before, "Change": change,
            "Target": targets.target(r.rule), "Status": targets.status(r.rule, now),
            "Completed": r.completed, "Open": r.open, "Overdue": r.overdue,
            "Legal source": r.citation,
        })  # fmt: skip
    frame = pd.DataFrame(rows)
    formats: dict[str, Format] = {
        "This period": "percent", "Previous period": "percent", "Change": "change",
        "Target": "percent", "Completed": "int", "Open": "int", "Overdue": "int",
    }  # fmt: skip
    return Sheet(
        "Summary", f"KPI scorecard, {report.period.label}",
        [f"On-time rates for cases completed in {report.period.label} "
         f"({report.period.start:%d/%m/%Y} to {report.period.end:%d/%m/%Y}), against the "
         f"previous period ({previous.period.start:%d/%m/%Y} to "
         f"{previous.period.end:%d/%m/%Y}). Open and overdue are as at "
         f"{report.as_at:%d/%m/%Y}. Status: On target (at or above target), Below target "
         f"(within {targets.amber_within * 100:.0f} percentage points), Well below."],
        [Block("Scorecard", frame, formats)],
        status_column="Status",
    )  # fmt: skip


def _month_ends(months: list[str]) -> list[pd.Timestamp]:
    return [pd.Timestamp(m) + pd.offsets.MonthEnd(0) for m in months]


def _per_month(dates: np.ndarray, first: np.datetime64, months: int) -> np.ndarray:
    """How many of ``dates`` fall in each of ``months`` calendar months from ``first``."""
    index = (dates.astype("datetime64[M]") - first).astype(np.int64)
    inside = ~np.isnat(dates) & (index >= 0) & (index < months)
    return np.bincount(index[inside], minlength=months)


def _trend(report: Report, cases: pd.DataFrame) -> Sheet:
    months = sorted({p.month for p in report.trend})
    frame = pd.DataFrame({"Month": [pd.Timestamp(m) for m in months]})
    by_key = {(p.month, p.rule): p for p in report.trend}
    for r in report.rules:
        frame[f"{r.rule} on time"] = [
            by_key[(m, r.rule)].on_time_rate if (m, r.rule) in by_key else None for m in months
        ]
    first = np.datetime64(months[0], "M") if months else None
    plans = cases[cases["rule"] == PLAN_20W]
    if len(plans) and first is not None:
        status = plans["status"].cat.codes.to_numpy()
        kept = ((status == MET) | (status == LATE)) & ~plans["exception"].fillna(False).to_numpy(
            dtype=bool
        )
        end = plans["end_date"].to_numpy()
        done = _per_month(end[kept], first, len(months))
        met = _per_month(end[kept & (status == MET)], first, len(months))
        frame["plan-20w excluding exceptions"] = [
            round(k / n, 4) if n else None for k, n in zip(met, done, strict=True)
        ]
        start = plans["start_date"].to_numpy()
        for label, _last in BACKLOG_BANDS:
            frame[f"Open {label}"] = 0
        for i, month_end in enumerate(_month_ends(months)):
            m = np.datetime64(month_end)
            waiting = (start <= m) & (np.isnat(end) | (end > m))
            counts = _band(pd.Series((m - start[waiting]).astype("timedelta64[D]").astype(int)),
                           BACKLOG_BANDS)  # fmt: skip
            for label, n in counts.items():
                frame.loc[i, f"Open {label}"] = n
    reviews = cases[cases["rule"] == REVIEW_12M]
    if len(reviews) and first is not None:
        frame["Annual reviews due"] = _per_month(reviews["due_date"].to_numpy(), first, len(months))
        frame["Annual reviews held"] = _per_month(
            reviews["end_date"].to_numpy(), first, len(months)
        )
    formats: dict[str, Format] = {"Month": "month"}
    for c in frame.columns[1:]:
        formats[c] = "percent" if c.endswith(("on time", "exceptions")) else "int"
    charts = []
    if "plan-20w excluding exceptions" in frame:
        charts.append(
            Chart(
                "line",
                "EHC plans issued within 20 weeks (excluding exceptions)",
                "On time",
                ["plan-20w excluding exceptions"],
                percent=True,
            )
        )
        charts.append(
            Chart(
                "stacked",
                "Open assessments by weeks since request, at month end",
                "Open assessments",
                [f"Open {b}" for b, _ in BACKLOG_BANDS],
            )
        )
    if "Annual reviews due" in frame:
        charts.append(Chart("bar", "Annual reviews falling due and held, by month", "Reviews",
                            ["Annual reviews due", "Annual reviews held"]))  # fmt: skip
    return Sheet(
        "Trend", "On-time rates, backlog and annual reviews by month",
        ["On-time rates of cases completed in each month; open assessments at each month end "
         "by weeks since the request; annual reviews falling due and held in each month."],
        [Block("Trend", frame, formats)], charts,
    )  # fmt: skip


def _backlog(analysis: Analysis, by: str | None) -> Sheet:
    report, cases = analysis.report, analysis.cases
    mask = (cases["rule"] == PLAN_20W) & cases["status"].isin(["open", "overdue"])
    mine = cases[mask.to_numpy()]
    days = (pd.Timestamp(report.as_at) - mine["start_date"]).dt.days.to_numpy()
    group_name = by or "All"
    if by:
        codes, labels = analysis.dimension(mine, by)
        groups = np.array(labels, dtype=object)[codes]
    else:
        groups = np.full(len(mine), "All", dtype=object)
    rows = []
    for value in sorted(set(groups.tolist())):
        sel = groups == value
        counts = _band(pd.Series(days[sel]), BACKLOG_BANDS)
        rows.append({group_name: value, **counts, "Total": int(sel.sum())})
    total = _band(pd.Series(days), BACKLOG_BANDS)
    rows.append({group_name: "Total", **total, "Total": len(days)})
    frame = pd.DataFrame(rows)
    formats: dict[str, Format] = {c: "int" for c in frame.columns[1:]}
    return Sheet(
        "Backlog", f"Open assessments by weeks since request, as at {report.as_at:%d/%m/%Y}",
        ["Requests still waiting for a final plan (the 20-week clock runs from receipt, "
         f"whatever stage the case is at), by {group_name.lower() if by else 'council'}."],
        [Block("Open assessments", frame, formats)],
    )  # fmt: skip


def _annual_reviews(
    report: Report, cases: pd.DataFrame, detail: Callable[[str, pd.DataFrame, np.ndarray], Detail]
) -> Sheet:
    reviews = cases[(cases["rule"] == REVIEW_12M).to_numpy()]
    status = reviews["status"].cat.codes.to_numpy()
    as_at = pd.Timestamp(report.as_at)
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
    chosen = chosen.iloc[order]
    when = when[order]
    counts = [f"Overdue: {int(overdue.sum()):,}"]
    for start in month_starts:
        end = start + pd.offsets.MonthEnd(0)
        n = int(((status == OPEN) & (due >= start).to_numpy() & (due <= end).to_numpy()).sum())
        counts.append(f"due in {start:%B %Y}: {n:,}")
    block, cut_notes = detail("Annual reviews", chosen, when)
    notes = ["Annual reviews overdue as at the as-at date, then those falling due in each of "
             "the next 3 months. " + "; ".join(counts) + ".", *cut_notes]  # fmt: skip
    return Sheet("Annual reviews", "Annual reviews overdue and due in the next 3 months", notes,
                 [block])  # fmt: skip


def _data_quality(validated: Validated, cap: int, cut_notes: list[str]) -> Sheet:
    files = pd.DataFrame(
        [(s.file, s.table, s.rows_read, s.rows_usable, s.rows_rejected, s.blank_rows_ignored)
         for s in validated.summaries],
        columns=["File", "Table", "Rows read", "Rows usable", "Rows rejected",
                 "Blank rows ignored"],
    )  # fmt: skip
    f = validated.findings
    counts = f.groupby(["code", "severity"]).size().reset_index(name="Count")
    counts["Meaning"] = counts["code"].map(lambda c: CODES[c][1])
    counts = counts.rename(columns={"code": "Code", "severity": "Severity"})
    counts = counts.sort_values(["Severity", "Count"], ascending=[True, False], kind="stable")
    detail = f.head(cap).rename(columns=str.capitalize)
    ints: dict[str, Format] = {c: "int" for c in files.columns[2:]}
    notes = [
        "Rows read = rows usable + rows rejected, for every file. Rows with an error are "
        "left out of every figure; rows with a warning are kept. See docs/findings.md.",
        *cut_notes,
    ]
    return Sheet(
        "Data quality", "Data quality of the extract",
        notes,
        [Block("Rows per file", files, ints),
         Block("Findings by code", counts.reset_index(drop=True), {"Count": "int"}),
         Block("Findings", detail.reset_index(drop=True), {"Row": "int"}, total_rows=len(f))],
    )  # fmt: skip


def _breakdown(report: Report, targets: Targets, by: str | None) -> Sheet:
    rows = []
    for g in report.breakdown:
        for r in g.rules:
            rows.append({
                by or "Group": g.value, "Rule": r.rule, "Completed": r.completed,
                "Met": r.met, "On time": r.on_time_rate, "Target": targets.target(r.rule),
                "Status": targets.status(r.rule, r.on_time_rate), "Open": r.open,
                "Overdue": r.overdue,
            })  # fmt: skip
    frame = pd.DataFrame(rows, columns=[by or "Group", "Rule", "Completed", "Met", "On time",
                                        "Target", "Status", "Open", "Overdue"])  # fmt: skip
    formats: dict[str, Format] = {"Completed": "int", "Met": "int", "On time": "percent",
                                  "Target": "percent", "Open": "int", "Overdue": "int"}  # fmt: skip
    note = (
        f"The scorecard by {by}, for cases completed in {report.period.label}. On-time "
        "rates here include exceptions."
        if by
        else "No breakdown: give --by COLUMN (for example team) to break the scorecard down."
    )
    return Sheet("Breakdown", f"Scorecard by {by}" if by else "Scorecard breakdown", [note],
                 [Block("Breakdown", frame, formats)], status_column="Status")  # fmt: skip


def write_csv_dir(pack: Pack, folder: Path, outputs: OutputSet, *, raw: bool = False) -> list[Path]:
    """Each sheet's tables as CSV (``Sheet.csv``, or ``Sheet - Table.csv`` where a sheet holds
    several). Text cells and headers a spreadsheet would take for a formula get a leading
    apostrophe unless ``raw`` (:mod:`.csvsafe`)."""
    written = []
    for sheet in pack.sheets:
        for block in sheet.blocks:
            name = sheet.name if len(sheet.blocks) == 1 else f"{sheet.name} - {block.title}"
            frame = block.frame.copy()
            for column in frame.columns:  # text by format: a "text" column of numbers too
                if block.format_of(column) == "text":
                    frame[column] = frame[column].astype("string")
            target = folder / f"{name}.csv"
            write_csv_to(frame, outputs.path(target), raw=raw)
            written.append(target)
    return written
