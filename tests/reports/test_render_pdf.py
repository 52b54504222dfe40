"""The PDF renderer: what a reader finds in the PDF, read back with pypdf."""

import io
import time
from datetime import UTC, date, datetime

import pytest
from pypdf import PdfReader
from reportlab.pdfbase.pdfmetrics import stringWidth
from sqlalchemy import select

from clinic_app.clinics.models import Clinic
from clinic_app.extensions import db
from clinic_app.reports import render_pdf as module
from clinic_app.reports.dataset import Dataset, Definition, Finding, GroupData, TableData
from clinic_app.reports.engine import ReportSpec, compute
from clinic_app.reports.formats import get_format
from clinic_app.reports.periods import current_period
from clinic_app.reports.render_pdf import render_pdf

AGES = ["<15", "15-19", "20-24"]
WIDE_AGES = ["<15"] + [f"{low}-{low + 4}" for low in range(15, 75, 5)] + ["75+"]


def make_table(indicator, title, row_titles, rows, column_titles, columns, values, unit="people") -> TableData:
    """A TableData with its totals worked out, as the engine lays one out."""
    return TableData(
        indicator=indicator,
        title=title,
        unit=unit,
        row_titles=row_titles,
        column_titles=column_titles,
        rows=rows,
        columns=columns,
        values=values,
        row_totals=[sum(row) for row in values],
        column_totals=[sum(column) for column in zip(*values, strict=True)],
        total=sum(map(sum, values)),
    )


def hand_dataset(**overrides) -> Dataset:
    """Small, but with a two-level header, a grid too wide for one page, a trend and findings."""
    by_age_and_sex = make_table(
        "HTS_TST",
        "HTS_TST: modality & result by <age> and sex",
        ["Modality", "Result"],
        [[m, r] for m in ("KP clinic", "Mobile") for r in ("Positive", "Negative")],
        ["Sex", "Age"],
        [[s, a] for s in ("Female", "Male") for a in AGES],
        [[1, 0, 2, 0, 0, 3], [4, 5, 6, 7, 8, 9], [0, 0, 0, 0, 0, 0], [10, 0, 11, 0, 12, 0]],
    )
    by_kp = make_table(
        "PrEP_NEW", "PrEP_NEW: key population type", ["Key population"], [["FSW"], ["MSM"]], [], [[]], [[13], [14]]
    )
    people_trained = make_table("PEOPLE_TRAINED", "People trained", [], [[]], [], [[]], [[168]])
    wide = make_table(
        "PrEP_CT",
        "PrEP_CT: age and sex, every band",
        ["Result"],
        [["Positive"], ["Negative"]],
        ["Sex", "Age"],
        [[s, a] for s in ("Female", "Male", "Unknown sex") for a in WIDE_AGES],
        [[i % 7 for i in range(42)], [(3 * i) % 5 for i in range(42)]],
    )
    fields = {
        "format_code": "test",
        "format_title": "Donor report: A & B <draft>",
        "period": "FY2026Q3",
        "period_start": "2026-04-01",
        "period_end": "2026-06-30",
        "clinics": ["Beitbridge", "Ngodwana & Co"],
        "prepared_by": "Nurse <Tendai>",
        "generated_at": "2026-11-21T06:02:45.123456+00:00",
        "groups": [
            GroupData("Testing & PrEP", "Testing", [by_age_and_sex, by_kp, people_trained]),
            GroupData("Continuing PrEP", "PrEP", [wide]),
        ],
        "trend_periods": ["FY2025Q4", "FY2026Q1", "FY2026Q2", "FY2026Q3"],
        "trend": {"HTS_TST": [40, 52, 47, 78], "PrEP_NEW": [9, 12, 20, 27]},
        "trend_titles": {"HTS_TST": "HTS_TST: HIV tests", "PrEP_NEW": "PrEP_NEW: started on PrEP"},
        "findings": [
            Finding("positive_without_linkage", "HIV positive without a linkage outcome", 3),
            Finding("result_not_given", "HIV result not given to the client", 17),
        ],
        "definitions": [
            Definition("HTS_TST", "HTS_TST: HIV tests", "events", "Each test whose result was given."),
            Definition("PrEP_NEW", "PrEP_NEW: started on PrEP", "people", "People starting PrEP <first time>."),
        ],
        "notes": ["Counts & totals are <provisional>."],
    }
    return Dataset(**(fields | overrides))


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def lines_of(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines()]


def assert_report_shows(dataset: Dataset, pages: list[str]) -> None:
    """The cover, every table with its non-zero totals, the findings and the page numbers."""
    cover = pages[0]
    assert dataset.format_title in cover
    assert dataset.period in cover and dataset.period_start in cover and dataset.period_end in cover
    for clinic in dataset.clinics:
        assert clinic in cover
    for group in dataset.groups:
        for table in group.tables:
            shown = [page for page in pages if table.title in page]
            assert shown, f"{table.title!r} is not in the PDF"
            numbers = {line for page in shown for line in lines_of(page)}
            totals = {table.total, *table.row_totals, *table.column_totals} - {0}
            assert {str(n) for n in totals} <= numbers, table.title
    everything = [line for page in pages for line in lines_of(page)]
    for finding in dataset.findings:
        at = everything.index(finding.title)
        assert everything[at + 1] == str(finding.count), finding.title
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page


def test_cover_shows_title_clinics_period_who_and_when(app):
    cover = pages_text(render_pdf(hand_dataset()))[0]
    for words in (
        "Donor report: A & B <draft>",
        "Beitbridge, Ngodwana & Co",
        "FY2026Q3 (2026-04-01 to 2026-06-30)",
        "Prepared by",
        "Nurse <Tendai>",
        "Generated",
        "2026-11-21 06:02 UTC",
        "Counts & totals are <provisional>.",
    ):
        assert words in cover


def test_cover_summarises_each_indicators_total(app):
    cover_lines = lines_of(pages_text(render_pdf(hand_dataset()))[0])
    for code, total in hand_dataset().totals().items():
        at = cover_lines.index(code)
        assert str(total) in cover_lines[at + 1 : at + 4], code


def test_report_shows_every_table_total_finding_and_page_number(app):
    dataset = hand_dataset()
    assert_report_shows(dataset, pages_text(render_pdf(dataset)))


def test_two_level_header_shows_each_sex_once_and_each_age_under_it(app):
    pages = pages_text(render_pdf(hand_dataset()))
    page = next(p for p in pages if "HTS_TST: modality & result by <age> and sex" in p)
    grid = lines_of(page.split("HTS_TST: modality & result by <age> and sex")[1].split("PrEP_NEW")[0])
    assert grid.count("Female") == 1 and grid.count("Male") == 1
    assert [line for line in grid if line in AGES] == AGES * 2


def test_grid_too_wide_for_the_page_is_cut_into_parts_that_repeat_the_row_labels(app):
    pages = pages_text(render_pdf(hand_dataset()))
    parts = [p for p in pages if "PrEP_CT: age and sex, every band (part" in p]
    text = "\n".join(parts)
    count = text.count("PrEP_CT: age and sex, every band (part")
    assert count >= 2
    assert f"(part {count} of {count})" in text
    assert text.count("Positive") == count and text.count("Negative") == count
    assert set(WIDE_AGES) <= set(lines_of(text))


def test_nothing_runs_off_the_right_edge(app):
    reader = PdfReader(io.BytesIO(render_pdf(hand_dataset())))
    right = float(reader.pages[0].mediabox.width) - module.MARGIN + 1
    for number, page in enumerate(reader.pages, start=1):
        ends = []

        def note_end(text, cm, tm, font, size, ends=ends):
            if text.strip() and font:
                name = str(font.get("/BaseFont", "/Helvetica"))[1:]
                ends.append((cm[4] + tm[4] + stringWidth(text.strip(), name, size), text.strip()))

        page.extract_text(visitor_text=note_end)
        assert ends
        assert max(ends)[0] <= right, f"page {number}: {max(ends)[1]!r} runs past the margin"


def test_trend_page_shows_the_periods_and_is_left_out_without_a_trend(app):
    with_trend = pages_text(render_pdf(hand_dataset()))
    trend_page = with_trend[1]
    assert trend_page.startswith("Trend")
    for words in ("FY2025Q4", "FY2026Q3", "HTS_TST: HIV tests", "PrEP_NEW: started on PrEP", "78"):
        assert words in trend_page
    without = pages_text(render_pdf(hand_dataset(trend_periods=[], trend={}, trend_titles={})))
    assert len(without) == len(with_trend) - 1
    assert "Trend" not in "\n".join(without)


def test_definitions_come_last(app):
    pages = pages_text(render_pdf(hand_dataset()))
    assert "Definitions" in pages[-1]
    assert "People starting PrEP <first time>." in pages[-1]


def test_fixed_words_go_through_gettext(app, monkeypatch):
    monkeypatch.setattr(module, "_", lambda text, **values: "<<" + (text % values if values else text) + ">>")
    monkeypatch.setattr(module, "ngettext", lambda one, many, n, **values: "<<" + (one if n == 1 else many) + ">>")
    text = "\n".join(pages_text(render_pdf(hand_dataset())))
    for words in ("<<Clinics>>", "<<Prepared by>>", "<<Generated>>", "<<Total>>", "<<Page 1 of"):
        assert words in text
    for words in ("<<Trend>>", "<<Data quality>>", "<<Definitions>>", "<<Unit: <<people>>>>"):
        assert words in text


@pytest.fixture
def mer_dataset(app, demo_data):
    demo_data(60)
    names = list(db.session.scalars(select(Clinic.name).order_by(Clinic.name)))
    spec = ReportSpec(
        format=get_format("mer"),
        period=current_period("fiscal_quarter", date.today()),
        clinic_ids=None,
        clinic_names=names,
        prepared_by="Demo nurse",
        generated_at=datetime.now(UTC),
    )
    return compute(spec)


def test_mer_report_of_the_demo_data_shows_every_table_and_total(mer_dataset):
    assert any(table.total for group in mer_dataset.groups for table in group.tables)
    assert_report_shows(mer_dataset, pages_text(render_pdf(mer_dataset)))


def test_rendering_reads_only_the_dataset_and_is_quick(mer_dataset, count_queries):
    with count_queries() as queries:
        started = time.perf_counter()
        render_pdf(mer_dataset)
        elapsed = time.perf_counter() - started
    assert queries.count == 0
    assert elapsed < 2
