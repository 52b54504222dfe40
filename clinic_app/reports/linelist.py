"""The de-identified line list for M&E: one row per service, streamed.

No alias, phone, notes, client number or UIC leave the clinic: each client is
replaced by a pseudonym that is new at every export (a keyed hash with a random
key that is thrown away), so two exports cannot be linked. Dates can be cut to
the month. Text that a spreadsheet would run as a formula is neutralised.
"""

import csv
import hashlib
import hmac
import io
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum

from openpyxl import Workbook
from sqlalchemy import String, case, cast, func, literal, select, union_all

from clinic_app.clients.models import Client
from clinic_app.clinics.models import Clinic
from clinic_app.core.safe_cells import safe_text
from clinic_app.extensions import db
from clinic_app.reports.facts import Window, age_at
from clinic_app.screening.models import CervicalScreening, HivTest, StiScreening
from clinic_app.visits.models import PepCourse, PrepEvent, SelfTestKit, Visit

COLUMNS = ("person", "clinic", "date", "age", "sex", "key_population", "visit_type", "service", "result", "detail")
BATCH = 2000


@dataclass
class LineListOptions:
    window: Window
    coarsen_dates: bool = False


def _base(model, service: str, result, detail):
    return (
        select(
            Client.id.label("client_id"),
            Clinic.code.label("clinic"),
            Visit.service_date.label("service_date"),
            age_at(Client.date_of_birth, Visit.service_date).label("age"),
            Client.sex.label("sex"),
            Client.key_population.label("kp"),
            Visit.visit_type.label("visit_type"),
            literal(service).label("service"),
            cast(result, String).label("result"),
            cast(detail, String).label("detail"),
        )
        .select_from(model)
        .join(Visit, Visit.id == model.visit_id)
        .join(Client, Client.id == Visit.client_id)
        .join(Clinic, Clinic.id == Visit.clinic_id)
    )


def _query(window: Window):
    parts = [
        _base(
            HivTest, "hiv_test", func.coalesce(cast(HivTest.final_result, String), "known_positive"), HivTest.modality
        ),
        _base(PrepEvent, "prep", PrepEvent.event, PrepEvent.regimen),
        _base(PepCourse, "pep", PepCourse.exposure, PepCourse.outcome),
        _base(
            StiScreening,
            "sti",
            StiScreening.syphilis_result,
            case((func.json_array_length(StiScreening.treatments) > 0, "treated"), else_="not_treated"),
        ),
        _base(CervicalScreening, "cervical", CervicalScreening.result, CervicalScreening.method),
        _base(
            SelfTestKit,
            "self_test",
            SelfTestKit.distribution,
            SelfTestKit.for_self + SelfTestKit.for_partner + SelfTestKit.for_other,
        ),
    ]
    parts = [p.where(window.dates(Visit.service_date), window.clinics(Visit.clinic_id)) for p in parts]
    rows = union_all(*parts).subquery()
    return select(rows).order_by(rows.c.service_date, rows.c.clinic, rows.c.service)


def _plain(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


def rows(options: LineListOptions) -> Iterator[list]:
    """The line list's rows (without the header), fetched in batches; memory stays flat."""
    key = secrets.token_bytes(32)  # this export's pseudonym key; never stored
    pseudonyms: dict = {}
    # Its own read-only connection: a long export never holds the lock nurses need to write.
    with db.engine.connect().execution_options(read_only=True) as connection:
        yield from _pseudonymised(
            connection.execute(_query(options.window).execution_options(yield_per=BATCH)), key, pseudonyms, options
        )


def _pseudonymised(result, key: bytes, pseudonyms: dict, options: LineListOptions) -> Iterator[list]:
    for row in result:
        person = pseudonyms.get(row.client_id)
        if person is None:
            digest = hmac.new(key, str(row.client_id).encode(), hashlib.sha256).hexdigest()[:12]
            person = pseudonyms[row.client_id] = f"P-{digest}"
        day = row.service_date.isoformat()[:7] if options.coarsen_dates else row.service_date.isoformat()
        yield [
            person,
            safe_text(_plain(row.clinic)),
            day,
            int(row.age),
            _plain(row.sex),
            _plain(row.kp),
            _plain(row.visit_type),
            row.service,
            safe_text(_plain(row.result)),
            safe_text(_plain(row.detail)),
        ]


def csv_chunks(options: LineListOptions) -> Iterator[str]:
    """The CSV text in chunks, for a streamed download."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for i, row in enumerate(rows(options), start=1):
        writer.writerow(row)
        if i % BATCH == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def write_xlsx(options: LineListOptions, path) -> int:
    """Write the line list to an .xlsx file in write-only (streaming) mode; returns the row count."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("line list")
    sheet.freeze_panes = "A2"
    sheet.append(list(COLUMNS))
    count = 0
    for row in rows(options):
        sheet.append(row)
        count += 1
    book.save(path)
    return count
