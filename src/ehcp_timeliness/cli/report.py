"""``ehcp report``: which deadlines were met and missed, what is open, what is due next."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from ehcp_timeliness.analysis import Analysis, Options, analyse, stage
from ehcp_timeliness.benchmark import with_published_targets
from ehcp_timeliness.cli import benchmark as bench
from ehcp_timeliness.cli import logs
from ehcp_timeliness.cli.common import (
    CouncilOpt,
    Exit,
    LogFormatOpt,
    LogLevelOpt,
    MappingOpt,
    Paths,
    PseudonymKeyOpt,
    RawCsvOpt,
    RulesOpt,
    StrictOpt,
    TargetsOpt,
    analysed,
    cell,
    out,
    parse_date_option,
    plain,
    refuse_outputs_among_inputs,
    run,
    say,
    say_as_at,
)
from ehcp_timeliness.clocks.rules import load_rules
from ehcp_timeliness.limits import MAX_DUE_WITHIN_WEEKS
from ehcp_timeliness.quality import banner, check
from ehcp_timeliness.report import Period, Report, parse_period
from ehcp_timeliness.scorecard import build_scorecard
from ehcp_timeliness.targets import Targets, load_targets
from ehcp_timeliness.validate.checks import Validated
from ehcp_timeliness.words import FEW_CASES, period_phrase
from ehcp_timeliness.write.atomic import OutputSet
from ehcp_timeliness.write.board import write_board_pack
from ehcp_timeliness.write.cases import case_writer
from ehcp_timeliness.write.json import json_file, write_json
from ehcp_timeliness.write.pack import EXCEL_MAX_ROWS


def command(
    paths: Paths,
    as_at: Annotated[
        str | None,
        typer.Option(
            "--as-at",
            metavar="DATE",
            help="The date the extract was taken (2025-03-31 or 31/03/2025): open cases are "
            "judged as at this date. Default: a SEN2 return's ReferenceDate, else today; the "
            "run says which.",
            show_default=False,
        ),
    ] = None,
    rules_dir: RulesOpt = None,
    mapping: MappingOpt = None,
    period: Annotated[
        str | None,
        typer.Option(
            "--period",
            metavar="PERIOD",
            help="Completed cases counted in: 2024 (calendar year), 2024-25 "
            "(financial year), 2024-Q1, 2024-03 (month) or rolling-12 (default).",
        ),
    ] = None,
    from_: Annotated[
        str | None,
        typer.Option(
            "--from",
            metavar="DATE",
            help="Start of a custom period (with --to, or to the as-at date).",
        ),
    ] = None,
    to: Annotated[
        str | None,
        typer.Option("--to", metavar="DATE", help="End of a custom period (needs --from)."),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            metavar="COLUMN",
            help="Break every figure down by this dimension column (team, primary_need...).",
        ),
    ] = None,
    due_within: Annotated[
        int,
        typer.Option(
            "--due-within",
            min=1,
            max=MAX_DUE_WITHIN_WEEKS,
            metavar="WEEKS",
            help="Count open cases falling due within this many weeks of the as-at date.",
        ),
    ] = 4,
    cases_out: Annotated[
        Path | None,
        typer.Option(
            "--cases-out",
            metavar="FILE",
            help="Write every evaluated (record, rule) to this CSV file.",
        ),
    ] = None,
    json_out: Annotated[
        str | None,
        typer.Option(
            "--json",
            metavar="FILE|-",
            help="Write the report model as JSON to FILE, or to stdout with -.",
        ),
    ] = None,
    strict: StrictOpt = False,
    detail: Annotated[
        bool,
        typer.Option(
            "--detail",
            help="After the headline, print every clock's counts, DfE's measures, the 20-week "
            "bands, the backlog by weeks and the monthly trend.",
        ),
    ] = False,
    allow_partial: Annotated[
        bool,
        typer.Option(
            "--allow-partial",
            help="Write the board pack even when a table the rules need has no usable rows "
            "or too many rows were rejected; its first sheet then says so.",
        ),
    ] = False,
    log_format: LogFormatOpt = logs.LogFormat.text,
    log_level: LogLevelOpt = logs.LogLevel.info,
    xlsx: Annotated[
        Path | None,
        typer.Option(
            "--xlsx",
            metavar="FILE",
            help="Write the Partnership Board pack as an XLSX workbook (docs/board-pack.md).",
        ),
    ] = None,
    council: CouncilOpt = "Local authority",
    targets_file: TargetsOpt = None,
    max_detail_rows: Annotated[
        int,
        typer.Option(
            "--max-detail-rows",
            metavar="N",
            min=1,
            max=EXCEL_MAX_ROWS,
            help="Most rows in each detail sheet "
            "of the pack; a longer list goes to a CSV beside the workbook.",
        ),
    ] = 100_000,
    csv_dir: Annotated[
        Path | None,
        typer.Option(
            "--csv-dir",
            metavar="DIR",
            help="Also write each table of the pack as CSV into this folder.",
        ),
    ] = None,
    published: bench.PublishedOpt = None,
    la: bench.LaOpt = None,
    compare: bench.CompareOpt = None,
    neighbours: bench.NeighboursOpt = None,
    raw_csv: RawCsvOpt = False,
    pseudonym_key_file: PseudonymKeyOpt = None,
) -> None:
    """Report statutory timeliness: met, late, open, overdue and due soon, per rule."""
    logs.configure(log_format, log_level)
    when = parse_date_option(as_at, "--as-at")
    checked = _period(period, from_, to, when or date.today())  # malformed: fails before reading
    # Without --as-at the date comes from a SEN2 return, so a period ending on it waits for it.
    chosen: Period | Callable[[date], Period] = (
        checked if when is not None else partial(_period, period, from_, to)
    )
    refuse_outputs_among_inputs([*paths, *([published] if published else [])],
                                [cases_out, json_file(json_out), xlsx, csv_dir])  # fmt: skip
    rules = run(lambda: load_rules(rules_dir))
    targets = run(lambda: load_targets(targets_file, known=[r.id for r in rules.rules]))
    spec = bench.published_spec(published, la, compare, neighbours)
    options = Options(as_at=when, default_as_at=date.today(), period=chosen,
                      due_within=due_within, by=by, mapping_file=mapping, published=spec,
                      pseudonym_key_file=pseudonym_key_file)  # fmt: skip
    with OutputSet() as outputs:
        sinks = [partial(case_writer, outputs.path(cases_out), raw=raw_csv)] if cases_out else []
        analysis = analysed(lambda: analyse(paths, rules, options, case_sinks=sinks))
        say_as_at(analysis.as_at, analysis.validated.as_at_source)
        problems = check(analysis)
        for problem in problems:
            logs.error(problem.message)
        if any(p.fatal for p in problems):  # nothing usable: nothing is written
            raise typer.Exit(Exit.INPUT)
        pack = xlsx is not None or csv_dir is not None
        refused = pack and bool(problems) and not allow_partial
        with stage("write", analysis.stages) as s:
            if pack and not refused:
                write_board_pack(analysis, targets, outputs, xlsx=xlsx, csv_dir=csv_dir,
                                 council=council, max_detail_rows=max_detail_rows,
                                 raw_csv=raw_csv, banner=banner(problems, PARTIAL))  # fmt: skip
            if (target := json_file(json_out)) is not None:
                write_json(analysis.report, outputs.path(target))
            s.counts = {"files": len(outputs.pending())}
    for written in outputs.written:
        say(f"wrote {written}")
    if refused:
        logs.error("no board pack was written: fix the input and run again, or pass "
                   "--allow-partial for a pack marked as partial on its first sheet")  # fmt: skip
    if json_out == "-":
        typer.echo(analysis.report.model_dump_json(indent=2))
    else:
        headline(analysis, targets, council)
        if detail:
            render(analysis.report, analysis.validated, breakdown=by is not None)
        else:
            out.print("Every clock's counts, DfE's measures, the 20-week bands, the backlog by "
                      "weeks and the monthly trend: run again with --detail.", markup=False,
                      style="dim")  # fmt: skip
    if refused or (strict and analysis.validated.has_errors):
        raise typer.Exit(Exit.FINDINGS)


#: Why a pack published with --allow-partial carries a warning on its first sheet.
PARTIAL = "this pack was written with --allow-partial although the input failed its checks"


def _period(period: str | None, start: str | None, end: str | None, as_at: date) -> Period:
    if start is not None or end is not None:
        if period is not None:
            raise typer.BadParameter(
                "give --period or --from/--to, not both", param_hint="--period"
            )
        first = parse_date_option(start, "--from")
        if first is None:
            raise typer.BadParameter("--to needs --from", param_hint="--to")
        last = parse_date_option(end, "--to") or as_at
        if last < first:
            raise typer.BadParameter("--to is before --from", param_hint="--to")
        return Period(label=f"{first:%d %b %Y} to {last:%d %b %Y}", start=first, end=last)
    try:
        return parse_period(period, as_at)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--period") from None


def _pct(rate: float | None) -> str:
    return "" if rate is None else f"{rate:.1%}"


def headline(analysis: Analysis, targets: Targets, council: str) -> None:
    """The same figures as the board pack's first page, compactly: each measure this period
    and last, the change, the target and where it comes from, the status; the backlog."""
    report = analysis.report
    if analysis.benchmark is not None:  # England's published figures as the default targets
        targets = with_published_targets(targets, analysis.benchmark)
    card = build_scorecard(report, analysis.previous, targets)
    rows = sum(s.rows_read for s in report.inputs)
    usable = sum(s.rows_usable for s in report.inputs)
    source = analysis.validated.as_at_source
    said = "" if source == "--as-at" else f" ({plain(source)})"
    out.print(
        f"[bold]{plain(council)}: EHC plan timeliness[/] as at {report.as_at:%-d %B %Y}{said}; "
        f"{plain(period_phrase(card.period).removeprefix('in '))} against "
        f"{plain(period_phrase(card.previous_period).removeprefix('in '))}."
    )
    line = f"Input: {rows:,} rows read, {usable:,} usable, {rows - usable:,} rejected"
    if report.findings_by_code:
        line += f"; {sum(report.findings_by_code.values()):,} findings (ehcp validate lists them)"
    out.print(line + ".", markup=False)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("Measure", ratio=1, min_width=24)  # the only column that wraps
    for name in ("Now", "Cases", "Before", "Change", "Target", "Status"):
        table.add_column(name, justify="left" if name in ("Target", "Status") else "right",
                         no_wrap=True)  # fmt: skip
    for r in card.rows:
        change = "" if r.change is None else f"{r.change * 100:+.1f}"
        better = {"better": "better", "worse": "worse", "no change": "same"}.get(r.direction or "")
        target = (
            f"{_pct(r.target)} {_short_source(r.target_source)}" if r.target is not None else ""
        )
        table.add_row(cell(r.label), _pct(r.rate),
                      f"{r.met:,}/{r.completed:,}" + (" *" if r.few_cases else ""),
                      _pct(r.previous_rate), f"{change} {better}".strip(), cell(target),
                      Text(r.status, style=STATUS_STYLES.get(r.status, "")))  # fmt: skip
    out.print(table)
    out.print(
        f"Now: {plain(period_phrase(card.period).removeprefix('in '))}; before: "
        f"{plain(period_phrase(card.previous_period).removeprefix('in '))}; change in "
        "percentage points. Targets: "
        + "; ".join(
            f"{_short_source(s)} ({s[len(_short_source(s)) :].lstrip(',: ')})"
            if s != _short_source(s)
            else s
            for s in dict.fromkeys(r.target_source for r in card.rows)
        )
        + ".",
        markup=False,
    )
    if any(r.few_cases for r in card.rows):
        out.print(f"* fewer than {FEW_CASES} cases: read the rate with care.", markup=False)
    if card.backlog is not None:
        out.print(card.backlog.sentence, markup=False)
    if card.not_shown:
        out.print(card.not_shown, markup=False)


def _short_source(source: str) -> str:
    """ "England 2024, DfE" -> "England 2024"; "default: no published figure" -> "default"."""
    return source.split(",")[0].split(":")[0]


STATUS_STYLES = {"On target": "green", "Below target": "yellow", "Well below": "red"}


def render(report: Report, validated: Validated, *, breakdown: bool = False) -> None:
    """The detail behind the headline (``--detail``)."""
    out.print(
        f"[bold]Detail[/]: completed cases counted in {plain(report.period.label)} "
        f"({report.period.start:%d/%m/%Y} to {report.period.end:%d/%m/%Y})."
    )
    if report.findings_by_code:
        codes = ", ".join(f"{k} {v:,}" for k, v in report.findings_by_code.items())
        out.print(f"Findings by code: {codes}.", markup=False)

    table = Table(title="Statutory clocks", title_justify="left")
    for name in ("Rule", "Limit", "Completed", "Met", "Late", "On time", "Open", "Overdue",
                 f"Due in {report.due_within_weeks} wk", "Not owed", "Unknown"):  # fmt: skip
        table.add_column(name, justify="left" if name in ("Rule", "Limit") else "right")
    for r in report.rules:
        table.add_row(cell(r.rule), cell(r.limit), f"{r.completed:,}", f"{r.met:,}", f"{r.late:,}",
                      _pct(r.on_time_rate), f"{r.open:,}", f"{r.overdue:,}",
                      f"{r.due_soon:,}", f"{r.not_owed:,}", f"{r.unknown:,}")  # fmt: skip
    out.print(table)

    measures = [m for m in (report.dfe_request_decisions, report.dfe_review_decisions) if m]
    if measures:
        dfe = Table(title="DfE's published measures, reproduced (compare with DfE's tables)",
                    title_justify="left")  # fmt: skip
        for name in ("Measure", "Rate", "Numerator", "Denominator", "As at", "Also"):
            dfe.add_column(name, justify="left" if name in ("Measure", "Also") else "right")
        for measure in measures:
            also = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in measure.counts.items())
            dfe.add_row(measure.label, _pct(measure.rate), f"{measure.numerator:,}",
                        f"{measure.denominator:,}", f"{measure.census:%d/%m/%Y}",
                        also)  # fmt: skip
        out.print(dfe)

    p = report.plan_20w
    if p is not None:
        t = Table(title="EHC plans issued within 20 weeks (as DfE counts them)",
                  title_justify="left")  # fmt: skip
        t.add_column("Measure")
        t.add_column("Value", justify="right")
        for rate in (p.excluding_exceptions, p.including_exceptions):
            t.add_row(f"{rate.label}", f"{_pct(rate.rate)} ({rate.met:,} of {rate.completed:,})")
        t.add_row("Share of plans with an exception flag", _pct(p.exception_share))
        for band, n in p.bands.items():
            t.add_row(f"Plans issued {band}", f"{n:,}")
        t.add_row(
            "Average weeks to issue",
            "" if p.mean_weeks_to_issue is None else f"{p.mean_weeks_to_issue:.1f}",
        )
        out.print(t)

    backlog = Table(title=f"Open assessments by weeks since request, as at "
                    f"{report.as_at:%d %B %Y}", title_justify="left")  # fmt: skip
    for band in report.open_assessments:
        backlog.add_column(band, justify="right")
    backlog.add_row(*(f"{n:,}" for n in report.open_assessments.values()))
    out.print(backlog)

    months = sorted({pt.month for pt in report.trend})
    trend = Table(title="On time by month of completion", title_justify="left")
    trend.add_column("Month")
    rule_ids = [r.rule for r in report.rules]
    for rid in rule_ids:
        trend.add_column(cell(rid), justify="right")
    by_key = {(pt.month, pt.rule): pt for pt in report.trend}
    for m in months:
        trend.add_row(m, *(_pct(by_key[(m, rid)].on_time_rate) if (m, rid) in by_key else ""
                           for rid in rule_ids))  # fmt: skip
    out.print(trend)

    if breakdown and report.by:
        bd = Table(title=cell(f"By {report.by}"), title_justify="left")
        numbers = ("Completed", "On time", "Open", "Overdue")
        for name in (report.by, "Rule", *numbers):
            bd.add_column(cell(name), justify="right" if name in numbers else "left")
        for g in report.breakdown:
            for r in g.rules:
                if r.completed or r.open or r.overdue:
                    bd.add_row(cell(g.value), cell(r.rule), f"{r.completed:,}",
                               _pct(r.on_time_rate), f"{r.open:,}", f"{r.overdue:,}")  # fmt: skip
        out.print(bd)
