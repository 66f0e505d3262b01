"""``ehcp project``: the deadline cliff, the backlog, annual reviews and caseload ahead, from the
council's own casework, with 80% bands, scenarios, targets and an optional back-test.

A thin caller: it parses the options into :class:`~ehcp_timeliness.project.ProjectionOptions`,
runs the one pipeline (:func:`~ehcp_timeliness.analysis.analyse`, whose ``project`` stage makes
the projections), writes the outputs and renders the console summary.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ehcp_timeliness.analysis import Options, analyse, stage
from ehcp_timeliness.cli import logs
from ehcp_timeliness.cli import project_published as pp
from ehcp_timeliness.cli.common import (
    CouncilOpt,
    LogFormatOpt,
    LogLevelOpt,
    MappingOpt,
    RulesOpt,
    TargetsOpt,
    analysed,
    out,
    parse_date_option,
    refuse_outputs_among_inputs,
    run,
    say,
)
from ehcp_timeliness.clocks.rules import load_rules
from ehcp_timeliness.project import flow
from ehcp_timeliness.project.models import Band, Projections
from ehcp_timeliness.project.options import (
    MAX_DRAWS,
    MAX_HORIZON,
    MIN_DRAWS,
    MIN_HORIZON,
    OrderChoice,
    ProjectionOptions,
    parse_share,
    scenario,
)
from ehcp_timeliness.targets import load_targets
from ehcp_timeliness.write.atomic import OutputSet
from ehcp_timeliness.write.json import json_file, write_json

ORDERS = ["auto", *flow.ORDERS]


def command(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="EXTRACT...",
            help="Extract files (CSV, XLSX) or directories of them.",
            show_default=False,
        ),
    ] = None,
    as_at: Annotated[
        str | None,
        typer.Option(
            "--as-at",
            metavar="DATE",
            help="The date the extract was taken: projections start the day after.",
        ),
    ] = None,
    horizon: Annotated[
        int,
        typer.Option(
            "--horizon",
            metavar="WEEKS",
            min=MIN_HORIZON,
            max=MAX_HORIZON,
            help="Weeks ahead for the cliff, the backlog and annual reviews (the "
            "caseload is always 36 months).",
        ),
    ] = 52,
    capacity: Annotated[
        list[str] | None,
        typer.Option(
            "--capacity",
            metavar="CHANGE",
            help="A scenario changing plans issued a week: +20%, -10% or +3 (a "
            "week). Repeat for more scenarios.",
        ),
    ] = None,
    arrivals: Annotated[
        list[str] | None,
        typer.Option(
            "--arrivals",
            metavar="CHANGE",
            help="A scenario changing requests received a week: +10%, -5% or +2. Repeatable.",
        ),
    ] = None,
    clear_by: Annotated[
        str | None,
        typer.Option(
            "--clear-by",
            metavar="DATE",
            help="Target mode: the weekly plans issued that clear the backlog past "
            "20 weeks by this date.",
        ),
    ] = None,
    rate_target: Annotated[
        str | None,
        typer.Option(
            "--rate-target",
            metavar="RATE",
            help="Target mode: the month the 20-week rate (excluding exceptions) "
            "reaches this rate, such as 60%, at today's capacity.",
        ),
    ] = None,
    caseload_target: Annotated[
        int | None,
        typer.Option(
            "--caseload-target",
            metavar="PLANS",
            min=0,
            help="The caseload a strategy expects, compared with the projection's band.",
        ),
    ] = None,
    caseload_date: Annotated[
        str | None,
        typer.Option(
            "--caseload-date",
            metavar="DATE",
            help="The date of that caseload (default: the last January projected).",
        ),
    ] = None,
    order: Annotated[
        str,
        typer.Option(
            "--order",
            metavar="ORDER",
            help="How plans go to waiting requests: auto (the one that would have "
            "projected the last 26 weeks best), oldest-first, as-recorded or "
            "recent-rates.",
        ),
    ] = "auto",
    seed: Annotated[
        int,
        typer.Option(
            "--seed",
            metavar="N",
            help="Seed of the simulated futures: the same seed and input "
            "give the same projections.",
        ),
    ] = 1,
    draws: Annotated[
        int,
        typer.Option(
            "--draws",
            metavar="N",
            min=MIN_DRAWS,
            max=MAX_DRAWS,
            help="Simulated futures behind each 80% band.",
        ),
    ] = 500,
    backtest: Annotated[
        bool,
        typer.Option(
            "--backtest",
            help="Re-run the backlog projection at earlier dates from "
            "the extract as recorded then, and print its errors beside persistence "
            "and seasonal-naive baselines.",
        ),
    ] = False,
    backtest_step: Annotated[
        int,
        typer.Option(
            "--backtest-step",
            metavar="WEEKS",
            min=1,
            max=52,
            help="Weeks between the back-test's origins.",
        ),
    ] = 4,
    rules_dir: RulesOpt = None,
    mapping: MappingOpt = None,
    json_out: Annotated[
        str | None,
        typer.Option(
            "--json",
            metavar="FILE|-",
            help="Write the projections model as JSON to FILE, or to stdout with -.",
        ),
    ] = None,
    xlsx: Annotated[
        Path | None,
        typer.Option(
            "--xlsx",
            metavar="FILE",
            help="Write the board pack with its Projections sheets (docs/board-pack.md).",
        ),
    ] = None,
    csv_dir: Annotated[
        Path | None,
        typer.Option(
            "--csv-dir", metavar="DIR", help="Write each projection table as CSV into this folder."
        ),
    ] = None,
    council: CouncilOpt = "Local authority",
    targets_file: TargetsOpt = None,
    published: Annotated[
        Path | None,
        typer.Option(
            "--published",
            metavar="DIR",
            help="Instead of an extract: project every council's January caseload from DfE's "
            "published figures in DIR (caseload.csv, and newplans.csv for the stock-flow "
            "method), choosing the method by a back-test across all councils.",
        ),
    ] = None,
    la: pp.LaOpt = None,
    horizon_years: pp.HorizonYearsOpt = 3,
    csv: pp.CsvOpt = None,
    method: pp.MethodOpt = None,
    target: pp.TargetOpt = None,
    log_format: LogFormatOpt = logs.LogFormat.text,
    log_level: LogLevelOpt = logs.LogLevel.info,
) -> None:
    """Project the deadline cliff, the assessment backlog, annual reviews and caseload; or,
    with --published, every council's caseload from DfE's published figures."""
    logs.configure(log_format, log_level)
    if published is not None:
        if paths:
            raise typer.BadParameter("give an extract or --published, not both",
                                     param_hint="--published")  # fmt: skip
        pp.run_published(published=published, la=la, horizon_years=horizon_years, csv=csv,
                         backtest=backtest, json_out=json_out, seed=seed, method=method,
                         target=target)  # fmt: skip
        return
    published_only = {"--la": la, "--csv": csv, "--method": method, "--target": target}
    for name, value in published_only.items():
        if value is not None:
            raise typer.BadParameter("only with --published", param_hint=name)
    if not paths:
        raise typer.BadParameter("give the extract files or folders to project from",
                                 param_hint="PATHS")  # fmt: skip
    when = parse_date_option(as_at, "--as-at")
    if when is None:
        raise typer.BadParameter("the projections need the extract's date", param_hint="--as-at")
    if order not in ORDERS:
        raise typer.BadParameter(f"{order!r} is not one of {', '.join(ORDERS)}",
                                 param_hint="--order")  # fmt: skip
    options = _options(when, horizon, capacity or [], arrivals or [], clear_by, rate_target,
                       caseload_target, caseload_date, order, seed, draws, backtest,
                       backtest_step)  # fmt: skip
    refuse_outputs_among_inputs(paths, [json_file(json_out), xlsx, csv_dir])
    rules = run(lambda: load_rules(rules_dir))
    targets = run(lambda: load_targets(targets_file, known=[r.id for r in rules.rules]))
    analysis_options = Options(as_at=when, mapping_file=mapping, projection=options)
    analysis = analysed(lambda: analyse(paths, rules, analysis_options))
    projections = analysis.projections
    assert projections is not None
    with OutputSet() as outputs, stage("write", analysis.stages) as s:
        if xlsx is not None:
            from ehcp_timeliness.write.board import write_board_pack

            write_board_pack(analysis, targets, outputs, xlsx=xlsx, csv_dir=None,
                             council=council, max_detail_rows=100_000)  # fmt: skip
        if csv_dir is not None:
            from ehcp_timeliness.write.pack import Pack, write_csv_dir
            from ehcp_timeliness.write.projections_sheet import projection_sheets

            write_csv_dir(Pack(projection_sheets(projections), {}), csv_dir, outputs)
        if (json_path := json_file(json_out)) is not None:
            write_json(projections, outputs.path(json_path))
        s.counts = {"files": len(outputs.pending())}
    for written in outputs.written:
        say(f"wrote {written}")
    if json_out == "-":
        typer.echo(projections.model_dump_json(indent=2))
    else:
        render(projections)


def _options(when: date, horizon: int, capacity: list[str], arrivals: list[str],
             clear_by: str | None, rate_target: str | None, caseload_target: int | None,
             caseload_date: str | None, order: str, seed: int, draws: int, backtest: bool,
             backtest_step: int) -> ProjectionOptions:  # fmt: skip
    scenarios = []
    for kind, values in (("capacity", capacity), ("arrivals", arrivals)):
        for text in values:
            try:
                scenarios.append(scenario(kind, text))  # type: ignore[arg-type]
            except ValueError as exc:
                raise typer.BadParameter(str(exc), param_hint=f"--{kind}") from None
    clear = parse_date_option(clear_by, "--clear-by")
    if clear is not None and clear <= when:
        raise typer.BadParameter("the date is not after the as-at date", param_hint="--clear-by")
    rate = None
    if rate_target is not None:
        try:
            rate = parse_share(rate_target)
        except ValueError as exc:
            raise typer.BadParameter(str(exc), param_hint="--rate-target") from None
    chosen: OrderChoice = order  # type: ignore[assignment]
    return ProjectionOptions(
        horizon_weeks=horizon, seed=seed, draws=draws, scenarios=tuple(scenarios),
        order=chosen, clear_by=clear, rate_target=rate, caseload_target=caseload_target,
        caseload_date=parse_date_option(caseload_date, "--caseload-date"), backtest=backtest,
        backtest_step=backtest_step,
    )  # fmt: skip


def _b(b: Band, pct: bool = False) -> str:
    if pct:
        return f"{b.value:.1%} ({b.lower:.1%}-{b.upper:.1%})"
    if b.lower == b.upper:
        return f"{b.value:,.0f}"
    return f"{b.value:,.0f} ({b.lower:,.0f}-{b.upper:,.0f})"


def _table(title: str, columns: list[str]) -> Table:
    table = Table(title=title, title_justify="left")
    for i, name in enumerate(columns):
        table.add_column(name, justify="left" if i == 0 else "right")
    return table


def render(p: Projections) -> None:
    """The console summary of every projection."""
    out.print(f"[bold]Projections[/] from the casework as at {p.as_at:%d %B %Y}: "
              f"{p.horizon_weeks} weeks ahead; 80% bands from {p.draws} simulated futures "
              f"(seed {p.seed}).")  # fmt: skip
    for a in p.answers:
        out.print(f"[bold]{a.question}[/] {a.answer}", highlight=False)
    blocks = [(1, 4), (5, 8), (9, 13), (14, 26), (27, 52), (53, 104), (105, 156)]
    blocks = [(a, min(b, p.horizon_weeks)) for a, b in blocks if a <= p.horizon_weeks]
    cliff = _table("Deadline cliff: open cases passing their due date, by weeks ahead",
                   ["Rule", "Overdue now", *(f"wk {a}-{b}" for a, b in blocks), "Later",
                    "Open now"])  # fmt: skip
    for r in p.cliff.rules:
        cliff.add_row(r.rule, f"{r.overdue_now:,}", *(f"{sum(r.weekly[a - 1 : b]):,}"
                      for a, b in blocks), f"{r.beyond_horizon:,}", f"{r.open:,}")  # fmt: skip
    out.print(cliff)
    if p.flow is not None:
        _render_flow(p)
    if p.reviews is not None:
        rv = p.reviews
        t = _table("Annual reviews by month", ["Month", "Due", "Held", "Overdue at month end",
                                               "Decisions awaited"])  # fmt: skip
        for m in [m for m in rv.months if m.actual][-3:] + [m for m in rv.months if not m.actual]:
            t.add_row(m.month + ("" if m.actual else " *"), _b(m.due), _b(m.held),
                      _b(m.overdue), "" if m.decisions_awaited is None
                      else _b(m.decisions_awaited))  # fmt: skip
        out.print(t)
        fits = "".join(
            f"; {o.order} scored {o.score:.3f} (errors a month: held "
            f"{o.mean_abs_error_held:,.1f}, overdue {o.mean_abs_error_overdue:,.1f}"
            + ("" if o.mean_abs_error_awaited is None
               else f", decisions awaited {o.mean_abs_error_awaited:,.1f}") + ")"
            for o in rv.order_fits)  # fmt: skip
        decided = "" if rv.how_decided is None else f"; decisions are made {rv.how_decided}"
        out.print(f"Reviews are held {rv.how_held}{decided}. Chosen: {rv.order_chosen_by}"
                  f"{fits}.", markup=False)  # fmt: skip
    if p.caseload is not None:
        c = p.caseload
        t = _table(f"Live plans (caseload); cessation rates by {c.by or 'all plans'}",
                   ["Month end", "Live plans", "New plans", "Ceased"])  # fmt: skip
        quarters = (1, 4, 7, 10)
        history = [cm for cm in c.months if cm.actual]
        shown = [cm for cm in history[-25:-1] if cm.month_end.month in quarters]  # 2 years back
        shown += history[-1:] + [cm for cm in c.months
                                 if not cm.actual and cm.month_end.month in quarters]  # fmt: skip
        for cm in shown:
            t.add_row(f"{cm.month_end:%d/%m/%Y}" + ("" if cm.actual else " *"), _b(cm.live),
                      _b(cm.new_plans), _b(cm.ceased))  # fmt: skip
        out.print(t)
    if p.backtest is not None:
        b = p.backtest
        t = _table(f"Back-test at {len(b.origins)} earlier dates ({b.origins[0]:%d/%m/%Y} to "
                   f"{b.origins[-1]:%d/%m/%Y})",
                   ["Quantity", "Weeks", "Method", "Origins", "MAE", "MAPE", "Bias",
                    "80% coverage"])  # fmt: skip
        for e in b.errors:
            t.add_row(e.quantity, str(e.weeks_ahead), e.method, str(e.origins),
                      f"{e.mean_abs_error:,.1f}", "" if e.mean_abs_pct_error is None
                      else f"{e.mean_abs_pct_error:.1%}", f"{e.bias:+,.1f}",
                      "" if e.coverage_80 is None else f"{e.coverage_80:.0%}")  # fmt: skip
        out.print(t)
    out.print("[bold]Assumptions[/]")
    for line in p.assumptions:
        out.print(f"- {line}", highlight=False, markup=False)
    for note in p.notes:
        out.print(f"Not projected: {note}", highlight=False, markup=False)
    out.print("* projected. Figures in brackets are 80% bands.", highlight=False, markup=False)


def _render_flow(p: Projections) -> None:
    assert p.flow is not None
    f = p.flow.parts
    parts = _table("Estimated parts of the backlog model", ["Part", "Estimate"])
    for part in (f.arrivals, f.capacity):
        season = (", ".join(f"{m} {v:.2f}" for m, v in part.monthly_factors.items())
                  if part.seasonal else "none (less than 2 years)")  # fmt: skip
        parts.add_row(f"{part.name} a week", f"{part.level_per_week:,.1f} now (last 13 weeks "
                      f"{part.recent_mean_per_week:,.1f}); trend {part.growth_per_year:+.1%} a "
                      f"year over {part.weeks_of_history} weeks"
                      + ("" if part.trend_projected else ", not projected"))  # fmt: skip
        parts.add_row(f"{part.name}: month factors", season)
    parts.add_row("requests ending in a plan", f"{f.share_to_plan:.0%} at recent exit rates")
    if f.share_assessed is not None and f.share_assessed_to_plan is not None:
        parts.add_row("agreed to assess; assessed ending in a plan",
                      f"{f.share_assessed:.0%}; {f.share_assessed_to_plan:.0%}")  # fmt: skip
    parts.add_row("completion order", f"{f.order} ({f.order_chosen_by})")
    for o in f.order_fits:
        parts.add_row(
            f"  hold-out: {o.order}",
            f"score {o.score:.3f}; errors a week: open "
            f"{o.mean_abs_error_open:,.1f}, past 20 weeks "
            f"{o.mean_abs_error_overdue:,.1f}, on time {o.mean_abs_error_on_time:,.1f}",
        )
    out.print(parts)
    weeks = _table("Assessment backlog (baseline)", ["Week ending", "Open", "Past 20 weeks",
                                                     "Plans issued to date"])  # fmt: skip
    ahead = [w for w in p.flow.weeks if not w.actual]
    now = [w for w in p.flow.weeks if w.actual][-1:]
    marks = {4, 13, 26, 39, 52, 78, 104, 130, 156}
    for i, w in enumerate(now + ahead):
        if i == 0 or i in marks:
            weeks.add_row(f"{w.week_end:%d/%m/%Y}" + ("" if w.actual else " *"), _b(w.open),
                          _b(w.overdue), _b(w.issued_to_date))  # fmt: skip
    out.print(weeks)
    rates = _table(
        "Plans issued within 20 weeks, excluding exceptions", ["Month", "Issued", "20-week rate"]
    )
    months = [m for m in p.flow.months if m.actual][-3:] + [
        m for m in p.flow.months if not m.actual
    ]
    for m in months:
        r = m.rate_excluding_exceptions
        rates.add_row(m.month + ("" if m.actual else " *"), _b(m.issued),
                      "" if r is None else _b(r, pct=True))  # fmt: skip
    out.print(rates)
    scen = _table("Scenarios", ["Scenario", "Weeks", "Open", "Past 20 weeks", "Plans issued",
                                "Past 20 weeks clears", "Next quarter's 20-week rate"])  # fmt: skip
    for s in p.flow.scenarios:
        for i, k in enumerate(sorted(s.open)):
            first = i == 0
            scen.add_row(s.scenario.name if first else "", str(k), _b(s.open[k]),
                         _b(s.overdue[k]), _b(s.issued[k]),
                         "" if s.overdue_clears is None or not first
                         else f"{s.overdue_clears:%d/%m/%Y}",
                         "" if s.next_quarter_rate is None or not first
                         else _b(s.next_quarter_rate, pct=True))  # fmt: skip
    out.print(scen)
    for t in p.flow.targets:
        out.print(f"[bold]{t.question}[/] {t.answer}", highlight=False)
