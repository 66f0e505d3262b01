"""The board pack: its sheets assembled from one run's result, and its files (the workbook,
the CSV folder, and the full lists beside them)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ehcp_timeliness.analysis import Analysis
from ehcp_timeliness.benchmark import target_note, with_published_targets
from ehcp_timeliness.scorecard import build_scorecard
from ehcp_timeliness.targets import Targets
from ehcp_timeliness.write import pack_board, pack_lists, pack_reference
from ehcp_timeliness.write.atomic import OutputSet, write_csv_to
from ehcp_timeliness.write.benchmark import benchmark_sheets
from ehcp_timeliness.write.cases import write_cases
from ehcp_timeliness.write.pack import (
    EXCEL_MAX_ROWS,
    Block,
    Pack,
    Sheet,
    write_csv_dir,
)


def assemble(
    analysis: Analysis,
    targets: Targets,
    *,
    council: str,
    max_detail_rows: int,
    workbook_name: str,
    banner: str | None = None,
) -> Pack:
    """Every sheet of the board pack, in order, from one run's result. ``banner`` is a warning
    shown at the top of the first sheet."""
    card = build_scorecard(analysis.report, analysis.previous, targets)
    lists = pack_lists.Lists(analysis, min(max_detail_rows, EXCEL_MAX_ROWS),
                             Path(workbook_name).stem)  # fmt: skip
    board = pack_board.board_sheets(analysis, card, targets, council)
    if analysis.projections is not None:  # ehcp project --xlsx: the Projections sheet set
        from ehcp_timeliness.write.projections_sheet import projection_sheets

        board += projection_sheets(analysis.projections)
    operational = lists.sheets()
    reference = pack_reference.reference_sheets(analysis, card, council)
    sheets = [*board, *operational, *reference]
    sheets.insert(1, contents_sheet(sheets))
    sheets[0].warning = banner
    return Pack(sheets, lists.full_lists, lists.findings_csv)


def add_sheets(pack: Pack, sheets: list[Sheet]) -> None:
    """Put sheets into the pack in their parts: a board sheet after the other board sheets,
    a reference sheet before the Notes sheet (the last); list them on the Contents sheet."""
    for sheet in sheets:
        if sheet.section == "board":
            at = max(i for i, s in enumerate(pack.sheets) if s.section == "board") + 1
        else:
            at = len(pack.sheets) - 1
        pack.sheets.insert(at, sheet)
    index = next(i for i, s in enumerate(pack.sheets) if s.name == "Contents")
    pack.sheets[index] = contents_sheet([s for s in pack.sheets if s.name != "Contents"])


SECTION_WORDS = {"board": "Board", "list": "Operational list", "reference": "Reference"}


def contents_sheet(sheets: list[Sheet]) -> Sheet:
    """Every sheet with a one-line description and a link to it (the Contents sheet itself
    is second, after the Headline)."""
    rows = [(s.name, SECTION_WORDS[s.section], s.description or s.title) for s in sheets]
    rows.insert(1, ("Contents", "Board", "This list of sheets, each linked"))
    frame = pd.DataFrame(rows, columns=["Sheet", "Part", "What it shows"])
    return Sheet(
        "Contents", "Contents",
        ["The board sheets come first and each prints on a page or two. The operational lists "
         "after them are case-level worklists for team leaders. The reference sheets say what "
         "the figures rest on. Select a sheet's name to go to it."],
        [Block("Contents", frame, {"Sheet": "link"})],
        description="This list of sheets, each linked", pages=1,
    )  # fmt: skip


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
        add_sheets(pack, benchmark_sheets(analysis.benchmark, extra_notes=notes))
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
