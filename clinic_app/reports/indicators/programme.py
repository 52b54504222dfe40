"""The programme's clinic figures: visits, sex workers seen, STI screening, PEP, commodities."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, literal, select, union_all

from clinic_app.clients.models import Client
from clinic_app.outreach.models import OutreachContact
from clinic_app.reports.facts import Window
from clinic_app.reports.indicators.base import SEX_WORKERS, Indicator, latest_per_person, nobody, visit_facts
from clinic_app.screening.models import StiScreening
from clinic_app.visits.models import Dispensed, PepCourse, Visit


def sw_visits(window: Window):
    return visit_facts(Visit.visit_type.label("visit_type"), literal(1).label("weight"), window=window).where(
        Client.key_population.in_(SEX_WORKERS)
    )


SW_VISITS = Indicator(
    "SW_VISITS",
    _l("Sex-worker visits"),
    _l("Visits by clients recorded as sex workers."),
    "events",
    ("visit_type", "sex", "kp_type"),
    sw_visits,
)


def sw_people(window: Window):
    query = visit_facts(literal(1).label("weight"), window=window).where(Client.key_population.in_(SEX_WORKERS))
    return latest_per_person(query, (Visit.service_date.desc(),))


SW_PEOPLE = Indicator(
    "SW_PEOPLE",
    _l("Sex workers seen (unique people)"),
    _l("Distinct sex workers with at least one visit in the period."),
    "people",
    ("sex", "kp_type", "age_band"),
    sw_people,
)


def all_visits(window: Window):
    return visit_facts(Visit.visit_type.label("visit_type"), literal(1).label("weight"), window=window)


VISITS = Indicator(
    "VISITS",
    _l("Visits"),
    _l("Every visit in the period, new and return."),
    "events",
    ("visit_type", "sex", "kp_type"),
    all_visits,
)


def sti_screened(window: Window):
    treated = func.json_array_length(StiScreening.treatments) > 0
    return visit_facts(
        case((treated, "yes"), else_="no").label("treated"), literal(1).label("weight"), window=window
    ).join(StiScreening, StiScreening.visit_id == Visit.id)


STI_SCREENED = Indicator(
    "STI_SCREENED",
    _l("STI screenings"),
    _l("Visits with STI screening, and whether treatment was given."),
    "events",
    ("treated",),
    sti_screened,
)


def pep_given(window: Window):
    return visit_facts(PepCourse.exposure.label("exposure"), literal(1).label("weight"), window=window).join(
        PepCourse, PepCourse.visit_id == Visit.id
    )


PEP_GIVEN = Indicator(
    "PEP_GIVEN", _l("PEP given"), _l("PEP courses started, by exposure."), "events", ("exposure",), pep_given
)


def commodities(window: Window):
    clinic = visit_facts(
        Dispensed.item.label("item"),
        literal("clinic").label("channel"),
        Dispensed.quantity.label("weight"),
        window=window,
    ).join(Dispensed, Dispensed.visit_id == Visit.id)
    outreach = [
        select(
            *nobody(),
            OutreachContact.contact_date.label("on_date"),
            literal(item).label("item"),
            literal("outreach").label("channel"),
            getattr(OutreachContact, column).label("weight"),
        ).where(
            window.dates(OutreachContact.contact_date),
            window.clinics(OutreachContact.clinic_id),
            getattr(OutreachContact, column) > 0,
        )
        for item, column in (("male_condoms", "male_condoms"), ("lubricant", "lubricant"))
    ]
    return union_all(clinic, *outreach)


COMMODITIES = Indicator(
    "COMMODITIES",
    _l("Condoms and lubricant distributed"),
    _l("Pieces handed out at the clinic and by peer educators at outreach."),
    "pieces",
    ("item", "channel"),
    commodities,
)
