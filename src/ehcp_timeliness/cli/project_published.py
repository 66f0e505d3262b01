"""Caseload projections from DfE's published figures: the ``--published`` half of
``ehcp project``.

:func:`run_published` does the work from plain arguments; ``ehcp project --published DIR``
calls it, sharing ``--backtest``, ``--json`` and ``--seed`` with the casework half.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from ehcp_timeliness.cli.common import (
    out,
    refuse_outputs_among_inputs,
    run,
    say,
)
from ehcp_timeliness.project.methods import METHODS
from ehcp_timeliness.project.published import PublishedProjection, project_published
from ehcp_timeliness.write.atomic import OutputSet, write_csv_to
from ehcp_timeliness.write.json import json_file, write_json

LaOpt = Annotated[str | None, typer.Option(
    "--la", metavar="CODE", help="One council: old code (937), new code (E10000031) or name "
    "as DfE spells it. Default: every council.")]  # fmt: skip
HorizonYearsOpt = Annotated[int, typer.Option(
    "--horizon-years", metavar="N", min=1, max=10, help="January censuses to project beyond "
    "the latest (3 reaches 2027/28 from January 2025).")]  # fmt: skip
CsvOpt = Annotated[Path | None, typer.Option(
    "--csv", metavar="FILE", help="Write one row per council and projected census: "
    "new_la_code, la_name, census_year, projected, lower_80, upper_80.")]  # fmt: skip
MethodOpt = Annotated[str | None, typer.Option(
    "--method", metavar="NAME", help="Project with this method instead of the default chosen "
    f"by the back-test: {', '.join(METHODS)}.")]  # fmt: skip
TargetOpt = Annotated[float | None, typer.Option(
    "--target", metavar="PLANS", min=0, help="With --la: will the council reach this many "
    "plans by the last projected census? Answered with the band and a chance.")]  # fmt: skip


def run_published(
    *,
    published: Path,
    la: str | None = None,
    horizon_years: int = 3,
    csv: Path | None = None,
    backtest: bool = False,
    json_out: str | None = None,
    seed: int = 0,
    method: str | None = None,
    target: float | None = None,
) -> PublishedProjection:
    """Parse-free core of the command: check the options, project, write, render. Exits 2 for
    bad options, 3 for unreadable figures or an unknown council, 4 for unwritable outputs."""
    if method is not None and method not in METHODS:
        raise typer.BadParameter(f"{method!r} is not one of {', '.join(METHODS)}",
                                 param_hint="--method")  # fmt: skip
    if target is not None and la is None:
        raise typer.BadParameter("a target is for one council: give --la", param_hint="--target")
    if horizon_years < 1:
        raise typer.BadParameter("at least 1", param_hint="--horizon-years")
    refuse_outputs_among_inputs([published], [json_file(json_out), csv])
    result = run(
        lambda: project_published(
            published, la, horizon_years=horizon_years, method=method, target=target, seed=seed
        )  # fmt: skip
    )
    with OutputSet() as outputs:
        if csv is not None:
            write_csv_to(result.csv_frame(), outputs.path(csv))
        if (target_file := json_file(json_out)) is not None:
            write_json(result, outputs.path(target_file))
    for written in outputs.written:
        say(f"wrote {written}")
    if json_out == "-":
        typer.echo(result.model_dump_json(indent=2))
    else:
        render(result, backtest=backtest)
    return result


def _n(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f}"


def _pc(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}%"


def _span(years: list[int]) -> str:
    if not years:
        return ""
    return str(years[0]) if len(years) == 1 else f"{years[0]}-{years[-1]}"


def render(result: PublishedProjection, *, backtest: bool = False) -> None:
    first, last = result.censuses[0], result.censuses[-1]
    out.print(f"[bold]Caseload projections[/] from DfE's published figures "
              f"({', '.join(result.files)}: January censuses {first} to {last}).")  # fmt: skip
    chosen = "the default" if result.method == result.default else "asked for"
    out.print(f"Method: {result.method} ({chosen}). Default {result.default}: "
              f"{result.default_reason}.", markup=False)  # fmt: skip
    if result.council is not None:
        _council(result)
    else:
        years = sorted({p.census_year for p in result.projections})
        councils = len({p.old_la_code for p in result.projections})
        total = sum(p.projected for p in result.projections if p.census_year == years[-1])
        out.print(f"Projected {councils} councils to January {years[-1]}; together "
                  f"{total:,} plans (a sum of points, without a band). Give --la for one "
                  "council, --csv FILE for every row.")  # fmt: skip
    if backtest:
        _backtest(result)
    out.print("[bold]Goals[/]")
    for goal in result.goals:
        out.print(f"- {'MET' if goal.met else 'NOT MET'}: {goal.goal}. {goal.detail}.",
                  markup=False)  # fmt: skip
    for note in result.notes:
        out.print(f"- Note: {note}", markup=False)


def _council(result: PublishedProjection) -> None:
    council = result.council
    assert council is not None
    la = council.la
    out.print(f"[bold]{la.name}[/] ({la.old_code}, {la.new_code}), {la.region_name}")
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for name in ("January census", "Plans", "Projected", "80% band"):
        table.add_column(name, justify="left" if name == "January census" else "right")
    shown = [c for c in council.history if c.plans is not None]
    for c in council.history[council.history.index(shown[0]) if shown else 0 :]:
        table.add_row(str(c.census_year), _n(c.plans), "", "")
    for p in council.projections:
        band = f"{_n(p.lower_80)} to {_n(p.upper_80)}" if p.lower_80 is not None else ""
        table.add_row(str(p.census_year), "", _n(p.projected), band)
    out.print(table)
    others = ", ".join(f"{name} {_n(v)}" for name, v in council.by_method.items())
    last = result.origin + result.horizon_years
    out.print(f"Every method for January {last}: {others}.", markup=False)
    out.print("Band from: " + "; ".join(council.band_basis) + ".", markup=False)
    if council.target is not None:
        out.print(council.target.answer, markup=False)


def _backtest(result: PublishedProjection) -> None:
    out.print("[bold]Back-test[/]: projections from each earlier census compared with the "
              "later ones, every method on the same outcomes.")  # fmt: skip
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for name in ("Method", "Years ahead", "Origins", "Outcomes", "Median APE", "Mean APE",
                 "Bias", "80% coverage", "of"):  # fmt: skip
        table.add_column(name, justify="left" if name == "Method" else "right", no_wrap=True)
    for s in result.backtest:
        origins = _span(s.origins)
        coverage = "" if s.coverage_80 is None else f"{s.coverage_80:.0%}"
        mark = " (default)" if s.method == result.default else ""
        table.add_row(s.method + mark, str(s.horizon), origins, str(s.outcomes),
                      _pc(s.median_ape), _pc(s.mean_ape),
                      "" if s.bias is None else f"{s.bias:+.1f}%", coverage,
                      f"{s.band_outcomes} ({_span(s.band_origins)})")  # fmt: skip
    out.print(table)
    out.print("APE: absolute percentage error. Bias: median of (projected - actual) / actual; "
              "negative projects too few. chosen-by-record: at each origin, the method with "
              "the best one-year record so far.", markup=False)  # fmt: skip
    by_size = [
        f"{h} year{'s' if h > 1 else ''} "
        + ", ".join(f"{c.tercile} {c.coverage_80:.0%} ({c.outcomes})"
                    for c in result.coverage_by_size
                    if c.horizon == h and c.coverage_80 is not None)
        for h in sorted({c.horizon for c in result.coverage_by_size})
    ]  # fmt: skip
    out.print(f"The default's 80% coverage by council size (thirds by caseload at each origin): "
              f"{'; '.join(by_size)}.", markup=False)  # fmt: skip
    by_origin = "; ".join(
        f"{c.horizon} year{'s' if c.horizon > 1 else ''} from {c.origin} {c.coverage_80:.0%} "
        f"({c.outcomes}, median surprise {c.median_surprise:+.1f}%)"
        for c in result.coverage_by_origin
    )
    out.print(f"By origin (each origin's councils share that year's surprise): {by_origin}.",
              markup=False)  # fmt: skip
