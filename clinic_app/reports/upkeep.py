"""Keeping the report facts (reports.models) in step with the records, in the same transaction.

Like the clients' status rows (visits.status), a client's report facts are a function of their
records alone, so they are recomputed whole rather than patched: ``refresh(connection, client_ids)``
derives the people, visit and prevention rows of those clients and replaces them. Outreach contacts
that name a client by UIC only are resolved when written, so they are re-resolved whenever a client
with that UIC is registered, edited or merged (``uics=``). A session hook calls ``refresh`` after every
flush that wrote a client, visit or service, outreach contact or referral slip, so every path that
writes through the ORM keeps the facts right; writes that bypass the ORM (a merge's bulk moves, through
clients.contributions; the benchmark loader, a sync) call ``refresh`` or ``rebuild`` themselves
(``flask reports rebuild-facts``).
"""

from collections.abc import Iterable
from functools import cache
from types import SimpleNamespace

from sqlalchemy import Connection, and_, bindparam, case, delete, event, func, insert, inspect, literal, or_, select
from sqlalchemy.orm import Session, aliased

from clinic_app.clients import contributions
from clinic_app.clients.models import Client
from clinic_app.outreach.models import ContactKind, OutreachContact, Referral, ReferralService
from clinic_app.reports.facts import age_at
from clinic_app.reports.models import TO_FIX, ReportPerson, ReportPrevention, ReportVisit
from clinic_app.screening.models import (
    AssayResult,
    CervicalScreening,
    HivResult,
    HivTest,
    PreviousHivStatus,
    StiScreening,
)
from clinic_app.visits import clinical
from clinic_app.visits.models import (
    Commodity,
    Dispensed,
    PepCourse,
    PrepEvent,
    PrepEventType,
    SelfTestKit,
    ViolenceCare,
    Visit,
    VisitReasonRow,
)

CHUNK = 2000  # clients per statement (well under any bind-parameter limit)
VISIT_PARTS = (
    HivTest,
    PrepEvent,
    CervicalScreening,
    StiScreening,
    PepCourse,
    SelfTestKit,
    Dispensed,
    ViolenceCare,
    VisitReasonRow,
)
# A client's columns the facts read: a change to any other (a phone number) leaves them as they are.
CLIENT_FACTS = ("sex", "date_of_birth", "key_population", "uic", "merged_into_id")

# What a contact did toward KP_PREV's testing part (the highest in the period wins).
TESTED_OR_REFERRED, DECLINED, NO_TESTING = 2, 1, 0


# The clients a refresh derives, as the one parameter of its statements (built once: see _for_clients).
SOME_CLIENTS = "clients"


def _where(column, ids):
    """``column IN ids``, no condition at all for a full rebuild (ids None), or ``column IN :clients``
    for the statements built once (ids SOME_CLIENTS)."""
    if ids is None:
        return literal(True)
    if ids == SOME_CLIENTS:
        return column.in_(bindparam(SOME_CLIENTS, expanding=True, type_=column.type))
    return column.in_(ids)


# --- derivations: the rows of some clients (or of everyone) as INSERT ... SELECT ---------------------------


def _people(clients):
    def first(value, *conditions):
        return func.min(case((and_(*conditions), value), else_=None))

    tests = (
        select(
            Visit.client_id.label("client_id"),
            first(Visit.service_date, HivTest.final_result == HivResult.POSITIVE).label("positive_on"),
            first(Visit.service_date, HivTest.previous_status == PreviousHivStatus.KNOWN_POSITIVE).label("stated"),
            func.min(HivTest.art_started_on).label("art_started_on"),
            func.max(case((clinical.linkage_recorded_sql(), 1), else_=0)).label("linked"),
        )
        .join(HivTest, HivTest.visit_id == Visit.id)
        .where(_where(Visit.client_id, clients))
        .group_by(Visit.client_id)
        .subquery()
    )
    prep = (
        select(
            Visit.client_id.label("client_id"),
            first(Visit.service_date, PrepEvent.event == PrepEventType.INITIATION).label("initiated_on"),
            func.min(Visit.service_date).label("first_on"),
        )
        .join(PrepEvent, PrepEvent.visit_id == Visit.id)
        .where(_where(Visit.client_id, clients))
        .group_by(Visit.client_id)
        .subquery()
    )
    query = (
        select(
            Client.id,
            Client.sex,
            Client.date_of_birth,
            Client.key_population,
            tests.c.positive_on,
            tests.c.stated,
            tests.c.art_started_on,
            prep.c.initiated_on,
            prep.c.first_on,
            case((tests.c.linked == 1, True), (tests.c.linked == 0, False), else_=None),
        )
        .outerjoin(tests, tests.c.client_id == Client.id)
        .outerjoin(prep, prep.c.client_id == Client.id)
        .where(_where(Client.id, clients))
    )
    columns = (
        "client_id",
        "sex",
        "dob",
        "kp",
        "positive_on",
        "stated_positive_on",
        "art_started_on",
        "prep_initiated_on",
        "prep_first_on",
        "linked",
    )
    return insert(ReportPerson).from_select(columns, query)


def sti_treated_sql():
    """An STI screening at which a treatment was given (STI_SCREENED's treated)."""
    return func.json_array_length(StiScreening.treatments) > 0


def implausible_person_sql(sex, dob, on):
    """No sex recorded, or an age under 10 or over 100 on the date (a wrong date of birth)."""
    return or_(sex.is_(None), age_at(dob, on) < 10, age_at(dob, on) > 100)


def to_fix_sql():
    """The sum of the visit's TO_FIX flags (None: nothing to fix), over its client, test, cervical screen and PEP."""
    found = {
        "reactive_unconfirmed": and_(
            HivTest.screening_result == AssayResult.REACTIVE, HivTest.confirmatory_result.is_(None)
        ),
        "result_not_given": and_(HivTest.final_result.is_not(None), HivTest.result_received.is_(False)),
        "cervical_incomplete": and_(CervicalScreening.id.is_not(None), ~clinical.cervical_complete_sql()),
        "pep_without_outcome": and_(PepCourse.id.is_not(None), PepCourse.outcome.is_(None)),
        "positive": HivTest.final_result == HivResult.POSITIVE,
        "sex_or_age_missing": implausible_person_sql(Client.sex, Client.date_of_birth, Visit.service_date),
    }
    flags = sum(case((condition, TO_FIX[name]), else_=0) for name, condition in found.items())
    return func.nullif(flags, 0)


def _dispensed(item):
    """The visit's row of one commodity (one at most: a visit records each item once)."""
    row = aliased(Dispensed)
    return row, and_(row.visit_id == Visit.id, row.item == item)


def _visits(clients):
    given = clinical.test_result_given_sql()
    prep = PrepEvent.id.is_not(None)
    care = clinical.post_violence_care_sql(Visit, ViolenceCare, PepCourse)
    screened = CervicalScreening.id.is_not(None)
    treated = clinical.precancer_treated_sql()
    sti = StiScreening.id.is_not(None)
    male, on_male = _dispensed(Commodity.MALE_CONDOMS)
    female, on_female = _dispensed(Commodity.FEMALE_CONDOMS)
    lubricant, on_lubricant = _dispensed(Commodity.LUBRICANT)
    query = (
        select(
            Visit.id,
            Visit.client_id,
            Visit.clinic_id,
            Visit.service_date,
            Visit.created_at,
            Client.sex,
            Client.date_of_birth,
            Client.key_population,
            case((given, HivTest.modality), else_=None),
            case((given, HivTest.final_result), else_=None),
            HivTest.final_result,
            PrepEvent.event,
            case((prep, func.coalesce(PrepEvent.regimen, clinical.regimen_given_before_sql())), else_=None),
            PrepEvent.distribution,
            case((and_(prep, clinical.seroconversion_stop_sql()), True), (prep, False), else_=None),
            case((screened, CervicalScreening.screening_type), else_=None),
            clinical.cervical_outcome_sql(),
            case((screened, CervicalScreening.outside_age_reason.is_(None)), else_=None),
            case((treated, CervicalScreening.treatment), else_=None),
            case((treated, func.coalesce(CervicalScreening.treated_on, Visit.service_date)), else_=None),
            case((and_(care, clinical.sexual_violence_sql(ViolenceCare, PepCourse)), True), (care, False), else_=None),
            case((and_(care, PepCourse.id.is_not(None)), True), (care, False), else_=None),
            Visit.visit_type,
            case((and_(sti, sti_treated_sql()), True), (sti, False), else_=None),
            PepCourse.exposure,
            male.quantity,
            female.quantity,
            lubricant.quantity,
            to_fix_sql(),
        )
        .join(Client, Client.id == Visit.client_id)
        .outerjoin(HivTest, HivTest.visit_id == Visit.id)
        .outerjoin(PrepEvent, PrepEvent.visit_id == Visit.id)
        .outerjoin(CervicalScreening, CervicalScreening.visit_id == Visit.id)
        .outerjoin(ViolenceCare, ViolenceCare.visit_id == Visit.id)
        .outerjoin(PepCourse, PepCourse.visit_id == Visit.id)
        .outerjoin(StiScreening, StiScreening.visit_id == Visit.id)
        .outerjoin(male, on_male)
        .outerjoin(female, on_female)
        .outerjoin(lubricant, on_lubricant)
        .where(_where(Visit.client_id, clients))
    )
    columns = (
        "visit_id",
        "client_id",
        "clinic_id",
        "service_date",
        "created_at",
        "sex",
        "dob",
        "kp",
        "hts_modality",
        "hts_result",
        "hiv_final_result",
        "prep_event",
        "prep_regimen",
        "prep_distribution",
        "prep_seroconverted",
        "cx_type",
        "cx_result",
        "cx_in_cxca",
        "cx_treatment",
        "cx_treated_on",
        "gbv_sexual",
        "gbv_pep",
        "visit_type",
        "sti_treated",
        "pep_exposure",
        "male_condoms",
        "female_condoms",
        "lubricant",
        "to_fix",
    )
    return insert(ReportVisit).from_select(columns, query)


PREVENTION_COLUMNS = ("source_id", "source", "client_id", "clinic_id", "on_date", "testing", "another")


def _clinic_contacts(clients):
    """Each clinic visit: its testing part and whether it gave another prevention service."""
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
    query = (
        select(
            Visit.id,
            literal("visit"),
            Visit.client_id,
            Visit.clinic_id,
            Visit.service_date,
            testing,
            case((another, 1), else_=0),
        )
        .outerjoin(HivTest, HivTest.visit_id == Visit.id)
        .where(_where(Visit.client_id, clients))
    )
    return insert(ReportPrevention).from_select(PREVENTION_COLUMNS, query)


def client_by_uic():
    """The registered client an outreach contact's UIC names (the earliest registered, when several do)."""
    return (
        select(Client.id)
        .where(Client.uic == OutreachContact.contact_uic, Client.merged_into_id.is_(None))
        .order_by(Client.created_at, Client.id)
        .limit(1)
        .scalar_subquery()
    )


def _outreach_contacts(condition):
    """Each individual outreach contact matching ``condition`` that names a client, by number or UIC."""
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
    resolved = (
        select(
            OutreachContact.id.label("source_id"),
            literal("contact").label("source"),
            func.coalesce(OutreachContact.client_id, client_by_uic()).label("client_id"),
            OutreachContact.clinic_id.label("clinic_id"),
            OutreachContact.contact_date.label("on_date"),
            testing.label("testing"),
            case((another, 1), else_=0).label("another"),
        )
        .where(OutreachContact.kind == ContactKind.INDIVIDUAL, condition)
        .subquery()
    )
    query = select(*resolved.c).where(resolved.c.client_id.is_not(None))
    return insert(ReportPrevention).from_select(PREVENTION_COLUMNS, query)


def _test_slips(condition):
    """Each HIV-test referral slip issued for a known client: a referral for testing."""
    query = select(
        Referral.id,
        literal("slip"),
        Referral.client_id,
        Referral.clinic_id,
        Referral.issued_on,
        literal(TESTED_OR_REFERRED),
        literal(0),
    ).where(Referral.service == ReferralService.HIV_TEST, Referral.client_id.is_not(None), condition)
    return insert(ReportPrevention).from_select(PREVENTION_COLUMNS, query)


# --- keeping and rebuilding ------------------------------------------------------------------------------------


def _chunks(ids: list) -> Iterable[list]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


@cache
def _for_clients() -> SimpleNamespace:
    """The statements that derive some clients' facts, built once with the clients as their parameter
    (building these expressions anew cost most of a write's 35 ms)."""
    some = SOME_CLIENTS
    return SimpleNamespace(
        uics=select(Client.uic).where(_where(Client.id, some)),
        contacts_named=select(ReportPrevention.source_id).where(
            _where(ReportPrevention.client_id, some), ReportPrevention.source == "contact"
        ),
        rewrite=(
            delete(ReportPerson).where(_where(ReportPerson.client_id, some)),
            _people(some),
            delete(ReportVisit).where(_where(ReportVisit.client_id, some)),
            _visits(some),
            delete(ReportPrevention).where(_where(ReportPrevention.client_id, some)),
            _clinic_contacts(some),
            _outreach_contacts(_where(OutreachContact.client_id, some)),
            _test_slips(_where(Referral.client_id, some)),
        ),
    )


@contributions.derived_rows.register  # a merge's bulk moves
def refresh(connection: Connection, client_ids: Iterable = (), *, uics=(), contact_ids=(), referral_ids=()) -> None:
    """Rewrite the report facts of these clients, of the contacts that name any of ``uics`` (and these
    clients' UICs) by UIC alone, and of these outreach contacts and referral slips."""
    clients = sorted({c for c in client_ids if c is not None})
    uics = {u for u in uics if u}
    contact_ids = set(contact_ids)
    each = _for_clients()
    for chunk in _chunks(clients):
        given = {SOME_CLIENTS: chunk}
        uics.update(connection.scalars(each.uics, given))
        # A contact these clients had by UIC is resolved again below, even when the UIC it named is no
        # longer theirs and its old value is unknown (an edit of an expired attribute keeps no history).
        contact_ids.update(connection.scalars(each.contacts_named, given))
        for statement in each.rewrite:
            connection.execute(statement, given)
    # Contacts by UIC alone, and contacts and slips written in this flush, after every client's rows.
    contacts = sorted({c for c in contact_ids if c is not None})
    by_uic = and_(OutreachContact.client_id.is_(None), OutreachContact.contact_uic.in_(sorted(uics)))
    if uics or contacts:
        condition = or_(by_uic, OutreachContact.id.in_(contacts)) if uics else OutreachContact.id.in_(contacts)
        stale = select(OutreachContact.id).where(condition)
        connection.execute(
            delete(ReportPrevention).where(
                ReportPrevention.source == "contact",
                or_(ReportPrevention.source_id.in_(contacts), ReportPrevention.source_id.in_(stale)),
            )
        )
        connection.execute(_outreach_contacts(condition))
    slips = sorted({r for r in referral_ids if r is not None})
    if slips:
        connection.execute(
            delete(ReportPrevention).where(ReportPrevention.source == "slip", ReportPrevention.source_id.in_(slips))
        )
        connection.execute(_test_slips(Referral.id.in_(slips)))


def rebuild(connection: Connection) -> dict[str, int]:
    """Recompute every report fact from the records (after a bulk import or a sync); returns row counts."""
    for model in (ReportPerson, ReportVisit, ReportPrevention):
        connection.execute(delete(model))
    connection.execute(_people(None))
    connection.execute(_visits(None))
    connection.execute(_clinic_contacts(None))
    connection.execute(_outreach_contacts(literal(True)))
    connection.execute(_test_slips(literal(True)))
    return {
        model.__tablename__: connection.scalar(select(func.count()).select_from(model))
        for model in (ReportPerson, ReportVisit, ReportPrevention)
    }


# --- the session hook ----------------------------------------------------------------------------------------


def _old(obj, attribute) -> tuple:
    return tuple(inspect(obj).attrs[attribute].history.deleted or ())


def _client_changed(obj) -> bool:
    state = inspect(obj)
    return state.pending or state.deleted or any(state.attrs[a].history.has_changes() for a in CLIENT_FACTS)


def _touched(session: Session) -> dict:
    """What this flush wrote that the facts read (by object; bulk statements are not seen)."""
    clients, uics, visits, contacts, slips = set(), set(), set(), set(), set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Visit):
            clients.update((obj.client_id, *_old(obj, "client_id")))
        elif isinstance(obj, VISIT_PARTS):
            visits.update((obj.visit_id, *_old(obj, "visit_id")))
        elif isinstance(obj, Client):
            if obj in session.new or obj in session.deleted or _client_changed(obj):
                clients.add(obj.id)
                uics.update((obj.uic, *_old(obj, "uic")))
        elif isinstance(obj, OutreachContact):
            contacts.add(obj.id)
        elif isinstance(obj, Referral):
            slips.add(obj.id)
            clients.update(_old(obj, "client_id"))
    visits.discard(None)
    if visits:
        clients.update(session.connection().scalars(select(Visit.client_id).where(Visit.id.in_(visits))))
    return {"client_ids": clients, "uics": uics, "contact_ids": contacts, "referral_ids": slips}


@event.listens_for(Session, "after_flush")
def _keep_facts_in_step(session: Session, _flush_context) -> None:
    touched = _touched(session)
    if any(touched.values()):
        refresh(session.connection(), **touched)
