"""Prevention: KP_PREV."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, exists, func, literal, or_, select, union_all

from clinic_app.clients.models import Client, KeyPopulation
from clinic_app.outreach.models import ContactKind, OutreachContact, Referral, ReferralService
from clinic_app.reports.facts import Window, person_columns
from clinic_app.reports.indicators.base import Indicator, client_by_uic, contacts_in
from clinic_app.screening.models import HivTest
from clinic_app.visits import clinical
from clinic_app.visits.models import Visit


def kp_prev(window: Window):
    """Key-population people reached with an individual prevention package, each once.

    A reach is a clinic visit with an HIV test (or a known positive status) plus another
    service, or an individual outreach contact with another intervention. Testing status:
    known positive (known before the first reach), newly tested or referred (tested at the
    clinic, given a self-test kit, offered a referral, or given an HIV-test referral slip).
    Someone neither known positive nor tested or referred is not counted. "Declined" stays
    empty: a declined offer is not recorded yet.
    """
    another = or_(
        Visit.dispensed.any(),
        Visit.prep_event.has(),
        Visit.sti_screening.has(),
        Visit.self_test_kit.has(),
        Visit.pep_course.has(),
    )
    at_clinic = (
        select(
            Visit.client_id.label("client_id"),
            Visit.service_date.label("on_date"),
            case((HivTest.screening_result.is_not(None), 2), else_=0).label("status_rank"),
        )
        .join(HivTest, HivTest.visit_id == Visit.id)
        .where(window.dates(Visit.service_date), window.clinics(Visit.clinic_id), another)
    )
    other_help = or_(
        OutreachContact.male_condoms > 0,
        OutreachContact.lubricant > 0,
        OutreachContact.hiv_info.is_(True),
        OutreachContact.rights_info.is_(True),
        OutreachContact.violence_info.is_(True),
    )
    in_outreach = select(
        func.coalesce(OutreachContact.client_id, client_by_uic()).label("client_id"),
        OutreachContact.contact_date.label("on_date"),
        case((or_(OutreachContact.self_test_kits > 0, OutreachContact.referral_offered.is_(True)), 2), else_=0).label(
            "status_rank"
        ),
    ).where(*contacts_in(window), OutreachContact.kind == ContactKind.INDIVIDUAL, other_help)
    reached = union_all(at_clinic, in_outreach).subquery()
    people = (
        select(
            reached.c.client_id,
            func.min(reached.c.on_date).label("on_date"),
            func.max(reached.c.status_rank).label("status_rank"),
        )
        .where(reached.c.client_id.is_not(None))
        .group_by(reached.c.client_id)
        .subquery()
    )
    referred = exists(
        select(Referral.id).where(
            Referral.client_id == people.c.client_id,
            Referral.service == ReferralService.HIV_TEST,
            window.dates(Referral.issued_on),
        )
    )
    known_positive = clinical.known_positive_sql(Client.id, people.c.on_date, known_before=True)
    status = case(
        (known_positive, "known_positive"),
        (or_(people.c.status_rank >= 2, referred), "tested_or_referred"),
        else_=None,
    )
    return (
        select(*person_columns(), people.c.on_date, status.label("testing_status"), literal(1).label("weight"))
        .join(Client, Client.id == people.c.client_id)
        .where(Client.key_population != KeyPopulation.NON_KP, status.is_not(None))
    )


KP_PREV = Indicator(
    "KP_PREV",
    _l("KP_PREV: key populations reached with prevention"),
    _l(
        "People reached with an individual prevention package (HIV testing done, offered or referred, "
        "unless known positive, plus another intervention), each once per period and once per fiscal "
        "year at Q4. Small-group contacts and contacts with no client number or UIC cannot be counted "
        "once and are left out."
    ),
    "people",
    ("kp_type", "testing_status", "sex", "age_band"),
    kp_prev,
    fiscal_year_at_q4=True,
)
