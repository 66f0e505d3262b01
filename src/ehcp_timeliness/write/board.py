"""The board pack's files: the workbook, the CSV folder, and the full lists beside them."""

from __future__ import annotations

from pathlib import Path

from ehcp_timeliness.analysis import Analysis
from ehcp_timeliness.benchmark import target_note, with_published_targets
from ehcp_timeliness.targets import Targets
from ehcp_timeliness.write.atomic import OutputSet, write_csv_to
from ehcp_timeliness.write.benchmark import benchmark_sheet
from ehcp_timeliness.write.cases import write_cases
from ehcp_timeliness.write.pack import assemble, write_csv_dir


def write_board_pack(
    analysis: Analysis,
    targets: Targets,
    outputs: OutputSet,
    *,
    xlsx: Path | None,
    csv_dir: Path | None,
    council: str,
    max_detail_rows: int,
    banner: str | None = None,
    raw_csv: bool = False,
) -> list[Path]:
    """Write the pack as a workbook and/or a CSV folder, with every capped list in full beside
    it; return the files, all written through ``outputs`` (so they appear together). CSV
    cells a spreadsheet would run as formulas are defused unless ``raw_csv``."""
    notes = None
    if analysis.benchmark is not None:  # England's published figures become the defaults
        note = target_note(analysis.benchmark, targets)
        notes = [note] if note else None
        targets = with_published_targets(targets, analysis.benchmark)
    pack = assemble(analysis, targets, council=council, max_detail_rows=max_detail_rows,
                    workbook_name=(xlsx or Path("board.xlsx")).name, banner=banner)  # fmt: skip
    if analysis.benchmark is not None:
        pack.sheets.append(benchmark_sheet(analysis.benchmark, extra_notes=notes))
    folder = (xlsx.parent if xlsx is not None else csv_dir) or Path(".")
    written = []
    for name, full in pack.full_lists.items():
        write_cases(full, analysis.tables, analysis.rules, outputs.path(folder / name),
                    raw=raw_csv)  # fmt: skip
        written.append(folder / name)
    if pack.findings_csv is not None:
        write_csv_to(analysis.validated.findings, outputs.path(folder / pack.findings_csv),
                     raw=raw_csv)  # fmt: skip
        written.append(folder / pack.findings_csv)
    if xlsx is not None:
        from ehcp_timeliness.write.xlsx import write_workbook  # openpyxl costs 0.1 s: load late

        write_workbook(pack, outputs.path(xlsx))
        written.append(xlsx)
    if csv_dir is not None:
        written += write_csv_dir(pack, csv_dir, outputs, raw=raw_csv)
    return written
