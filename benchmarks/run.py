"""Time ehcp commands on a national-scale extract against a bare pyarrow CSV read.

    python benchmarks/run.py validate            # ehcp validate vs pandas.read_csv(pyarrow)
    python benchmarks/run.py report              # ehcp report --cases-out --json, likewise
    python benchmarks/run.py validate --repeat 5 --requests 1000000 --plans 205000
    python benchmarks/run.py project --against report   # ehcp project vs ehcp report

Each measurement is a whole process (interpreter start and imports included), timed by
wall clock, with its peak resident memory from wait4(). The baseline reads the same files
with ``pandas.read_csv(path, engine="pyarrow")`` in one process. The extract is generated
once into benchmarks/data/ (git-ignored) by ``ehcp sample``. Medians are reported because
the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
AS_AT = "2025-03-31"
BASELINE = (
    "import sys, pandas as pd\nfor p in sys.argv[1:]:\n    pd.read_csv(p, engine='pyarrow')\n"
)


def timed(argv: list[str], stdout=subprocess.DEVNULL) -> tuple[float, float]:
    """Run argv; return (wall seconds, peak RSS in MB)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=stdout, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(argv)}")
    return wall, usage.ru_maxrss / 1024


def ensure_data(requests: int, plans: int) -> Path:
    data = HERE / "data" / f"r{requests}_p{plans}"
    if not (data / "requests.csv").exists():
        print(f"generating {requests:,} requests and {plans:,} plans into {data} ...")
        subprocess.run(
            [
                ehcp(),
                "sample",
                str(data),
                "--requests",
                str(requests),
                "--plans",
                str(plans),
                "--as-at",
                AS_AT,
            ],
            check=True,
        )
    return data


def ehcp() -> str:
    found = shutil.which("ehcp", path=str(Path(sys.executable).parent))
    return found or "ehcp"


COMMANDS = {
    "validate": lambda d, out: [ehcp(), "validate", str(d), "--as-at", AS_AT],
    "report": lambda d, out: [
        ehcp(), "report", str(d), "--as-at", AS_AT, "--period", "2024",
        "--cases-out", str(out / "cases.csv"), "--json", str(out / "report.json"),
    ],
    "project": lambda d, out: [
        ehcp(), "project", str(d), "--as-at", AS_AT, "--json", str(out / "projections.json"),
    ],
}  # fmt: skip
TARGETS = {"validate": 4.0, "report": 5.0, "project": 5.5}
#: ehcp project against ehcp report: the report's budget plus a modest margin.
TARGET_AGAINST_REPORT = 1.25


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=sorted(COMMANDS))
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--plans", type=int, default=205_000, help="distinct plans (~3.6 rows)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--against",
        choices=["pyarrow", "report"],
        default="pyarrow",
        help="the baseline: a bare pyarrow read, or ehcp report",
    )
    args = parser.parse_args()

    data = ensure_data(args.requests, args.plans)
    files = [str(data / "requests.csv"), str(data / "plans.csv")]
    rows = {f: Path(f).read_bytes().count(b"\n") - 1 for f in files}
    print(f"extract: {', '.join(f'{Path(f).name} {n:,} rows' for f, n in rows.items())}")
    out = HERE / "data" / "out"
    out.mkdir(exist_ok=True)
    runs: dict[str, list[tuple[float, float]]] = {"baseline": [], args.command: []}
    baseline = [sys.executable, "-c", BASELINE, *files]
    if args.against == "report":
        baseline = COMMANDS["report"](data, out)
    for i in range(args.repeat):  # interleaved, so drift hits both alike
        runs["baseline"].append(timed(baseline))
        runs[args.command].append(timed(COMMANDS[args.command](data, out)))
        print(
            f"run {i + 1}: baseline {runs['baseline'][-1][0]:.2f}s, "
            f"{args.command} {runs[args.command][-1][0]:.2f}s"
        )
    med = {k: statistics.median(w for w, _ in v) for k, v in runs.items()}
    peak = {k: max(m for _, m in v) for k, v in runs.items()}
    for k in runs:
        print(f"{k:>10}: median {med[k]:.2f}s over {args.repeat} runs, peak RSS {peak[k]:,.0f} MB")
    ratio = med[args.command] / med["baseline"]
    if args.against == "report":
        print(f"     ratio: {ratio:.2f}x ehcp report (target {TARGET_AGAINST_REPORT}x)")
    else:
        print(f"     ratio: {ratio:.2f}x the bare pyarrow read (target {TARGETS[args.command]}x)")
    pairs = [c / b for (c, _), (b, _) in zip(runs[args.command], runs["baseline"], strict=True)]
    print(f"  per run: median {statistics.median(pairs):.2f}x, "
          f"range {min(pairs):.2f}x to {max(pairs):.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
