"""Prevention: KP_PREV, from the report facts (reports.models: one prevention row per contact)."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, literal, or_, select

from clinic_app.clients.models import KeyPopulation
from clinic_app.reports.facts import Window
from clinic_app.reports.indicators.base import Indicator, period_of, span
from clinic_app.reports.models import ReportPerson, ReportPrevention
from clinic_app.reports.upkeep import DECLINED, TESTED_OR_REFERRED


def _kp_prev(windows: tuple[Window, ...]):
    """Key-population people whose contacts in each window add up to a prevention package, once per window."""
    contact, person = ReportPrevention, ReportPerson
    window = span(windows)
    period = period_of(windows, contact.on_date).label("period")
    people = (
        select(
            period,
            contact.client_id,
            func.min(contact.on_date).label("on_date"),
            func.max(contact.testing).label("testing"),
            func.max(contact.another).label("another"),
        )
        .where(window.dates(contact.on_date), window.clinics(contact.clinic_id))
        .group_by(period, contact.client_id)
        .subquery()
    )
    # Known positive before the first contact: their own statement that day or earlier, or a result before it.
    known_positive = or_(person.stated_positive_on <= people.c.on_date, person.positive_on < people.c.on_date)
    status = case(
        (known_positive, "known_positive"),
        (people.c.testing == TESTED_OR_REFERRED, "tested_or_referred"),
        (people.c.testing == DECLINED, "declined"),
        else_=None,
    )
    return (
        select(
            people.c.period,
            person.sex.label("sex"),
            person.dob.label("dob"),
            person.kp.label("kp"),
            people.c.on_date,
            status.label("testing_status"),
            literal(1).label("weight"),
        )
        .join(person, person.client_id == people.c.client_id)
        .where(
            people.c.period.is_not(None),
            person.kp != KeyPopulation.NON_KP,
            people.c.another == 1,
            status.is_not(None),
        )
    )


def kp_prev(window: Window):
    return _kp_prev((window,))


KP_PREV = Indicator(
    "KP_PREV",
    _l("KP_PREV: key populations reached with prevention"),
    _l(
        "Key-population people (by the type on their record, one per person) reached in the period with an "
        "individual prevention package, each once (once over the fiscal year when the period closes it). The "
        "package may be spread over several contacts in the period, never carried over from an earlier one: "
        "(1) the testing part, unless the person was known positive before their first contact in the period: "
        "an HIV test at the clinic, a self-test kit, an HIV test offered or referred at outreach, or an HIV-test "
        "referral slip issued for them (newly tested or referred), or a test offered and declined at the clinic "
        "or at outreach (declined); and (2) another service: condoms or lubricant, HIV, rights or violence "
        "information at outreach, or at a clinic visit condoms, PrEP given (a stop is not a service), STI "
        "screening or PEP. Clinic visits and outreach contacts count alike, by the client's record (an outreach "
        "UIC that names a registered client counts as that client). Testing status, highest first: known "
        "positive, newly tested or referred, declined. Age on the first contact in the period. Small-group "
        "contacts and contacts with no client number or UIC cannot be counted once and are left out; the test "
        "'not required by risk assessment' status is not used (every key-population client is offered testing)."
    ),
    "people",
    ("kp_type", "testing_status", "sex", "age_band"),
    kp_prev,
    fiscal_year_at_q4=True,
    trend_facts=_kp_prev,
)
