"""The de-identified line list: one row per service, nothing that names a person, pseudonyms per export."""

import csv
import io
import re
import zipfile
from collections import Counter

import pytest
from openpyxl import load_workbook
from sqlalchemy import String, literal, update

from clinic_app.core.actor import system_actor
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
def history(kept_build, make, clinic, other_clinic):
    return kept_build(build_history, make, clinic, other_clinic)


def options(period="FY2026Q1", clinics=("BBR",), k=1):
    """k=1 shows every row (the content tests); the disclosure tests use the clinic's k."""
    return services.linelist_options(actor=system_actor(), period=parse_period(period), clinic_codes=list(clinics), k=k)


def csv_rows(opts) -> list[dict]:
    target = io.BytesIO()
    linelist.write_csv_zip(opts, target)
    with zipfile.ZipFile(target) as archive:
        return list(csv.DictReader(io.StringIO(archive.read("linelist.csv").decode())))


def csv_text(opts) -> str:
    target = io.BytesIO()
    linelist.write_csv_zip(opts, target)
    with zipfile.ZipFile(target) as archive:
        return "".join(archive.read(name).decode() for name in archive.namelist())


def xlsx_rows(opts, path) -> list[dict]:
    linelist.write_xlsx(opts, path)
    sheet = load_workbook(path)["line list"]
    header, *rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert header == list(linelist.COLUMNS)
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
def test_one_row_per_service_by_month_and_age_band_with_labels(history):
    rows = csv_rows(options())
    # V1..V19 at BBR: 15 HIV test records (the known positive included), 7 PrEP events, 2 PEP courses,
    # 2 STI screenings, 5 cervical screens, 2 self-test handouts. Visits without a service (V17) have none.
    assert Counter(r["service"] for r in rows) == {
        "HIV test": 15,
        "PrEP": 7,
        "PEP": 2,
        "STI screening": 2,
        "Cervical screening": 5,
        "HIV self-test kits": 2,
    }
    assert {r["month"] for r in rows} == {"2025-10", "2025-11", "2025-12"}  # never a day
    assert {r["clinic"] for r in rows} == {"BBR"}
    assert {r["age_band"] for r in rows} <= {label for _l, _h, label in linelist.BANDS} | {"unknown"}
    known = [r for r in rows if r["result"] == "Known positive (not tested)"]
    assert [(k["month"], k["age_band"], k["sex"], k["key_population"]) for k in known] == [
        ("2025-10", "45-49", "Female", "Female sex worker")
    ]
    # c2 turns 20 on 2025-11-15: her band on the first of each month (19 in October and November).
    c2 = [r["age_band"] for r in rows if r["month"] in ("2025-10", "2025-12") and r["service"] == "HIV test"]
    assert "15-19" in c2 and "20-24" in c2


def test_every_clinic_adds_the_other_clinics_services(history):
    rows = csv_rows(options(clinics=()))
    assert len(rows) == 34  # the 33 of BBR and N1's HIV test at NGO
    assert Counter(r["clinic"] for r in rows) == {"BBR": 33, "NGO": 1}


def test_the_files_carry_a_codebook_and_what_disclosure_control_did(history, tmp_path):
    path = tmp_path / "ll.xlsx"
    linelist.write_xlsx(options(k=5), path)
    book = load_workbook(path)
    assert book.sheetnames == ["line list", "codebook", "about"]
    codebook = {row[0].value: row for row in book["codebook"].iter_rows(min_row=2)}
    assert set(codebook) == set(linelist.COLUMNS)
    assert "Female sex worker" in codebook["key_population"][2].value
    about = {row[0].value: row[1].value for row in book["about"].iter_rows()}
    assert about["Smallest group (k)"] == 5
    assert about["Rows of services in the period"] == 33
    left = about["Rows left out (group still smaller than k)"]
    assert about["Rows in this file"] == 33 - left == book["line list"].max_row - 1
    assert left > 0  # 13 people in three months at one clinic: most groups are smaller than 5


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


def test_pseudonyms_link_one_persons_rows_in_a_month_and_are_new_at_the_next_export(history):
    first, second = csv_rows(options()), csv_rows(options())
    assert all(re.fullmatch(r"P-[0-9a-f]{12}", r["person"]) for r in first + second)
    # c3 had an HIV test and a PrEP start on one day of October: one pseudonym for both rows.
    october = [r for r in first if r["month"] == "2025-10" and r["service"] in ("HIV test", "PrEP")]
    by_person = Counter(r["person"] for r in october)
    assert max(by_person.values()) >= 2
    # A person's months do not link: a pseudonym never appears in two months.
    months = {}
    for row in first:
        months.setdefault(row["person"], set()).add(row["month"])
    assert all(len(m) == 1 for m in months.values())
    assert not {r["person"] for r in first} & {r["person"] for r in second}


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
    opts = options(k=5)
    (event,) = audit_events("linelist.export")
    assert "period=FY2026Q1" in event.detail and "k=5" in event.detail and "clinics=BBR" in event.detail
    assert event.object_type == "report"
    csv_text(opts)
    trail = audit_text()
    for value in forbidden_values(history):
        assert value.lower() not in trail, value


def test_the_cli_line_list_is_audited_and_written(history, runner, tmp_path):
    path = tmp_path / "ll.zip"
    result = runner.invoke(args=["linelist", "--period", "FY2026Q1", "--clinic", "BBR", "--out", str(path)])
    assert result.exit_code == 0, result.output
    assert "k=5" in result.output and "left out" in result.output
    with zipfile.ZipFile(path) as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read("linelist.csv").decode())))
    assert f"({len(rows):,} rows;" in result.output
    (event,) = audit_events("linelist.export")
    assert "period=FY2026Q1" in event.detail and "k=5" in event.detail


def test_the_cli_line_list_refuses_a_bad_period(history, runner, tmp_path):
    path = tmp_path / "ll.zip"
    result = runner.invoke(args=["linelist", "--period", "2025Q7", "--out", str(path)])
    assert result.exit_code == 1
    assert "is not a period" in result.output
    assert not path.exists()
    assert audit_events("linelist.export") == []
