"""Time the board pack on a national-scale extract against bare openpyxl of the same cells.

    python benchmarks/pack.py [--repeat 3] [--max-detail-rows 100000]

Loads and evaluates the extract once (benchmarks/data/, made by benchmarks/run.py), then,
interleaved and repeated: writes the pack with ``write_pack`` (number formats, tables, charts,
conditional formats), and writes exactly the same cell values with a bare openpyxl write-only
workbook (no styles, tables or charts). Reports the medians, their ratio, and how much the
process's resident memory grew while writing each (write-only mode should keep it flat).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

from openpyxl import Workbook

from ehcp_timeliness.analysis import Options, analyse
from ehcp_timeliness.clocks.rules import load_rules
from ehcp_timeliness.targets import Targets
from ehcp_timeliness.write.board import assemble
from ehcp_timeliness.write.pack import Pack
from ehcp_timeliness.write.xlsx import write_pack

HERE = Path(__file__).resolve().parent
AS_AT = date(2025, 3, 31)
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE / 2**20


def measured(write) -> tuple[float, float]:
    """(seconds, MB of resident memory above the start, at the peak) for one write."""
    start, peak, done = rss_mb(), [0.0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss_mb())
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    t = time.perf_counter()
    write()
    seconds = time.perf_counter() - t
    done.set()
    sampler.join()
    return seconds, max(peak[0], rss_mb()) - start


def bare(pack: Pack, path: Path) -> None:
    """The same cell values, written by openpyxl write-only with nothing else."""
    wb = Workbook(write_only=True)
    for sheet in pack.sheets:
        ws = wb.create_sheet(sheet.name)
        ws.append([sheet.title])
        for note in sheet.notes:
            ws.append([note])
        for block in sheet.blocks:
            ws.append([block.title])
            ws.append(list(block.frame.columns))
            frame = block.frame.astype(object).where(block.frame.notna(), None)
            for row in frame.itertuples(index=False, name=None):
                ws.append(list(row))
    wb.save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--max-detail-rows", type=int, default=100_000)
    parser.add_argument("--data", type=Path, default=HERE / "data" / "r1000000_p205000")
    args = parser.parse_args()
    if not (args.data / "requests.csv").exists():
        raise SystemExit(f"{args.data}: no extract; run benchmarks/run.py validate first")

    analysis = analyse([args.data], load_rules(), Options(as_at=AS_AT, period="2024"))
    t = time.perf_counter()
    pack = assemble(analysis, Targets(), council="Bench", max_detail_rows=args.max_detail_rows,
                    workbook_name="board.xlsx")  # fmt: skip
    assembled = time.perf_counter() - t
    cells = sum(b.frame.size for s in pack.sheets for b in s.blocks)
    rows = sum(len(b.frame) for s in pack.sheets for b in s.blocks)
    print(f"pack: {rows:,} table rows, {cells:,} cells; assembled in {assembled:.2f}s")

    runs: dict[str, list[tuple[float, float]]] = {"bare openpyxl": [], "write_pack": []}
    with tempfile.TemporaryDirectory(dir=HERE / "data") as tmp:
        for i in range(args.repeat):
            runs["bare openpyxl"].append(measured(lambda: bare(pack, Path(tmp) / "bare.xlsx")))
            runs["write_pack"].append(measured(lambda: write_pack(pack, Path(tmp) / "pack.xlsx")))
            print(f"run {i + 1}: " + ", ".join(f"{k} {v[-1][0]:.2f}s" for k, v in runs.items()))
    med = {k: statistics.median(s for s, _ in v) for k, v in runs.items()}
    for k, v in runs.items():
        grew = max(m for _, m in v)
        print(f"{k:>14}: median {med[k]:.2f}s over {args.repeat} runs; memory grew {grew:,.0f} MB")
    print(f"         ratio: {med['write_pack'] / med['bare openpyxl']:.2f}x bare openpyxl")


if __name__ == "__main__":
    main()
