"""Writing the board pack as an XLSX workbook with openpyxl, in write-only mode.

Real dates with a ``dd/mm/yyyy`` format, rates as fractions with a ``%`` format, counts as
integers; each table an Excel table with filters; frozen header rows where a sheet holds one
table; widths from the content; landscape pages one page wide with the header row repeated;
native charts on the Trend and Benchmark sheets; the scorecard status as a word with a
red/amber/green fill beside it. Text that Excel would take for a formula is stored as text, and
control characters, which XML cannot hold, are removed from every text cell (values were
cleaned as they were read; this covers the rest, such as ``--council`` or a rule's title). The
file is written to a temporary name beside the target and renamed into place, so a failed run
leaves last month's pack as it was.
"""

from __future__ import annotations

import contextlib
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.axis import ChartLines
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.chart.updown_bars import UpDownBars
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

from ehcp_timeliness.dates import as_arrow_text
from ehcp_timeliness.text import strip_controls, strip_controls_arrow
from ehcp_timeliness.write.atomic import private_tempdir, write_atomic
from ehcp_timeliness.write.csvsafe import FORMULA_START
from ehcp_timeliness.write.pack import Block, Chart, Pack, Sheet

NUMBER_FORMATS = {
    "date": "dd/mm/yyyy",
    "month": "mmm yyyy",
    "percent": "0.0%",
    "change": "+0.0%;-0.0%;0.0%",
    "int": "#,##0",
    "number": "0.0",
}
RAG = {  # word -> fill beside it (the word itself always carries the meaning)
    "On target": "C6EFCE",
    "Below target": "FFEB9C",
    "Well below": "FFC7CE",
}
MAX_WIDTH = 80


def write_pack(pack: Pack, target: Path) -> None:
    """Write the workbook atomically."""
    write_atomic(target, lambda tmp: write_workbook(pack, tmp))


def write_workbook(pack: Pack, path: Path) -> None:
    """Write the workbook straight to ``path``.

    openpyxl keeps each write-only sheet in a temporary file until it saves (tens of MB,
    holding person ids): those go to a private folder beside ``path``, removed when this
    returns or fails, never to the system's temporary folder.
    """
    with private_tempdir(path):
        wb = Workbook(write_only=True)
        try:
            for index, sheet in enumerate(pack.sheets):
                _sheet(wb, sheet, index)
            wb.save(path)
        except BaseException:  # a failure, Ctrl-C or SIGTERM part-way
            _abandon(wb)
            raise


def _abandon(wb: Workbook) -> None:
    """Close a failed write-only workbook's sheet streams now, innermost first, so that none
    is left open to fail with a traceback on stderr when it is garbage-collected at exit."""
    for ws in wb.worksheets:
        writer = getattr(ws, "_writer", None)
        for stream in (getattr(ws, "_rows", None), getattr(writer, "xf", None)):
            if stream is not None:
                with contextlib.suppress(Exception):
                    stream.close()


def _widths(sheet: Sheet) -> list[float]:
    widths: list[float] = []
    for block in sheet.blocks:
        frame = block.frame
        for i, name in enumerate(frame.columns):
            sample = frame[name].head(200)
            fmt = block.format_of(name)
            if fmt in ("date", "month"):
                longest = 10
            elif fmt == "text":
                lengths = sample.astype("string").fillna("").str.len()
                longest = int(lengths.max()) if len(lengths) else 0
            else:
                longest = 9
            width = min(MAX_WIDTH, max(len(str(name)) + 4, longest + 2))
            if i < len(widths):
                widths[i] = max(widths[i], width)
            else:
                widths.append(width)
    return widths


def _table_name(sheet: str, index: int) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", sheet) + f"_{index + 1}"


def _text(ws, value: object, clean: bool = True) -> object:
    """A text cell that Excel will never evaluate, without characters XML cannot hold."""
    text = strip_controls(str(value)) if clean else str(value)
    if text.startswith(FORMULA_START):
        cell = WriteOnlyCell(ws, value=text)
        cell.data_type = "s"
        return cell
    return text


def _columns(ws, block: Block) -> list[list[object]]:
    """Cell values column by column, converted once per column rather than per cell."""
    out = []
    for name in block.frame.columns:
        values = block.frame[name]
        fmt = block.format_of(name)
        if fmt in ("date", "month"):
            days = pd.to_datetime(values).to_numpy("datetime64[D]")
            cells: list[object] = []
            for d in days.tolist():
                if d is None:
                    cells.append(None)
                else:
                    cell = WriteOnlyCell(ws, value=d)
                    cell.number_format = NUMBER_FORMATS[fmt]
                    cells.append(cell)
            out.append(cells)
        elif fmt == "text":
            # Control characters out of the whole column at once (a byte scan when there are
            # none), rather than a regular expression per cell.
            texts, _ = strip_controls_arrow(as_arrow_text(values.astype("string")))
            out.append([None if v is None else _text(ws, v, clean=False)
                        for v in texts.to_pylist()])  # fmt: skip
        else:
            cells = []
            for v in values.astype(object).tolist():
                if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
                    cells.append(None)
                else:
                    cell = WriteOnlyCell(ws, value=int(v) if fmt == "int" else float(v))
                    cell.number_format = NUMBER_FORMATS[fmt]
                    cells.append(cell)
            out.append(cells)
    return out


def _sheet(wb: Workbook, sheet: Sheet, index: int) -> None:
    ws = wb.create_sheet(sheet.name)
    widths = _widths(sheet)
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = 9  # A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0

    single = len(sheet.blocks) == 1
    lines = len(sheet.notes) + (sheet.warning is not None)  # rows between title and table
    first_header = 2 + lines + 1
    if single:  # write-only sheets emit their views with the first row: freeze now
        ws.freeze_panes = f"A{first_header + 1}"
        ws.print_title_rows = f"{first_header}:{first_header}"

    title = WriteOnlyCell(ws, value=strip_controls(sheet.title))
    title.font = Font(bold=True, size=14)
    ws.append([title])
    if sheet.warning is not None:
        warning = WriteOnlyCell(ws, value=sheet.warning)
        warning.font = Font(bold=True, color="9C0006")
        ws.append([warning])
    for note in sheet.notes:
        ws.append([_text(ws, note)])
    ws.append([])
    row = 2 + lines + 1  # the next row to be written

    tables: list[tuple[int, int, Block]] = []  # (header row, last row, block) of each block
    for b, block in enumerate(sheet.blocks):
        if not single:
            heading = WriteOnlyCell(ws, value=strip_controls(block.title))
            heading.font = Font(bold=True)
            ws.append([heading])
            row += 1
        header_row = row
        ws.append([_text(ws, c) for c in block.frame.columns])
        columns = _columns(ws, block)
        for values in zip(*columns, strict=True):
            ws.append(list(values))
        row += 1 + len(block.frame)
        last_col = get_column_letter(max(1, len(block.frame.columns)))
        if len(block.frame):
            ref = f"A{header_row}:{last_col}{row - 1}"
            table = Table(displayName=_table_name(sheet.name, b), ref=ref)
            table.tableColumns = [TableColumn(id=i + 1, name=strip_controls(str(c)))
                                  for i, c in enumerate(block.frame.columns)]  # fmt: skip
            table.autoFilter = AutoFilter(ref=ref)
            table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
            with warnings.catch_warnings():  # its warning says to set the columns: done above
                warnings.simplefilter("ignore", UserWarning)
                ws.add_table(table)
        else:
            ws.append([_text(ws, "No rows.")])
            row += 1
        tables.append((header_row, row - 1, block))
        if b < len(sheet.blocks) - 1:
            ws.append([])
            row += 1

    if sheet.status_column and tables:
        _status_fills(ws, *tables[0], sheet.status_column)
    if sheet.charts and tables:
        _charts(ws, sheet, tables)


def _dash_and_band(ws, chart: LineChart, spec: Chart, names: list[str], header_row: int,
                   last_row: int, categories: Reference) -> None:  # fmt: skip
    """Dashed series, and a band between two columns: a second line group holding the band's
    edges as thin light lines, shaded between by up-down bars with no gap between them (Excel
    shades them; a viewer without up-down bars still shows the edges)."""
    for series, name in zip(chart.series, spec.columns, strict=True):
        series.smooth = False
        if name in spec.dashed:
            series.graphicalProperties.line.dashStyle = "dash"
    if spec.band is None:
        return
    shade = LineChart()
    for name in spec.band:
        col = names.index(name) + 1
        shade.add_data(Reference(ws, min_col=col, min_row=header_row, max_row=last_row),
                       titles_from_data=True)  # fmt: skip
    shade.set_categories(categories)
    for series in shade.series:
        series.smooth = False
        series.graphicalProperties.line.solidFill = "9DC3E6"
        series.graphicalProperties.line.width = 9525  # 0.75 pt
    fill = GraphicalProperties(solidFill="BDD7EE")
    fill.line.noFill = True
    shade.upDownBars = UpDownBars(gapWidth=0, upBars=ChartLines(spPr=fill),
                                  downBars=ChartLines(spPr=fill))  # fmt: skip
    chart += shade


def _status_fills(ws, header_row: int, last_row: int, block: Block, column: str) -> None:
    if column not in block.frame.columns or last_row <= header_row:
        return
    letter = get_column_letter(list(block.frame.columns).index(column) + 1)
    cells = f"{letter}{header_row + 1}:{letter}{last_row}"
    for word, colour in RAG.items():
        ws.conditional_formatting.add(
            cells,
            FormulaRule(formula=[f'{letter}{header_row + 1}="{word}"'],
                        fill=PatternFill("solid", start_color=colour, end_color=colour)),
        )  # fmt: skip


#: A chart's size in centimetres, and the rows it spans at Excel's default row height.
CHART_HEIGHT, CHART_WIDTH = 10, 20
CHART_ROWS = 21


def _charts(ws, sheet: Sheet, tables: list[tuple[int, int, Block]]) -> None:
    """Native charts: below a sheet's only table, side by side, so a printed page stays
    readable; beside the tables, one under another, where a sheet holds several."""
    beside = len(sheet.blocks) > 1
    right = get_column_letter(max(len(b.frame.columns) for _, _, b in tables) + 2)
    next_row = tables[0][0]
    for i, spec in enumerate(sheet.charts):
        header_row, last_row, block = tables[spec.block]
        if last_row <= header_row:
            continue
        names = list(block.frame.columns)
        if spec.kind == "line":
            chart = LineChart()
        else:
            chart = BarChart()
            chart.type = "col"
            if spec.kind == "stacked":
                chart.grouping = "stacked"
                chart.overlap = 100
        chart.title = spec.title
        chart.y_axis.title = spec.y_title
        chart.x_axis.title = names[0]
        if block.format_of(names[0]) in ("date", "month"):
            chart.x_axis.number_format = "mmm yy"
        chart.y_axis.number_format = "0%" if spec.percent else "#,##0"
        chart.x_axis.delete = False
        chart.y_axis.delete = False
        chart.height, chart.width = CHART_HEIGHT, CHART_WIDTH
        for name in spec.columns:
            col = names.index(name) + 1
            data = Reference(ws, min_col=col, min_row=header_row, max_row=last_row)
            chart.add_data(data, titles_from_data=True)
        categories = Reference(ws, min_col=1, min_row=header_row + 1, max_row=last_row)
        chart.set_categories(categories)
        if isinstance(chart, LineChart):
            _dash_and_band(ws, chart, spec, names, header_row, last_row, categories)
        chart.legend.position = "b"
        if beside:
            ws.add_chart(chart, f"{right}{next_row}")
            next_row += CHART_ROWS
        else:
            ws.add_chart(chart, f"{get_column_letter(1 + 5 * i)}{last_row + 3}")
