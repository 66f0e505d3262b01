"""The casework back-test figures in docs/projections.md, measured.

    python benchmarks/backtest.py                 # the bundled sample and a capacity-led history
    python benchmarks/backtest.py --variants      # also each trend setting, as chosen

Runs ``ehcp project --backtest`` (through the library, the same code) on the bundled sample and
on a synthetic capacity-led history (``histories.capacity_led``, written to benchmarks/data/),
and prints the error tables as Markdown.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from histories import write_history  # noqa: E402

from ehcp_timeliness.analysis import Options, analyse  # noqa: E402
from ehcp_timeliness.clocks.rules import load_rules  # noqa: E402
from ehcp_timeliness.project import ProjectionOptions, backlog, series  # noqa: E402
from ehcp_timeliness.project.models import Backtest  # noqa: E402

AS_AT = date(2025, 3, 31)


def run(folder: Path, options: ProjectionOptions) -> Backtest:
    result = analyse([folder], load_rules(), Options(as_at=AS_AT, projection=options))
    assert result.projections is not None and result.projections.backtest is not None
    return result.projections.backtest


def pct(x: float | None) -> str:
    return "" if x is None else f"{x:.1%}"


def table(b: Backtest) -> str:
    lines = ["| quantity | weeks ahead | method | origins | MAE | MAPE | median APE | bias | "
             "80% coverage |", "|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for e in b.errors:
        lines.append(f"| {e.quantity} | {e.weeks_ahead} | {e.method} | {e.origins} | "
                     f"{e.mean_abs_error:,.1f} | {pct(e.mean_abs_pct_error)} | "
                     f"{pct(e.median_abs_pct_error)} | {e.bias:+,.1f} | "
                     f"{pct(e.coverage_80)} |")  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", action="store_true")
    parser.add_argument("--draws", type=int, default=500)
    args = parser.parse_args()
    options = ProjectionOptions(draws=args.draws, backtest=True, backtest_step=4)
    sets = {
        "bundled sample (sample_data/)": HERE.parent / "sample_data",
        "capacity-led history (benchmarks/histories.py)":
            write_history(HERE / "data" / "capacity-led"),
    }  # fmt: skip
    for name, folder in sets.items():
        b = run(folder, options)
        print(f"\n### {name}: {len(b.origins)} origins, {b.origins[0]} to {b.origins[-1]}\n")
        print(table(b))
        if args.variants:
            chosen = backlog.ARRIVALS_TREND, backlog.CAPACITY_TREND, series.SHRINK
            settings = [(a, c, True) for a, c in itertools.product([True, False], repeat=2)]
            for arrivals, capacity, shrink in [*settings, (chosen[0], chosen[1], False)]:
                backlog.ARRIVALS_TREND, backlog.CAPACITY_TREND = arrivals, capacity
                series.SHRINK = shrink
                v = run(folder, replace(options, draws=200))
                summary = "; ".join(
                    f"{e.quantity} {e.weeks_ahead}w {e.mean_abs_pct_error:.1%}"
                    for e in v.errors if e.method == "model" and e.weeks_ahead in (13, 26)
                    and e.mean_abs_pct_error is not None)  # fmt: skip
                print(f"- arrivals trend {arrivals}, capacity trend {capacity}, month effects "
                      f"shrunk {shrink}: {summary}")  # fmt: skip
            backlog.ARRIVALS_TREND, backlog.CAPACITY_TREND, series.SHRINK = chosen


if __name__ == "__main__":
    main()
