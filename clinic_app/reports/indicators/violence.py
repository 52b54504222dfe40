"""Violence: GEND_GBV, its clinic visits from the report facts (reports.models: a visit row says whether it
gave post-violence care, for sexual violence, with PEP), its crisis cases from the cases themselves."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, literal, select, union_all

from clinic_app.reports.facts import Window
from clinic_app.reports.indicators.base import Indicator
from clinic_app.reports.indicators.violence_cases import care_in_cases
from clinic_app.reports.models import ReportPerson, ReportVisit


def care_at_visits(window: Window):
    """Each visit of the period that gave post-violence care: whether it was for sexual violence, and PEP."""
    visit = ReportVisit
    return select(
        visit.client_id.label("client_id"),
        visit.service_date.label("on_date"),
        case((visit.gbv_sexual.is_(True), 1), else_=0).label("sexual"),
        case((visit.gbv_pep.is_(True), 1), else_=0).label("pep"),
    ).where(visit.gbv_sexual.is_not(None), window.dates(visit.service_date), window.clinics(visit.clinic_id))


# Where post-violence care is recorded, each a query of (client_id, on_date, sexual 0/1, pep 0/1) rows over
# the window. Crisis cases join as a second source (few rows; they stay on the crisis tables).
GBV_SOURCES = [care_at_visits, care_in_cases]


def gend_gbv(window: Window):
    events = union_all(*(source(window) for source in GBV_SOURCES)).subquery()
    people = (
        select(
            events.c.client_id,
            func.max(events.c.on_date).label("on_date"),
            func.max(events.c.sexual).label("sexual"),
            func.max(events.c.pep).label("pep"),
        )
        .where(events.c.client_id.is_not(None))
        .group_by(events.c.client_id)
        .subquery()
    )
    sexual = people.c.sexual == 1
    person = ReportPerson
    return select(
        person.sex.label("sex"),
        person.dob.label("dob"),
        person.kp.label("kp"),
        people.c.on_date,
        case((sexual, "sexual"), else_="physical_emotional").label("violence_type"),
        case((and_(sexual, people.c.pep == 1), "yes"), else_="no").label("pep_given"),
        literal(1).label("weight"),
    ).join(person, person.client_id == people.c.client_id)


GEND_GBV = Indicator(
    "GEND_GBV",
    _l("GEND_GBV: post-violence clinical care"),
    _l(
        "People given post-violence clinical care in the period, each once: a visit where the kinds of "
        "violence were recorded, where PEP was given after sexual violence, or whose reason was violence "
        "support, counted on the visit's date. Sexual violence when any care in the period was for sexual "
        "violence (ticked at the visit, or PEP after sexual violence, also when no kind was recorded), "
        "otherwise physical or emotional violence. PEP given (a sub-count of sexual violence): a PEP course "
        "at any of the person's post-violence care visits in the period. Age on the latest care date in the "
        "period. Crisis cases of registered survivors are a second source: a case with a visit linked to it in "
        "the period (on the visit's date) or a medical or PEP step provided by us in the period (on the "
        "incident's date); sexual when the case holds sexual violence, with or without PEP; PEP given when a "
        "PEP step was provided. A visit linked to a case is one person, not two."
    ),
    "people",
    ("violence_type", "pep_given", "sex", "age_band"),
    gend_gbv,
)
