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
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.compute as pc
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.axis import ChartLines
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.chart.updown_bars import UpDownBars
from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, OneCellAnchor
from openpyxl.drawing.xdr import XDRPositiveSize2D
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.utils.units import cm_to_EMU
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.hyperlink import Hyperlink
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
    "points": "+0.0;-0.0;0.0",
    "int": "#,##0",
    "number": "0.0",
}
RAG = {  # word -> fill beside it (the word itself always carries the meaning)
    "On target": "C6EFCE",
    "Below target": "FFEB9C",
    "Well below": "FFC7CE",
}
MAX_WIDTH = 80
#: Sheet tab colours by part of the pack: the board's sheets, the operational lists, reference.
TAB_COLOURS = {"board": "2F5597", "list": "C55A11", "reference": "7F7F7F"}


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
        layout = {sheet.name: (sheet, _positions(sheet)) for sheet in pack.sheets}
        try:
            for index, sheet in enumerate(pack.sheets):
                _sheet(wb, sheet, index, layout)
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


#: Notes are cut into lines of at most this many characters, at spaces, so that a page fitted
#: to its table's width prints them whole.
NOTE_WIDTH = 130


def _lines(notes: list[str]) -> list[str]:
    """Each note in lines of at most :data:`NOTE_WIDTH` characters, cut at spaces."""
    return [line for note in notes for line in textwrap.wrap(note, NOTE_WIDTH) or [""]]


def _widths(sheet: Sheet) -> list[float]:
    """Column widths from the content; on a board sheet, wide enough in all that its notes'
    lines print whole within the page's width."""
    widths = _content_widths(sheet)
    if sheet.section == "board" and sheet.notes and widths and sum(widths) < NOTE_WIDTH:
        widths[-1] += NOTE_WIDTH - sum(widths)
    return widths


def _header_width(header: str) -> int:
    """Wide enough for a header on two lines (headers wrap), and for its longest word."""
    words = header.split() or [""]
    return max(max(len(w) for w in words), -(-len(header) // 2)) + 4


def _content_widths(sheet: Sheet) -> list[float]:
    widths: list[float] = []
    for block in sheet.blocks:
        frame = block.frame
        for i, name in enumerate(frame.columns):
            sample = frame[name].head(200)
            fmt = block.format_of(name)
            if fmt in ("date", "month"):
                longest = 10
            elif fmt in ("text", "link"):
                lengths = sample.astype("string").fillna("").str.len()
                longest = int(lengths.max()) if len(lengths) else 0
            else:
                longest = 9
            width = min(MAX_WIDTH, max(_header_width(str(name)), longest + 2))
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


#: Table headers wrap onto two lines, so numeric columns stay narrow; points.
HEADER_HEIGHT = 30


def _header(ws, name: object) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=strip_controls(str(name)))
    cell.data_type = "s"  # a header is text, whatever it starts with
    cell.alignment = Alignment(wrap_text=True, vertical="bottom")
    return cell


def _columns(ws, block: Block, widths: list[float]) -> tuple[list[list[object]], np.ndarray]:
    """Cell values column by column, converted once per column rather than per cell; and the
    lines each row needs, where a text longer than its column is wrapped onto several."""
    out = []
    lines = np.ones(len(block.frame), dtype=np.int64)
    for i, name in enumerate(block.frame.columns):
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
        elif fmt == "link":  # a sheet's name, linked to the sheet
            cells = []
            for v in values.astype(str).tolist():
                cell = WriteOnlyCell(ws, value=strip_controls(v))
                cell.hyperlink = Hyperlink(ref="", location=f"'{v}'!A1", display=v)
                cell.font = Font(color="0563C1", underline="single")
                cells.append(cell)
            out.append(cells)
        elif fmt == "text":
            # Control characters out of the whole column at once (a byte scan when there are
            # none), rather than a regular expression per cell.
            texts, _ = strip_controls_arrow(as_arrow_text(values.astype("string")))
            width = widths[i] if i < len(widths) else MAX_WIDTH
            length = pc.fill_null(pc.utf8_length(texts), 0).to_numpy(zero_copy_only=False)
            long = length > width
            if not long.any():
                out.append([None if v is None else _text(ws, v, clean=False)
                            for v in texts.to_pylist()])  # fmt: skip
                continue
            lines = np.maximum(lines, -(-length // max(int(width) - 2, 1)))
            out.append([None if v is None else _wrap(ws, v) if wrap else _text(ws, v, clean=False)
                        for v, wrap in zip(texts.to_pylist(), long, strict=True)])  # fmt: skip
        else:
            cells = []
            for v in values.astype(object).tolist():
                if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
                    cells.append(None)
                else:
                    cell = WriteOnlyCell(ws, value=round(v) if fmt == "int" else float(v))
                    cell.number_format = NUMBER_FORMATS[fmt]
                    cells.append(cell)
            out.append(cells)
    return out, lines


#: Points a line of text takes in a row (Excel's default row height).
LINE_HEIGHT = 15


def _wrap(ws, text: str):
    """A long text cell, wrapped within its column (its row is made tall enough)."""
    cell = WriteOnlyCell(ws, value=text)
    if text.startswith(FORMULA_START):  # text, never a formula (see _text)
        cell.data_type = "s"
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    return cell


def _top(sheet: Sheet) -> int:
    """The first row after the title, the warning, the notes and the blank row under them."""
    warning = _lines([sheet.warning]) if sheet.warning is not None else []
    return 3 + len(_lines(sheet.notes)) + len(warning)


def _positions(sheet: Sheet) -> list[tuple[int, int]]:
    """(header row, last row) of each block as :func:`_sheet` writes it; an empty block is
    its one sentence. Charts on other sheets use these to find their data."""
    row, out = _top(sheet), []
    single = len(sheet.blocks) == 1
    for block in sheet.blocks:
        row += not single  # the block's own heading
        last = row + len(block.frame) if len(block.frame) else row
        out.append((row, last))
        row = last + 2  # a blank row between blocks
    return out


#: Every sheet of the pack by name, with the rows its blocks take (see :func:`_positions`).
Layout = dict[str, tuple[Sheet, list[tuple[int, int]]]]


class _SheetRef:
    """A sheet not written yet, as a chart's data reference needs it: by its name."""

    def __init__(self, title: str):
        self.title = title


def _sheet(wb: Workbook, sheet: Sheet, index: int, layout: Layout) -> None:
    ws = wb.create_sheet(sheet.name)
    widths = _widths(sheet)
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.sheet_properties.tabColor = TAB_COLOURS[sheet.section]
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = 9  # A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = sheet.pages

    single = len(sheet.blocks) == 1
    mine = layout[sheet.name][1]
    if single and len(sheet.blocks[0].frame):  # write-only sheets emit views with row 1
        header = mine[0][0]
        ws.freeze_panes = f"A{header + 1}"
        ws.print_title_rows = f"{header}:{header}"

    title = WriteOnlyCell(ws, value=strip_controls(sheet.title))
    title.font = Font(bold=True, size=14)
    ws.append([title])
    for line in _lines([sheet.warning]) if sheet.warning is not None else []:
        warning = WriteOnlyCell(ws, value=strip_controls(line))
        warning.font = Font(bold=True, color="9C0006")
        ws.append([warning])
    for line in _lines(sheet.notes):
        ws.append([_text(ws, line)])
    ws.append([])

    tables: list[tuple[int, int, Block]] = []  # (header row, last row, block) of each block
    for b, (block, (header_row, last_row)) in enumerate(zip(sheet.blocks, mine, strict=True)):
        if not single:
            heading = WriteOnlyCell(ws, value=strip_controls(block.title))
            heading.font = Font(bold=True)
            ws.append([heading])
        if not len(block.frame):  # an empty table says why, in a sentence
            ws.append([_text(ws, block.empty)])
        else:
            ws.row_dimensions[header_row].height = HEADER_HEIGHT  # set before the row is written
            ws.append([_header(ws, c) for c in block.frame.columns])
            columns, lines = _columns(ws, block, widths)
            for r in np.flatnonzero(lines > 1):  # row heights go before their rows are written
                ws.row_dimensions[header_row + 1 + int(r)].height = LINE_HEIGHT * int(lines[r])
            for values in zip(*columns, strict=True):
                ws.append(list(values))
            last_col = get_column_letter(max(1, len(block.frame.columns)))
            ref = f"A{header_row}:{last_col}{last_row}"
            table = Table(displayName=_table_name(sheet.name, b), ref=ref)
            table.tableColumns = [TableColumn(id=i + 1, name=strip_controls(str(c)))
                                  for i, c in enumerate(block.frame.columns)]  # fmt: skip
            table.autoFilter = AutoFilter(ref=ref)
            table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
            with warnings.catch_warnings():  # its warning says to set the columns: done above
                warnings.simplefilter("ignore", UserWarning)
                ws.add_table(table)
        tables.append((header_row, last_row, block))
        if b < len(sheet.blocks) - 1:
            ws.append([])

    if sheet.status_column and tables:
        _status_fills(ws, *tables[0], sheet.status_column)
    bottom, right = (tables[-1][1] if tables else _top(sheet)), max(len(widths), 1)
    if sheet.charts and tables:
        chart_bottom, chart_right = _charts(ws, sheet, tables, layout, widths)
        bottom, right = max(bottom, chart_bottom), max(right, chart_right)
    ws.print_area = f"A1:{get_column_letter(right)}{bottom}"


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


#: A chart's size in centimetres, and the rows and columns it spans at Excel's default sizes.
CHART_HEIGHT, CHART_WIDTH = 10, 20
CHART_ROWS, CHART_COLUMNS = 21, 11
#: The Headline's charts: small enough for two beside each other under its table.
SMALL_CHART = (7.5, 13)


def _cm(width: float) -> float:
    """A column ``width`` characters wide in centimetres: about (7w + 5) pixels at 96 to the
    inch."""
    return (7 * width + 5) / 96 * 2.54


#: Excel's default column width, in characters, past the table's own columns.
DEFAULT_WIDTH = 8.43


def _anchor(widths: list[float], left: float, row: int, size: tuple[float, float]):
    """A chart's place: ``left`` centimetres from the sheet's left edge, at ``row``, as a
    column and an offset within it, so charts sit side by side however wide the columns."""
    column, edge = 0, 0.0
    while True:
        width = _cm(widths[column] if column < len(widths) else DEFAULT_WIDTH)
        if edge + width > left:
            break
        edge += width
        column += 1
    height, wide = size
    return OneCellAnchor(
        _from=AnchorMarker(col=column, colOff=cm_to_EMU(left - edge), row=row - 1, rowOff=0),
        ext=XDRPositiveSize2D(cm_to_EMU(wide), cm_to_EMU(height)),
    )


def _column_at(widths: list[float], cm: float) -> int:
    """The column (1-based) that holds the point ``cm`` from the sheet's left edge."""
    column, edge = 0, 0.0
    while True:
        width = _cm(widths[column] if column < len(widths) else DEFAULT_WIDTH)
        if edge + width >= cm:
            return column + 1
        edge += width
        column += 1


def _charts(ws, sheet: Sheet, tables: list[tuple[int, int, Block]], layout: Layout,
            widths: list[float]) -> tuple[int, int]:  # fmt: skip
    """Native charts: below a sheet's only table, side by side, so a printed page stays
    readable; beside the tables, one under another, where a sheet holds several. A chart may
    read another sheet's table (:attr:`Chart.sheet`). Returns the last row and column the
    charts cover."""
    beside = len(sheet.blocks) > 1
    right = get_column_letter(max(len(b.frame.columns) for _, _, b in tables) + 2)
    next_row = tables[0][0]
    bottom, right_column = tables[-1][1], 1
    placed = 0
    for spec in sheet.charts:
        if spec.sheet is None:
            source, (header_row, last_row, block) = ws, tables[spec.block]
        else:
            if spec.sheet not in layout:
                continue
            other, where = layout[spec.sheet]
            header_row, last_row = where[spec.block]
            block, source = other.blocks[spec.block], _SheetRef(spec.sheet)
        if last_row <= header_row or any(c not in block.frame.columns for c in spec.columns):
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
        if not spec.small:  # a small chart's categories (months, years) speak for themselves
            chart.x_axis.title = names[0]
        if block.format_of(names[0]) in ("date", "month"):
            chart.x_axis.number_format = "mmm yy"
        chart.y_axis.number_format = "0%" if spec.percent else "#,##0"
        chart.x_axis.delete = False
        chart.y_axis.delete = False
        height, width = SMALL_CHART if spec.small else (CHART_HEIGHT, CHART_WIDTH)
        chart.height, chart.width = height, width
        for name in spec.columns:
            col = names.index(name) + 1
            data = Reference(source, min_col=col, min_row=header_row, max_row=last_row)
            chart.add_data(data, titles_from_data=True)
        categories = Reference(source, min_col=1, min_row=header_row + 1, max_row=last_row)
        chart.set_categories(categories)
        if isinstance(chart, LineChart):
            _dash_and_band(source, chart, spec, names, header_row, last_row, categories)
        chart.legend.position = "b"
        rows = round(CHART_ROWS * height / CHART_HEIGHT)
        if beside:
            ws.add_chart(chart, f"{right}{next_row}")
            next_row += rows
            bottom = max(bottom, next_row)
            right_column = max(right_column, column_index_from_string(right) + CHART_COLUMNS)
        else:  # side by side below the table, half a centimetre apart
            left = placed * (width + 0.5)
            ws.add_chart(chart, _anchor(widths, left, tables[-1][1] + 3, (height, width)))
            bottom = max(bottom, tables[-1][1] + 3 + rows)
            right_column = max(right_column, _column_at(widths, left + width))
        placed += 1
    return bottom, right_column
