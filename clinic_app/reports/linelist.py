"""The de-identified line list for M&E: one row per service, disclosure-controlled.

What it may contain (README, "What an export may contain"):
- no alias, phone, notes, client number, UIC or date of birth;
- the month of service, never the day; the age in the report's bands (at the first of that month);
- a pseudonym per person, clinic and month, new at every export (a keyed hash with a random key that
  is thrown away): rows of one visit month link, months and exports do not, so a person cannot be
  followed from one group to another;
- k-anonymity on the quasi-identifiers (clinic, month, age band, sex, key population): every row
  shares them with at least k-1 other people (k = LINELIST_K, 5). Smaller groups are first
  generalised (wide age bands, then any age) and what is still too small is left out; the export
  says how many rows and people each step touched.
Values are labels, not codes; the Excel file has a codebook sheet, the CSV download is a ZIP with
the codebook beside it. Text that a spreadsheet would run as a formula is neutralised.
"""

import csv
import hashlib
import hmac
import io
import secrets
import zipfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from sqlalchemy import String, case, cast, distinct, extract, func, literal, select, union_all

from clinic_app.clients.models import Client, KeyPopulation, Sex
from clinic_app.clinics.models import Clinic
from clinic_app.core.safe_cells import safe_text
from clinic_app.extensions import db
from clinic_app.reports.facts import Window
from clinic_app.screening.models import (
    CervicalMethod,
    CervicalResult,
    CervicalScreening,
    HivResult,
    HivTest,
    StiScreening,
    SyphilisResult,
    TestingModality,
)
from clinic_app.visits.models import (
    PepCourse,
    PepExposure,
    PepOutcome,
    PrepEvent,
    PrepEventType,
    PrepRegimen,
    SelfTestDistribution,
    SelfTestKit,
    Visit,
    VisitType,
)

COLUMNS = (
    "person",
    "clinic",
    "month",
    "age_band",
    "sex",
    "key_population",
    "visit_type",
    "service",
    "result",
    "detail",
)
BATCH = 2000
# The report's age bands (MER), and the wider ones a small group is generalised to.
BANDS = ((0, 14, "<15"), (15, 19, "15-19"), (20, 24, "20-24"), (25, 29, "25-29"), (30, 34, "30-34"))
BANDS += ((35, 39, "35-39"), (40, 44, "40-44"), (45, 49, "45-49"), (50, 200, "50+"))
WIDE = {"15-19": "15-24", "20-24": "15-24", "25-29": "25-34", "30-34": "25-34"}
WIDE |= {"35-39": "35-49", "40-44": "35-49", "45-49": "35-49"}
ANY_AGE = "any age"
UNKNOWN_AGE = "unknown"
AGE_WORDS = {ANY_AGE: _l("any age"), UNKNOWN_AGE: _l("unknown")}


def _labels(enum) -> dict:
    return {member.value: member.label for member in enum}


SERVICES = {
    "hiv_test": (_l("HIV test"), {**_labels(HivResult), "known_positive": _l("Known positive (not tested)")}),
    "prep": (_l("PrEP"), _labels(PrepEventType)),
    "pep": (_l("PEP"), _labels(PepExposure)),
    "sti": (_l("STI screening"), _labels(SyphilisResult)),
    "cervical": (_l("Cervical screening"), _labels(CervicalResult)),
    "self_test": (_l("HIV self-test kits"), _labels(SelfTestDistribution)),
}
DETAILS = {
    "hiv_test": _labels(TestingModality),
    "prep": _labels(PrepRegimen),
    "pep": _labels(PepOutcome),
    "sti": {"treated": _l("Treated"), "not_treated": _l("Not treated")},
    "cervical": _labels(CervicalMethod),
    "self_test": {},  # the number of kits
}
COLUMN_MEANINGS = {
    "person": _l("Pseudonym of one person at one clinic in one month; new at every export"),
    "clinic": _l("Clinic code"),
    "month": _l("Month of service (year-month)"),
    "age_band": _l("Age band on the first day of the month; wider where the group was small"),
    "sex": _l("Sex"),
    "key_population": _l("Key population"),
    "visit_type": _l("New or return visit"),
    "service": _l("Service given"),
    "result": _l("Result or event of the service"),
    "detail": _l("Modality, regimen, outcome, method, treatment or number of kits"),
}


@dataclass
class LineListOptions:
    window: Window
    k: int = 5


@dataclass
class Disclosure:
    """What k-anonymity did to this export (said in the file)."""

    k: int
    rows: int = 0
    generalised_rows: int = 0
    any_age_rows: int = 0
    suppressed_rows: int = 0
    suppressed_people: int = 0
    published: dict = field(default_factory=dict)  # fine group -> the group it is published as (None: left out)


def _month_key(on):
    return extract("year", on) * 100 + extract("month", on)


def _age_at_month_start(dob, on):
    """Completed years on the first day of ``on``'s month (constant within a month: one group per month)."""
    not_yet = (extract("month", on) * 100 + 1) < (extract("month", dob) * 100 + extract("day", dob))
    return extract("year", on) - extract("year", dob) - case((not_yet, 1), else_=0)


def _base(model, service: str, result, detail):
    return (
        select(
            cast(Client.id, String).label("client_id"),  # only keys the pseudonym: no UUID object per row
            Clinic.code.label("clinic"),
            _month_key(Visit.service_date).label("month"),
            _age_at_month_start(Client.date_of_birth, Visit.service_date).label("age"),
            Client.sex.label("sex"),
            Client.key_population.label("kp"),
            Visit.visit_type.label("visit_type"),
            literal(service).label("service"),
            cast(result, String).label("result"),
            cast(detail, String).label("detail"),
            Visit.service_date.label("service_date"),
        )
        .select_from(model)
        .join(Visit, Visit.id == model.visit_id)
        .join(Client, Client.id == Visit.client_id)
        .join(Clinic, Clinic.id == Visit.clinic_id)
    )


def _rows_query(window: Window):
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
    return union_all(*parts).subquery()


def _plain(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


def _band(age) -> str:
    if age is None:
        return UNKNOWN_AGE
    for low, high, label in BANDS:
        if low <= int(age) <= high:
            return label
    return UNKNOWN_AGE


_BAND_OF_AGE = {age: _band(age) for age in range(0, 201)}


def _fine_group(row) -> tuple:
    band = _BAND_OF_AGE.get(row.age) or _band(row.age)
    return (row.clinic, int(row.month), band, _plain(row.sex), _plain(row.kp))


def plan(options: LineListOptions) -> Disclosure:
    """Count the people of each quasi-identifier group (one query) and decide how each is published."""
    rows = _rows_query(options.window)
    counted = select(
        rows.c.clinic,
        rows.c.month,
        rows.c.age,
        rows.c.sex,
        rows.c.kp,
        func.count(distinct(rows.c.client_id)),
        func.count(),
    ).group_by(rows.c.clinic, rows.c.month, rows.c.age, rows.c.sex, rows.c.kp)
    people: dict[tuple, int] = defaultdict(int)
    row_counts: dict[tuple, int] = defaultdict(int)
    with db.engine.connect().execution_options(read_only=True) as connection:
        for clinic, month, age, sex, kp, n_people, n_rows in connection.execute(counted):
            # One person has one age on the first of a month: people add up across ages of a band.
            group = (clinic, int(month), _band(age), _plain(sex), _plain(kp))
            people[group] += n_people
            row_counts[group] += n_rows
    return decide(people, row_counts, options.k)


def decide(people: dict[tuple, int], row_counts: dict[tuple, int], k: int) -> Disclosure:
    """Groups of k people or more are published as they are; smaller ones are pooled in wider age
    bands, then across all ages (same clinic, month, sex and key population); the rest is left out."""
    result = Disclosure(k=k, rows=sum(row_counts.values()))
    small = []
    for group, n in people.items():
        if n >= k:
            result.published[group] = group
        else:
            small.append(group)
    for step, widen in ((1, lambda band: WIDE.get(band, band)), (2, lambda band: ANY_AGE)):
        pooled: dict[tuple, list[tuple]] = defaultdict(list)
        for group in small:
            clinic, month, band, sex, kp = group
            pooled[(clinic, month, widen(band), sex, kp)].append(group)
        small = []
        for wider, members in pooled.items():
            if step == 1 and len(members) == 1 and wider[2] == members[0][2]:
                small.append(members[0])  # no wider band (<15, 50+, unknown): straight to the next step
                continue
            if sum(people[m] for m in members) >= k:
                for member in members:
                    result.published[member] = wider
                    if step == 1:
                        result.generalised_rows += row_counts[member]
                    else:
                        result.any_age_rows += row_counts[member]
            else:
                small.extend(members)
    for group in small:
        result.published[group] = None
        result.suppressed_rows += row_counts[group]
        result.suppressed_people += people[group]
    return result


def _label(mapping: dict, code: str) -> str:
    return mapping.get(code, code)


def _in_words(mapping: dict) -> dict[str, str]:
    """A code -> label mapping with every label translated once (a lazy label costs a lookup per use)."""
    return {code: str(label) for code, label in mapping.items()}


def rows(options: LineListOptions, disclosure: Disclosure | None = None) -> Iterator[list]:
    """The published rows (without the header), fetched in batches; memory stays flat.

    Every cell is already safe for a spreadsheet: what comes from the records goes through
    safe_text, the rest is the app's own labels, months and pseudonyms."""
    disclosure = disclosure or plan(options)
    key = secrets.token_bytes(32)  # this export's pseudonym key; never stored
    pseudonyms: dict = {}
    query = _rows_query(options.window)
    ordered = select(query).order_by(query.c.service_date, query.c.clinic, query.c.service)
    # Labels in the export's language, translated once per export rather than once per cell.
    sexes, kps, visit_types = _in_words(_labels(Sex)), _in_words(_labels(KeyPopulation)), _in_words(_labels(VisitType))
    services = {name: (str(label), _in_words(results)) for name, (label, results) in SERVICES.items()}
    details = {name: _in_words(mapping) for name, mapping in DETAILS.items()}
    ages, unknown = _in_words(AGE_WORDS), _("Unknown")
    months: dict[int, str] = {}
    # Its own read-only connection: a long export never holds the lock nurses need to write.
    with db.engine.connect().execution_options(read_only=True) as connection:
        for row in connection.execute(ordered.execution_options(yield_per=BATCH)):
            group = disclosure.published.get(_fine_group(row))
            if group is None:
                continue
            clinic, month, band, sex, kp = group
            person_key = (row.client_id, clinic, month)
            person = pseudonyms.get(person_key)
            if person is None:
                digest = hmac.new(key, repr(person_key).encode(), hashlib.sha256).hexdigest()[:12]
                person = pseudonyms[person_key] = f"P-{digest}"
            month_text = months.get(month)
            if month_text is None:
                month_text = months[month] = f"{month // 100:04d}-{month % 100:02d}"
            service_label, results = services[row.service]
            yield [
                person,
                safe_text(_plain(clinic)),
                month_text,
                ages.get(band, band),
                _label(sexes, sex) if sex else unknown,
                _label(kps, kp) if kp else unknown,
                _label(visit_types, _plain(row.visit_type)),
                service_label,
                safe_text(_label(results, _plain(row.result))),
                safe_text(_label(details[row.service], _plain(row.detail))),
            ]


def codebook() -> list[list[str]]:
    """Column, meaning, and the labels its values take."""
    values = {
        "sex": [str(v) for v in _labels(Sex).values()],
        "key_population": [str(v) for v in _labels(KeyPopulation).values()],
        "age_band": [label for _low, _high, label in BANDS]
        + sorted(set(WIDE.values()))
        + [str(word) for word in AGE_WORDS.values()],
        "visit_type": [str(v) for v in _labels(VisitType).values()],
        "service": [str(label) for label, _results in SERVICES.values()],
        "result": sorted({str(v) for _label, results in SERVICES.values() for v in results.values()}),
        "detail": sorted({str(v) for mapping in DETAILS.values() for v in mapping.values()}),
    }
    return [[name, str(COLUMN_MEANINGS[name]), "; ".join(values.get(name, []))] for name in COLUMNS]


def about(options: LineListOptions, disclosure: Disclosure) -> list[list]:
    """What the file is and what disclosure control did to it."""
    window = options.window
    return [
        [_("Period"), f"{window.start.isoformat()} – {window.end.isoformat()}"],
        [_("Smallest group (k)"), disclosure.k],
        [_("Rows of services in the period"), disclosure.rows],
        [_("Rows with a wider age band"), disclosure.generalised_rows],
        [_("Rows with the age left out (any age)"), disclosure.any_age_rows],
        [_("Rows left out (group still smaller than k)"), disclosure.suppressed_rows],
        [_("People left out"), disclosure.suppressed_people],
        [_("Rows in this file"), disclosure.rows - disclosure.suppressed_rows],
    ]


def write_xlsx(options: LineListOptions, path) -> Disclosure:
    """Write the line list, its codebook and its disclosure note to an .xlsx file in write-only mode."""
    disclosure = plan(options)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("line list"))
    sheet.freeze_panes = "A2"
    sheet.append(list(COLUMNS))
    for row in rows(options, disclosure):
        sheet.append(row)  # safe cells already (see rows)
    codes = book.create_sheet(_("codebook"))
    codes.append([_("Column"), _("Meaning"), _("Values")])
    for line in codebook():
        codes.append(line)
    note = book.create_sheet(_("about"))
    for line in about(options, disclosure):
        note.append(line)
    book.save(path)
    return disclosure


def _csv_text(lines) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(lines)
    return buffer.getvalue()


def write_csv_zip(options: LineListOptions, target) -> Disclosure:
    """A ZIP with linelist.csv, codebook.csv and about.csv (a CSV file alone cannot carry them)."""
    disclosure = plan(options)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("linelist.csv", "w") as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            writer = csv.writer(text)
            writer.writerow(COLUMNS)
            for row in rows(options, disclosure):
                writer.writerow(row)
            text.flush()
            text.detach()
        archive.writestr("codebook.csv", _csv_text([[_("Column"), _("Meaning"), _("Values")], *codebook()]))
        archive.writestr("about.csv", _csv_text(about(options, disclosure)))
    return disclosure
