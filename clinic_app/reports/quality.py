"""Data-quality checks run before export: each counts the records that need fixing.

The same definitions list the records (for staff who can correct them) and count
them (for the report); a report shows counts only.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select

from clinic_app.clients.models import Client
from clinic_app.extensions import db
from clinic_app.reports import upkeep
from clinic_app.reports.dataset import Finding
from clinic_app.reports.facts import Window
from clinic_app.reports.models import TO_FIX, ReportPerson, ReportVisit
from clinic_app.screening.models import AssayResult, CervicalScreening, HivResult, HivTest
from clinic_app.visits import clinical
from clinic_app.visits.models import PepCourse, PrepEvent, PrepEventType, Visit

PEP_COURSE_DAYS = 28
LIST_LIMIT = 500


@dataclass(frozen=True)
class Check:
    code: str
    title: object
    how_to_fix: object
    where: object  # callable(window) -> list of SQL conditions on a Visit query (joins below)
    joins: tuple = ()
    # callable(window) -> the same visits from the report facts, one row each with its clinic_id: the
    # counts read it (a quarter's cost follows the quarter); the list for staff reads the records.
    facts: object = None


def _in_window(window: Window):
    return [window.dates(Visit.service_date), window.clinics(Visit.clinic_id)]


def _linked_elsewhere():
    return exists(
        select(HivTest.id)
        .join(Visit, Visit.id == HivTest.visit_id)
        .where(Visit.client_id == Client.id, clinical.linkage_recorded_sql())
    )


def _flagged(name: str, conditions=lambda window: ()):
    """Counts from the report facts: the window's visits whose TO_FIX flags hold ``name``."""

    def facts(window: Window):
        visit = ReportVisit
        return select(visit.clinic_id.label("clinic_id")).where(
            window.dates(visit.service_date),
            window.clinics(visit.clinic_id),
            visit.to_fix.is_not(None),
            visit.to_fix.op("&")(TO_FIX[name]) != 0,
            *conditions(window),
        )

    return facts


def _positive_without_linkage_facts(window: Window):
    person = ReportPerson
    facts = _flagged("positive", lambda w: [person.linked.is_not(True)])(window)
    return facts.join(person, person.client_id == ReportVisit.client_id)


def _pep_due(window: Window):
    return [ReportVisit.service_date <= window.end - timedelta(days=PEP_COURSE_DAYS)]


def _prep_without_initiation_facts(window: Window):
    visit, person = ReportVisit, ReportPerson
    return (
        select(visit.clinic_id.label("clinic_id"))
        .join(person, person.client_id == visit.client_id)
        .where(
            visit.prep_event.in_((PrepEventType.FOLLOW_UP, PrepEventType.RESTART)),
            window.dates(visit.service_date),
            window.clinics(visit.clinic_id),
            person.prep_initiated_on.is_(None),
        )
    )


def _initiated_ever():
    return exists(
        select(PrepEvent.id)
        .join(Visit, Visit.id == PrepEvent.visit_id)
        .where(Visit.client_id == Client.id, PrepEvent.event == PrepEventType.INITIATION)
    )


CHECKS = (
    Check(
        "positive_without_linkage",
        _l("HIV positive without a linkage outcome"),
        _l("Record the ART referral or start date on the visit of the positive test."),
        lambda w: [HivTest.final_result == HivResult.POSITIVE, ~_linked_elsewhere()],
        (HivTest,),
        _positive_without_linkage_facts,
    ),
    Check(
        "reactive_unconfirmed",
        _l("Reactive screening test without a confirmatory test"),
        _l("Record the confirmatory result, or retest within 14 days."),
        lambda w: [HivTest.screening_result == AssayResult.REACTIVE, HivTest.confirmatory_result.is_(None)],
        (HivTest,),
        _flagged("reactive_unconfirmed"),
    ),
    Check(
        "result_not_given",
        _l("HIV result not given to the client"),
        _l("Tick 'client received the result' once they have it."),
        lambda w: [HivTest.final_result.is_not(None), HivTest.result_received.is_(False)],
        (HivTest,),
        _flagged("result_not_given"),
    ),
    Check(
        "prep_followup_without_initiation",
        _l("PrEP follow-up without an initiation"),
        _l("Record the client's PrEP initiation (back-date it), or check the client was started elsewhere."),
        lambda w: [PrepEvent.event.in_((PrepEventType.FOLLOW_UP, PrepEventType.RESTART)), ~_initiated_ever()],
        (PrepEvent,),
        _prep_without_initiation_facts,
    ),
    Check(
        "cervical_incomplete",
        _l("Cervical screen without a result (or HPV positive without triage)"),
        _l("Record the result, or the triage result of a positive HPV test."),
        lambda w: [~clinical.cervical_complete_sql()],
        (CervicalScreening,),
        _flagged("cervical_incomplete"),
    ),
    Check(
        "pep_without_outcome",
        _l("PEP course without an outcome after 28 days"),
        _l("Record whether the client completed the 28-day course."),
        lambda w: [PepCourse.outcome.is_(None), Visit.service_date <= w.end - timedelta(days=PEP_COURSE_DAYS)],
        (PepCourse,),
        _flagged("pep_without_outcome", _pep_due),
    ),
    Check(
        "sex_or_age_missing",
        _l("Visit of a client without sex or a plausible age"),
        _l("Correct the client's sex or date of birth."),
        lambda w: [upkeep.implausible_person_sql(Client.sex, Client.date_of_birth, Visit.service_date)],
        (),
        _flagged("sex_or_age_missing"),
    ),
)
CHECKS_BY_CODE = {c.code: c for c in CHECKS}


def _query(check: Check, window: Window, *columns):
    query = select(*columns).select_from(Visit).join(Client, Client.id == Visit.client_id)
    for model in check.joins:
        query = query.join(model, model.visit_id == Visit.id)
    return query.where(*_in_window(window), *check.where(window))


def _count(check: Check, window: Window) -> int:
    if check.facts is None:
        return db.session.scalar(_query(check, window, func.count()))
    return db.session.scalar(select(func.count()).select_from(check.facts(window).subquery()))


def findings(window: Window) -> list[Finding]:
    """How many records each check finds in the window."""
    return [Finding(c.code, str(c.title), _count(c, window)) for c in CHECKS]


@dataclass
class FindingRow:
    visit_id: object
    client_id: object
    client_number: str
    service_date: date


def finding_rows(code: str, window: Window) -> list[FindingRow]:
    """The records one check finds, oldest first, for the person who will fix them."""
    check = CHECKS_BY_CODE[code]
    query = (
        _query(check, window, Visit.id, Client.id, Client.client_number, Visit.service_date)
        .order_by(Visit.service_date)
        .limit(LIST_LIMIT)
    )
    return [FindingRow(*row) for row in db.session.execute(query)]


def count_by_clinic(code: str, window: Window) -> dict:
    """How many records one check finds at each clinic of the window: clinic id -> count."""
    if window.clinic_ids == ():
        return {}
    check = CHECKS_BY_CODE[code]
    if check.facts is None:
        query = _query(check, window, Visit.clinic_id, func.count()).group_by(Visit.clinic_id)
    else:
        found = check.facts(window).subquery()
        query = select(found.c.clinic_id, func.count()).group_by(found.c.clinic_id)
    return dict(db.session.execute(query).all())
