"""Excel output: one sheet per indicator group laid out like a donor data-entry grid,
plus Definitions and About sheets. Numbers are numbers; headers are frozen."""

import io
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


def _write_table(sheet, table: TableData, top: int) -> int:
    """Write one grid with its title at row ``top``; returns the next free row."""
    _cell(sheet, top, 1, table.title, font=BOLD, box=False)
    n_row_dims = max(len(table.row_titles), 1)
    header_rows = max(len(table.column_titles), 1)
    first = top + 1
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
            _cell(sheet, row, 1 + i, label)
        for j, value in enumerate(values):
            _cell(sheet, row, n_row_dims + 1 + j, value)
        if table.column_titles:
            _cell(sheet, row, total_column, row_total, font=BOLD, fill=TOTAL_FILL)
        row += 1
    if table.row_titles:
        _cell(sheet, row, 1, _("Total"), font=BOLD, fill=TOTAL_FILL)
        for i in range(1, n_row_dims):
            _cell(sheet, row, 1 + i, "", fill=TOTAL_FILL)
        for j, value in enumerate(table.column_totals):
            _cell(sheet, row, n_row_dims + 1 + j, value, font=BOLD, fill=TOTAL_FILL)
        if table.column_titles:
            _cell(sheet, row, total_column, table.total, font=BOLD, fill=TOTAL_FILL)
        row += 1
    return row + 1


def _banner(sheet, dataset: Dataset, subtitle: str) -> None:
    _cell(sheet, 1, 1, f"{dataset.format_title}: {subtitle}", font=TITLE, box=False)
    _cell(
        sheet,
        2,
        1,
        f"{dataset.period} ({dataset.period_start} – {dataset.period_end}) · {', '.join(dataset.clinics)}",
        box=False,
    )


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
        sheet = book.create_sheet(group.sheet)
        _banner(sheet, dataset, group.title)
        row = 4
        for table in group.tables:
            row = _write_table(sheet, table, row)
        widest = max((len(t.row_titles) for t in group.tables), default=1) or 1
        sheet.freeze_panes = sheet.cell(row=4, column=widest + 1)
        for column in range(1, sheet.max_column + 1):
            sheet.column_dimensions[get_column_letter(column)].width = 22 if column <= widest else 11
    _definitions(book, dataset)
    _about(book, dataset)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
