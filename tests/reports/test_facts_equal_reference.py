"""Every indicator that reads the report facts gives the cells of its raw-SQL reference (reports.reference)
on randomised histories: visits with any mix of services, corrections, outreach contacts by number or UIC,
referral slips, client edits and merges, written through the ORM so the facts are the ones kept on write."""

import dataclasses
import uuid
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, select, tuple_

from clinic_app.clients.models import KeyPopulation, Sex
from clinic_app.clients.services import fold_records
from clinic_app.extensions import db
from clinic_app.outreach.models import ContactKind, OutreachContact, Referral, ReferralService
from clinic_app.reports import engine, quality, reference, upkeep
from clinic_app.reports.facts import Window
from clinic_app.reports.formats import get_format
from clinic_app.reports.indicators import INDICATORS
from clinic_app.screening.models import (
    AssayResult,
    CervicalMethod,
    CervicalResult,
    CervicalScreening,
    CervicalTreatment,
    CervicalVisitType,
    HivResult,
    HivTest,
    PreviousHivStatus,
    StiScreening,
    SyphilisResult,
)
from clinic_app.screening.models import (
    TestingModality as Modality,
)
from clinic_app.visits.models import (
    Commodity,
    Dispensed,
    PepCourse,
    PepExposure,
    PepRegimen,
    PrepDistribution,
    PrepEvent,
    PrepEventType,
    PrepRegimen,
    PrepStopReason,
    SelfTestDistribution,
    SelfTestKit,
    ViolenceCare,
    Visit,
    VisitReason,
    VisitReasonRow,
    VisitType,
)
from tests.reports.test_facts import stored

START = date(2025, 10, 1)
DAYS = 365
QUARTERS = [Window(START + timedelta(days=d), START + timedelta(days=d2), None) for d, d2 in
            ((0, 91), (92, 181), (182, 272), (273, 364))]  # fmt: skip
FISCAL_YEAR = Window(START, START + timedelta(days=DAYS - 1), None)
UICS = ("AAAA010190F", "BBBB020291F", "CCCC030392M", "DDDD040493T")

maybe = st.none() | st.just(True)
hiv = st.one_of(
    st.none(),
    st.builds(
        dict,
        previous_status=st.sampled_from(PreviousHivStatus),
        modality=st.sampled_from(Modality) | st.none(),
        screening_result=st.sampled_from(AssayResult) | st.none(),
        final_result=st.sampled_from(HivResult) | st.none(),
        result_received=st.booleans(),
        declined=st.booleans(),
        art_started_on=st.none() | st.integers(-30, DAYS),
        art_referred_to=st.none() | st.just("District hospital ART clinic"),
    ),
)
cervical = st.one_of(
    st.none(),
    st.builds(
        dict,
        screening_type=st.sampled_from(CervicalVisitType),
        method=st.sampled_from(CervicalMethod),
        result=st.sampled_from(CervicalResult) | st.none(),
        triage_result=st.sampled_from(CervicalResult) | st.none(),
        treatment=st.sampled_from(CervicalTreatment) | st.none(),
        treated_on=st.none() | st.integers(0, 60),
        outside_age_reason=st.none() | st.just("older"),
    ),
)
prep = st.builds(
    dict,
    event=st.sampled_from(PrepEventType),
    regimen=st.sampled_from(PrepRegimen) | st.none(),
    distribution=st.sampled_from(PrepDistribution),
    stop_reason=st.sampled_from(PrepStopReason) | st.none(),
)
visit = st.fixed_dictionaries(
    {
        "client": st.integers(0, 7),
        "day": st.integers(0, DAYS - 1),
        "clinic": st.integers(0, 1),
        "hiv": hiv,
        "prep": st.none() | prep,
        "cervical": cervical,
        "visit_type": st.sampled_from(VisitType),
        "condoms": st.sampled_from((0, 0, 10)),
        "female_condoms": st.sampled_from((0, 0, 4)),
        "lubricant": st.sampled_from((0, 0, 20)),
        "sti": st.none() | st.sampled_from(([], ["syndromic"], ["referred", "partner_slip"])),
        "pep": st.none() | st.sampled_from(PepExposure),
        "violence": st.none() | st.builds(dict, sexual=st.booleans(), physical=st.booleans(), emotional=st.booleans()),
        "violence_reason": st.booleans(),
        "kit": maybe,
    }
)
contact = st.fixed_dictionaries(
    {
        "client": st.none() | st.integers(0, 7),
        "uic": st.none() | st.sampled_from(UICS),
        "day": st.integers(0, DAYS - 1),
        "group": st.booleans(),
        "condoms": st.sampled_from((0, 5)),
        "info": st.booleans(),
        "kits": st.sampled_from((0, 1)),
        "referral": st.booleans(),
        "declined": st.booleans(),
    }
)
person = st.fixed_dictionaries(
    {
        "sex": st.sampled_from(Sex),
        "dob": st.none() | st.dates(date(1920, 1, 1), date(2020, 1, 1)),  # some under 10 or over 100
        "kp": st.sampled_from(KeyPopulation),
        "uic": st.none() | st.sampled_from(UICS),
    }
)
history = st.fixed_dictionaries(
    {
        "people": st.lists(person, min_size=8, max_size=8),
        "visits": st.lists(visit, max_size=40),
        "corrections": st.lists(st.tuples(st.integers(0, 39), hiv), max_size=4),
        "contacts": st.lists(contact, max_size=15),
        "slips": st.lists(st.tuples(st.integers(0, 7), st.integers(0, DAYS - 1)), max_size=5),
        "edits": st.lists(st.tuples(st.integers(0, 7), person), max_size=3),
        "merges": st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7)), max_size=2),
    }
)


def _day(offset: int) -> date:
    return START + timedelta(days=offset)


def _hiv_test(clinic_id, values: dict) -> HivTest:
    values = dict(values)
    art = values.pop("art_started_on")
    return HivTest(clinic_id=clinic_id, art_started_on=None if art is None else _day(art), **values)


def _write(data: dict, make, nurse, peer, clinics) -> None:
    people = []
    for i, p in enumerate(data["people"]):
        uic = p["uic"] or f"P{i:03d}{uuid.uuid4().hex[:6].upper()}"
        people.append(
            make.client(registered_by=nurse, sex=p["sex"], date_of_birth=p["dob"], key_population=p["kp"], uic=uic)
        )
    visits, seen = [], set()
    for v in data["visits"]:
        client, clinic = people[v["client"]], clinics[v["clinic"]]
        if (client.id, clinic.id, v["day"]) in seen:
            continue
        seen.add((client.id, clinic.id, v["day"]))
        row = Visit(
            clinic_id=clinic.id,
            client_id=client.id,
            recorded_by_id=nurse.id,
            service_date=_day(v["day"]),
            visit_type=v["visit_type"],
        )
        if v["hiv"]:
            row.hiv_test = _hiv_test(clinic.id, v["hiv"])
        if v["prep"]:
            row.prep_event = PrepEvent(clinic_id=clinic.id, **v["prep"])
        if v["cervical"]:
            values = dict(v["cervical"])
            treated = values.pop("treated_on")
            treated_on = None if treated is None else _day(v["day"] + treated)
            row.cervical_screening = CervicalScreening(clinic_id=clinic.id, treated_on=treated_on, **values)
        items = ((Commodity.MALE_CONDOMS, "condoms"), (Commodity.FEMALE_CONDOMS, "female_condoms"),
                 (Commodity.LUBRICANT, "lubricant"))  # fmt: skip
        row.dispensed = [Dispensed(clinic_id=clinic.id, item=item, quantity=v[key]) for item, key in items if v[key]]
        if v["sti"] is not None:
            row.sti_screening = StiScreening(
                clinic_id=clinic.id, syphilis_result=SyphilisResult.NOT_DONE, treatments=v["sti"]
            )
        if v["pep"]:
            row.pep_course = PepCourse(
                clinic_id=clinic.id,
                exposure=v["pep"],
                hours_since_exposure=10,
                regimen=PepRegimen.TDF_3TC_DTG,
            )
        if v["violence"]:
            row.violence_care = ViolenceCare(clinic_id=clinic.id, **v["violence"])
        if v["violence_reason"]:
            row.reason_rows = [VisitReasonRow(reason=VisitReason.VIOLENCE)]
        if v["kit"]:
            row.self_test_kit = SelfTestKit(clinic_id=clinic.id, distribution=SelfTestDistribution.ASSISTED, for_self=1)
        db.session.add(row)
        db.session.commit()
        visits.append(row)
    for index, values in data["corrections"]:
        if index < len(visits):
            target = visits[index]
            if target.hiv_test is not None:
                db.session.delete(target.hiv_test)
                db.session.flush()
            if values:
                target.hiv_test = _hiv_test(target.clinic_id, values)
            db.session.commit()
    for c in data["contacts"]:
        db.session.add(
            OutreachContact(
                clinic_id=peer.clinic_id,
                peer_educator_id=peer.id,
                contact_date=_day(c["day"]),
                kind=ContactKind.GROUP if c["group"] else ContactKind.INDIVIDUAL,
                group_size=3 if c["group"] else None,
                client_id=None if c["client"] is None else people[c["client"]].id,
                contact_uic=c["uic"],
                male_condoms=c["condoms"],
                hiv_info=c["info"],
                self_test_kits=c["kits"],
                referral_offered=c["referral"],
                test_declined=c["declined"],
                submission_key=uuid.uuid4(),
            )
        )
        db.session.commit()
    for n, (client, day) in enumerate(data["slips"]):
        db.session.add(
            Referral(
                clinic_id=peer.clinic_id,
                peer_educator_id=peer.id,
                code=f"SLIP{n:04d}{uuid.uuid4().hex[:4]}",
                service=ReferralService.HIV_TEST,
                issued_on=_day(day),
                expires_on=_day(day + 30),
                client_id=people[client].id,
                submission_key=uuid.uuid4(),
            )
        )
        db.session.commit()
    for index, p in data["edits"]:
        client = people[index]
        client.sex, client.date_of_birth, client.key_population = p["sex"], p["dob"], p["kp"]
        if p["uic"]:
            client.uic = p["uic"]
        db.session.commit()
    for keep, duplicate in data["merges"]:
        keep, duplicate = people[keep], people[duplicate]
        db.session.refresh(keep)
        db.session.refresh(duplicate)
        if keep.id == duplicate.id or keep.is_merged or duplicate.is_merged:
            continue
        same_day = select(Visit.clinic_id, Visit.service_date).where(Visit.client_id == keep.id)
        clash = db.session.scalar(
            select(func.count())
            .select_from(Visit)
            .where(Visit.client_id == duplicate.id, tuple_(Visit.clinic_id, Visit.service_date).in_(same_day))
        )
        if not clash:
            fold_records(keep, duplicate)
            db.session.commit()


def _wipe() -> None:
    keep = {"users", "clinics"}
    for table in reversed(db.metadata.sorted_tables):
        if table.name not in keep:
            db.session.execute(delete(table))
    db.session.commit()


def _cells(indicator, window, fmt):
    return {k: v for k, v in engine.aggregate(indicator, indicator.dimensions, window, fmt).items() if v}


def _assert_equal_to_reference() -> None:
    fmt = get_format("mer")
    for code, raw in reference.REFERENCE.items():
        converted = INDICATORS[code]
        as_before = dataclasses.replace(converted, facts=raw, trend_facts=None)
        for window in (*QUARTERS, FISCAL_YEAR, Window(QUARTERS[1].start, QUARTERS[1].end, ())):
            assert _cells(converted, window, fmt) == _cells(as_before, window, fmt), (code, window)
        if converted.trend_facts is not None:
            per_period = [sum(engine.aggregate(as_before, (), w, fmt).values()) for w in QUARTERS]
            assert engine.trend_in_one_pass(converted, tuple(QUARTERS)) == per_period, code
    check = quality.CHECKS_BY_CODE["prep_followup_without_initiation"]
    for window in (*QUARTERS, FISCAL_YEAR):
        raw = select(func.count()).select_from(reference.prep_followup_without_initiation(window).subquery())
        assert quality._count(check, window) == db.session.scalar(raw)
    # Every check the counts read in another shape finds what its list for staff (the records) finds.
    one_clinic = Window(FISCAL_YEAR.start, FISCAL_YEAR.end, (db.session.scalar(select(Visit.clinic_id).limit(1)),))
    for check in (c for c in quality.CHECKS if c.facts is not None):
        for window in (*QUARTERS, FISCAL_YEAR, one_clinic):
            listed = quality.finding_rows(check.code, window)
            assert quality._count(check, window) == len(listed), (check.code, window)
            by_clinic = {}
            for row in listed:
                clinic_id = db.session.get(Visit, row.visit_id).clinic_id
                by_clinic[clinic_id] = by_clinic.get(clinic_id, 0) + 1
            assert quality.count_by_clinic(check.code, window) == by_clinic, (check.code, window)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=history)
def test_each_converted_indicator_equals_its_raw_sql_reference(app, make, nurse, clinic, other_clinic, data):
    peer = make.user(role="peer_educator", clinic=clinic)
    try:
        _write(data, make, nurse, peer, (clinic, other_clinic))
        kept = stored()
        upkeep.rebuild(db.session.connection())
        assert stored() == kept  # the facts kept on every write are the rebuild's
        _assert_equal_to_reference()
    finally:
        db.session.rollback()
        _wipe()


def test_the_converted_indicators_equal_the_reference_on_the_demo(app):
    from clinic_app.demo.seed import seed_demo

    seed_demo(n_clients=200)
    fmt = get_format("mer")
    for code, raw in reference.REFERENCE.items():
        converted = INDICATORS[code]
        as_before = dataclasses.replace(converted, facts=raw, trend_facts=None)
        for year in (2024, 2025, 2026):
            window = Window(date(year, 1, 1), date(year, 12, 31), None)
            cells = _cells(converted, window, fmt)
            assert cells == _cells(as_before, window, fmt), (code, year)
    counted = sum(sum(_cells(INDICATORS[c], Window(date(2020, 1, 1), date(2027, 1, 1), None), fmt).values())
                  for c in reference.REFERENCE)  # fmt: skip
    assert counted > 0
