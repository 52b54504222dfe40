"""Excel output: one sheet per indicator grid laid out like a donor data-entry grid, plus Definitions and
About sheets. Numbers are numbers. Each sheet starts with the report, period and clinics, then the grid's
title, a blank row and the grid: its header rows (sized to their wrapped labels) and row labels are the
frozen panes and repeat on every printed page; a wide grid prints landscape, fitted to the page width;
every printed page names the report, period and clinics in its footer."""

import io
import math
from datetime import datetime

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from clinic_app.core.safe_cells import safe_text
from clinic_app.reports.dataset import Dataset, TableData

BOLD = Font(bold=True)
TITLE = Font(bold=True, size=13)
HEADER_FILL = PatternFill("solid", fgColor="DCE3EE")
TOTAL_FILL = PatternFill("solid", fgColor="F0F0F0")
THIN = Side(style="thin", color="A0A0A0")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)
LABEL = Alignment(vertical="top", wrap_text=True)
NUMBER = Alignment(horizontal="right", vertical="top")  # "<5" and "*" of a published report sit with the numbers
HEADER_TOP = 5  # rows 1-3: report, period and clinics, grid title; row 4 left blank
LINE_HEIGHT = 15  # points per line of wrapped header text
PORTRAIT_WIDTH = 95  # about the column-width units that fit across A4 portrait


def _cell(sheet, row: int, column: int, value, *, font=None, fill=None, align=None, box=True):
    cell = sheet.cell(row=row, column=column, value=safe_text(value) if isinstance(value, str) else value)
    if font:
        cell.font = font
    if fill:
        cell.fill = fill
    if align:
        cell.alignment = align
    if box:
        cell.border = BOX
    return cell


def _write_table(sheet, table: TableData, first: int) -> int:
    """Write one grid with its header rows from row ``first``; returns the next free row."""
    n_row_dims = max(len(table.row_titles), 1)
    header_rows = max(len(table.column_titles), 1)
    # Corner: the row dimensions' titles.
    for i, title in enumerate(table.row_titles or [""]):
        _cell(sheet, first, 1 + i, title, font=BOLD, fill=HEADER_FILL, align=CENTRE)
        if header_rows > 1:
            sheet.merge_cells(start_row=first, start_column=1 + i, end_row=first + header_rows - 1, end_column=1 + i)
    # Column headers, merging runs of the same label on the upper levels.
    for level in range(header_rows):
        row = first + level
        labels = [col[level] if table.column_titles else _("Count") for col in table.columns]
        start = 0
        for j in range(1, len(labels) + 1):
            same_run = (
                j < len(labels)
                and labels[j] == labels[start]
                and level < header_rows - 1
                and all(table.columns[j][k] == table.columns[start][k] for k in range(level))
            )
            if same_run:
                continue
            _cell(sheet, row, n_row_dims + 1 + start, labels[start], font=BOLD, fill=HEADER_FILL, align=CENTRE)
            if j - 1 > start:
                sheet.merge_cells(
                    start_row=row, start_column=n_row_dims + 1 + start, end_row=row, end_column=n_row_dims + j
                )
            start = j
    total_column = n_row_dims + len(table.columns) + 1
    if table.column_titles:
        _cell(sheet, first, total_column, _("Total"), font=BOLD, fill=HEADER_FILL, align=CENTRE)
        if header_rows > 1:
            sheet.merge_cells(
                start_row=first, start_column=total_column, end_row=first + header_rows - 1, end_column=total_column
            )
    row = first + header_rows
    for labels, values, row_total in zip(table.rows, table.values, table.row_totals, strict=True):
        for i, label in enumerate(labels or [_("Total")]):
            _cell(sheet, row, 1 + i, label, align=LABEL)
        for j, value in enumerate(values):
            _cell(sheet, row, n_row_dims + 1 + j, value, align=NUMBER)
        if table.column_titles:
            _cell(sheet, row, total_column, row_total, font=BOLD, fill=TOTAL_FILL, align=NUMBER)
        row += 1
    if table.row_titles:
        _cell(sheet, row, 1, _("Total"), font=BOLD, fill=TOTAL_FILL)
        for i in range(1, n_row_dims):
            _cell(sheet, row, 1 + i, "", fill=TOTAL_FILL)
        for j, value in enumerate(table.column_totals):
            _cell(sheet, row, n_row_dims + 1 + j, value, font=BOLD, fill=TOTAL_FILL, align=NUMBER)
        if table.column_titles:
            _cell(sheet, row, total_column, table.total, font=BOLD, fill=TOTAL_FILL, align=NUMBER)
        row += 1
    return row + 1


def _banner(sheet, dataset: Dataset, subtitle: str) -> None:
    _cell(sheet, 1, 1, f"{dataset.format_title}: {subtitle}", font=TITLE, box=False)
    _cell(sheet, 2, 1, _scope(dataset), box=False)


def _scope(dataset: Dataset) -> str:
    return f"{dataset.period} ({dataset.period_start} – {dataset.period_end}) · {', '.join(dataset.clinics)}"


def _lines(text: str, width: float) -> int:
    """How many lines a label wraps to in a column ``width`` characters wide (words kept whole)."""
    lines, used = 1, 0
    for word in str(text or "").split():
        if used and used + 1 + len(word) > width:
            lines, used = lines + 1, len(word)
        else:
            used += len(word) + (1 if used else 0)
        lines += max(0, math.ceil(len(word) / width) - 1)
    return lines


def _size(sheet, table: TableData, first: int) -> float:
    """Column widths from the labels, header rows tall enough for their wrapped labels; the sheet's width."""
    n_row_dims = max(len(table.row_titles), 1)
    header_rows = max(len(table.column_titles), 1)
    for i in range(n_row_dims):
        texts = [table.row_titles[i] if table.row_titles else ""] + [r[i] for r in table.rows if r] + [_("Total")]
        sheet.column_dimensions[get_column_letter(1 + i)].width = min(max(max(map(len, texts)) + 2, 10), 34)
    widths = []
    for j, column in enumerate(table.columns):
        words = str(column[-1] if column else _("Count")).split()  # upper levels span several columns
        width = min(max(max(map(len, words), default=4) + 3, 8), 16)
        widths.append(width)
        sheet.column_dimensions[get_column_letter(n_row_dims + 1 + j)].width = width
    sheet.column_dimensions[get_column_letter(n_row_dims + len(table.columns) + 1)].width = 9
    # The tallest header cell of each row: a cell spanning several columns has their summed width.
    need = [1] * header_rows
    for level in range(header_rows):
        start = 0
        while start < len(table.columns):
            end = start + 1
            label = table.columns[start][level] if table.column_titles else _("Count")
            while (
                level < header_rows - 1
                and end < len(table.columns)
                and table.columns[end][: level + 1] == table.columns[start][: level + 1]
            ):
                end += 1
            need[level] = max(need[level], _lines(label, sum(widths[start:end]) - 1))
            start = end
    for i, title in enumerate(table.row_titles):  # the corner spans every header row
        width = sheet.column_dimensions[get_column_letter(1 + i)].width - 1
        short = _lines(title, width) - sum(need)
        if short > 0:
            need[-1] += short
    for level, lines in enumerate(need):
        sheet.row_dimensions[first + level].height = LINE_HEIGHT * lines + 3
    return sum(sheet.column_dimensions[get_column_letter(1 + i)].width for i in range(n_row_dims)) + sum(widths) + 9


def _print_setup(sheet, dataset: Dataset, *, wide: bool) -> None:
    """A4, landscape when wide, fitted to the page width; the footer names the report, period and clinics."""
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape" if wide else "portrait"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = False
    footer = f"{dataset.format_title} – {_scope(dataset)}".replace("&", "&&")
    sheet.oddFooter.left.text = footer[:200]
    sheet.oddFooter.left.size = 8
    sheet.oddFooter.right.text = _("Page &P of &N")
    sheet.oddFooter.right.size = 8


def sheet_name(group_sheet: str, index: int, count: int) -> str:
    """The sheet of a group's grid: the group's sheet name, numbered when the group has several grids."""
    return group_sheet if count == 1 else f"{group_sheet[:27]} {index + 1}"


def _table_sheet(book: Workbook, dataset: Dataset, group, index: int) -> None:
    table = group.tables[index]
    sheet = book.create_sheet(sheet_name(group.sheet, index, len(group.tables)))
    _banner(sheet, dataset, group.title)
    _cell(sheet, 3, 1, table.title, font=BOLD, box=False)
    width = _size(sheet, table, HEADER_TOP)
    _write_table(sheet, table, HEADER_TOP)
    header_rows = max(len(table.column_titles), 1)
    n_row_dims = max(len(table.row_titles), 1)
    sheet.freeze_panes = sheet.cell(row=HEADER_TOP + header_rows, column=n_row_dims + 1)
    sheet.print_title_rows = f"{HEADER_TOP}:{HEADER_TOP + header_rows - 1}"
    sheet.print_title_cols = f"A:{get_column_letter(n_row_dims)}"
    _print_setup(sheet, dataset, wide=width > PORTRAIT_WIDTH)


def _about(book: Workbook, dataset: Dataset) -> None:
    sheet = book.create_sheet(_("About"))
    generated = datetime.fromisoformat(dataset.generated_at)
    rows = [
        (_("Report"), dataset.format_title),
        (_("Format code"), dataset.format_code),
        (_("Period"), dataset.period),
        (_("From"), dataset.period_start),
        (_("To"), dataset.period_end),
        (_("Clinics"), ", ".join(dataset.clinics)),
        (_("Prepared by"), dataset.prepared_by),
        (_("Generated (UTC)"), generated.strftime("%Y-%m-%d %H:%M")),
    ]
    rows += [(_("Note"), note) for note in dataset.notes]
    for i, (key, value) in enumerate(rows, start=1):
        _cell(sheet, i, 1, key, font=BOLD, box=False)
        _cell(sheet, i, 2, value, box=False)
    top = len(rows) + 2
    _cell(sheet, top, 1, _("Data quality"), font=BOLD, box=False)
    _cell(sheet, top + 1, 1, _("Check"), font=BOLD, fill=HEADER_FILL)
    _cell(sheet, top + 1, 2, _("Records to fix"), font=BOLD, fill=HEADER_FILL)
    for i, finding in enumerate(dataset.findings, start=top + 2):
        _cell(sheet, i, 1, finding.title)
        _cell(sheet, i, 2, finding.count)
    if dataset.trend:
        top = top + len(dataset.findings) + 3
        _cell(sheet, top, 1, _("Trend"), font=BOLD, box=False)
        for j, period in enumerate(dataset.trend_periods, start=2):
            _cell(sheet, top + 1, j, period, font=BOLD, fill=HEADER_FILL)
        for i, (code, series) in enumerate(dataset.trend.items(), start=top + 2):
            _cell(sheet, i, 1, dataset.trend_titles.get(code, code))
            for j, value in enumerate(series, start=2):
                _cell(sheet, i, j, value)
    sheet.column_dimensions["A"].width = 48
    sheet.column_dimensions["B"].width = 60


def _definitions(book: Workbook, dataset: Dataset) -> None:
    sheet = book.create_sheet(_("Definitions"))
    for j, title in enumerate((_("Indicator"), _("Title"), _("Counts"), _("Definition")), start=1):
        _cell(sheet, 1, j, title, font=BOLD, fill=HEADER_FILL)
    for i, d in enumerate(dataset.definitions, start=2):
        for j, value in enumerate((d.indicator, d.title, _(d.unit), d.definition), start=1):
            _cell(sheet, i, j, value, align=Alignment(wrap_text=True, vertical="top"))
    sheet.freeze_panes = "A2"
    for letter, width in zip("ABCD", (16, 40, 10, 90), strict=True):
        sheet.column_dimensions[letter].width = width


def render_xlsx(dataset: Dataset) -> bytes:
    """The workbook as bytes (a few hundred cells: built in memory)."""
    book = Workbook()
    book.remove(book.active)
    for group in dataset.groups:
        for index in range(len(group.tables)):
            _table_sheet(book, dataset, group, index)
    _definitions(book, dataset)
    _about(book, dataset)
    for sheet in book.worksheets[-2:]:
        _print_setup(sheet, dataset, wide=sheet.title == _("Definitions"))
    book[_("Definitions")].print_title_rows = "1:1"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
