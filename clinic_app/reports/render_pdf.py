"""The PDF renderer: a Dataset as a donor-style report (cover, grids, trend, data quality, definitions).

It reads only the Dataset, never the database. Grids are laid out like a donor's
data-entry sheet on landscape A4; a grid too wide for the page is cut into column
chunks that each repeat the row labels. Fixed words go through gettext, so the
caller must run it inside an app context.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from io import BytesIO
from xml.sax.saxutils import escape

from flask_babel import gettext as _
from flask_babel import ngettext
from reportlab.graphics.charts.legends import LineLegend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from clinic_app.reports.dataset import Dataset, TableData

PAGE = landscape(A4)
MARGIN = 14 * mm
FRAME_WIDTH = PAGE[0] - 2 * MARGIN
FONT, BOLD = "Helvetica", "Helvetica-Bold"
WIDE = 12  # grids with more value columns than this use the small font
PAD = 3  # cell padding left and right, points
LABEL_MAX = 120  # widest a row-label column may grow before its labels wrap
HEADER_MAX = 48  # widest a column header may grow before it wraps
COLUMN_MIN = 20
HEADER_BG, TOTAL_BG, RULE, ZERO = (
    colors.HexColor("#dde6f0"),
    colors.HexColor("#eeeeee"),
    colors.HexColor("#9a9a9a"),
    colors.HexColor("#9a9a9a"),
)
LINE_COLOURS = [colors.HexColor(c) for c in ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")]


def render_pdf(dataset: Dataset) -> bytes:
    """The whole report as PDF bytes."""
    buffer = BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 4 * mm,
        title=dataset.format_title,
        author=dataset.prepared_by,
        subject=dataset.period,
        creator="Blue Box clinic tracker",
    )
    styles = _styles()
    story = _cover(dataset, styles) + _trend(dataset, styles)
    for group in dataset.groups:
        story += [PageBreak(), Paragraph(escape(group.title), styles["h1"])]
        for table in group.tables:
            story += _grid(table, styles)
    story += [PageBreak()] + _quality(dataset, styles) + _definitions(dataset, styles)
    footer = _footer_text(dataset)
    document.build(
        story, canvasmaker=partial(_NumberedCanvas, footer=footer, page_label=_("Page %(page)d of %(pages)d"))
    )
    return buffer.getvalue()


FOOTER_SIZE = 7.5


def _footer_text(dataset: Dataset) -> str:
    """Every page names the report, its period (with dates) and its clinics, cut to fit beside the page count."""
    dates = f"{dataset.period_start} \N{EN DASH} {dataset.period_end}"
    head = f"{dataset.format_title} \N{EN DASH} {dataset.period} ({dates})"
    clinics, cut = ", ".join(dataset.clinics), ""
    room = FRAME_WIDTH - 90  # the page count on the right
    while clinics and stringWidth(f"{head} \N{EN DASH} {clinics}{cut}", FONT, FOOTER_SIZE) > room:
        clinics, cut = clinics[:-1].rstrip(", "), "\N{HORIZONTAL ELLIPSIS}"
    return f"{head} \N{EN DASH} {clinics}{cut}"


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=FONT, fontSize=9, leading=11.5)
    return {
        "title": ParagraphStyle("title", base, fontName=BOLD, fontSize=20, leading=24, spaceAfter=10),
        "h1": ParagraphStyle("h1", base, fontName=BOLD, fontSize=14, leading=17, spaceAfter=6),
        "h2": ParagraphStyle("h2", base, fontName=BOLD, fontSize=10, leading=12.5, spaceBefore=8, spaceAfter=2),
        "body": base,
        "caption": ParagraphStyle("caption", base, fontSize=7.5, leading=9, textColor=colors.dimgrey, spaceAfter=3),
        "cell": ParagraphStyle("cell", base, fontSize=8, leading=9.5),
        "cell_bold": ParagraphStyle("cell_bold", base, fontName=BOLD, fontSize=8, leading=9.5),
    }


def _p(text, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(str(text)), style)


def _unit(code: str) -> str:
    units = {
        "people": _("people"),
        "events": _("events"),
        "kits": _("kits"),
        "pieces": _("pieces"),
        "hours": _("hours"),
        "currency units": _("currency units"),
    }
    return units.get(code, code)


def _utc_minutes(iso: str) -> str:
    """'2026-11-21T06:02:11+00:00' as '2026-11-21 06:02 UTC'."""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return _("%(time)s UTC", time=moment.strftime("%Y-%m-%d %H:%M"))


def _simple_table(rows: list[list], widths: list[float], numeric_from: int | None = None) -> Table:
    """A plain list table: a shaded header row, grid lines, numbers right-aligned."""
    commands = [
        ("FONT", (0, 0), (-1, -1), FONT, 8),
        ("FONT", (0, 0), (-1, 0), BOLD, 8),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_BG),
        ("GRID", (0, 0), (-1, -1), 0.25, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    if numeric_from is not None:
        commands.append(("ALIGN", (numeric_from, 0), (-1, -1), "RIGHT"))
    return Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT", style=TableStyle(commands))


# --- cover ----------------------------------------------------------------------------------------------------


def _cover(dataset: Dataset, styles) -> list:
    clinics = ", ".join(dataset.clinics) or _("All clinics")
    facts = [
        (ngettext("Clinic", "Clinics", max(len(dataset.clinics), 1)), clinics),
        (
            _("Period"),
            _(
                "%(period)s (%(start)s to %(end)s)",
                period=dataset.period,
                start=dataset.period_start,
                end=dataset.period_end,
            ),
        ),
        (_("Prepared by"), dataset.prepared_by),
        (_("Generated"), _utc_minutes(dataset.generated_at)),
    ]
    about = Table(
        [[_p(label, styles["cell_bold"]), _p(value, styles["cell"])] for label, value in facts],
        colWidths=[90, 400],
        hAlign="LEFT",
        style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]),
    )
    story = [_p(dataset.format_title, styles["title"]), about]
    if dataset.notes:
        story.append(_p(_("Notes"), styles["h2"]))
        story += [Paragraph(escape(note), styles["body"], bulletText="\N{BULLET}") for note in dataset.notes]
    return story + [_p(_("Summary"), styles["h2"]), _summary(dataset, styles)]


def _summary(dataset: Dataset, styles) -> Table:
    """Each indicator's total, with its title and unit (from the definitions, else its first table)."""
    described = {}
    for table in (t for group in dataset.groups for t in group.tables):
        described.setdefault(table.indicator, (table.title, table.unit))
    described |= {d.indicator: (d.title, d.unit) for d in dataset.definitions}
    rows = [[_("Indicator"), _("Title"), _("Unit"), _("Total")]]
    for code, total in dataset.totals().items():
        title, unit = described.get(code, ("", ""))
        rows.append([code, _p(title, styles["cell"]), _unit(unit), str(total)])
    return _simple_table(rows, [100, 360, 60, 60], numeric_from=3)


# --- trend ----------------------------------------------------------------------------------------------------


def _trend(dataset: Dataset, styles) -> list:
    codes = [code for code in dataset.trend if len(dataset.trend[code]) == len(dataset.trend_periods)]
    if not dataset.trend_periods or not codes:
        return []
    labels = [dataset.trend_titles.get(code, code) for code in codes]
    story = [PageBreak(), _p(_("Trend"), styles["h1"])]
    if dataset.trend_note:
        story.append(_p(dataset.trend_note, styles["body"]))
    story += [_trend_chart(dataset, codes, labels), Spacer(1, 6)]
    rows = [[_("Indicator")] + list(dataset.trend_periods)]
    rows += [
        [_p(label, styles["cell"])] + [str(v) for v in dataset.trend[code]]
        for code, label in zip(codes, labels, strict=True)
    ]
    story.append(_simple_table(rows, [300] + [70] * len(dataset.trend_periods), numeric_from=1))
    return story


def _trend_chart(dataset: Dataset, codes: list[str], labels: list[str]) -> Drawing:
    legend_height = 12 * len(codes)
    drawing = Drawing(FRAME_WIDTH, 230 + legend_height)
    chart = HorizontalLineChart()
    chart.x, chart.y, chart.width, chart.height = 40, legend_height + 30, 520, 190
    # A number hidden in an export ("<5", "*") is a gap in its line.
    chart.data = [tuple(v if isinstance(v, int) else None for v in dataset.trend[code]) for code in codes]
    chart.joinedLines = 1
    chart.categoryAxis.categoryNames = list(dataset.trend_periods)
    chart.categoryAxis.labels.fontName, chart.categoryAxis.labels.fontSize = FONT, 8
    chart.categoryAxis.labels.boxAnchor = "n"
    chart.valueAxis.valueMin = 0
    if not any(any(v for v in values if v) for values in chart.data):
        chart.valueAxis.valueMax, chart.valueAxis.valueStep = 1, 1
    chart.valueAxis.labels.fontName, chart.valueAxis.labels.fontSize = FONT, 8
    chart.valueAxis.visibleGrid = 1
    chart.valueAxis.gridStrokeColor = colors.lightgrey
    legend = LineLegend()
    legend.x, legend.y = chart.x, legend_height + 4
    legend.fontName, legend.fontSize, legend.alignment = FONT, 8, "right"
    legend.columnMaximum, legend.dx, legend.dy, legend.deltay = len(codes), 16, 3, 12
    pairs = []
    for index, label in enumerate(labels):
        colour = LINE_COLOURS[index % len(LINE_COLOURS)]
        chart.lines[index].strokeColor, chart.lines[index].strokeWidth = colour, 1.5
        chart.lines[index].symbol = makeMarker("FilledCircle", size=4, fillColor=colour, strokeColor=colour)
        pairs.append((colour, label))
    legend.colorNamePairs = pairs
    drawing.add(chart)
    drawing.add(legend)
    return drawing


# --- grids ----------------------------------------------------------------------------------------------------


@dataclass
class _Layout:
    """How one grid is laid out: which parts it shows and how wide each column is."""

    table: TableData
    size: float  # font size
    value_columns: list[int]  # indexes into table.columns; empty when the grid has no column dimensions
    body_rows: list[int]  # indexes into table.rows; empty when the grid has no row dimensions
    label_widths: list[float]
    column_widths: dict[int, float]
    total_width: float

    @property
    def levels(self) -> int:
        return len(self.table.column_titles) if self.value_columns else 1


def _fit(text: str, font: str, size: float, cap: float) -> float:
    """The width a label needs: all of it up to ``cap``, and never less than its longest word."""
    whole = stringWidth(text, font, size)
    longest = max((stringWidth(word, font, size) for word in text.split()), default=0)
    return min(whole, max(longest, cap)) + 2 * PAD + 1


def _number_width(values, size: float) -> float:
    return max((stringWidth(str(v), BOLD, size) + 2 * PAD for v in values), default=0)


def _layout(table: TableData) -> _Layout:
    value_columns = list(range(len(table.columns))) if table.column_titles else []
    size = 7 if len(value_columns) > WIDE else 8
    body_rows = list(range(len(table.rows))) if table.row_titles else []
    label_widths = []
    for level in range(max(len(table.row_titles), 1)):
        texts = [table.rows[r][level] for r in body_rows] + table.row_titles[level : level + 1] + [_("Total")]
        label_widths.append(max(_fit(text, BOLD, size, LABEL_MAX) for text in texts))
    column_widths = {
        c: max(
            COLUMN_MIN,
            _fit(table.columns[c][-1], BOLD, size, HEADER_MAX),
            _number_width([row[c] for row in table.values] + [table.column_totals[c]], size),
        )
        for c in value_columns
    }
    total_width = max(COLUMN_MIN, _fit(_("Total"), BOLD, size, HEADER_MAX), _number_width([table.total], size))
    return _Layout(table, size, value_columns, body_rows, label_widths, column_widths, total_width)


def _chunks(layout: _Layout) -> list[list[int]]:
    """The value columns cut into pieces that fit the page, keeping top-level header groups whole if possible."""
    columns, widths = layout.table.columns, layout.column_widths
    room = FRAME_WIDTH - sum(layout.label_widths) - layout.total_width
    blocks: list[list[int]] = []
    for c in layout.value_columns:
        if blocks and len(layout.table.column_titles) > 1 and columns[c][0] == columns[blocks[-1][-1]][0]:
            blocks[-1].append(c)
        else:
            blocks.append([c])
    chunks: list[list[int]] = [[]]
    for block in blocks:
        if sum(widths[k] for k in chunks[-1] + block) <= room:
            chunks[-1] += block
            continue
        if chunks[-1]:
            chunks.append([])
        for c in block:  # a block wider than the page is cut column by column
            if chunks[-1] and sum(widths[k] for k in chunks[-1]) + widths[c] > room:
                chunks.append([])
            chunks[-1].append(c)
    return chunks


def _grid(table: TableData, styles) -> list:
    """A table's title, caption and grid (or grids, when it is cut into column chunks)."""
    layout = _layout(table)
    caption = [_("Unit: %(unit)s", unit=_unit(table.unit))]
    if table.column_titles:
        caption.append(_("Columns: %(dimensions)s", dimensions=" / ".join(table.column_titles)))
    chunks = _chunks(layout)
    story = []
    for number, columns in enumerate(chunks, start=1):
        title = table.title
        if len(chunks) > 1:
            title += " " + _("(part %(part)d of %(parts)d)", part=number, parts=len(chunks))
        story.append(
            KeepTogether(
                [
                    _p(title, styles["h2"]),
                    _p(" \N{MIDDLE DOT} ".join(caption), styles["caption"]),
                    _grid_table(layout, columns, show_total=number == len(chunks)),
                ]
            )
        )
    return story


def _grid_table(layout: _Layout, columns: list[int], show_total: bool) -> Table:
    table, size = layout.table, layout.size
    labels, levels = len(layout.label_widths), layout.levels
    head = ParagraphStyle("head", fontName=BOLD, fontSize=size, leading=size + 1.5, alignment=TA_CENTER)
    label = ParagraphStyle("label", fontName=FONT, fontSize=size, leading=size + 1.5)
    corner = ParagraphStyle("corner", label, fontName=BOLD)
    rows, spans = _header(layout, columns, show_total, head, corner), []
    for level in range(labels):
        spans.append(("SPAN", (level, 0), (level, levels - 1)))
    for start, end, level in _runs([table.columns[c] for c in columns], levels - 1):
        spans.append(("SPAN", (labels + start, level), (labels + end, level)))
    for r in layout.body_rows:
        cells = [_p(text, label) for text in table.rows[r]]
        cells += [str(table.values[r][c]) for c in columns]
        rows.append(cells + ([str(table.row_totals[r])] if show_total else []))
    for start, end, level in _runs([table.rows[r] for r in layout.body_rows], len(table.row_titles) - 1):
        spans.append(("SPAN", (level, levels + start), (level, levels + end)))
    totals = [_p(_("Total"), corner)] + [""] * (labels - 1) + [str(table.column_totals[c]) for c in columns]
    rows.append(totals + ([str(table.total)] if show_total else []))
    widths = layout.label_widths + [layout.column_widths[c] for c in columns]
    widths += [layout.total_width] if show_total else []
    return Table(
        rows, colWidths=widths, repeatRows=levels, hAlign="LEFT", style=_grid_style(layout, rows, spans, show_total)
    )


def _header(layout: _Layout, columns: list[int], show_total: bool, head, corner) -> list[list]:
    table, labels = layout.table, len(layout.label_widths)
    rows = []
    for level in range(layout.levels):
        cells = [
            _p(table.row_titles[i], corner) if level == 0 and i < len(table.row_titles) else "" for i in range(labels)
        ]
        cells += [_p(table.columns[c][level], head) if layout.value_columns else "" for c in columns]
        rows.append(cells + ([_p(_("Total"), head) if level == 0 else ""] if show_total else []))
    return rows


def _runs(labels: list[list[str]], depth: int):
    """(first, last, level) runs of neighbours sharing their first level + 1 labels, for the outer ``depth`` levels."""
    for level in range(depth):
        start = 0
        for i in range(1, len(labels) + 1):
            if i == len(labels) or labels[i][: level + 1] != labels[start][: level + 1]:
                if i - 1 > start:
                    yield start, i - 1, level
                start = i


def _grid_style(layout: _Layout, rows: list[list], spans: list, show_total: bool) -> TableStyle:
    labels, levels = len(layout.label_widths), layout.levels
    commands = [
        ("FONT", (0, 0), (-1, -1), FONT, layout.size),
        ("FONT", (0, -1), (-1, -1), BOLD, layout.size),
        ("ALIGN", (labels, levels), (-1, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, levels - 1), "BOTTOM"),
        ("VALIGN", (0, levels), (-1, -1), "MIDDLE"),
        ("BACKGROUND", (0, 0), (-1, levels - 1), HEADER_BG),
        ("BACKGROUND", (0, -1), (-1, -1), TOTAL_BG),
        ("GRID", (0, 0), (-1, -1), 0.25, RULE),
        ("LINEBELOW", (0, levels - 1), (-1, levels - 1), 0.8, colors.black),
        ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
        ("LEFTPADDING", (0, 0), (-1, -1), PAD),
        ("RIGHTPADDING", (0, 0), (-1, -1), PAD),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("SPAN", (0, len(rows) - 1), (labels - 1, len(rows) - 1)),
    ]
    if show_total:
        commands += [
            ("BACKGROUND", (-1, levels), (-1, -1), TOTAL_BG),
            ("FONT", (-1, levels), (-1, -1), BOLD, layout.size),
            ("SPAN", (-1, 0), (-1, levels - 1)),
        ]
    for r, row in enumerate(rows[levels:-1], start=levels):
        commands += [("TEXTCOLOR", (c, r), (c, r), ZERO) for c in range(labels, len(row)) if row[c] == "0"]
    return TableStyle(commands + spans)


# --- data quality and definitions -----------------------------------------------------------------------------


def _quality(dataset: Dataset, styles) -> list:
    story = [_p(_("Data quality"), styles["h1"])]
    if not dataset.findings:
        return story + [_p(_("No data-quality checks were run for this report."), styles["body"])]
    story.append(_p(_("Records that need fixing, counted over the report period."), styles["caption"]))
    rows = [[_("Check"), _("Records")]]
    rows += [[_p(f.title, styles["cell"]), str(f.count)] for f in dataset.findings]
    return story + [_simple_table(rows, [460, 60], numeric_from=1)]


def _definitions(dataset: Dataset, styles) -> list:
    if not dataset.definitions:
        return []
    rows = [[_("Indicator"), _("Unit"), _("Definition")]]
    for d in dataset.definitions:
        text = f"<b>{escape(d.title)}</b><br/>{escape(d.definition)}"
        rows.append([_p(d.indicator, styles["cell"]), _unit(d.unit), Paragraph(text, styles["cell"])])
    return [Spacer(1, 12), _p(_("Definitions"), styles["h1"]), _simple_table(rows, [100, 60, 560])]


# --- page footer ----------------------------------------------------------------------------------------------


class _NumberedCanvas(Canvas):
    """Holds every page until the end, so each footer can say 'Page N of M'."""

    def __init__(self, *args, footer: str, page_label: str, **kwargs):
        super().__init__(*args, **kwargs)
        self._footer, self._page_label, self._held = footer, page_label, []

    def showPage(self):  # noqa: N802 (reportlab's name)
        self._held.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        for state in self._held:
            self.__dict__.update(state)
            self._draw_footer(len(self._held))
            super().showPage()
        super().save()

    def _draw_footer(self, pages: int) -> None:
        width = self._pagesize[0]
        self.saveState()
        self.setStrokeColor(RULE)
        self.setLineWidth(0.5)
        self.line(MARGIN, MARGIN, width - MARGIN, MARGIN)
        self.setFont(FONT, FOOTER_SIZE)
        self.setFillColor(colors.dimgrey)
        self.drawString(MARGIN, MARGIN - 10, self._footer)
        self.drawRightString(width - MARGIN, MARGIN - 10, self._page_label % {"page": self._pageNumber, "pages": pages})
        self.restoreState()
