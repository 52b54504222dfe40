"""A fund statement as PDF (reportlab) and Excel (openpyxl). Reads only the Statement, never the database."""

import io
from xml.sax.saxutils import escape

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from clinic_app.core.safe_cells import safe_text
from clinic_app.crisis.fund_statement import Statement
from clinic_app.crisis.money import as_major, format_money

HEADER_BG = colors.HexColor("#dde6f0")


def _title(statement: Statement) -> str:
    return _("Statement of %(fund)s", fund=statement.fund)


def _subtitle(statement: Statement) -> str:
    return _(
        "%(clinic)s · %(start)s to %(end)s · amounts in %(currency)s",
        clinic=statement.clinic,
        start=statement.start.isoformat(),
        end=statement.end.isoformat(),
        currency=statement.currency,
    )


def _headings() -> list[str]:
    return [_("Date"), _("Movement"), _("Case"), _("Receipt"), _("In"), _("Out"), _("Balance")]


def render_statement_pdf(statement: Statement) -> bytes:
    """The statement on A4 portrait: heading, movements with a running balance, spending by purpose."""
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=14 * mm, rightMargin=14 * mm, topMargin=14 * mm, bottomMargin=14 * mm,
        title=_title(statement), creator="Blue Box clinic tracker",
    )  # fmt: skip
    base = ParagraphStyle("base", fontName="Helvetica", fontSize=9, leading=11.5)
    title = ParagraphStyle("title", base, fontName="Helvetica-Bold", fontSize=15, leading=19, spaceAfter=4)
    h2 = ParagraphStyle("h2", base, fontName="Helvetica-Bold", fontSize=10.5, spaceBefore=10, spaceAfter=4)
    cell = ParagraphStyle("cell", base, fontSize=8, leading=9.5)
    money = lambda minor: format_money(minor, statement.currency) if minor else ""  # noqa: E731
    story = [Paragraph(escape(_title(statement)), title), Paragraph(escape(_subtitle(statement)), base)]
    if statement.donor:
        story.append(Paragraph(escape(_("Donor: %(donor)s", donor=statement.donor)), base))
    rows = [_headings(), ["", _("Brought forward"), "", "", "", "", money(statement.brought_forward) or "0"]]
    for line in statement.lines:
        rows.append(
            [
                line.day.isoformat(),
                Paragraph(escape(line.description), cell),
                line.reference,
                Paragraph(escape(line.receipt), cell),
                money(line.money_in),
                money(line.money_out),
                format_money(line.balance, statement.currency),
            ]
        )
    rows.append(
        ["", _("Total and closing balance"), "", "", money(statement.total_in), money(statement.total_out),
         format_money(statement.closing, statement.currency)]
    )  # fmt: skip
    widths = [20 * mm, 42 * mm, 20 * mm, 26 * mm, 24 * mm, 24 * mm, 26 * mm]
    story += [Spacer(1, 4 * mm), _table(rows, widths, numeric_from=4)]
    story.append(Paragraph(escape(_("Payments by purpose")), h2))
    purpose_rows = [[_("Purpose"), _("Payments"), _("Amount")]]
    purpose_rows += [
        [label, str(n), format_money(amount, statement.currency)] for label, n, amount in statement.by_purpose
    ]
    if len(purpose_rows) == 1:
        purpose_rows.append([_("No payments in this period."), "", ""])
    story.append(_table(purpose_rows, [70 * mm, 25 * mm, 35 * mm], numeric_from=1))
    story.append(Spacer(1, 4 * mm))
    story.append(
        Paragraph(escape(_footnote(statement)), ParagraphStyle("note", base, fontSize=7.5, textColor=colors.dimgrey))
    )
    document.build(story)
    return buffer.getvalue()


def _footnote(statement: Statement) -> str:
    when = statement.generated_at.strftime("%Y-%m-%d %H:%M UTC") if statement.generated_at else ""
    return _(
        "Payments are named by their purpose and case reference only. Prepared by %(who)s, %(when)s.",
        who=statement.generated_by,
        when=when,
    )


def _table(rows, widths, numeric_from: int) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), "Helvetica", 8),
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
                ("BACKGROUND", (0, 0), (-1, 0), HEADER_BG),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9a9a9a")),
                ("ALIGN", (numeric_from, 0), (-1, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def render_statement_xlsx(statement: Statement) -> bytes:
    """The statement as one sheet of movements and one of payments by purpose; amounts are numbers."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("Statement")[:31]
    sheet.append([safe_text(_title(statement))])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([safe_text(_subtitle(statement))])
    if statement.donor:
        sheet.append([safe_text(_("Donor: %(donor)s", donor=statement.donor))])
    sheet.append([])
    _header_row(sheet, _headings())
    sheet.append([None, _("Brought forward"), None, None, None, None, float(as_major(statement.brought_forward))])
    for line in statement.lines:
        sheet.append(
            [
                line.day,
                safe_text(line.description),
                safe_text(line.reference),
                safe_text(line.receipt),
                float(as_major(line.money_in)) if line.money_in else None,
                float(as_major(line.money_out)) if line.money_out else None,
                float(as_major(line.balance)),
            ]
        )
    sheet.append(
        [None, _("Total and closing balance"), None, None, float(as_major(statement.total_in)),
         float(as_major(statement.total_out)), float(as_major(statement.closing))]
    )  # fmt: skip
    for row in sheet.iter_rows(min_row=5, min_col=5, max_col=7):
        for cell in row:
            cell.number_format = "#,##0.00"
    for row in sheet.iter_rows(min_row=5, max_col=1):
        row[0].number_format = "yyyy-mm-dd"
    for column, width in zip("ABCDEFG", (12, 30, 12, 18, 14, 14, 14), strict=True):
        sheet.column_dimensions[column].width = width
    purposes = book.create_sheet(_("By purpose")[:31])
    _header_row(purposes, [_("Purpose"), _("Payments"), _("Amount (%(currency)s)", currency=statement.currency)])
    for label, n, amount in statement.by_purpose:
        purposes.append([safe_text(label), n, float(as_major(amount))])
        purposes.cell(row=purposes.max_row, column=3).number_format = "#,##0.00"
    purposes.column_dimensions["A"].width = 32
    purposes.column_dimensions["C"].width = 16
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _header_row(sheet, headings) -> None:
    sheet.append([safe_text(h) for h in headings])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DCE3EE")
    sheet.freeze_panes = f"A{sheet.max_row + 1}"
