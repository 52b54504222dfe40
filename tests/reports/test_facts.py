"""The report facts: kept on every write, equal to a full rebuild from the records."""

import importlib.util
import uuid
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import delete, select, text

from clinic_app.clients.models import KeyPopulation, Sex
from clinic_app.clients.services import merge_clients
from clinic_app.core.actor import Actor
from clinic_app.demo.seed import seed_demo
from clinic_app.extensions import db
from clinic_app.outreach.models import ContactKind, OutreachContact, Referral, ReferralService
from clinic_app.reports import upkeep
from clinic_app.reports.models import ReportPerson, ReportPrevention, ReportVisit
from clinic_app.screening.models import (
    ArtSite,
    CervicalResult,
    CervicalTreatment,
    HivResult,
    StiTreatment,
    TreatmentTiming,
)
from clinic_app.visits.inputs import PepInput, StiInput, ViolenceInput
from clinic_app.visits.models import (
    PepExposure,
    PepRegimen,
    PrepDistribution,
    PrepEventType,
    PrepRegimen,
    PrepStopReason,
    ViolenceType,
    Visit,
    VisitType,
)
from clinic_app.visits.sections import CommoditiesInput, PrepInput, ServicesInput
from tests.visits.test_clinical_services import correct, negative_test, oral_prep, positive_test, record, via

# The migrations that create or extend the report facts, each with the backfill of its columns, in order.
MIGRATIONS = [
    next(Path(__file__).resolve().parents[2].glob(f"migrations/versions/{revision}_*.py"))
    for revision in ("f5bb608bceae", "3b7e91c04d2a", "4c8f02d15e3b", "eaf96741b992", "6a2d9e4f1c83")
]
TABLES = (ReportPerson, ReportVisit, ReportPrevention)


def stored() -> dict:
    """Every report fact row, by table, as sorted tuples."""
    db.session.flush()
    return {
        model.__tablename__: sorted(tuple(row) for row in db.session.execute(select(*model.__table__.c)).all())
        for model in TABLES
    }


def assert_kept_equals_rebuild() -> dict:
    kept = stored()
    upkeep.rebuild(db.session.connection())
    assert stored() == kept
    return kept


def test_the_facts_kept_on_every_write_equal_a_full_rebuild(app):
    seed_demo(n_clients=150)
    kept = assert_kept_equals_rebuild()
    assert len(kept["report_visits"]) > 500
    # The demo holds every kind of fact, so the comparison covers each column and source.
    for model in TABLES:
        rows = kept[model.__tablename__]
        for position, column in enumerate(model.__table__.c):
            assert any(row[position] not in (None, False) for row in rows), column.name
    assert {row[1] for row in kept["report_prevention"]} == {"visit", "contact", "slip"}


def backfill_from_scratch() -> None:
    """Empty the report facts and derive them again with the SQL frozen in the migrations."""
    for model in TABLES:
        db.session.execute(delete(model))
    for path in MIGRATIONS:
        spec = importlib.util.spec_from_file_location(f"report_facts_{path.stem}", path)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        migration.backfill(db.session.connection())


def test_the_migration_backfill_derives_the_same_facts_as_the_app(app):
    """The SQL frozen in the migrations (for databases upgraded with records in them) agrees with the app."""
    seed_demo(n_clients=150)
    kept = stored()
    backfill_from_scratch()
    assert stored() == kept


def test_the_rebuild_command_recomputes_every_row(app, runner):
    seed_demo(n_clients=40)
    kept = stored()
    for model in TABLES:
        db.session.execute(delete(model))
    db.session.commit()
    result = runner.invoke(args=["reports", "rebuild-facts"])
    assert result.exit_code == 0, result.output
    assert f"report_visits {len(kept['report_visits']):,}" in result.output
    db.session.expire_all()
    assert stored() == kept
    if db.engine.dialect.name == "sqlite":  # the planner has statistics of the facts' indexes now
        tables = set(db.session.scalars(text("SELECT tbl FROM sqlite_stat1")))
        assert {"report_visits", "report_people", "report_prevention"} <= tables


def contact(peer, day, **values) -> OutreachContact:
    row = OutreachContact(
        clinic_id=peer.clinic_id,
        peer_educator_id=peer.id,
        contact_date=day,
        kind=ContactKind.INDIVIDUAL,
        submission_key=uuid.uuid4(),
        **values,
    )
    db.session.add(row)
    db.session.commit()
    return row


def prevention_of(source) -> tuple | None:
    db.session.expire_all()
    row = db.session.get(ReportPrevention, source.id)
    return None if row is None else (row.client_id, row.testing, row.another)


@pytest.mark.usefixtures("in_request")
def test_visits_corrections_edits_contacts_and_merges_keep_the_facts(nurse_actor, make, nurse, clinic):
    peer = make.user(role="peer_educator", clinic=clinic)
    admin = Actor(make.user(role="data_admin", clinic=clinic))
    person = make.client(registered_by=nurse, date_of_birth=date(1995, 8, 15), enrolled_on=date(2026, 1, 10))
    initiation = oral_prep(PrepEventType.INITIATION)
    first = record(nurse_actor, person, date(2026, 10, 1), hiv=negative_test(), prep=initiation)
    facts = db.session.get(ReportPerson, person.id)
    assert (facts.prep_initiated_on, facts.positive_on) == (date(2026, 10, 1), None)
    assert db.session.get(ReportVisit, first.id).hts_result is not None
    assert_kept_equals_rebuild()

    # A correction moves the facts; a later positive, ART start and a treated screen show in them.
    correct(nurse_actor, first, services=ServicesInput(hiv=negative_test()))
    db.session.expire_all()
    assert db.session.get(ReportPerson, person.id).prep_initiated_on is None
    later = record(
        nurse_actor,
        person,
        date(2026, 11, 2),
        hiv=positive_test(art_started_on=date(2026, 11, 2), art_site=ArtSite.THIS_CLINIC),
        cervical=via(
            CervicalResult.POSITIVE,
            treatment=CervicalTreatment.CRYOTHERAPY,
            treatment_timing=TreatmentTiming.SAME_DAY,
        ),
        commodities=CommoditiesInput(male_condoms=10),
    )
    db.session.expire_all()
    facts = db.session.get(ReportPerson, person.id)
    assert (facts.positive_on, facts.art_started_on) == (date(2026, 11, 2), date(2026, 11, 2))
    assert db.session.get(ReportVisit, later.id).cx_treated_on == date(2026, 11, 2)
    assert_kept_equals_rebuild()

    # A contact by UIC alone, before the person it names is registered: resolved on registration.
    stranger_uic = "XXYY010190F"
    by_uic = contact(peer, date(2026, 11, 5), contact_uic=stranger_uic, male_condoms=5, referral_offered=True)
    assert prevention_of(by_uic) is None
    newcomer = make.client(registered_by=nurse, uic=stranger_uic, sex=Sex.MALE, key_population=KeyPopulation.MSW)
    assert prevention_of(by_uic) == (newcomer.id, upkeep.TESTED_OR_REFERRED, 1)
    assert_kept_equals_rebuild()

    # Editing the client's UIC away from the contact's unresolves it; their sex changes every visit row.
    newcomer.uic = "ZZZZ010190M"
    db.session.commit()
    assert prevention_of(by_uic) is None
    person.sex = Sex.TRANSGENDER
    db.session.commit()
    db.session.expire_all()
    assert {v.sex for v in db.session.scalars(select(ReportVisit).where(ReportVisit.client_id == person.id))} == {
        Sex.TRANSGENDER
    }
    assert_kept_equals_rebuild()

    # A contact and a slip for a known client; then a merge moves them (bulk) and the facts follow.
    duplicate = make.client(registered_by=nurse, mother="TE", own="NO", enrolled_on=date(2026, 1, 10))
    record(nurse_actor, duplicate, date(2026, 9, 1), hiv=negative_test())
    by_number = contact(peer, date(2026, 11, 6), client_id=duplicate.id, hiv_info=True)
    dup_uic = contact(peer, date(2026, 11, 7), contact_uic=duplicate.uic, lubricant=2)
    slip = Referral(
        clinic_id=clinic.id,
        peer_educator_id=peer.id,
        code="TESTSLIP01",
        service=ReferralService.HIV_TEST,
        issued_on=date(2026, 11, 6),
        expires_on=date(2026, 12, 6),
        client_id=duplicate.id,
        submission_key=uuid.uuid4(),
    )
    db.session.add(slip)
    db.session.commit()
    assert prevention_of(dup_uic) == (duplicate.id, upkeep.NO_TESTING, 1)
    assert prevention_of(slip) == (duplicate.id, upkeep.TESTED_OR_REFERRED, 0)

    merge_clients(actor=admin, keep=person, duplicate=duplicate)

    assert prevention_of(by_number)[0] == person.id
    assert prevention_of(slip)[0] == person.id
    assert prevention_of(dup_uic) is None  # the merged record's UIC names no registered client now
    assert db.session.get(ReportPerson, person.id).positive_on == date(2026, 11, 2)
    assert_kept_equals_rebuild()

    # Deleting a contact deletes its fact; a contact turned into a group leaves KP_PREV.
    db.session.delete(db.session.get(OutreachContact, by_number.id))
    db.session.commit()
    assert prevention_of(by_number) is None
    by_uic = db.session.get(OutreachContact, by_uic.id)
    by_uic.contact_uic = person.uic
    db.session.commit()
    assert prevention_of(by_uic)[0] == person.id
    by_uic.kind, by_uic.group_size = ContactKind.GROUP, 4
    db.session.commit()
    assert prevention_of(by_uic) is None
    assert_kept_equals_rebuild()


def prep_facts(visit) -> tuple:
    db.session.expire_all()
    row = db.session.get(ReportVisit, visit.id)
    return (row.prep_event, row.prep_regimen, row.prep_distribution, row.prep_seroconverted, row.hiv_final_result)


@pytest.mark.usefixtures("in_request")
def test_the_prep_facts_follow_corrections_and_merges(nurse_actor, make, nurse, clinic):
    admin = Actor(make.user(role="data_admin", clinic=clinic))
    person = make.client(registered_by=nurse, date_of_birth=date(1995, 8, 15), enrolled_on=date(2026, 1, 10))
    record(nurse_actor, person, date(2026, 9, 1), hiv=negative_test(), prep=oral_prep(PrepEventType.INITIATION))
    community = oral_prep(regimen=PrepRegimen.CAB_LA, months_dispensed=2, distribution=PrepDistribution.COMMUNITY)
    refill = record(nurse_actor, person, date(2026, 10, 1), hiv=negative_test(), prep=community)
    stop = PrepInput(event=PrepEventType.STOP, stop_reason=PrepStopReason.HIV_POSITIVE)
    seroconversion = record(nurse_actor, person, date(2026, 11, 2), hiv=positive_test(), prep=stop)
    refill_facts = (PrepEventType.FOLLOW_UP, PrepRegimen.CAB_LA, PrepDistribution.COMMUNITY, False, HivResult.NEGATIVE)
    assert prep_facts(refill) == refill_facts
    # A stop gives no regimen: the visit takes the one last given before it (its PrEP type).
    stopped = (PrepEventType.STOP, PrepRegimen.CAB_LA, PrepDistribution.FACILITY, True, HivResult.POSITIVE)
    assert prep_facts(seroconversion) == stopped
    facts = db.session.get(ReportPerson, person.id)
    assert (facts.prep_initiated_on, facts.prep_first_on) == (date(2026, 9, 1), date(2026, 9, 1))
    assert_kept_equals_rebuild()

    # A correction takes the refill's PrEP away: the stop now follows the initiation's regimen.
    correct(nurse_actor, refill, services=ServicesInput(hiv=negative_test()))
    assert prep_facts(refill) == (None, None, None, None, HivResult.NEGATIVE)
    assert prep_facts(seroconversion)[1] == PrepRegimen.TDF_FTC
    assert_kept_equals_rebuild()

    # A merge brings an earlier PrEP record: the client's first PrEP record moves to it.
    duplicate = make.client(registered_by=nurse, mother="TE", own="NO", enrolled_on=date(2026, 1, 10))
    ring = oral_prep(PrepEventType.INITIATION, regimen=PrepRegimen.RING)
    record(nurse_actor, duplicate, date(2026, 8, 3), hiv=negative_test(), prep=ring)
    merge_clients(actor=admin, keep=person, duplicate=duplicate)
    db.session.expire_all()
    facts = db.session.get(ReportPerson, person.id)
    assert (facts.prep_initiated_on, facts.prep_first_on) == (date(2026, 8, 3), date(2026, 8, 3))
    assert_kept_equals_rebuild()


@pytest.mark.usefixtures("in_request")
def test_a_stop_takes_the_regimen_recorded_last_when_two_earlier_visits_share_a_date(
    nurse_actor, make, nurse, other_clinic
):
    # Counted by hand: on 1 Oct she starts oral PrEP at another Blue Box on the corridor; the same day
    # she comes here and the nurse gives the injectable instead (recorded second). A clinic adds a
    # second visit of the day to the first, so two visits on one date are two clinics' visits. Her
    # stop on 2 Nov was of the injectable.
    there = Actor(make.user(role="nurse", clinic=other_clinic))
    person = make.client(registered_by=nurse, enrolled_on=date(2026, 1, 10))
    record(there, person, date(2026, 10, 1), hiv=negative_test(), prep=oral_prep(PrepEventType.INITIATION))
    injectable = oral_prep(PrepEventType.FOLLOW_UP, regimen=PrepRegimen.CAB_LA, months_dispensed=2)
    record(nurse_actor, person, date(2026, 10, 1), hiv=negative_test(), prep=injectable)
    stop = PrepInput(event=PrepEventType.STOP, stop_reason=PrepStopReason.HIV_POSITIVE)
    seroconversion = record(nurse_actor, person, date(2026, 11, 2), hiv=positive_test(), prep=stop)
    assert prep_facts(seroconversion)[:2] == (PrepEventType.STOP, PrepRegimen.CAB_LA)
    assert_kept_equals_rebuild()


def gbv_facts(visit) -> tuple:
    db.session.expire_all()
    row = db.session.get(ReportVisit, visit.id)
    return (row.gbv_sexual, row.gbv_pep)


@pytest.mark.usefixtures("in_request")
def test_the_violence_care_facts_follow_corrections_and_merges(nurse_actor, make, nurse, clinic):
    admin = Actor(make.user(role="data_admin", clinic=clinic))
    person = make.client(registered_by=nurse, enrolled_on=date(2026, 1, 10))
    pep = PepInput(PepExposure.SEXUAL_VIOLENCE, hours_since_exposure=10, regimen=PepRegimen.TDF_3TC_DTG)
    care = record(nurse_actor, person, date(2026, 9, 1), pep=pep, violence=ViolenceInput([ViolenceType.SEXUAL]))
    plain = record(nurse_actor, person, date(2026, 9, 8), hiv=negative_test())
    assert (gbv_facts(care), gbv_facts(plain)) == ((True, True), (None, None))
    assert_kept_equals_rebuild()

    # Corrected to physical violence without PEP; the other visit corrected to give violence care.
    correct(nurse_actor, care, services=ServicesInput(violence=ViolenceInput([ViolenceType.PHYSICAL])))
    correct(nurse_actor, plain, services=ServicesInput(violence=ViolenceInput([ViolenceType.EMOTIONAL])))
    assert (gbv_facts(care), gbv_facts(plain)) == ((False, False), (False, False))
    assert_kept_equals_rebuild()

    # A merge moves the duplicate's care visit to the kept client's facts.
    duplicate = make.client(registered_by=nurse, mother="TE", own="NO", enrolled_on=date(2026, 1, 10))
    theirs = record(nurse_actor, duplicate, date(2026, 9, 2), violence=ViolenceInput([ViolenceType.SEXUAL]))
    merge_clients(actor=admin, keep=person, duplicate=duplicate)
    db.session.expire_all()
    assert db.session.get(ReportVisit, theirs.id).client_id == person.id
    assert gbv_facts(theirs) == (True, False)
    assert_kept_equals_rebuild()


def programme_facts(visit) -> tuple:
    db.session.expire_all()
    row = db.session.get(ReportVisit, visit.id)
    return (row.visit_type, row.sti_treated, row.pep_exposure, row.male_condoms, row.female_condoms, row.lubricant)


@pytest.mark.usefixtures("in_request")
def test_the_programme_facts_follow_corrections_and_merges(nurse_actor, make, nurse, clinic):
    admin = Actor(make.user(role="data_admin", clinic=clinic))
    person = make.client(registered_by=nurse, enrolled_on=date(2026, 1, 10))
    pep = PepInput(PepExposure.CONDOM_FAILURE, hours_since_exposure=10, regimen=PepRegimen.TDF_3TC_DTG)
    treated = StiInput(treatments=[StiTreatment.SYNDROMIC])
    visit = record(nurse_actor, person, date(2026, 9, 1), sti=treated, pep=pep, commodities=CommoditiesInput(10, 0, 20))
    plain = record(nurse_actor, person, date(2026, 9, 8), hiv=negative_test())
    assert programme_facts(visit) == (VisitType.RETURN, True, PepExposure.CONDOM_FAILURE, 10, None, 20)
    assert programme_facts(plain) == (VisitType.RETURN, None, None, None, None, None)
    assert_kept_equals_rebuild()

    # Corrected: screened without treatment, no PEP, other commodities; the other visit typed as new.
    correct(nurse_actor, visit, services=ServicesInput(sti=StiInput(), commodities=CommoditiesInput(0, 5, 0)))
    assert programme_facts(visit) == (VisitType.RETURN, False, None, None, 5, None)
    db.session.get(Visit, plain.id).visit_type = VisitType.NEW
    db.session.commit()
    assert programme_facts(plain)[0] == VisitType.NEW
    assert_kept_equals_rebuild()

    # A merge moves the duplicate's visit (bulk) and its facts follow it to the kept client.
    duplicate = make.client(registered_by=nurse, mother="TE", own="NO", enrolled_on=date(2026, 1, 10))
    theirs = record(nurse_actor, duplicate, date(2026, 9, 2), pep=pep, commodities=CommoditiesInput(lubricant=3))
    merge_clients(actor=admin, keep=person, duplicate=duplicate)
    db.session.expire_all()
    assert db.session.get(ReportVisit, theirs.id).client_id == person.id
    assert programme_facts(theirs) == (VisitType.RETURN, None, PepExposure.CONDOM_FAILURE, None, None, 3)
    assert_kept_equals_rebuild()


def test_the_quality_flags_backfill_takes_ages_as_the_app_does_on_birthdays(app, make, clinic):
    """A client 9 the day before their 10th birthday, 10 on it, 100 and 101 likewise; a 29 February birthday
    counts on 1 March: the age flag of the migration's frozen SQL equals the app's (to_fix bit 32)."""
    from clinic_app.reports.models import TO_FIX

    visits = {
        ("2016-06-15", "2026-06-14"): True,  # 9
        ("2016-06-15", "2026-06-15"): False,  # 10 on the day
        ("2016-02-29", "2026-02-28"): True,  # 9 until 1 March
        ("2016-02-29", "2026-03-01"): False,
        ("1925-06-15", "2026-06-14"): False,  # 100
        ("1925-06-15", "2026-06-15"): True,  # 101
    }
    for born, seen in visits:
        client = make.client(date_of_birth=date.fromisoformat(born))
        make.visit(client=client, clinic=clinic, service_date=date.fromisoformat(seen))
    kept = stored()
    flagged = {
        (str(row.dob), str(row.service_date)): bool((row.to_fix or 0) & TO_FIX["sex_or_age_missing"])
        for row in db.session.execute(select(ReportVisit.dob, ReportVisit.service_date, ReportVisit.to_fix))
    }
    assert flagged == visits
    backfill_from_scratch()
    assert stored() == kept
