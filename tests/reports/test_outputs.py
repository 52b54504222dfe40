"""JSON, Excel and PDF exports and the command line show the same numbers, and every export is audited."""

import getpass
import importlib.util
import io
import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook

from clinic_app.audit.models import AuditEvent
from clinic_app.core.actor import system_actor
from clinic_app.reports import services
from clinic_app.reports.render_xlsx import HEADER_TOP, sheet_name
from tests.helpers import audit_events, audit_text, count
from tests.reports.clinic_history import build_history
from tests.reports.test_indicators import MER_FY2026Q1_BBR, PROGRAMME_2025Q4_BBR, nonzero

HAS_RENDER_PDF = importlib.util.find_spec("clinic_app.reports.render_pdf") is not None
HAS_PYPDF = importlib.util.find_spec("pypdf") is not None
needs_pdf = pytest.mark.skipif(
    not (HAS_RENDER_PDF and HAS_PYPDF),
    reason="the PDF renderer (clinic_app/reports/render_pdf.py) or pypdf is not installed",
)


@pytest.fixture
def history(kept_build, make, clinic, other_clinic):
    return kept_build(build_history, make, clinic, other_clinic)


def export(output: str, format_code="mer", period="FY2026Q1", clinics=("BBR",)) -> bytes:
    """The exact export (small numbers not hidden): these tests check each renderer against hand counts.
    What leaves the clinic by default, with small numbers hidden, is tested in test_disclosure.py."""
    request = services.ReportRequest(format_code=format_code, period_code=period, clinic_codes=list(clinics))
    data, name = services.export(
        actor=system_actor(), request=request, output=output, exact=services.ExactExport(reason="donor_entry")
    )
    assert name == f"{format_code}-{'+'.join(clinics) or 'all-clinics'}-{period}-exact.{output}"
    return data


def tables_of(report: dict) -> list[dict]:
    return [t for g in report["groups"] for t in g["tables"]]


class _Table:
    """A JSON table with the attributes nonzero() reads."""

    def __init__(self, raw: dict):
        self.rows, self.columns, self.values = raw["rows"], raw["columns"], raw["values"]
        self.row_totals, self.total = raw["row_totals"], raw["total"]


# --------------------------------------------------------------------------- JSON
def test_json_export_holds_the_hand_counted_numbers(history):
    report = json.loads(export("json"))
    assert {t["title"]: nonzero(_Table(t)) for t in tables_of(report)} == MER_FY2026Q1_BBR
    assert (report["period"], report["period_start"], report["period_end"]) == ("FY2026Q1", "2025-10-01", "2025-12-31")
    assert report["clinics"] == ["Beitbridge (BBR)"]


def test_json_export_of_the_programme_report(history):
    report = json.loads(export("json", "programme", "2025Q4"))
    assert {t["title"]: nonzero(_Table(t)) for t in tables_of(report)} == PROGRAMME_2025Q4_BBR


# --------------------------------------------------------------------------- Excel
def _sheet_grid(sheet, table: dict) -> tuple[list[list], list[str]]:
    """Read one table's value cells back from its sheet: found by its title, then its row labels."""
    title_rows = [c.row for c in sheet["A"] if c.value == table["title"]]
    assert len(title_rows) == 1, f"title {table['title']!r} not once on sheet {sheet.title!r}"
    n_labels = max(len(table["row_titles"]), 1)
    first_labels = table["rows"][0] or ["Total"]
    row = title_rows[0] + 1
    while [sheet.cell(row, k + 1).value for k in range(n_labels)] != first_labels:
        row += 1
        assert row < title_rows[0] + 10, f"no row {first_labels} under {table['title']!r}"
    header = [sheet.cell(row - 1, n_labels + 1 + j).value for j in range(len(table["columns"]))]
    grid = []
    for i, labels in enumerate(table["rows"]):
        assert [sheet.cell(row + i, k + 1).value for k in range(n_labels)] == (labels or ["Total"])
        grid.append([sheet.cell(row + i, n_labels + 1 + j).value for j in range(len(table["columns"]))])
    return grid, header


def table_sheet(book, group: dict, index: int):
    """The sheet of a group's grid (one grid per sheet, numbered when the group has several)."""
    return book[sheet_name(group["sheet"], index, len(group["tables"]))]


def test_excel_export_has_the_same_numbers_as_the_json(history):
    report = json.loads(export("json"))
    before = datetime.now(UTC).replace(second=0, microsecond=0)
    book = load_workbook(io.BytesIO(export("xlsx")))
    after = datetime.now(UTC)
    assert book.sheetnames == [
        sheet_name(g["sheet"], i, len(g["tables"])) for g in report["groups"] for i in range(len(g["tables"]))
    ] + ["Definitions", "About"]
    for group in report["groups"]:
        for index, table in enumerate(group["tables"]):
            sheet = table_sheet(book, group, index)
            grid, header = _sheet_grid(sheet, table)
            assert grid == table["values"], table["title"]
            assert all(type(v) is int for row in grid for v in row), table["title"]
            assert header == [c[-1] if c else "Count" for c in table["columns"]], table["title"]

    definitions = book["Definitions"]
    assert definitions.freeze_panes == "A2"
    assert [c.value for c in definitions[1]] == ["Indicator", "Title", "Counts", "Definition"]
    read = [[c.value for c in row] for row in definitions.iter_rows(min_row=2)]
    assert [(r[0], r[1], r[3]) for r in read] == [
        (d["indicator"], d["title"], d["definition"]) for d in report["definitions"]
    ]
    assert [r[0] for r in read] == [
        "KP_PREV",
        "HTS_TST",
        "HTS_SELF",
        "PrEP_NEW",
        "PrEP_CT",
        "CXCA_SCRN",
        "CXCA_SCRN_POS",
        "CXCA_TX",
        "TX_NEW",
        "GEND_GBV",
    ]

    about = {row[0].value: row[1].value for row in book["About"].iter_rows(max_col=2) if row[0].value}
    assert about["Period"] == "FY2026Q1"
    assert (about["From"], about["To"]) == ("2025-10-01", "2025-12-31")
    assert about["Clinics"] == "Beitbridge (BBR)"
    generated = datetime.strptime(about["Generated (UTC)"], "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
    assert before <= generated <= after
    rows = [(r[0].value, r[1].value) for r in book["About"].iter_rows(max_col=2)]
    check_row = rows.index(("Check", "Records to fix"))
    findings = rows[check_row + 1 : check_row + 1 + len(report["findings"])]
    assert findings == [(f["title"], f["count"]) for f in report["findings"]]
    assert all(type(n) is int for _title, n in findings)


def test_excel_sheets_freeze_their_header_rows_and_print_wide_grids_landscape_fitted_to_width(history):
    from openpyxl.utils import get_column_letter

    from clinic_app.reports.render_xlsx import LINE_HEIGHT, _lines

    report = json.loads(export("json"))
    book = load_workbook(io.BytesIO(export("xlsx")))
    orientations = {}
    for group in report["groups"]:
        for index, table in enumerate(group["tables"]):
            sheet = table_sheet(book, group, index)
            levels, labels = max(len(table["column_titles"]), 1), max(len(table["row_titles"]), 1)
            # Title, period and grid title above a blank row; the header rows start below and are frozen.
            assert sheet.cell(3, 1).value == table["title"]
            assert all(sheet.cell(4, c).value is None for c in range(1, sheet.max_column + 1))
            assert sheet.freeze_panes == f"{get_column_letter(labels + 1)}{HEADER_TOP + levels}", table["title"]
            assert sheet.print_title_rows == f"${HEADER_TOP}:${HEADER_TOP + levels - 1}"
            # Each header row is as tall as its most wrapped label in its column's width.
            for level in range(levels):
                for j in range(len(table["columns"])):
                    label = table["columns"][j][level] if table["column_titles"] else "Count"
                    if level < levels - 1:
                        continue  # a spanning label has the width of several columns
                    width = sheet.column_dimensions[get_column_letter(labels + 1 + j)].width
                    lines = _lines(label, width - 1)
                    assert sheet.row_dimensions[HEADER_TOP + level].height >= LINE_HEIGHT * lines, (table, label)
            assert sheet.page_setup.fitToWidth == 1 and sheet.sheet_properties.pageSetUpPr.fitToPage
            assert "FY2026Q1 (2025-10-01 – 2025-12-31) · Beitbridge (BBR)" in sheet.oddFooter.left.text
            orientations[table["title"]] = sheet.page_setup.orientation
    assert orientations["HTS_TST: modality and result by age and sex"] == "landscape"  # 3 sexes x 9 ages
    assert orientations["HTS_TST: key population type by result"] == "portrait"


def test_excel_grids_of_the_programme_and_monthly_reports_match_their_json(history):
    for format_code, period in (("programme", "2025Q4"), ("clinic_monthly", "2025-12")):
        report = json.loads(export("json", format_code, period))
        book = load_workbook(io.BytesIO(export("xlsx", format_code, period)))
        for group in report["groups"]:
            for table in group["tables"]:
                grid, _header = _sheet_grid(table_sheet(book, group, group["tables"].index(table)), table)
                assert grid == table["values"], (format_code, table["title"])


# --------------------------------------------------------------------------- PDF
def _pdf_lines(data: bytes) -> list[str]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return [line.strip() for page in reader.pages for line in page.extract_text().splitlines()]


def _expected_numbers(table: dict) -> list[int]:
    """A grid read row by row: each row's values and row total, then the totals row."""
    numbers = []
    for values, total in zip(table["values"], table["row_totals"], strict=True):
        numbers += values + ([total] if table["column_titles"] else [])
    if table["row_titles"]:
        numbers += table["column_totals"] + ([table["total"]] if table["column_titles"] else [])
    return numbers


def _pdf_numbers(lines: list[str], titles: list[str], title: str) -> tuple[list[int], bool]:
    """The whole numbers printed under a table's title (each part of a cut grid) up to the next heading.

    A grid's title is the line above its "Unit: ..." caption (the cover and trend repeat some titles).
    """

    def heads(i: int) -> bool:
        return i + 1 < len(lines) and lines[i + 1].startswith("Unit: ")

    def is_title(i: int, of: str) -> bool:
        return heads(i) and (lines[i] == of or lines[i].startswith(of + " (part"))

    starts = [i for i in range(len(lines)) if is_title(i, title)]
    assert starts, f"{title!r} is not in the PDF"
    numbers = []
    for start in starts:
        end = next(
            (
                j
                for j in range(start + 1, len(lines))
                if lines[j] == "Data quality" or any(is_title(j, t) for t in titles)
            ),
            len(lines),
        )
        numbers += [int(x) for x in lines[start + 1 : end] if re.fullmatch(r"\d+", x)]
    return numbers, len(starts) > 1


def assert_pdf_shows(lines: list[str], report: dict) -> None:
    """Each grid of the JSON report is in the PDF with the same numbers, row by row."""
    titles = [t["title"] for t in tables_of(report)]
    for table in tables_of(report):
        numbers, cut = _pdf_numbers(lines, titles, table["title"])
        if cut:  # a grid cut into column chunks: the same numbers, in another order
            assert Counter(numbers) == Counter(_expected_numbers(table)), table["title"]
        else:
            assert numbers == _expected_numbers(table), table["title"]


@needs_pdf
@pytest.mark.parametrize(("format_code", "period"), [("mer", "FY2026Q1"), ("programme", "2025Q4")])
def test_pdf_export_has_the_same_numbers_as_the_json(history, format_code, period):
    report = json.loads(export("json", format_code, period))
    data = export("pdf", format_code, period)
    assert data.startswith(b"%PDF")
    lines = _pdf_lines(data)
    assert_pdf_shows(lines, report)
    assert f"{period} ({report['period_start']} to {report['period_end']})" in lines


# --------------------------------------------------------------------------- command line
def _cli(runner, *args):
    return runner.invoke(args=["report", *args, "--exact-reason", "donor_entry"])


def test_cli_writes_excel_json_and_pdf_with_the_same_numbers(history, runner, tmp_path):
    out = {kind: tmp_path / f"mer.{kind}" for kind in ("xlsx", "json", "pdf")}
    for kind, path in out.items():
        if kind == "pdf" and not HAS_RENDER_PDF:
            continue
        result = _cli(runner, "mer", "--period", "FY2026Q1", "--clinic", "BBR", "--out", str(path))
        assert result.exit_code == 0, result.output
        assert f"Wrote {path}" in result.output
    report = json.loads(out["json"].read_text(encoding="utf-8"))
    assert [t["values"] for t in tables_of(report)] == [t["values"] for t in tables_of(json.loads(export("json")))]
    book = load_workbook(out["xlsx"])
    for group in report["groups"]:
        for table in group["tables"]:
            grid, _header = _sheet_grid(table_sheet(book, group, group["tables"].index(table)), table)
            assert grid == table["values"], table["title"]
    if HAS_RENDER_PDF and HAS_PYPDF:
        assert_pdf_shows(_pdf_lines(out["pdf"].read_bytes()), report)


def test_cli_and_the_service_agree_on_every_number(history, runner, tmp_path):
    path = tmp_path / "mer.json"
    assert _cli(runner, "mer", "--period", "FY2026Q1", "--clinic", "bbr", "--out", str(path)).exit_code == 0
    from_cli = json.loads(path.read_text(encoding="utf-8"))
    from_service = json.loads(export("json"))
    assert [t["values"] for t in tables_of(from_cli)] == [t["values"] for t in tables_of(from_service)]
    assert from_cli["trend"] == from_service["trend"]
    assert from_cli["prepared_by"] == f"command line ({getpass.getuser()})"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["mer", "--period", "FY2026Q5", "--clinic", "BBR"],
            "'FY2026Q5' is not a period. Use e.g. 2024-07, 2024Q3, 2024, FY2025Q1, FY2025S1, FY2025 or PY2023.",
        ),
        (
            ["nosuch", "--period", "FY2026Q1", "--clinic", "BBR"],
            "No report format 'nosuch'. Formats: clinic_monthly, crisis, mer, programme.",
        ),
        (["mer", "--period", "FY2026Q1", "--clinic", "XXX"], "Unknown clinic code: XXX"),
    ],
    ids=["bad-period", "bad-format", "bad-clinic"],
)
def test_cli_refuses_a_bad_request_with_a_message_and_exit_code_1(history, runner, tmp_path, args, message):
    path = tmp_path / "out.xlsx"
    result = _cli(runner, *args, "--out", str(path))
    assert result.exit_code == 1
    assert message in result.output
    assert not path.exists()
    assert count(AuditEvent, AuditEvent.action == "report.export") == 0


def test_cli_refuses_an_unknown_output_format(history, runner, tmp_path):
    path = tmp_path / "out.docx"
    result = _cli(runner, "mer", "--period", "FY2026Q1", "--out", str(path))
    assert result.exit_code == 1
    assert "Choose PDF, Excel or JSON." in result.output
    assert not path.exists()
    assert count(AuditEvent, AuditEvent.action == "report.export") == 0


# --------------------------------------------------------------------------- audit
def _client_identifiers(history) -> list[str]:
    values = []
    for person in history.clients.values():
        values += [person.client_number, person.uic, person.client_number.replace("-", "")]
        values += [v for v in (person.alias, person.phone) if v]
    return [v.lower() for v in values]


def test_every_export_is_audited_with_format_and_period_and_no_client_data(history, runner, tmp_path):
    started = datetime.now(UTC) - timedelta(seconds=1)
    outputs = ["json", "xlsx"] + (["pdf"] if HAS_RENDER_PDF else [])
    for output in outputs:
        export(output)
    result = _cli(runner, "programme", "--period", "2025Q4", "--out", str(tmp_path / "p.json"))
    assert result.exit_code == 0, result.output
    events = audit_events("report.export_exact")
    assert len(events) == len(outputs) + 1
    for output, event in zip(outputs, events[:-1], strict=True):
        assert "reason=donor_entry" in event.detail
        assert "format=mer" in event.detail
        assert "period=FY2026Q1" in event.detail
        assert f"output={output}" in event.detail
        assert "clinics=BBR" in event.detail
        assert event.object_type == "report"
        assert event.occurred_at >= started
    assert "format=programme" in events[-1].detail and "period=2025Q4" in events[-1].detail
    assert "clinics=all" in events[-1].detail
    trail = audit_text()
    leaked = [value for value in _client_identifiers(history) if value in trail]
    assert leaked == []
    for word in ("positive", "negative", "prep", "violence"):
        assert word not in trail


def test_an_export_by_a_signed_in_actor_names_them_in_the_audit(history, make, clinic):
    from clinic_app.core.actor import Actor

    officer = make.user(role="me_officer", clinic=clinic)
    request = services.ReportRequest(format_code="mer", period_code="FY2026Q1", clinic_codes=["BBR"])
    services.export(actor=Actor(officer, "test"), request=request, output="json")
    (event,) = audit_events("report.export")
    assert (event.actor_id, event.actor_role) == (officer.id, "me_officer")
