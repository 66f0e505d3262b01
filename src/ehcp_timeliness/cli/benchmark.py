"""``ehcp benchmark``: the council against England, its region and its neighbours, from DfE's
published figures, beside its own casework when an extract is given."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from ehcp_timeliness.analysis import Options, analyse
from ehcp_timeliness.benchmark import (
    Benchmark,
    Direction,
    MeasureResult,
    PublishedSpec,
    compare_published,
)
from ehcp_timeliness.cli import logs
from ehcp_timeliness.cli.common import (
    LogFormatOpt,
    LogLevelOpt,
    MappingOpt,
    RulesOpt,
    analysed,
    out,
    parse_date_option,
    refuse_outputs_among_inputs,
    run,
    say,
)
from ehcp_timeliness.clocks.rules import load_rules
from ehcp_timeliness.write.atomic import OutputSet
from ehcp_timeliness.write.benchmark import benchmark_sheets
from ehcp_timeliness.write.json import json_file, write_json
from ehcp_timeliness.write.pack import Pack, write_csv_dir

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
            metavar="EXTRACT...",
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
            metavar="DATE",
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
        Path | None,
        typer.Option(
            "--xlsx", metavar="FILE", help="Write the Benchmark sheet as an XLSX workbook."
        ),
    ] = None,  # fmt: skip
    csv_dir: Annotated[
        Path | None,
        typer.Option(
            "--csv-dir",
            metavar="DIR",
            help="Write each table of the Benchmark sheet as CSV into this folder.",
        ),
    ] = None,  # fmt: skip
    log_format: LogFormatOpt = logs.LogFormat.text,
    log_level: LogLevelOpt = logs.LogLevel.info,
) -> None:
    """Compare the council with England, its region and comparators, from DfE's published
    figures, with its own casework figures beside them when an extract is given."""
    logs.configure(log_format, log_level)
    if published is None:
        raise typer.BadParameter("give the folder of DfE's CSV files", param_hint="--published")
    if la is None:
        raise typer.BadParameter("give the council's code or name", param_hint="--la")
    spec = published_spec(published, la, compare, neighbours)
    assert spec is not None
    when = parse_date_option(as_at, "--as-at")
    if paths and when is None:
        raise typer.BadParameter("an extract needs the date it was taken", param_hint="--as-at")
    refuse_outputs_among_inputs([*(paths or []), published],
                                [json_file(json_out), xlsx, csv_dir])  # fmt: skip
    if paths:
        assert when is not None
        rules = run(lambda: load_rules(rules_dir))
        options = Options(as_at=when, mapping_file=mapping, published=spec)
        bench = analysed(lambda: analyse(paths, rules, options)).benchmark
        assert bench is not None
    else:
        bench = run(lambda: compare_published(spec))
    with OutputSet() as outputs:
        if (target := json_file(json_out)) is not None:
            write_json(bench, outputs.path(target))
        pack = Pack(benchmark_sheets(bench))
        if xlsx is not None:
            from ehcp_timeliness.write.xlsx import write_workbook  # openpyxl is slow to import

            write_workbook(pack, outputs.path(xlsx))
        if csv_dir is not None:
            write_csv_dir(pack, csv_dir, outputs)
    for written in outputs.written:
        say(f"wrote {written}")
    if json_out == "-":
        typer.echo(bench.model_dump_json(indent=2))
    else:
        render(bench)


def published_spec(
    published: Path | None, la: str | None, compare: str | None, neighbours: Path | None
) -> PublishedSpec | None:
    """The published comparison the options ask for (None without --published and --la);
    a usage error for options given without the ones they need."""
    if compare is not None and neighbours is not None:
        raise typer.BadParameter("give --compare or --neighbours, not both",
                                 param_hint="--compare")  # fmt: skip
    if published is None and la is None:
        if compare is not None or neighbours is not None:
            raise typer.BadParameter("comparators need --published and --la",
                                     param_hint="--compare")  # fmt: skip
        return None
    if published is None or la is None:
        raise typer.BadParameter(
            "--published and --la go together",
            param_hint="--published" if published is None else "--la",
        )
    return PublishedSpec(folder=published, la=la, compare=compare, neighbours=neighbours)


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
