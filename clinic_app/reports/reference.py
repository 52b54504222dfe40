"""The raw-SQL definitions of the indicators that now read the report facts, kept as the reference.

Each is the query the indicator ran over the records before the report facts (reports.models) existed,
unchanged. tests/reports/test_facts_equal_reference.py computes each converted indicator both ways on
randomised histories and requires the same cells; benchmarks/reports.py times both. Never used by a
report.
"""

from sqlalchemy import and_, case, func, literal, or_, select, union_all
from sqlalchemy.orm import aliased

from clinic_app.clients.models import Client, KeyPopulation
from clinic_app.outreach.models import ContactKind, OutreachContact, Referral, ReferralService
from clinic_app.reports.facts import Window, person_columns
from clinic_app.reports.indicators.base import SEX_WORKERS, contacts_in, latest_per_person, nobody, visit_facts
from clinic_app.reports.indicators.violence_cases import care_in_cases
from clinic_app.reports.upkeep import DECLINED, NO_TESTING, TESTED_OR_REFERRED, client_by_uic
from clinic_app.screening.models import CervicalScreening, HivResult, HivTest, StiScreening
from clinic_app.visits import clinical
from clinic_app.visits.models import Dispensed, PepCourse, PrepEvent, PrepEventType, ViolenceCare, Visit

# --- KP_PREV ----------------------------------------------------------------------------------------------


def _at_clinic(window: Window):
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


# --- HTS_TST ----------------------------------------------------------------------------------------------


def hts_tst(window: Window):
    return (
        visit_facts(
            HivTest.modality.label("modality"),
            HivTest.final_result.label("result"),
            literal(1).label("weight"),
            window=window,
        )
        .join(HivTest, HivTest.visit_id == Visit.id)
        .where(clinical.test_result_given_sql())
    )


# --- cervical -----------------------------------------------------------------------------------------------


def _in_cxca():
    return CervicalScreening.outside_age_reason.is_(None)


def _screens(window: Window, *extra):
    return (
        visit_facts(
            CervicalScreening.screening_type.label("screening_type"),
            clinical.cervical_outcome_sql().label("cx_result"),
            *extra,
            window=window,
        )
        .join(CervicalScreening, CervicalScreening.visit_id == Visit.id)
        .where(clinical.cervical_complete_sql())
    )


def _latest(query):
    return latest_per_person(query, (Visit.service_date.desc(), Visit.created_at.desc()))


def cxca_scrn(window: Window):
    query = _screens(window, literal(1).label("weight")).where(
        clinical.living_with_hiv_on_art_sql(Client.id, Visit.service_date), _in_cxca()
    )
    return _latest(query)


def cxca_screen_positive(window: Window):
    query = _screens(window, literal(1).label("weight")).where(
        clinical.living_with_hiv_on_art_sql(Client.id, Visit.service_date), clinical.screen_positive_sql(), _in_cxca()
    )
    return _latest(query)


def _treated_on():
    return func.coalesce(CervicalScreening.treated_on, Visit.service_date)


def cxca_tx(window: Window):
    query = (
        select(
            *person_columns(),
            _treated_on().label("on_date"),
            CervicalScreening.treatment.label("treatment"),
            CervicalScreening.screening_type.label("screening_type"),
            literal(1).label("weight"),
        )
        .select_from(CervicalScreening)
        .join(Visit, Visit.id == CervicalScreening.visit_id)
        .join(Client, Client.id == Visit.client_id)
        .where(
            clinical.precancer_treated_sql(),
            clinical.screen_positive_sql(),
            window.dates(_treated_on()),
            window.clinics(Visit.clinic_id),
            clinical.living_with_hiv_on_art_sql(Client.id, Visit.service_date),
            _in_cxca(),
        )
    )
    return latest_per_person(query, (_treated_on().desc(), Visit.created_at.desc()))


def cervical_all(window: Window):
    return _latest(_screens(window, literal(1).label("weight")))


# --- PrEP ---------------------------------------------------------------------------------------------------
# As before, with the order made total where it was left open (two visits of one client on one day): the
# earliest recorded initiation, and the regimen of the latest recorded of the earlier visits.


def _kind_and_place(regimen):
    return (
        clinical.prep_type_sql(regimen).label("prep_type"),
        PrepEvent.distribution.label("prep_distribution"),
    )


def prep_new(window: Window):
    earlier_visit, earlier_prep = aliased(Visit), aliased(PrepEvent)
    on_prep_before = (
        select(earlier_prep.id)
        .join(earlier_visit, earlier_visit.id == earlier_prep.visit_id)
        .where(earlier_visit.client_id == Visit.client_id, earlier_visit.service_date < Visit.service_date)
        .exists()
    )
    query = (
        visit_facts(*_kind_and_place(PrepEvent.regimen), literal(1).label("weight"), window=window)
        .join(PrepEvent, PrepEvent.visit_id == Visit.id)
        .where(PrepEvent.event == PrepEventType.INITIATION, ~on_prep_before)
    )
    return latest_per_person(query, (Visit.service_date.asc(), Visit.created_at.asc(), Visit.id.asc()))


def prep_ct(window: Window):
    started_here = (
        select(Visit.client_id)
        .join(PrepEvent, PrepEvent.visit_id == Visit.id)
        .where(
            PrepEvent.event == PrepEventType.INITIATION,
            window.dates(Visit.service_date),
            window.clinics(Visit.clinic_id),
        )
    )
    returned = or_(
        PrepEvent.event.in_((PrepEventType.FOLLOW_UP, PrepEventType.RESTART)),
        and_(clinical.seroconversion_stop_sql(), HivTest.final_result == HivResult.POSITIVE),
    )
    result = case((HivTest.final_result.is_(None), "not_tested"), else_=HivTest.final_result)
    regimen = func.coalesce(PrepEvent.regimen, clinical.regimen_given_before_sql())
    query = (
        visit_facts(result.label("result"), *_kind_and_place(regimen), literal(1).label("weight"), window=window)
        .join(PrepEvent, PrepEvent.visit_id == Visit.id)
        .outerjoin(HivTest, HivTest.visit_id == Visit.id)
        .where(returned, Client.id.not_in(started_here))
    )
    return latest_per_person(query, (Visit.service_date.desc(), Visit.created_at.desc()))


# --- GEND_GBV -----------------------------------------------------------------------------------------------


def care_at_visits(window: Window):
    """Each visit of the period that gave post-violence care: whether it was for sexual violence, and PEP."""
    sexual = clinical.sexual_violence_sql(ViolenceCare, PepCourse)
    return (
        select(
            Visit.client_id.label("client_id"),
            Visit.service_date.label("on_date"),
            case((sexual, 1), else_=0).label("sexual"),
            case((PepCourse.id.is_not(None), 1), else_=0).label("pep"),
        )
        .outerjoin(ViolenceCare, ViolenceCare.visit_id == Visit.id)
        .outerjoin(PepCourse, PepCourse.visit_id == Visit.id)
        .where(
            window.dates(Visit.service_date),
            window.clinics(Visit.clinic_id),
            clinical.post_violence_care_sql(Visit, ViolenceCare, PepCourse),
        )
    )


def gend_gbv(window: Window):
    events = union_all(care_at_visits(window), care_in_cases(window)).subquery()
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
    return select(
        *person_columns(),
        people.c.on_date,
        case((sexual, "sexual"), else_="physical_emotional").label("violence_type"),
        case((and_(sexual, people.c.pep == 1), "yes"), else_="no").label("pep_given"),
        literal(1).label("weight"),
    ).join(Client, Client.id == people.c.client_id)


# --- the programme's clinic figures ------------------------------------------------------------------------


def sw_visits(window: Window):
    return visit_facts(Visit.visit_type.label("visit_type"), literal(1).label("weight"), window=window).where(
        Client.key_population.in_(SEX_WORKERS)
    )


def sw_people(window: Window):
    query = visit_facts(literal(1).label("weight"), window=window).where(Client.key_population.in_(SEX_WORKERS))
    return latest_per_person(query, (Visit.service_date.desc(),))


def all_visits(window: Window):
    return visit_facts(Visit.visit_type.label("visit_type"), literal(1).label("weight"), window=window)


def sti_screened(window: Window):
    treated = func.json_array_length(StiScreening.treatments) > 0
    return visit_facts(
        case((treated, "yes"), else_="no").label("treated"), literal(1).label("weight"), window=window
    ).join(StiScreening, StiScreening.visit_id == Visit.id)


def pep_given(window: Window):
    return visit_facts(PepCourse.exposure.label("exposure"), literal(1).label("weight"), window=window).join(
        PepCourse, PepCourse.visit_id == Visit.id
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


# --- data quality -------------------------------------------------------------------------------------------


def prep_followup_without_initiation(window: Window):
    """The visits the check finds: a PrEP follow-up or restart of a client never recorded as initiated."""
    initiated_ever = (
        select(PrepEvent.id)
        .join(Visit, Visit.id == PrepEvent.visit_id)
        .where(Visit.client_id == Client.id, PrepEvent.event == PrepEventType.INITIATION)
        .exists()
    )
    return (
        select(Visit.clinic_id.label("clinic_id"))
        .select_from(Visit)
        .join(Client, Client.id == Visit.client_id)
        .join(PrepEvent, PrepEvent.visit_id == Visit.id)
        .where(
            window.dates(Visit.service_date),
            window.clinics(Visit.clinic_id),
            PrepEvent.event.in_((PrepEventType.FOLLOW_UP, PrepEventType.RESTART)),
            ~initiated_ever,
        )
    )


REFERENCE = {
    "KP_PREV": kp_prev,
    "HTS_TST": hts_tst,
    "HIV_TESTS": hts_tst,
    "CXCA_SCRN": cxca_scrn,
    "CXCA_SCRN_POS": cxca_screen_positive,
    "CXCA_TX": cxca_tx,
    "CERVICAL_ALL": cervical_all,
    "PrEP_NEW": prep_new,
    "PrEP_CT": prep_ct,
    "GEND_GBV": gend_gbv,
    "SW_VISITS": sw_visits,
    "SW_PEOPLE": sw_people,
    "VISITS": all_visits,
    "STI_SCREENED": sti_screened,
    "PEP_GIVEN": pep_given,
    "COMMODITIES": commodities,
}
