"""The back-test of the annual-review and caseload projections in docs/projections.md, measured.

    python benchmarks/backtest_monthly.py

``ehcp project --backtest`` measures the assessment backlog; this measures the two monthly
projections the same way. At each month end from 12 months before the as-at date, the
validated tables are cut back to what was recorded by then (``history.as_recorded``, every
table), the clocks are evaluated and the projections made as at that date, and each projected
month is compared with what the whole extract shows for it (the actual months of the run as at
the as-at date). Beside the model, two baselines made from what was known at the origin:

* **persistence**: every month ahead is the origin's last month (the reviews due, held and
  overdue in it; the live plans at its end);
* **seasonal naive**: every month ahead is the same month a year earlier.

Runs on the bundled sample, whose reviews are held around their due dates whatever the
workload, and on the capacity-led history of ``benchmarks/backtest.py``, whose reviews are
held as a team's meetings allow; or, given paths and ``--as-at``, on a council's own extract
(``python benchmarks/backtest_monthly.py EXTRACT --as-at 2025-03-31``). Prints Markdown
tables, and the way of projecting meetings chosen at each origin.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from histories import write_history  # noqa: E402

from ehcp_timeliness.analysis import Options, analyse  # noqa: E402
from ehcp_timeliness.clocks.engine import combine, evaluate_rules  # noqa: E402
from ehcp_timeliness.clocks.rules import RuleSet, load_rules  # noqa: E402
from ehcp_timeliness.project import ProjectionOptions  # noqa: E402
from ehcp_timeliness.project.history import as_recorded  # noqa: E402
from ehcp_timeliness.project.models import Band, Projections  # noqa: E402
from ehcp_timeliness.project.run import make_projections  # noqa: E402

AS_AT = date(2025, 3, 31)
HORIZONS = (1, 3, 6)  # months ahead
QUANTITIES = {"reviews": ("due", "held", "overdue"), "caseload": ("live",)}


def monthly(p: Projections) -> dict[str, dict[str, tuple[bool, Band]]]:
    """quantity -> month ('2025-03') -> (actual, band), for every quantity in QUANTITIES."""
    out: dict[str, dict[str, tuple[bool, Band]]] = defaultdict(dict)
    if p.reviews is not None:
        for r in p.reviews.months:
            for q in QUANTITIES["reviews"]:
                out[f"reviews {q}"][r.month] = (r.actual, getattr(r, q))
            if r.decisions_awaited is not None:
                out["review decisions awaited"][r.month] = (r.actual, r.decisions_awaited)
    if p.caseload is not None:
        for c in p.caseload.months:
            out["live plans"][c.month_end.strftime("%Y-%m")] = (c.actual, c.live)
    return out


def project_as_at(tables: dict, rules: RuleSet, origin: date, options: ProjectionOptions
                  ) -> Projections:  # fmt: skip
    cut = as_recorded(tables, origin)
    cases = combine(list(evaluate_rules(cut, rules, as_at=origin)), rules)
    return make_projections(cut, cases, rules, origin, options)


def shift(month: str, months: int) -> str:
    y, m = map(int, month.split("-"))
    k = y * 12 + m - 1 + months
    return f"{k // 12:04d}-{k % 12 + 1:02d}"


def backtest(paths: list[Path], options: ProjectionOptions, as_at: date = AS_AT
             ) -> list[dict[str, object]]:  # fmt: skip
    """The error rows of every quantity at every horizon and method, on the extract in
    ``paths`` as at ``as_at``."""
    rules = load_rules()
    full = analyse(paths, rules, Options(as_at=as_at, projection=options))
    assert full.projections is not None
    truth = {q: {m: b.value for m, (a, b) in v.items() if a}
             for q, v in monthly(full.projections).items()}  # fmt: skip
    errors: dict[tuple[str, int, str], list[tuple[float, float, bool | None]]] = defaultdict(list)
    chosen = []
    for end in pd.date_range(end=as_at, periods=13, freq="ME")[:-1]:  # the 12 before it
        origin = end.date()
        projections = project_as_at(full.validated.tables, rules, origin, options)
        if projections.reviews is not None:
            chosen.append(projections.reviews.order)
        made = monthly(projections)
        at = origin.strftime("%Y-%m")
        for q, months in made.items():
            for h in HORIZONS:
                target = shift(at, h)
                if target not in truth.get(q, {}) or target not in months:
                    continue
                actual = truth[q][target]
                band = months[target][1]
                known = {m: b.value for m, (a, b) in months.items() if a}
                inside = band.lower <= actual <= band.upper
                errors[(q, h, "model")].append((band.value, actual, inside))
                if at in known:
                    errors[(q, h, "persistence")].append((known[at], actual, None))
                if shift(target, -12) in known:
                    errors[(q, h, "seasonal naive")].append((known[shift(target, -12)], actual,
                                                             None))  # fmt: skip
    if chosen:
        counts = pd.Series(chosen).value_counts()
        print("Meetings projected by: " + ", ".join(f"{k} at {v} origins" for k, v in
                                                      counts.items()) + "\n")  # fmt: skip
    rows = []
    for (q, h, method), e in sorted(errors.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        projected = np.array([x[0] for x in e])
        actual = np.array([x[1] for x in e])
        some = actual > 0  # MAPE over the outcomes that are not zero
        ape = np.abs(projected - actual)[some] / actual[some] * 100
        covered = [x[2] for x in e if x[2] is not None]
        rows.append({
            "quantity": q, "months ahead": h, "method": method, "origins": len(e),
            "MAE": float(np.abs(projected - actual).mean()),
            "MAPE": float(ape.mean()) if len(ape) else None,
            "bias": float((projected - actual).mean()),
            "mean actual": float(actual.mean()),
            "coverage": float(np.mean(covered)) if covered else None,
        })  # fmt: skip
    return rows


def markdown(rows: list[dict[str, object]]) -> str:
    lines = ["| quantity | months ahead | method | origins | MAE | MAPE | bias | mean actual "
             "| 80% coverage |", "|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    order = {"model": 0, "persistence": 1, "seasonal naive": 2}
    for r in sorted(rows, key=lambda r: (r["quantity"], r["months ahead"], order[r["method"]])):
        cov = "" if r["coverage"] is None else f"{r['coverage']:.1%}"
        mape = "" if r["MAPE"] is None else f"{r['MAPE']:.1f}%"
        lines.append(f"| {r['quantity']} | {r['months ahead']} | {r['method']} | {r['origins']} "
                     f"| {r['MAE']:.1f} | {mape} | {r['bias']:+.1f} | "
                     f"{r['mean actual']:,.0f} | {cov} |")  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "paths", nargs="*", type=Path, help="a council's own extract instead of the two histories"
    )
    parser.add_argument(
        "--as-at",
        type=date.fromisoformat,
        default=AS_AT,
        help="with PATH: the date the extract was taken",
    )
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    options = ProjectionOptions(draws=args.draws, seed=args.seed, horizon_weeks=52)
    if args.paths:
        print(markdown(backtest(args.paths, options, args.as_at)))
        return
    print("## Bundled sample\n")
    print(markdown(backtest([HERE.parent / "sample_data"], options)))
    print("\n## Capacity-led history\n")
    print(markdown(backtest([write_history(HERE / "data" / "capacity-led")], options)))


if __name__ == "__main__":
    main()
