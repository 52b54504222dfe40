"""Every indicator, defined once: what it counts, person or event, how people are
de-duplicated, which disaggregations it offers, and the SQL of its fact rows.

Donor formats (reports/formats/*.toml) choose indicators and lay out their grids;
they never change what an indicator counts.
"""

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, exists, func, literal, or_, select, union_all

from clinic_app.clients.models import Client, KeyPopulation
from clinic_app.outreach.models import (
    ContactKind,
    OutreachContact,
    Referral,
    ReferralService,
    Training,
    TrainingAttendee,
)
from clinic_app.reports.facts import Window, on_art_by, person_columns, positive_by
from clinic_app.screening.models import (
    ArtSite,
    CervicalMethod,
    CervicalResult,
    CervicalScreening,
    CervicalTreatment,
    HivResult,
    HivTest,
    PreviousHivStatus,
    StiScreening,
)
from clinic_app.visits.models import (
    Dispensed,
    PepCourse,
    PepExposure,
    PrepEvent,
    PrepEventType,
    SelfTestKit,
    Visit,
    VisitReason,
    VisitReasonRow,
)

SEX_WORKERS = (KeyPopulation.FSW, KeyPopulation.MSW, KeyPopulation.TGSW)


@dataclass(frozen=True)
class Indicator:
    code: str
    title: object
    definition: object
    unit: str  # people, events, kits, pieces
    dimensions: tuple[str, ...]
    facts: Callable[[Window], object]
    fiscal_year_at_q4: bool = False  # MER: unique people over the fiscal year when the period closes it


def _visit_facts(*extra, window: Window):
    return (
        select(*person_columns(), Visit.service_date.label("on_date"), *extra)
        .join(Client, Client.id == Visit.client_id)
        .where(window.dates(Visit.service_date), window.clinics(Visit.clinic_id))
    )


def _latest_per_person(query, order_by):
    """Keep one fact row per person: the latest by ``order_by``."""
    ranked = query.add_columns(
        func.row_number().over(partition_by=Client.id, order_by=order_by).label("rank")
    ).subquery()
    return select(*[c for c in ranked.c if c.name != "rank"]).where(ranked.c.rank == 1)


# --- testing -----------------------------------------------------------------------------------------------


def hts_tst(window: Window):
    return (
        _visit_facts(
            HivTest.modality.label("modality"),
            HivTest.final_result.label("result"),
            literal(1).label("weight"),
            window=window,
        )
        .join(HivTest, HivTest.visit_id == Visit.id)
        .where(
            HivTest.final_result.in_((HivResult.NEGATIVE, HivResult.POSITIVE)),
            HivTest.result_received.is_(True),
            HivTest.previous_status != PreviousHivStatus.KNOWN_POSITIVE,
        )
    )


def hiv_tests_all(window: Window):
    return (
        _visit_facts(HivTest.final_result.label("result"), literal(1).label("weight"), window=window)
        .join(HivTest, HivTest.visit_id == Visit.id)
        .where(HivTest.final_result.is_not(None))
    )


def hts_self(window: Window):
    clinic_rows = [
        _visit_facts(
            SelfTestKit.distribution.label("distribution"),
            literal(recipient).label("recipient"),
            getattr(SelfTestKit, column).label("weight"),
            window=window,
        )
        .join(SelfTestKit, SelfTestKit.visit_id == Visit.id)
        .where(getattr(SelfTestKit, column) > 0)
        for recipient, column in (("self", "for_self"), ("partner", "for_partner"), ("other", "for_other"))
    ]
    outreach = (
        select(
            Client.sex.label("sex"),
            Client.date_of_birth.label("dob"),
            Client.key_population.label("kp"),
            OutreachContact.contact_date.label("on_date"),
            literal("unassisted").label("distribution"),
            literal("not_recorded").label("recipient"),
            OutreachContact.self_test_kits.label("weight"),
        )
        .outerjoin(Client, Client.id == OutreachContact.client_id)
        .where(
            window.dates(OutreachContact.contact_date),
            window.clinics(OutreachContact.clinic_id),
            OutreachContact.self_test_kits > 0,
        )
    )
    return union_all(*clinic_rows, outreach)


# --- PrEP ----------------------------------------------------------------------------------------------------


def prep_new(window: Window):
    query = (
        _visit_facts(literal(1).label("weight"), window=window)
        .join(PrepEvent, PrepEvent.visit_id == Visit.id)
        .where(PrepEvent.event == PrepEventType.INITIATION)
    )
    return _latest_per_person(query, (Visit.service_date.asc(),))


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
    result = case((HivTest.final_result.is_(None), "not_tested"), else_=HivTest.final_result)
    query = (
        _visit_facts(result.label("result"), literal(1).label("weight"), window=window)
        .join(PrepEvent, PrepEvent.visit_id == Visit.id)
        .outerjoin(HivTest, HivTest.visit_id == Visit.id)
        .where(PrepEvent.event.in_((PrepEventType.FOLLOW_UP, PrepEventType.RESTART)), Client.id.not_in(started_here))
    )
    return _latest_per_person(query, (Visit.service_date.desc(), Visit.created_at.desc()))


# --- cervical cancer --------------------------------------------------------------------------------------------

_OUTCOME = case(
    (
        and_(CervicalScreening.method == CervicalMethod.HPV, CervicalScreening.result == CervicalResult.POSITIVE),
        CervicalScreening.triage_result,
    ),
    else_=CervicalScreening.result,
)


def _screens(window: Window, *extra):
    return (
        _visit_facts(
            CervicalScreening.screening_type.label("screening_type"), _OUTCOME.label("cx_result"), *extra, window=window
        )
        .join(CervicalScreening, CervicalScreening.visit_id == Visit.id)
        .where(CervicalScreening.complete.is_(True))
    )


def _living_with_hiv_on_art():
    return and_(positive_by(Client.id, Visit.service_date), on_art_by(Client.id, Visit.service_date))


def cxca_scrn(window: Window):
    query = _screens(window, literal(1).label("weight")).where(_living_with_hiv_on_art())
    return _latest_per_person(query, (Visit.service_date.desc(), Visit.created_at.desc()))


def cxca_screen_positive(window: Window):
    query = _screens(window, literal(1).label("weight")).where(
        _living_with_hiv_on_art(), _OUTCOME.in_((CervicalResult.POSITIVE, CervicalResult.SUSPECTED_CANCER))
    )
    return _latest_per_person(query, (Visit.service_date.desc(), Visit.created_at.desc()))


def cxca_tx(window: Window):
    return _screens(window, CervicalScreening.treatment.label("treatment"), literal(1).label("weight")).where(
        _living_with_hiv_on_art(),
        CervicalScreening.treatment.is_not(None),
        CervicalScreening.treatment != CervicalTreatment.NONE,
    )


def cervical_all(window: Window):
    query = _screens(window, literal(1).label("weight"))
    return _latest_per_person(query, (Visit.service_date.desc(), Visit.created_at.desc()))


# --- treatment, violence ----------------------------------------------------------------------------------------


def tx_new(window: Window):
    query = (
        select(*person_columns(), HivTest.art_started_on.label("on_date"), literal(1).label("weight"))
        .select_from(HivTest)
        .join(Visit, Visit.id == HivTest.visit_id)
        .join(Client, Client.id == Visit.client_id)
        .where(
            window.dates(HivTest.art_started_on),
            window.clinics(Visit.clinic_id),
            HivTest.art_site == ArtSite.THIS_CLINIC,
        )
    )
    return _latest_per_person(query, (HivTest.art_started_on.asc(),))


def gend_gbv(window: Window):
    sexual = PepCourse.exposure == PepExposure.SEXUAL_VIOLENCE
    violence_visit = Visit.reason_rows.any(VisitReasonRow.reason == VisitReason.VIOLENCE)
    query = (
        _visit_facts(
            case((sexual, "sexual"), else_="physical_emotional").label("violence_type"),
            case((sexual, "yes"), else_="no").label("pep_given"),
            literal(1).label("weight"),
            window=window,
        )
        .outerjoin(PepCourse, PepCourse.visit_id == Visit.id)
        .where(or_(sexual, violence_visit))
    )
    # Both kinds of violence in the period count as sexual: the sexual-violence visit ranks first.
    return _latest_per_person(query, (case((sexual, 0), else_=1), Visit.service_date.desc()))


# --- programme ----------------------------------------------------------------------------------------------


def sw_visits(window: Window):
    return _visit_facts(Visit.visit_type.label("visit_type"), literal(1).label("weight"), window=window).where(
        Client.key_population.in_(SEX_WORKERS)
    )


def sw_people(window: Window):
    query = _visit_facts(literal(1).label("weight"), window=window).where(Client.key_population.in_(SEX_WORKERS))
    return _latest_per_person(query, (Visit.service_date.desc(),))


def all_visits(window: Window):
    return _visit_facts(Visit.visit_type.label("visit_type"), literal(1).label("weight"), window=window)


def sti_screened(window: Window):
    treated = func.json_array_length(StiScreening.treatments) > 0
    return _visit_facts(
        case((treated, "yes"), else_="no").label("treated"), literal(1).label("weight"), window=window
    ).join(StiScreening, StiScreening.visit_id == Visit.id)


def pep_given(window: Window):
    return _visit_facts(PepCourse.exposure.label("exposure"), literal(1).label("weight"), window=window).join(
        PepCourse, PepCourse.visit_id == Visit.id
    )


def commodities(window: Window):
    clinic = _visit_facts(
        Dispensed.item.label("item"),
        literal("clinic").label("channel"),
        Dispensed.quantity.label("weight"),
        window=window,
    ).join(Dispensed, Dispensed.visit_id == Visit.id)
    outreach = [
        select(
            literal(None).label("sex"),
            literal(None).label("dob"),
            literal(None).label("kp"),
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


def _contacts(window: Window):
    return (window.dates(OutreachContact.contact_date), window.clinics(OutreachContact.clinic_id))


def outreach_contacts(window: Window):
    return select(
        literal(None).label("sex"),
        literal(None).label("dob"),
        literal(None).label("kp"),
        OutreachContact.contact_date.label("on_date"),
        OutreachContact.kind.label("contact_kind"),
        literal(1).label("weight"),
    ).where(*_contacts(window))


def people_reached(window: Window):
    """Each person once: a client by their record (a contact's UIC that names a registered client
    counts as that client), another UIC once, a contact with neither as one, a group by its head count."""
    individual = OutreachContact.kind == ContactKind.INDIVIDUAL
    person = func.coalesce(OutreachContact.client_id, _client_by_uic())
    contacts = (
        select(
            person.label("client_id"),
            OutreachContact.contact_uic.label("uic"),
            OutreachContact.contact_date.label("on_date"),
        )
        .where(*_contacts(window), individual)
        .subquery()
    )
    known = (
        select(*person_columns(), func.min(contacts.c.on_date).label("on_date"), literal(1).label("weight"))
        .join(Client, Client.id == contacts.c.client_id)
        .group_by(Client.id)
    )
    by_uic = (
        select(
            literal(None).label("sex"),
            literal(None).label("dob"),
            literal(None).label("kp"),
            func.min(contacts.c.on_date).label("on_date"),
            literal(1).label("weight"),
        )
        .where(contacts.c.client_id.is_(None), contacts.c.uic.is_not(None))
        .group_by(contacts.c.uic)
    )
    others = select(
        literal(None).label("sex"),
        literal(None).label("dob"),
        literal(None).label("kp"),
        OutreachContact.contact_date.label("on_date"),
        case((individual, 1), else_=OutreachContact.group_size).label("weight"),
    ).where(*_contacts(window), OutreachContact.client_id.is_(None), OutreachContact.contact_uic.is_(None))
    return union_all(known, by_uic, others)


def referrals_issued(window: Window):
    return select(
        literal(None).label("sex"),
        literal(None).label("dob"),
        literal(None).label("kp"),
        Referral.issued_on.label("on_date"),
        Referral.service.label("service"),
        case((Referral.visit_id.is_not(None), "completed"), else_="not_completed").label("referral_status"),
        literal(1).label("weight"),
    ).where(window.dates(Referral.issued_on), window.clinics(Referral.clinic_id))


def people_trained(window: Window):
    in_window = (window.dates(Training.held_on), window.clinics(Training.clinic_id))
    clients = (
        select(*person_columns(), func.min(Training.held_on).label("on_date"), literal(1).label("weight"))
        .select_from(TrainingAttendee)
        .join(Training, Training.id == TrainingAttendee.training_id)
        .join(Client, Client.id == TrainingAttendee.client_id)
        .where(*in_window)
        .group_by(Client.id)
    )
    head_counts = select(
        literal(None).label("sex"),
        literal(None).label("dob"),
        literal(None).label("kp"),
        Training.held_on.label("on_date"),
        Training.other_attendees.label("weight"),
    ).where(*in_window, Training.other_attendees > 0)
    return union_all(clients, head_counts)


# --- KP_PREV ----------------------------------------------------------------------------------------------------


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
        func.coalesce(OutreachContact.client_id, _client_by_uic()).label("client_id"),
        OutreachContact.contact_date.label("on_date"),
        case((or_(OutreachContact.self_test_kits > 0, OutreachContact.referral_offered.is_(True)), 2), else_=0).label(
            "status_rank"
        ),
    ).where(*_contacts(window), OutreachContact.kind == ContactKind.INDIVIDUAL, other_help)
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
    known_positive = positive_by(Client.id, people.c.on_date, known_before=True)
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


def _client_by_uic():
    """The registered client an outreach contact's UIC names, if any (so a person counts once)."""
    return (
        select(Client.id)
        .where(Client.uic == OutreachContact.contact_uic, Client.merged_into_id.is_(None))
        .limit(1)
        .scalar_subquery()
    )


INDICATORS = {
    i.code: i
    for i in (
        Indicator(
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
        ),
        Indicator(
            "HTS_TST",
            _l("HTS_TST: HIV tests with a result given"),
            _l(
                "Each test whose final result (by the national algorithm) was given to the client. Clients "
                "already known positive are not counted; inconclusive results are not reported."
            ),
            "events",
            ("modality", "result", "sex", "age_band", "kp_type"),
            hts_tst,
        ),
        Indicator(
            "HTS_SELF",
            _l("HTS_SELF: HIV self-test kits distributed"),
            _l(
                "Kits handed out at the clinic (assisted or unassisted, by who they are for) and by peer "
                "educators at outreach (recipient not recorded)."
            ),
            "kits",
            ("distribution", "recipient", "sex", "age_band"),
            hts_self,
        ),
        Indicator(
            "PrEP_NEW",
            _l("PrEP_NEW: newly started on PrEP"),
            _l("People whose first ever PrEP initiation falls in the period; age at initiation."),
            "people",
            ("sex", "age_band", "kp_type"),
            prep_new,
        ),
        Indicator(
            "PrEP_CT",
            _l("PrEP_CT: PrEP follow-up or restart"),
            _l(
                "People with a PrEP follow-up, refill or restart in the period, excluding those started in the "
                "period; counted once, by the HIV test result at their latest such visit."
            ),
            "people",
            ("result", "sex", "age_band", "kp_type"),
            prep_ct,
        ),
        Indicator(
            "CXCA_SCRN",
            _l("CXCA_SCRN: women living with HIV on ART screened"),
            _l(
                "Women living with HIV on ART with a completed cervical screen in the period (an HPV-positive "
                "screen needs its triage result), counted once by their latest screen."
            ),
            "people",
            ("screening_type", "cx_result", "age_band"),
            cxca_scrn,
            fiscal_year_at_q4=False,
        ),
        Indicator(
            "CXCA_SCRN_POS",
            _l("CXCA screen positives (CXCA_TX denominator)"),
            _l(
                "Women living with HIV on ART whose latest completed screen in the period was positive or "
                "suspected cancer."
            ),
            "people",
            ("screening_type", "cx_result"),
            cxca_screen_positive,
        ),
        Indicator(
            "CXCA_TX",
            _l("CXCA_TX: screen-positive women treated"),
            _l(
                "Treatments (cryotherapy, thermal ablation, LEEP) given to screen-positive women living with "
                "HIV on ART, by the screening visit type."
            ),
            "events",
            ("treatment", "screening_type"),
            cxca_tx,
        ),
        Indicator(
            "TX_NEW",
            _l("TX_NEW: newly started on ART here"),
            _l("People whose ART start date at this clinic falls in the period."),
            "people",
            ("sex", "age_band", "kp_type"),
            tx_new,
        ),
        Indicator(
            "GEND_GBV",
            _l("GEND_GBV: post-violence clinical care"),
            _l(
                "People given clinical care after violence (a violence-support visit or PEP after sexual "
                "violence), once each; both kinds count as sexual violence. PEP given is a sub-count."
            ),
            "people",
            ("violence_type", "pep_given", "sex", "age_band"),
            gend_gbv,
        ),
        Indicator(
            "SW_VISITS",
            _l("Sex-worker visits"),
            _l("Visits by clients recorded as sex workers."),
            "events",
            ("visit_type", "sex", "kp_type"),
            sw_visits,
        ),
        Indicator(
            "SW_PEOPLE",
            _l("Sex workers seen (unique people)"),
            _l("Distinct sex workers with at least one visit in the period."),
            "people",
            ("sex", "kp_type", "age_band"),
            sw_people,
        ),
        Indicator(
            "VISITS",
            _l("Visits"),
            _l("Every visit in the period, new and return."),
            "events",
            ("visit_type", "sex", "kp_type"),
            all_visits,
        ),
        Indicator(
            "HIV_TESTS",
            _l("HIV tests and results"),
            _l("Every HIV test with a final result, given to the client or not."),
            "events",
            ("result", "sex", "kp_type"),
            hiv_tests_all,
        ),
        Indicator(
            "CERVICAL_ALL",
            _l("Cervical screenings of all clients"),
            _l("Clients of any HIV status with a completed cervical screen in the period, once each."),
            "people",
            ("cx_result", "screening_type", "age_band"),
            cervical_all,
        ),
        Indicator(
            "STI_SCREENED",
            _l("STI screenings"),
            _l("Visits with STI screening, and whether treatment was given."),
            "events",
            ("treated",),
            sti_screened,
        ),
        Indicator(
            "PEP_GIVEN", _l("PEP given"), _l("PEP courses started, by exposure."), "events", ("exposure",), pep_given
        ),
        Indicator(
            "COMMODITIES",
            _l("Condoms and lubricant distributed"),
            _l("Pieces handed out at the clinic and by peer educators at outreach."),
            "pieces",
            ("item", "channel"),
            commodities,
        ),
        Indicator(
            "OUTREACH_CONTACTS",
            _l("Outreach contacts"),
            _l("Contacts recorded by peer educators."),
            "events",
            ("contact_kind",),
            outreach_contacts,
        ),
        Indicator(
            "PEOPLE_REACHED",
            _l("People reached by outreach"),
            _l(
                "Each known client once, each new contact's UIC once, a contact without either as one person, "
                "a small group by its head count."
            ),
            "people",
            (),
            people_reached,
        ),
        Indicator(
            "REFERRALS",
            _l("Referrals issued and completed"),
            _l("Referral slips issued in the period, and whether the client has since come to the clinic."),
            "events",
            ("referral_status", "service"),
            referrals_issued,
        ),
        Indicator(
            "PEOPLE_TRAINED",
            _l("People trained"),
            _l("Distinct clients attending trainings or education sessions, plus head counts of others."),
            "people",
            (),
            people_trained,
        ),
    )
}
