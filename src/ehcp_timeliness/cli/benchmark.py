"""``ehcp benchmark``: the council against England, its region and its neighbours, from DfE's
published figures, beside its own casework when an extract is given."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich import box
from rich.table import Table

from ehcp_timeliness.benchmark import (
    Benchmark,
    Casework,
    Direction,
    MeasureResult,
    benchmark,
    casework_figures,
    casework_years,
    comparators_from_codes,
    comparators_from_file,
    target_note,
    with_published_targets,
)
from ehcp_timeliness.cli.common import (
    MappingOpt,
    RulesOpt,
    out,
    parse_date_option,
    run,
    say,
)
from ehcp_timeliness.clocks.engine import evaluate
from ehcp_timeliness.clocks.rules import RuleSet, load_rules
from ehcp_timeliness.load import load
from ehcp_timeliness.read.published import read_release
from ehcp_timeliness.targets import Targets
from ehcp_timeliness.validate.checks import Validated
from ehcp_timeliness.write.atomic import write_atomic
from ehcp_timeliness.write.benchmark import benchmark_sheet
from ehcp_timeliness.write.pack import Pack, Sheet, write_csv_dir

PublishedOpt = Annotated[Path | None, typer.Option(
    "--published", metavar="DIR", help="Folder of DfE's 'Education, health and care plans' "
    "CSV files (timeliness_20_week.csv, requests.csv, caseload.csv...).")]  # fmt: skip
LaOpt = Annotated[str | None, typer.Option(
    "--la", metavar="CODE", help="The council: old code (937), new code (E10000031) or name "
    "as DfE spells it.")]  # fmt: skip
CompareOpt = Annotated[
    str | None,
    typer.Option(
        "--compare", metavar="CODES", help="Comparator councils, comma-separated codes or names."
    ),
]
NeighboursOpt = Annotated[Path | None, typer.Option(
    "--neighbours", metavar="FILE", help="CSV of comparator councils' new_la_code, one per "
    "line (for example DfE's statistical neighbours).")]  # fmt: skip


def command(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Optional extract files (CSV, XLSX) or directories of them: the "
            "council's own figures beside DfE's.",
            show_default=False,
        ),
    ] = None,  # fmt: skip
    published: PublishedOpt = None,
    la: LaOpt = None,
    as_at: Annotated[
        str | None,
        typer.Option(
            "--as-at",
            metavar="YYYY-MM-DD",
            help="The date the extract was taken (required with an extract).",
        ),
    ] = None,  # fmt: skip
    compare: CompareOpt = None,
    neighbours: NeighboursOpt = None,
    rules_dir: RulesOpt = None,
    mapping: MappingOpt = None,
    json_out: Annotated[
        str | None,
        typer.Option(
            "--json",
            metavar="FILE|-",
            help="Write the benchmark model as JSON to FILE, or to stdout with -.",
        ),
    ] = None,  # fmt: skip
    xlsx: Annotated[
        Path | None, typer.Option("--xlsx", help="Write the Benchmark sheet as an XLSX workbook.")
    ] = None,  # fmt: skip
    csv_dir: Annotated[
        Path | None,
        typer.Option(
            "--csv-dir", help="Write each table of the Benchmark sheet as CSV into this folder."
        ),
    ] = None,  # fmt: skip
) -> None:
    """Compare the council with England, its region and comparators, from DfE's published
    figures, with its own casework figures beside them when an extract is given."""
    if published is None:
        raise typer.BadParameter("give the folder of DfE's CSV files", param_hint="--published")
    if la is None:
        raise typer.BadParameter("give the council's code or name", param_hint="--la")
    when = parse_date_option(as_at, "--as-at")
    if paths and when is None:
        raise typer.BadParameter("an extract needs the date it was taken", param_hint="--as-at")
    extract = None
    if paths:
        assert when is not None
        rules = run(lambda: load_rules(rules_dir))
        validated = run(lambda: load(paths, mapping_file=mapping, as_at=when, progress=say))
        say("evaluating rules")
        cases = evaluate(validated.tables, rules, as_at=when)
        extract = (validated, cases, rules, when)
    bench = published_benchmark(published, la, compare, neighbours, extract)
    if json_out is not None:
        text = bench.model_dump_json(indent=2)
        if json_out == "-":
            typer.echo(text)
        else:
            write_atomic(Path(json_out), lambda tmp: tmp.write_text(text, encoding="utf-8"))
            say(f"wrote {json_out}")
    sheet = benchmark_sheet(bench)
    if xlsx is not None:
        from ehcp_timeliness.write.xlsx import write_pack  # openpyxl is slow to import

        write_pack(Pack([sheet], {}), xlsx)
        say(f"wrote {xlsx}")
    if csv_dir is not None:
        written = write_csv_dir(Pack([sheet], {}), csv_dir)
        say(f"wrote {len(written)} CSV files to {csv_dir}")
    if json_out != "-":
        render(bench)


def published_benchmark(
    published: Path,
    la: str,
    compare: str | None,
    neighbours: Path | None,
    extract: tuple[Validated, pd.DataFrame, RuleSet, date] | None = None,
) -> Benchmark:
    """Read the published files and build the benchmark; exit 3 on unreadable input."""
    if compare is not None and neighbours is not None:
        raise typer.BadParameter("give --compare or --neighbours, not both",
                                 param_hint="--compare")  # fmt: skip
    say(f"reading DfE's files in {published}")
    release = run(lambda: read_release(published))
    council = run(lambda: release.find_la(la, source="--la"))
    comparators, source = [], None
    if compare is not None:
        comparators, source = run(lambda: comparators_from_codes(release, compare)), "--compare"
    elif neighbours is not None:
        comparators = run(lambda: comparators_from_file(release, neighbours))
        source = neighbours.name
    casework: Casework | None = None
    if extract is not None:
        validated, cases, rules, when = extract
        years, census = run(lambda: casework_years(release, when))
        casework = casework_figures(validated, cases, rules, as_at=when, years=years,
                                    census_years=census)  # fmt: skip
    return run(lambda: benchmark(release, council, comparators=comparators,
                                 comparator_source=source, casework=casework))  # fmt: skip


def for_report(
    published: Path | None,
    la: str | None,
    compare: str | None,
    neighbours: Path | None,
    targets: Targets,
    extract: tuple[Validated, pd.DataFrame, RuleSet, date],
) -> tuple[Targets, Sheet | None]:
    """For ``ehcp report``: the scorecard's targets with England's published figures as the
    defaults, and the pack's Benchmark sheet; the targets unchanged and no sheet without
    ``--published``."""
    if published is None and la is None:
        if compare is not None or neighbours is not None:
            raise typer.BadParameter("comparators need --published and --la",
                                     param_hint="--compare")  # fmt: skip
        return targets, None
    if published is None or la is None:
        raise typer.BadParameter(
            "--published and --la go together",
            param_hint="--published" if published is None else "--la",
        )
    bench = published_benchmark(published, la, compare, neighbours, extract)
    note = target_note(bench, targets)
    return with_published_targets(targets, bench), benchmark_sheet(
        bench, extra_notes=[note] if note else None)  # fmt: skip


def _value(v: float | None, m: MeasureResult) -> str:
    if v is None:
        return ""
    return f"{v:.1%}" if m.unit == "rate" else f"{v:,.0f}"


def _change(v: float | None, m: MeasureResult) -> str:
    if v is None:
        return ""
    return f"{v * 100:+.1f}" if m.unit == "rate" else f"{v:+,.0f}"


def render(bench: Benchmark) -> None:
    la = bench.council
    comps = f"; {len(bench.comparators)} comparators (median)" if bench.comparators else ""
    out.print(f"[bold]{la.name}[/] ({la.old_code}, {la.new_code}) against England, "
              f"{la.region_name}{comps}: DfE's published figures, latest year of each "
              "measure.")  # fmt: skip
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    columns = ["Measure", "Year", "Council", "England", "Region"]
    columns += ["Comparators"] if bench.comparators else []
    columns += ["Rank", "Change"]
    columns += ["Casework", "Provisional"] if bench.casework is not None else []
    for name in columns:
        table.add_column(name, justify="left" if name == "Measure" else "right",
                         no_wrap=True)  # fmt: skip
    for m in bench.measures:
        if not m.points:
            continue
        p = m.points[-1]
        rank = (f"{p.rank}/{p.ranked} Q{p.quartile}" if p.rank is not None and
                m.direction is not Direction.NEUTRAL else "")  # fmt: skip
        row = [m.short, p.period.replace("January", "Jan"),
               _value(p.council.value, m) or p.council.note, _value(p.england.value, m),
               _value(p.region.value, m)]  # fmt: skip
        if bench.comparators:
            row.append(_value(p.comparators.median if p.comparators else None, m))
        row += [rank, _change(p.change, m)]
        if bench.casework is not None:
            shown = [q for q in m.provisional if q.figure.value is not None]
            row += [_value(p.casework.value if p.casework else None, m),
                    _value(shown[-1].figure.value, m) if shown else ""]  # fmt: skip
        table.add_row(*row)
    out.print(table)
    out.print(
        "Rank: 1 is the best where higher (or lower) is better; Q1 is the top quarter. "
        "Change: on the previous year, in percentage points for rates.",
        markup=False,
    )
    if bench.casework is not None:
        labels = sorted({q.label for m in bench.measures for q in m.provisional})
        if labels:
            out.print("Casework: the council's extract for the same year. Provisional, from "
                      "casework: " + "; ".join(labels) + ".", markup=False)  # fmt: skip
    for title, lines in (
        ("Outliers", [o.message for o in bench.outliers]),
        ("Plans issued: DfE and casework", [r.line for r in bench.reconciliation]),
        ("Notes", bench.notes),
    ):
        if lines:
            out.print(f"[bold]{title}[/]")
            for line in lines:
                out.print(f"- {line}", markup=False)
