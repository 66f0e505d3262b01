"""Time ``ehcp validate`` on the bundled council workbook (target: under 1 s).

    python benchmarks/workbook.py --repeat 9

The command is ``ehcp validate sample_data/local --mapping sample_data/mapping-example.toml
--as-at 2025-03-31``: the 1.3 MB ``casework.xlsx`` an analyst would open, read through its
mapping. Each run is a whole process, as an analyst meets it: starting Python, importing,
reading, validating and printing. Beside it, interleaved so that the machine's drift hits
all alike, two floors no change to this tool can go below: starting Python alone, and
starting Python and importing the libraries the command cannot do without (pandas, pyarrow,
pydantic, typer, rich, python-calamine).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from run import ehcp, timed

ROOT = Path(__file__).resolve().parents[1]
TARGET = 1.0
IMPORTS = "import pandas, pyarrow.csv, pydantic, typer, rich.console, rich.table, python_calamine"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    sample = ROOT / "sample_data"
    commands = {
        "python alone": [sys.executable, "-c", "pass"],
        "imports alone": [sys.executable, "-c", IMPORTS],
        "ehcp validate": [
            ehcp(), "validate", str(sample / "local"), "--mapping",
            str(sample / "mapping-example.toml"), "--as-at", "2025-03-31",
        ],
    }  # fmt: skip
    runs: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.repeat):
        for name, argv in commands.items():
            runs[name].append(timed(argv)[0])
    for name, walls in runs.items():
        print(f"{name:>14}: median {statistics.median(walls):.2f}s "
              f"(range {min(walls):.2f}s to {max(walls):.2f}s, {args.repeat} runs)")  # fmt: skip
    met = "met" if statistics.median(runs["ehcp validate"]) < TARGET else "NOT met"
    print(f"{'target':>14}: under {TARGET:.0f} s: {met}")


if __name__ == "__main__":
    main()
