"""Disclosure control: small counts leave the clinic as "<5" with complementary suppression, the preview
marks what an export hides, and on the demo data no exported line-list row is in a group smaller than k
and no exported report cell shows 1-4."""

import csv
import io
import itertools
import json
import zipfile
from collections import defaultdict

import pytest
from openpyxl import load_workbook

from clinic_app.core.actor import system_actor
from clinic_app.core.timeutil import local_today
from clinic_app.reports import disclosure, linelist, services
from clinic_app.reports.formats import all_formats
from clinic_app.reports.periods import current_period, parse_period
from tests.helpers import text

SMALL = {1, 2, 3, 4}


# --------------------------------------------------------------------------- the suppression itself
def _equations(values, row_totals, column_totals, total):
    """Each row and column with its total, as the published grid shows them."""
    rows = [list(r) + [t] for r, t in zip(values, row_totals, strict=True)]
    columns = [[r[j] for r in values] + [column_totals[j]] for j in range(len(column_totals))]
    return rows + columns + [list(column_totals) + [total], list(row_totals) + [total]]


def _recoverable(equation) -> bool:
    hidden = [v for v in equation if isinstance(v, str)]
    return len(hidden) == 1


def _single_solution(equation) -> bool:
    """Brute force over 1..4 for the "<5" entries when nothing else is hidden: is one of them fixed?"""
    hidden = [i for i, v in enumerate(equation) if isinstance(v, str)]
    if not hidden or any(equation[i] != "<5" for i in hidden) or len(hidden) > 5:
        return False
    possible = {i: set() for i in hidden}
    for guess in itertools.product(range(1, 5), repeat=len(hidden)):
        filled = list(equation)
        for i, v in zip(hidden, guess, strict=True):
            filled[i] = v
        if sum(filled[:-1]) == filled[-1]:
            for i, v in zip(hidden, guess, strict=True):
                possible[i].add(v)
    return any(len(v) == 1 for v in possible.values())


def _published_grid(values):
    row_totals = [sum(r) for r in values]
    column_totals = [sum(c) for c in zip(*values, strict=True)]
    total = sum(row_totals)
    plan = disclosure.plan_grid(values, row_totals, column_totals, total, 5)
    show = lambda v, kind: v if kind is None else ("<5" if kind == disclosure.PRIMARY else "*")  # noqa: E731
    return (
        [[show(v, plan.cells.get((i, j))) for j, v in enumerate(r)] for i, r in enumerate(values)],
        [show(v, plan.row_totals.get(i)) for i, v in enumerate(row_totals)],
        [show(v, plan.column_totals.get(j)) for j, v in enumerate(column_totals)],
        show(total, plan.total),
    )


@pytest.mark.parametrize(
    "values",
    [
        [[3, 10, 12], [8, 9, 20]],
        [[1, 0, 0], [0, 7, 9]],
        [[2, 2], [40, 50]],
        [[1, 1], [1, 1]],
        [[4, 4, 30]],
        [[0, 0], [0, 3]],
        [[12, 6], [7, 25]],
        [[1, 1, 0], [0, 0, 0], [9, 9, 9]],
    ],
)
def test_no_small_count_is_shown_and_none_can_be_worked_out(values):
    cells, row_totals, column_totals, total = _published_grid(values)
    shown = [v for v in [*sum(cells, []), *row_totals, *column_totals, total] if isinstance(v, int)]
    assert not SMALL & set(shown)
    for equation in _equations(cells, row_totals, column_totals, total):
        assert not _recoverable(equation), (values, equation)
    # Hidden small numbers whose sum gives them away (1+1=2, 4+4=8) get company: no entry has one solution.
    for equation in _equations(cells, row_totals, column_totals, total):
        assert not _single_solution(equation), (values, equation)


def test_a_grid_without_small_counts_is_shown_whole():
    cells, row_totals, column_totals, total = _published_grid([[12, 6], [7, 25]])
    assert cells == [[12, 6], [7, 25]] and total == 50


def test_zeros_are_shown():
    cells, *_rest = _published_grid([[0, 0], [0, 3]])
    assert cells[0] == [0, 0]


# --------------------------------------------------------------------------- the report pages
@pytest.fixture
def demo(app, demo_data):
    demo_data(300)
    return app


def _recent_periods(app):
    today = local_today("Africa/Harare")
    return {code: current_period(fmt.period_kinds[0], today).previous(1)[0].code for code, fmt in all_formats().items()}


def _numbers(value):
    """Every number in an exported JSON report, wherever it is."""
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in ("period_start", "period_end", "generated_at"):
                yield from _numbers(item)
    elif isinstance(value, list):
        for item in value:
            yield from _numbers(item)


def _grid_equations(table):
    eqs = []
    if table["column_titles"]:
        eqs += [list(r) + [t] for r, t in zip(table["values"], table["row_totals"], strict=True)]
    if table["row_titles"]:
        eqs += [[r[j] for r in table["values"]] + [table["column_totals"][j]] for j in range(len(table["columns"]))]
    if table["row_titles"] and table["column_titles"]:
        eqs += [list(table["column_totals"]) + [table["total"]], list(table["row_totals"]) + [table["total"]]]
    return eqs


def test_demo_reports_leave_with_no_cell_of_1_to_4_and_nothing_recoverable(demo, tmp_path):
    """The disclosure test of the issue: every format, JSON and Excel, the demo network."""
    checked = 0
    for code, period in _recent_periods(demo).items():
        request = services.ReportRequest(format_code=code, period_code=period, clinic_codes=[])
        data, _name = services.export(actor=system_actor(), request=request, output="json")
        report = json.loads(data)
        assert not SMALL & set(_numbers(report)), code
        for group in report["groups"]:
            for table in group["tables"]:
                for equation in _grid_equations(table):
                    assert sum(isinstance(v, str) for v in equation) != 1, (code, table["title"], equation)
                checked += 1
        data, _name = services.export(actor=system_actor(), request=request, output="xlsx")
        path = tmp_path / f"{code}.xlsx"
        path.write_bytes(data)
        book = load_workbook(path)
        numbers = {
            cell.value
            for sheet in book.worksheets
            for row in sheet.iter_rows()
            for cell in row
            if isinstance(cell.value, int) and not isinstance(cell.value, bool)
        }
        assert not SMALL & numbers, code
    assert checked > 20


def test_the_exact_report_still_has_the_small_numbers(demo):
    periods = _recent_periods(demo)
    request = services.ReportRequest(format_code="mer", period_code=periods["mer"], clinic_codes=[])
    exact, _ = services.export(
        actor=system_actor(), request=request, output="json", exact=services.ExactExport("donor_entry")
    )
    assert SMALL & set(_numbers(json.loads(exact)))  # the demo data has small counts to hide


def test_the_preview_shows_exact_numbers_and_marks_what_exports_hide(demo, client, sign_in_as, make):
    from clinic_app.clinics.models import Clinic
    from clinic_app.extensions import db

    officer = make.user(role="me_officer", clinic=db.session.scalars(db.select(Clinic)).first())
    sign_in_as(officer)
    period = _recent_periods(demo)["mer"]
    page = text(client.get("/reports/preview", query_string={"format_code": "mer", "period_code": period}))
    assert "hidden-primary" in page
    assert "Exports show numbers from 1 to 4 as <5" in page
    assert 'class="num hidden-primary" title="Hidden in exports">1<' in page or "hidden-primary" in page


# --------------------------------------------------------------------------- the line list
def test_demo_line_list_has_no_row_in_a_group_smaller_than_k(demo):
    today = local_today("Africa/Harare")
    period = parse_period(str(today.year - 1)) if today.month < 7 else current_period("quarter", today)
    options = services.linelist_options(actor=system_actor(), period=period, clinic_codes=[], k=5)
    target = io.BytesIO()
    result = linelist.write_csv_zip(options, target)
    with zipfile.ZipFile(target) as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read("linelist.csv").decode())))
        about = dict(csv.reader(io.StringIO(archive.read("about.csv").decode())))
    assert rows, "the demo line list is empty"
    groups = defaultdict(set)
    for row in rows:
        groups[(row["clinic"], row["month"], row["age_band"], row["sex"], row["key_population"])].add(row["person"])
    assert min(len(people) for people in groups.values()) >= 5
    assert len(rows) == result.rows - result.suppressed_rows
    assert int(about["Rows left out (group still smaller than k)"]) == result.suppressed_rows
    for forbidden in ("date_of_birth", "uic", "alias", "phone"):
        assert forbidden not in rows[0]
