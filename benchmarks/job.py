"""The whole monthly job at national scale, in one run: what a scheduler's machine pays.

    python benchmarks/job.py [--repeat 5] [--requests 1000000 --plans 205000]

Prints, on the 1,000,000-request extract (generated once into benchmarks/data/ by
``ehcp sample``, as benchmarks/run.py does):

1. the bare ``pandas.read_csv(path, engine="pyarrow")`` of the inputs, as a whole process;
2. ``ehcp run`` of a job writing everything but the board pack (validation, every rule, the
   case list, the JSON summary and the projections), as a whole process, interleaved with (1),
   and its ratio to the bare read (target: at most 4x);
3. the board pack on its own (``write_workbook``, default 100,000-row cap on detail sheets)
   beside bare openpyxl write-only output of exactly the same cells (target: at most 1.5x);
4. the peak resident memory of every step (target: under 2 GB).

Medians of interleaved runs: the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
from datetime import date
from pathlib import Path

from pack import bare, measured  # benchmarks/pack.py
from run import AS_AT, BASELINE, HERE, ehcp, ensure_data, timed  # benchmarks/run.py

from ehcp_timeliness.analysis import Options, analyse
from ehcp_timeliness.clocks.rules import load_rules
from ehcp_timeliness.targets import Targets
from ehcp_timeliness.write.board import assemble
from ehcp_timeliness.write.xlsx import write_workbook

JOB = """schema_version = 1
council = "Benchmark"
inputs = ["{data}/requests.csv", "{data}/plans.csv"]
as_at = {as_at}
period = "2024"
[outputs]
cases_csv = "{out}/cases.csv"
json = "{out}/report.json"
projections = "{out}/projections.json"
"""
TARGET_JOB, TARGET_PACK, TARGET_MB = 4.0, 1.5, 2048


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--plans", type=int, default=205_000, help="distinct plans (~3.6 rows)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pack-repeat", type=int, default=3, help="0 leaves the pack out")
    args = parser.parse_args()

    data = ensure_data(args.requests, args.plans)
    files = [str(data / "requests.csv"), str(data / "plans.csv")]
    out = HERE / "data" / "out"
    out.mkdir(exist_ok=True)
    job = out / "job.toml"
    job.write_text(JOB.format(data=data.resolve(), out=out.resolve(), as_at=AS_AT))

    runs: dict[str, list[tuple[float, float]]] = {"bare read": [], "job without pack": []}
    for i in range(args.repeat):  # interleaved, so drift hits both alike
        runs["bare read"].append(timed([sys.executable, "-c", BASELINE, *files]))
        runs["job without pack"].append(timed([ehcp(), "run", str(job)]))
        print(f"run {i + 1}: " + ", ".join(f"{k} {v[-1][0]:.2f}s" for k, v in runs.items()))
    med = {k: statistics.median(w for w, _ in v) for k, v in runs.items()}
    peak = {k: max(m for _, m in v) for k, v in runs.items()}
    pairs = [j / b for (j, _), (b, _) in
             zip(runs["job without pack"], runs["bare read"], strict=True)]  # fmt: skip

    if args.pack_repeat == 0:
        for k in runs:
            print(f"{k:>17}: median {med[k]:.2f}s over {args.repeat} runs, peak RSS "
                  f"{peak[k]:,.0f} MB")  # fmt: skip
        print(f"{'ratio':>17}: {med['job without pack'] / med['bare read']:.2f}x the bare read "
              f"(target {TARGET_JOB}x); per run median {statistics.median(pairs):.2f}x, range "
              f"{min(pairs):.2f}x to {max(pairs):.2f}x")  # fmt: skip
        return
    print("\nthe board pack on its own (in this process):")
    analysis = analyse([data], load_rules(), Options(as_at=date.fromisoformat(AS_AT),
                                                     period="2024"))  # fmt: skip
    pack = assemble(analysis, Targets(), council="Benchmark", max_detail_rows=100_000,
                    workbook_name="board.xlsx")  # fmt: skip
    cells = sum(b.frame.size for s in pack.sheets for b in s.blocks)
    packs: dict[str, list[tuple[float, float]]] = {"bare openpyxl": [], "board pack": []}
    with tempfile.TemporaryDirectory(dir=HERE / "data") as tmp:
        for i in range(args.pack_repeat):
            packs["bare openpyxl"].append(measured(lambda: bare(pack, Path(tmp) / "bare.xlsx")))
            packs["board pack"].append(
                measured(lambda: write_workbook(pack, Path(tmp) / "pack.xlsx"))
            )
            print(f"run {i + 1}: " + ", ".join(f"{k} {v[-1][0]:.2f}s" for k, v in packs.items()))
    pmed = {k: statistics.median(s for s, _ in v) for k, v in packs.items()}
    process_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"\nextract: {args.requests:,} requests; {len(analysis.cases):,} cases; "
          f"pack {cells:,} cells")  # fmt: skip
    for k in runs:
        print(f"{k:>17}: median {med[k]:.2f}s over {args.repeat} runs, peak RSS {peak[k]:,.0f} MB")
    print(f"{'ratio':>17}: {med['job without pack'] / med['bare read']:.2f}x the bare read "
          f"(target {TARGET_JOB}x); per run median {statistics.median(pairs):.2f}x, range "
          f"{min(pairs):.2f}x to {max(pairs):.2f}x")  # fmt: skip
    for k, v in packs.items():
        grew = max(m for _, m in v)
        print(f"{k:>17}: median {pmed[k]:.2f}s over {args.pack_repeat} runs; memory grew "
              f"{grew:,.0f} MB")  # fmt: skip
    print(f"{'ratio':>17}: {pmed['board pack'] / pmed['bare openpyxl']:.2f}x bare openpyxl "
          f"(target {TARGET_PACK}x)")  # fmt: skip
    print(f"{'peak memory':>17}: job {peak['job without pack']:,.0f} MB; pack process "
          f"{process_peak:,.0f} MB (target under {TARGET_MB:,} MB)")  # fmt: skip


if __name__ == "__main__":
    main()
