"""The de-identified line list: one row per service, nothing that names a person, pseudonyms per export."""

import csv
import io
import re
import zipfile
from collections import Counter

import pytest
from openpyxl import load_workbook
from sqlalchemy import String, literal, update

from clinic_app.core.safe_cells import safe_text
from clinic_app.extensions import db
from clinic_app.reports import linelist, services
from clinic_app.reports.periods import parse_period
from clinic_app.screening.models import CervicalScreening, HivTest
from clinic_app.visits.models import PepCourse
from tests.helpers import audit_events, audit_text
from tests.reports.clinic_history import build_history

FORMULA_STARTS = ("=", "+", "-", "@")


@pytest.fixture
def history(make, clinic, other_clinic):
    return build_history(make, clinic, other_clinic)


def options(period="FY2026Q1", clinics=("BBR",), coarsen=False):
    return services.linelist_options(
        actor=None, period=parse_period(period), clinic_codes=list(clinics), coarsen=coarsen
    )


def csv_text(opts) -> str:
    return "".join(linelist.csv_chunks(opts))


def csv_rows(opts) -> list[dict]:
    return list(csv.DictReader(io.StringIO(csv_text(opts))))


def xlsx_rows(opts, path) -> list[dict]:
    count = linelist.write_xlsx(opts, path)
    sheet = load_workbook(path).active
    header, *rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert header == list(linelist.COLUMNS)
    assert count == len(rows)
    return [dict(zip(header, row, strict=True)) for row in rows]


def forbidden_values(history) -> list[str]:
    """Everything that could name or find a person: aliases, phones, notes, client numbers, UICs."""
    values = []
    for person in history.clients.values():
        values += [person.client_number, person.client_number.replace("-", ""), person.uic]
        values += [v for v in (person.alias, person.phone) if v]
        if person.phone:
            values.append(person.phone.lstrip("+"))
    values += [v.notes for v in history.visits.values()]
    values += [str(p.id) for p in history.clients.values()]
    return values


# --------------------------------------------------------------------------- rows
def test_one_row_per_service(history):
    rows = csv_rows(options())
    # V1..V19 at BBR: 15 HIV test records (the known positive included), 7 PrEP events, 2 PEP courses,
    # 2 STI screenings, 5 cervical screens, 2 self-test handouts. Visits without a service (V17) have none.
    assert Counter(r["service"] for r in rows) == {
        "hiv_test": 15,
        "prep": 7,
        "pep": 2,
        "sti": 2,
        "cervical": 5,
        "self_test": 2,
    }
    last_day = sorted(r["service"] for r in rows if r["date"] == "2025-12-31")
    assert last_day == ["cervical", "hiv_test", "self_test", "sti"]  # V14, on the last day
    assert {r["date"] for r in rows} >= {"2025-10-01", "2025-12-31"}
    assert min(r["date"] for r in rows) == "2025-10-01" and max(r["date"] for r in rows) == "2025-12-31"
    assert {r["clinic"] for r in rows} == {"BBR"}
    known = [r for r in rows if r["date"] == "2025-10-25" and r["service"] == "hiv_test"]
    assert [(k["result"], k["age"], k["sex"], k["key_population"]) for k in known] == [
        ("known_positive", "45", "female", "fsw")
    ]
    # c2, turning 20 on 2025-11-15: her age on each day of service.
    assert [r["age"] for r in rows if r["date"] in ("2025-10-20", "2025-12-01") and r["service"] == "hiv_test"] == [
        "19",
        "20",
    ]


def test_every_clinic_adds_the_other_clinics_services(history):
    rows = csv_rows(options(clinics=()))
    assert len(rows) == 34  # the 33 of BBR and N1's HIV test at NGO
    assert Counter(r["clinic"] for r in rows) == {"BBR": 33, "NGO": 1}


# --------------------------------------------------------------------------- nothing that names a person
def test_no_alias_phone_notes_client_number_or_uic_in_the_csv(history):
    data = csv_text(options()).encode()
    everywhere = csv_text(options(clinics=())).encode()
    for value in forbidden_values(history):
        assert value.encode() not in data, value
        assert value.encode() not in everywhere, value


def test_no_alias_phone_notes_client_number_or_uic_in_the_xlsx(history, tmp_path):
    path = tmp_path / "linelist.xlsx"
    linelist.write_xlsx(options(clinics=()), path)
    with zipfile.ZipFile(path) as archive:
        content = b"".join(archive.read(name) for name in archive.namelist())
    assert b"BBR" in content  # the search reads the unpacked sheets
    for value in forbidden_values(history):
        assert value.encode() not in content, value


def test_pseudonyms_are_stable_within_one_export_and_new_at_the_next(history):
    first, second = csv_rows(options()), csv_rows(options())
    assert all(re.fullmatch(r"P-[0-9a-f]{12}", r["person"]) for r in first + second)

    def person_of(rows, day, service):
        (row,) = [r for r in rows if r["date"] == day and r["service"] == service]
        return row["person"]

    # c3's four rows on two days are one person; c1's two tests too; c1 is not c3.
    c3 = {person_of(first, d, s) for d in ("2025-10-10", "2025-12-15") for s in ("hiv_test", "prep")}
    c1 = {person_of(first, d, "hiv_test") for d in ("2025-10-01", "2025-11-10")}
    assert len(c3) == 1 and len(c1) == 1 and c1 != c3
    # 13 people have a service at BBR in the period: c1..c11, c13, c14 (c12 is at NGO, c15 never came).
    assert len({r["person"] for r in first}) == 13
    assert not {r["person"] for r in first} & {r["person"] for r in second}


def test_coarsened_dates_are_year_and_month(history, tmp_path):
    rows = csv_rows(options(coarsen=True))
    assert {r["date"] for r in rows} == {"2025-10", "2025-11", "2025-12"}
    assert all(re.fullmatch(r"\d{4}-\d{2}", r["date"]) for r in rows)
    sheet_rows = xlsx_rows(options(coarsen=True), tmp_path / "coarse.xlsx")
    assert {r["date"] for r in sheet_rows} == {"2025-10", "2025-11", "2025-12"}


# --------------------------------------------------------------------------- formulas
@pytest.fixture
def planted_formulas(history):
    """Values a spreadsheet would run, written past the app's checks (as an import or a bad migration could)."""
    v = history.visits
    for model, column, value, visit in (
        (HivTest, "modality", "=1+2", v["V1"]),
        (HivTest, "final_result", "@SUM(1)", v["V2"]),
        (PepCourse, "outcome", "+1", v["V16"]),
        (CervicalScreening, "method", "-1", v["V10"]),
    ):
        table = model.__table__
        # A plain string parameter: the coded column type would refuse the value.
        db.session.execute(update(table).where(table.c.visit_id == visit.id).values({column: literal(value, String())}))
    db.session.commit()
    db.session.expire_all()
    return history


def _cells(rows: list[dict]) -> list[str]:
    return [str(value) for row in rows for value in row.values() if value is not None]


def test_a_cell_that_would_start_a_formula_is_neutralised_in_the_csv(planted_formulas):
    rows = csv_rows(options())
    assert [c for c in _cells(rows) if c.startswith(FORMULA_STARTS)] == []
    cells = set(_cells(rows))
    assert {"'=1+2", "'@SUM(1)", "'+1", "'-1"} <= cells


def test_a_cell_that_would_start_a_formula_is_neutralised_in_the_xlsx(planted_formulas, tmp_path):
    path = tmp_path / "planted.xlsx"
    rows = xlsx_rows(options(), path)
    assert [c for c in _cells(rows) if c.startswith(FORMULA_STARTS)] == []
    assert {"'=1+2", "'@SUM(1)", "'+1", "'-1"} <= set(_cells(rows))
    sheet = load_workbook(path).active
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+27 82 000", "'+27 82 000"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Beitbridge", "Beitbridge"),
        ("a=b", "a=b"),
        ("", ""),
        ("'already", "'already"),
    ],
)
def test_safe_text(value, safe):
    assert safe_text(value) == safe


# --------------------------------------------------------------------------- audit
def test_the_export_is_audited_before_a_row_is_read(history):
    opts = options(coarsen=True)
    (event,) = audit_events("linelist.export")
    assert "period=FY2026Q1" in event.detail and "coarsen=1" in event.detail and "clinics=BBR" in event.detail
    assert event.object_type == "report"
    csv_text(opts)
    trail = audit_text()
    for value in forbidden_values(history):
        assert value.lower() not in trail, value


def test_the_cli_line_list_is_audited_and_written(history, runner, tmp_path):
    path = tmp_path / "ll.csv"
    result = runner.invoke(args=["linelist", "--period", "FY2026Q1", "--clinic", "BBR", "--out", str(path)])
    assert result.exit_code == 0, result.output
    assert "(33 rows)" in result.output
    with path.open(encoding="utf-8", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == 33
    (event,) = audit_events("linelist.export")
    assert "period=FY2026Q1" in event.detail and "coarsen=0" in event.detail


def test_the_cli_line_list_refuses_a_bad_period(history, runner, tmp_path):
    path = tmp_path / "ll.csv"
    result = runner.invoke(args=["linelist", "--period", "2025Q7", "--out", str(path)])
    assert result.exit_code == 1
    assert "is not a period" in result.output
    assert not path.exists()
    assert audit_events("linelist.export") == []
