"""Prevention: KP_PREV."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, literal, or_, select, union_all

from clinic_app.clients.models import Client, KeyPopulation
from clinic_app.outreach.models import ContactKind, OutreachContact, Referral, ReferralService
from clinic_app.reports.facts import Window, person_columns
from clinic_app.reports.indicators.base import Indicator, client_by_uic, contacts_in
from clinic_app.screening.models import HivTest
from clinic_app.visits import clinical
from clinic_app.visits.models import PrepEvent, Visit

# What a contact did toward the testing part of the package (the highest in the period wins).
TESTED_OR_REFERRED, DECLINED, NO_TESTING = 2, 1, 0


def _at_clinic(window: Window):
    """Each clinic visit of the period: its testing part and whether it gave another service."""
    testing = case(
        (or_(HivTest.screening_result.is_not(None), Visit.self_test_kit.has()), TESTED_OR_REFERRED),
        (HivTest.declined.is_(True), DECLINED),
        else_=NO_TESTING,
    )
    another = or_(
        Visit.dispensed.any(),
        Visit.prep_event.has(clinical.prep_dispensed_sql(PrepEvent)),
        Visit.sti_screening.has(),
        Visit.pep_course.has(),
    )
    return (
        select(
            Visit.client_id.label("client_id"),
            Visit.service_date.label("on_date"),
            testing.label("testing"),
            case((another, 1), else_=0).label("another"),
        )
        .outerjoin(HivTest, HivTest.visit_id == Visit.id)
        .where(window.dates(Visit.service_date), window.clinics(Visit.clinic_id))
    )


def _in_outreach(window: Window):
    """Each individual outreach contact of the period, by the client it names (number or UIC)."""
    testing = case(
        (or_(OutreachContact.self_test_kits > 0, OutreachContact.referral_offered.is_(True)), TESTED_OR_REFERRED),
        (OutreachContact.test_declined.is_(True), DECLINED),
        else_=NO_TESTING,
    )
    another = or_(
        OutreachContact.male_condoms > 0,
        OutreachContact.lubricant > 0,
        OutreachContact.hiv_info.is_(True),
        OutreachContact.rights_info.is_(True),
        OutreachContact.violence_info.is_(True),
    )
    return select(
        func.coalesce(OutreachContact.client_id, client_by_uic()).label("client_id"),
        OutreachContact.contact_date.label("on_date"),
        testing.label("testing"),
        case((another, 1), else_=0).label("another"),
    ).where(*contacts_in(window), OutreachContact.kind == ContactKind.INDIVIDUAL)


def _test_slips(window: Window):
    """HIV-test referral slips issued in the period for a known client: a referral for testing."""
    return select(
        Referral.client_id.label("client_id"),
        Referral.issued_on.label("on_date"),
        literal(TESTED_OR_REFERRED).label("testing"),
        literal(0).label("another"),
    ).where(
        Referral.service == ReferralService.HIV_TEST,
        window.dates(Referral.issued_on),
        window.clinics(Referral.clinic_id),
        Referral.client_id.is_not(None),
    )


def kp_prev(window: Window):
    """Key-population people whose contacts in the window add up to a prevention package, each once."""
    contacts = union_all(_at_clinic(window), _in_outreach(window), _test_slips(window)).subquery()
    people = (
        select(
            contacts.c.client_id,
            func.min(contacts.c.on_date).label("on_date"),
            func.max(contacts.c.testing).label("testing"),
            func.max(contacts.c.another).label("another"),
        )
        .where(contacts.c.client_id.is_not(None))
        .group_by(contacts.c.client_id)
        .subquery()
    )
    known_positive = clinical.known_positive_sql(Client.id, people.c.on_date, known_before=True)
    status = case(
        (known_positive, "known_positive"),
        (people.c.testing == TESTED_OR_REFERRED, "tested_or_referred"),
        (people.c.testing == DECLINED, "declined"),
        else_=None,
    )
    return (
        select(*person_columns(), people.c.on_date, status.label("testing_status"), literal(1).label("weight"))
        .join(Client, Client.id == people.c.client_id)
        .where(Client.key_population != KeyPopulation.NON_KP, people.c.another == 1, status.is_not(None))
    )


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
)
