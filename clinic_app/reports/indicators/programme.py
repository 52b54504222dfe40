"""The programme's clinic figures: visits, sex workers seen, STI screening, PEP, commodities.

Read from the report facts (reports.models): one visit row each, with the client's columns, the visit's
type and, in columns, its STI screening, PEP course and the commodities handed out. Commodities handed
out at outreach are read from the quarter's outreach contacts (by their date index).
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, literal, or_, select, union_all

from clinic_app.outreach.models import OutreachContact
from clinic_app.reports.facts import Window
from clinic_app.reports.indicators.base import SEX_WORKERS, Indicator, nobody, period_of, span
from clinic_app.reports.models import ReportVisit
from clinic_app.visits.models import Commodity

V = ReportVisit


def _visits(window: Window, *extra):
    """Fact rows of the visits in the window, with the client's columns and the visit's date."""
    return select(
        V.sex.label("sex"), V.dob.label("dob"), V.kp.label("kp"), V.service_date.label("on_date"), *extra
    ).where(window.dates(V.service_date), window.clinics(V.clinic_id))


def sw_visits(window: Window):
    return _visits(window, V.visit_type.label("visit_type"), literal(1).label("weight")).where(V.kp.in_(SEX_WORKERS))


SW_VISITS = Indicator(
    "SW_VISITS",
    _l("Sex-worker visits"),
    _l("Visits by clients recorded as sex workers."),
    "events",
    ("visit_type", "sex", "kp_type"),
    sw_visits,
)


def _sw_people(windows: tuple[Window, ...]):
    """Each sex worker once per window, on the date of their latest visit in it (a client's visit rows
    all carry the client's columns, so grouping by client keeps them)."""
    window = span(windows)
    period = period_of(windows, V.service_date).label("period")
    people = (
        select(period, V.sex, V.dob, V.kp, func.max(V.service_date).label("on_date"))
        .where(window.dates(V.service_date), window.clinics(V.clinic_id), V.kp.in_(SEX_WORKERS))
        .group_by(period, V.client_id, V.sex, V.dob, V.kp)
        .subquery()
    )
    return select(
        people.c.period,
        people.c.sex.label("sex"),
        people.c.dob.label("dob"),
        people.c.kp.label("kp"),
        people.c.on_date,
        literal(1).label("weight"),
    ).where(people.c.period.is_not(None))


def sw_people(window: Window):
    return _sw_people((window,))


SW_PEOPLE = Indicator(
    "SW_PEOPLE",
    _l("Sex workers seen (unique people)"),
    _l("Distinct sex workers with at least one visit in the period."),
    "people",
    ("sex", "kp_type", "age_band"),
    sw_people,
    trend_facts=_sw_people,
)


def all_visits(window: Window):
    return _visits(window, V.visit_type.label("visit_type"), literal(1).label("weight"))


VISITS = Indicator(
    "VISITS",
    _l("Visits"),
    _l("Every visit in the period, new and return."),
    "events",
    ("visit_type", "sex", "kp_type"),
    all_visits,
)


def sti_screened(window: Window):
    treated = case((V.sti_treated.is_(True), "yes"), else_="no").label("treated")
    return _visits(window, treated, literal(1).label("weight")).where(V.sti_treated.is_not(None))


STI_SCREENED = Indicator(
    "STI_SCREENED",
    _l("STI screenings"),
    _l("Visits with STI screening, and whether treatment was given."),
    "events",
    ("treated",),
    sti_screened,
)


def pep_given(window: Window):
    return _visits(window, V.pep_exposure.label("exposure"), literal(1).label("weight")).where(
        V.pep_exposure.is_not(None)
    )


PEP_GIVEN = Indicator(
    "PEP_GIVEN", _l("PEP given"), _l("PEP courses started, by exposure."), "events", ("exposure",), pep_given
)

# Each commodity and the visit column holding the pieces of it handed out.
CLINIC_ITEMS = (
    (Commodity.MALE_CONDOMS, V.male_condoms),
    (Commodity.FEMALE_CONDOMS, V.female_condoms),
    (Commodity.LUBRICANT, V.lubricant),
)


def commodities(window: Window):
    # The condition of the commodities' partial index, as it is written there, so the index is used.
    dispensed = or_(*(pieces.is_not(None) for _item, pieces in CLINIC_ITEMS))
    clinic = [
        _visits(
            window, literal(item.value).label("item"), literal("clinic").label("channel"), pieces.label("weight")
        ).where(dispensed, pieces.is_not(None))
        for item, pieces in CLINIC_ITEMS
    ]
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
    return union_all(*clinic, *outreach)


COMMODITIES = Indicator(
    "COMMODITIES",
    _l("Condoms and lubricant distributed"),
    _l("Pieces handed out at the clinic and by peer educators at outreach."),
    "pieces",
    ("item", "channel"),
    commodities,
)
