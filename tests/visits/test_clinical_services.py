"""The clinical rules as record_visit and update_visit enforce them, against what the registry holds."""

from datetime import date

import pytest
from sqlalchemy import select

from clinic_app.clients.models import KeyPopulation, Sex
from clinic_app.clients.services import merge_clients
from clinic_app.core.actor import Actor
from clinic_app.core.errors import Invalid
from clinic_app.core.timeutil import add_months
from clinic_app.extensions import db
from clinic_app.screening.models import (
    ArtSite,
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
    StiSyndrome,
    TreatmentTiming,
)
from clinic_app.screening.models import TestingModality as Modality
from clinic_app.visits.models import (
    Dispensed,
    PepCourse,
    PepExposure,
    PepRegimen,
    PrepEvent,
    PrepEventType,
    PrepRegimen,
    PrepStopReason,
    SelfTestDistribution,
    SelfTestKit,
    ViolenceCare,
    ViolenceType,
    Visit,
    VisitReasonRow,
    VisitRevision,
)
from clinic_app.visits.recording import load_sections
from clinic_app.visits.sections import (
    CervicalInput,
    CervicalTreatmentInput,
    CommoditiesInput,
    HivTestInput,
    PepInput,
    PrepInput,
    SelfTestInput,
    ServicesInput,
    StiInput,
    ViolenceInput,
)
from clinic_app.visits.services import VisitInput, record_visit, update_visit
from tests.conftest import TODAY
from tests.helpers import audit_events, count

pytestmark = pytest.mark.usefixtures("in_request")

DAY = date(2026, 11, 2)
STORED = (
    Visit,
    VisitReasonRow,
    HivTest,
    StiScreening,
    CervicalScreening,
    PrepEvent,
    PepCourse,
    SelfTestKit,
    ViolenceCare,
    Dispensed,
    VisitRevision,
)


@pytest.fixture
def person(make, nurse):
    return make.client(registered_by=nurse, date_of_birth=date(1995, 8, 15), enrolled_on=date(2026, 1, 10))


@pytest.fixture
def elsewhere(make, other_clinic):
    """A nurse at another Blue Box along the corridor."""
    return Actor(make.user(role="nurse", clinic=other_clinic))


def rows() -> dict[str, int]:
    return {model.__name__: count(model) for model in STORED}


def _showing_fields(service, **kw):
    """Call a service; a refusal's message also names the fields, so a failing test says why."""
    try:
        return service(**kw)
    except Invalid as error:
        error.args = (f"{error.message} {error.field_errors}",)
        raise


def record(actor, client, day=DAY, **sections):
    data = VisitInput(service_date=day, visit_type="return", reasons=["general"])
    return _showing_fields(
        record_visit, actor=actor, client=client, data=data, services=ServicesInput(**sections), today=TODAY
    )


def correct(actor, visit, day=None, services=None):
    data = VisitInput(service_date=day or visit.service_date, visit_type="return", reasons=["general"])
    return _showing_fields(update_visit, actor=actor, visit=visit, data=data, services=services, today=TODAY)


def negative_test(**overrides):
    values = dict(
        previous_status=PreviousHivStatus.NEGATIVE,
        modality=Modality.FACILITY_KP,
        screening_result=AssayResult.NON_REACTIVE,
        result_received=True,
    )
    values.update(overrides)
    return HivTestInput(**values)


def positive_test(**overrides):
    return negative_test(screening_result=AssayResult.REACTIVE, confirmatory_result=AssayResult.REACTIVE, **overrides)


def oral_prep(event=PrepEventType.FOLLOW_UP, **overrides):
    values = dict(event=event, regimen=PrepRegimen.TDF_FTC, months_dispensed=3)
    values.update(overrides)
    return PrepInput(**values)


def via(result=CervicalResult.NEGATIVE, **overrides):
    values = dict(screening_type=CervicalVisitType.FIRST, method=CervicalMethod.VIA, result=result)
    values.update(overrides)
    return CervicalInput(**values)


EARLIER = date(2026, 6, 1)

# One refusal per rule: (history recorded first, sections of the refused visit, client overrides, field, text).
REFUSALS = {
    "hiv_test_is_complete": ([], {"hiv": negative_test(previous_status=None)}, {}, "hiv-previous_status", "knew"),
    "known_positive_not_retested": (
        [{"hiv": positive_test(art_started_on=EARLIER, art_site=ArtSite.THIS_CLINIC)}],
        {"hiv": negative_test()},
        {},
        "hiv-screening_result",
        "already known HIV positive (since 2026-06-01)",
    ),
    "index_testing_halted_for_key_populations": (
        [],
        {"hiv": negative_test(modality=Modality.INDEX)},
        {},
        "hiv-modality",
        "Index testing is halted",
    ),
    "confirmatory_only_after_reactive": (
        [],
        {"hiv": negative_test(confirmatory_result=AssayResult.REACTIVE)},
        {},
        "hiv-confirmatory_result",
        "only after a reactive screening test",
    ),
    "tiebreaker_follows_the_national_algorithm": (
        [],
        {
            "hiv": negative_test(
                screening_result=AssayResult.REACTIVE,
                confirmatory_result=AssayResult.NON_REACTIVE,
                tiebreaker_result=AssayResult.REACTIVE,
            )
        },
        {},
        "hiv-tiebreaker_result",
        "has no tie-breaker test",
    ),
    "art_linkage_only_for_positives": (
        [],
        {"hiv": negative_test(art_started_on=DAY, art_site=ArtSite.THIS_CLINIC)},
        {},
        "hiv-art_started_on",
        "confirmed positive result",
    ),
    "no_prep_for_positive": (
        [],
        {"hiv": positive_test(), "prep": oral_prep(PrepEventType.INITIATION)},
        {},
        "prep-event",
        "latest confirmed HIV result is positive. Link the client to ART, and record PrEP as stopped today",
    ),
    "seroconversion_stop_needs_the_positive_result": (
        [{"hiv": negative_test(), "prep": oral_prep(PrepEventType.INITIATION)}],
        {"hiv": negative_test(), "prep": PrepInput(PrepEventType.STOP, stop_reason=PrepStopReason.HIV_POSITIVE)},
        {},
        "prep-stop_reason",
        "PrEP is stopped for seroconversion on the result",
    ),
    "prep_new_means_never_before": (
        [{"hiv": negative_test(), "prep": oral_prep(PrepEventType.INITIATION)}],
        {"hiv": negative_test(), "prep": oral_prep(PrepEventType.INITIATION)},
        {},
        "prep-event",
        "has been on PrEP before (first record 2026-06-01)",
    ),
    "prep_refill_long_after_the_supply_is_a_restart": (
        [{"hiv": negative_test(), "prep": oral_prep(PrepEventType.INITIATION, months_dispensed=1)}],
        {"hiv": negative_test(), "prep": oral_prep()},
        {},
        "prep-event",
        "ran out on 2026-07-01, more than 30 days ago: this is a restart. Test for HIV first",
    ),
    "prep_refill_needs_a_recent_hiv_test": (
        [{"hiv": negative_test(), "prep": oral_prep(PrepEventType.INITIATION, months_dispensed=6)}],
        {"prep": oral_prep()},
        {},
        "prep-no_test_reason",
        "No HIV test today or in the last 3 months: a PrEP refill needs one.",
    ),
    "prep_start_needs_negative_test": (
        [],
        {"prep": oral_prep(PrepEventType.INITIATION)},
        {},
        "prep-event",
        "negative HIV test today or in the last 7 days",
    ),
    "prep_dispensing_is_complete": (
        [],
        {"hiv": negative_test(), "prep": oral_prep(PrepEventType.INITIATION, regimen=PrepRegimen.CAB_LA)},
        {},
        "prep-months_dispensed",
        "from 1 to 2",
    ),
    "pep_within_72_hours": (
        [],
        {"pep": PepInput(PepExposure.SEXUAL_VIOLENCE, hours_since_exposure=73, regimen=PepRegimen.TDF_3TC_DTG)},
        {},
        "pep-hours_since_exposure",
        "more than 72 hours",
    ),
    "violence_care_names_the_violence": (
        [],
        {
            "violence": ViolenceInput([ViolenceType.EMOTIONAL]),
            "pep": PepInput(PepExposure.SEXUAL_VIOLENCE, hours_since_exposure=10, regimen=PepRegimen.TDF_3TC_DTG),
        },
        {},
        "violence-types",
        "tick sexual violence",
    ),
    "cervical_screening_applies": (
        [],
        {"cervical": via()},
        {"sex": Sex.MALE, "key_population": KeyPopulation.MSW},
        "cervical-screening_type",
        "recorded as male",
    ),
    "cervical_screening_is_consistent": (
        [],
        {"cervical": via(triage_result=CervicalResult.NEGATIVE)},
        {},
        "cervical-triage_result",
        "only after a positive HPV test",
    ),
    "later_treatment_is_for_an_earlier_positive_screen": (
        [],
        {"cervical_tx": CervicalTreatmentInput(screen_id=None, treatment=CervicalTreatment.CRYOTHERAPY)},
        {},
        "cervical_tx-screen_id",
        "Choose the earlier positive screen",
    ),
    "results_not_before_visit": (
        [],
        {"cervical": via(result_on=date(2026, 11, 1))},
        {},
        "cervical-result_on",
        "before the visit (2026-11-02)",
    ),
    "quantities_are_plausible": (
        [],
        {"commodities": CommoditiesInput(male_condoms=1001)},
        {},
        "commodities-male_condoms",
        "from 0 to 1000",
    ),
    "sti_findings_are_consistent": (
        [],
        {"sti": StiInput(syndromes=[StiSyndrome.NONE, StiSyndrome.ULCER])},
        {},
        "sti-syndromes",
        "'No symptoms' cannot be ticked",
    ),
}


def test_every_rule_has_a_service_level_refusal():
    from clinic_app.visits.sections import RULES

    assert set(REFUSALS) == {rule.__name__ for rule in RULES}


@pytest.mark.parametrize("rule", list(REFUSALS))
def test_record_visit_refuses_what_a_rule_refuses_and_stores_nothing(rule, make, nurse, nurse_actor):
    history, sections, client_overrides, field, text = REFUSALS[rule]
    client = make.client(registered_by=nurse, enrolled_on=date(2026, 1, 10), **client_overrides)
    for services in history:
        record(nurse_actor, client, EARLIER, **services)
    before = rows()
    with pytest.raises(Invalid) as error:
        record(nurse_actor, client, DAY, **sections)
    assert error.value.message.startswith("Nothing was saved.")
    assert field in error.value.field_errors
    assert text in error.value.field_errors[field]
    db.session.rollback()
    assert rows() == before
    assert len(audit_events("visit.create")) == len(history)


@pytest.mark.parametrize("rule", list(REFUSALS))
def test_update_visit_refuses_what_a_rule_refuses_and_changes_nothing(rule, make, nurse, nurse_actor):
    history, sections, client_overrides, field, text = REFUSALS[rule]
    client = make.client(registered_by=nurse, enrolled_on=date(2026, 1, 10), **client_overrides)
    for services in history:
        record(nurse_actor, client, EARLIER, **services)
    visit = record(nurse_actor, client, DAY, commodities=CommoditiesInput(male_condoms=10))
    before = rows()
    with pytest.raises(Invalid) as error:
        correct(nurse_actor, visit, services=ServicesInput(**sections))
    assert field in error.value.field_errors
    assert text in error.value.field_errors[field]
    db.session.rollback()
    db.session.expire_all()
    assert rows() == before
    stored = db.session.get(Visit, visit.id)
    assert [(d.item.value, d.quantity) for d in stored.dispensed] == [("male_condoms", 10)]
    assert audit_events("visit.update") == []


@pytest.mark.parametrize("app", [{"PREP_TEST_WINDOW_DAYS": 14}], indirect=True)
def test_prep_test_window_comes_from_the_configuration(nurse_actor, person):
    record(nurse_actor, person, date(2026, 10, 19), hiv=negative_test())  # 14 days before DAY
    visit = record(nurse_actor, person, DAY, prep=oral_prep(PrepEventType.INITIATION))
    assert visit.prep_event.event == PrepEventType.INITIATION


# --------------------------------------------------------------------------- what the registry knows
def test_negative_test_at_an_earlier_visit_within_seven_days_allows_a_prep_start(nurse_actor, elsewhere, person):
    record(elsewhere, person, date(2026, 10, 26), hiv=negative_test())  # 7 days before, at another clinic
    visit = record(nurse_actor, person, DAY, prep=oral_prep(PrepEventType.INITIATION))
    assert visit.prep_event.event == PrepEventType.INITIATION
    assert visit.prep_event.next_appointment_on == date(2027, 2, 2)


def test_negative_test_eight_days_before_does_not_allow_a_prep_start(nurse_actor, person):
    record(nurse_actor, person, date(2026, 10, 25), hiv=negative_test())
    with pytest.raises(Invalid) as error:
        record(nurse_actor, person, DAY, prep=oral_prep(PrepEventType.INITIATION))
    assert "in the last 7 days" in error.value.field_errors["prep-event"]
    assert count(PrepEvent) == 0


def test_prep_initiation_at_another_clinic_makes_a_second_initiation_refused(nurse_actor, elsewhere, person):
    record(elsewhere, person, EARLIER, hiv=negative_test(), prep=oral_prep(PrepEventType.INITIATION))
    with pytest.raises(Invalid) as error:
        record(nurse_actor, person, DAY, hiv=negative_test(), prep=oral_prep(PrepEventType.INITIATION))
    assert "first record 2026-06-01" in error.value.field_errors["prep-event"]
    assert count(PrepEvent) == 1
    restart = record(nurse_actor, person, DAY, hiv=negative_test(), prep=oral_prep(PrepEventType.RESTART))
    assert restart.prep_event.event == PrepEventType.RESTART


def test_prep_restart_without_any_earlier_prep_is_refused(nurse_actor, person):
    with pytest.raises(Invalid) as error:
        record(nurse_actor, person, DAY, hiv=negative_test(), prep=oral_prep(PrepEventType.RESTART))
    assert "record an initiation" in error.value.field_errors["prep-event"]
    assert count(PrepEvent) == 0


def test_positive_result_at_another_clinic_stops_prep_here(nurse_actor, elsewhere, person):
    record(nurse_actor, person, date(2026, 3, 1), hiv=negative_test(), prep=oral_prep(PrepEventType.INITIATION))
    record(elsewhere, person, EARLIER, hiv=positive_test())
    with pytest.raises(Invalid) as error:
        record(nurse_actor, person, DAY, prep=oral_prep())
    assert "latest confirmed HIV result is positive" in error.value.field_errors["prep-event"]
    assert count(PrepEvent) == 1


def test_client_who_said_they_were_positive_at_an_earlier_visit_is_not_retested(nurse_actor, person):
    record(nurse_actor, person, EARLIER, hiv=HivTestInput(previous_status=PreviousHivStatus.KNOWN_POSITIVE))
    with pytest.raises(Invalid) as error:
        record(nurse_actor, person, DAY, hiv=negative_test())
    assert "since 2026-06-01" in error.value.field_errors["hiv-screening_result"]
    assert count(HivTest) == 1


def test_a_merged_clients_prep_history_counts(make, nurse, nurse_actor, clinic, person):
    duplicate = make.client(registered_by=nurse, mother="TE", enrolled_on=date(2026, 1, 10))
    record(nurse_actor, duplicate, EARLIER, hiv=negative_test(), prep=oral_prep(PrepEventType.INITIATION))
    merge_clients(actor=Actor(make.user(role="data_admin", clinic=clinic)), keep=person, duplicate=duplicate)
    with pytest.raises(Invalid) as error:
        record(nurse_actor, person, DAY, hiv=negative_test(), prep=oral_prep(PrepEventType.INITIATION))
    assert "first record 2026-06-01" in error.value.field_errors["prep-event"]
    restart = record(nurse_actor, person, DAY, hiv=negative_test(), prep=oral_prep(PrepEventType.RESTART))
    assert restart.prep_event.event == PrepEventType.RESTART


def test_a_merged_clients_positive_result_counts(make, nurse, nurse_actor, clinic, person):
    duplicate = make.client(registered_by=nurse, mother="TE", enrolled_on=date(2026, 1, 10))
    record(nurse_actor, duplicate, EARLIER, hiv=positive_test())
    merge_clients(actor=Actor(make.user(role="data_admin", clinic=clinic)), keep=person, duplicate=duplicate)
    with pytest.raises(Invalid) as error:
        record(nurse_actor, person, DAY, hiv=negative_test(), prep=oral_prep(PrepEventType.INITIATION))
    assert "already known HIV positive (since 2026-06-01)" in error.value.field_errors["hiv-screening_result"]
    assert "latest confirmed HIV result is positive" in error.value.field_errors["prep-event"]


# Visits are often typed in after the day (paper registers, a data administrator catching up):
# what happened later must not be held against an earlier date of service.
def test_an_earlier_visit_typed_in_after_a_later_positive_result_can_record_its_negative_test(nurse_actor, person):
    record(
        nurse_actor,
        person,
        date(2026, 9, 1),
        hiv=positive_test(art_started_on=date(2026, 9, 1), art_site=ArtSite.THIS_CLINIC),
    )
    earlier = record(nurse_actor, person, EARLIER, hiv=negative_test(), prep=oral_prep(PrepEventType.INITIATION))
    assert earlier.hiv_test.final_result == HivResult.NEGATIVE
    assert earlier.prep_event.event == PrepEventType.INITIATION


def test_prep_initiation_typed_in_after_a_later_follow_up_is_accepted(nurse_actor, person):
    record(nurse_actor, person, date(2026, 9, 1), hiv=negative_test(), prep=oral_prep())
    first = record(nurse_actor, person, EARLIER, hiv=negative_test(), prep=oral_prep(PrepEventType.INITIATION))
    assert first.prep_event.event == PrepEventType.INITIATION


def test_correcting_an_old_visit_of_a_client_who_later_tested_positive_is_accepted(nurse_actor, person):
    old = record(
        nurse_actor,
        person,
        EARLIER,
        hiv=negative_test(),
        prep=oral_prep(PrepEventType.INITIATION),
        commodities=CommoditiesInput(male_condoms=10),
    )
    record(nurse_actor, person, DAY, hiv=positive_test(art_started_on=DAY, art_site=ArtSite.THIS_CLINIC))
    services = ServicesInput(
        hiv=negative_test(), prep=oral_prep(PrepEventType.INITIATION), commodities=CommoditiesInput(male_condoms=20)
    )
    correct(nurse_actor, old, services=services)
    db.session.expire_all()
    assert [d.quantity for d in db.session.get(Visit, old.id).dispensed] == [20]


# --------------------------------------------------------------------------- corrections and their history
def _revisions(visit) -> dict[str, VisitRevision]:
    db.session.expire_all()
    found = db.session.scalars(select(VisitRevision).where(VisitRevision.visit_id == visit.id)).all()
    by_section = {r.section: r for r in found}
    assert len(by_section) == len(found), "one revision per changed section"
    return by_section


def _common_visit(actor, client):
    return record(
        actor,
        client,
        DAY,
        hiv=negative_test(),
        prep=oral_prep(),
        commodities=CommoditiesInput(male_condoms=30, lubricant=10),
    )


def test_recording_a_visit_writes_no_history(nurse_actor, person):
    _common_visit(nurse_actor, person)
    assert count(VisitRevision) == 0


def test_correction_keeps_before_and_after_for_each_changed_section_only(nurse_actor, person):
    visit = _common_visit(nurse_actor, person)
    services = ServicesInput(
        hiv=negative_test(),
        prep=oral_prep(months_dispensed=2),
        commodities=CommoditiesInput(male_condoms=50, lubricant=10),
    )
    correct(nurse_actor, visit, services=services)
    revisions = _revisions(visit)
    assert set(revisions) == {"prep", "commodities"}
    prep = revisions["prep"]
    assert prep.before == {
        "event": "follow_up",
        "regimen": "tdf_ftc",
        "months_dispensed": 3,
        "next_appointment_on": "2027-02-02",
        "stop_reason": None,
        "distribution": "facility",
        "no_test_reason": None,
    }
    assert prep.after == dict(prep.before, months_dispensed=2, next_appointment_on="2027-01-02")
    assert revisions["commodities"].before == {"male_condoms": 30, "lubricant": 10}
    assert revisions["commodities"].after == {"male_condoms": 50, "lubricant": 10}
    assert prep.changed_by_id == nurse_actor.id
    [event] = audit_events("visit.update")
    assert event.detail == "fields=prep,commodities"
    stored = db.session.get(Visit, visit.id)
    assert stored.prep_event.months_dispensed == 2
    assert stored.prep_event.next_appointment_on == date(2027, 1, 2)


def test_correcting_the_months_on_the_recorded_sections_recomputes_the_next_appointment(nurse_actor, person):
    """As the correction screen does: start from the sections as recorded, change the months only."""
    visit = _common_visit(nurse_actor, person)
    services = load_sections(visit)
    services.prep.months_dispensed = 1
    correct(nurse_actor, visit, services=services)
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).prep_event.next_appointment_on == add_months(DAY, 1) == date(2026, 12, 2)


def test_correction_that_changes_nothing_writes_no_history(nurse_actor, person):
    visit = _common_visit(nurse_actor, person)
    correct(nurse_actor, visit)
    assert _revisions(visit) == {}


def test_removing_a_section_deletes_its_row_and_records_after_as_none(nurse_actor, person):
    visit = _common_visit(nurse_actor, person)
    correct(nurse_actor, visit, services=ServicesInput(hiv=negative_test()))
    revisions = _revisions(visit)
    assert set(revisions) == {"prep", "commodities"}
    assert revisions["prep"].after is None
    assert revisions["prep"].before["event"] == "follow_up"
    assert revisions["commodities"].after is None
    assert revisions["commodities"].before == {"male_condoms": 30, "lubricant": 10}
    assert count(PrepEvent) == 0
    assert count(Dispensed) == 0
    assert count(HivTest) == 1


def test_adding_a_section_records_before_as_none(nurse_actor, person):
    visit = record(nurse_actor, person, DAY, commodities=CommoditiesInput(male_condoms=10))
    kits = SelfTestInput(distribution=SelfTestDistribution.UNASSISTED, for_self=1, for_partner=2)
    correct(nurse_actor, visit, services=ServicesInput(commodities=CommoditiesInput(male_condoms=10), selftest=kits))
    revisions = _revisions(visit)
    assert set(revisions) == {"selftest"}
    assert revisions["selftest"].before is None
    assert revisions["selftest"].after == {
        "distribution": "unassisted",
        "for_self": 1,
        "for_partner": 2,
        "for_other": 0,
    }
    assert count(SelfTestKit) == 1


def test_two_corrections_keep_two_revisions(nurse_actor, person):
    visit = record(nurse_actor, person, DAY, commodities=CommoditiesInput(male_condoms=10))
    correct(nurse_actor, visit, services=ServicesInput(commodities=CommoditiesInput(male_condoms=20)))
    correct(nurse_actor, visit, services=ServicesInput(commodities=CommoditiesInput(male_condoms=30)))
    found = db.session.scalars(select(VisitRevision).where(VisitRevision.visit_id == visit.id)).all()
    assert sorted((r.before["male_condoms"], r.after["male_condoms"]) for r in found) == [(10, 20), (20, 30)]


# --------------------------------------------------------------------------- derived dates follow the date of service
NEW_DAY = date(2026, 11, 5)


def _visit_with_derived_dates(actor, client):
    # No result date: the result was given on the day, whichever day that turns out to be.
    return record(actor, client, DAY, hiv=negative_test(), prep=oral_prep(), cervical=via())


def test_recorded_visit_derives_prep_appointment_and_cervical_next_due(nurse_actor, person):
    visit = _visit_with_derived_dates(nurse_actor, person)
    assert visit.prep_event.next_appointment_on == date(2027, 2, 2)
    assert visit.cervical_screening.complete is True
    assert visit.cervical_screening.next_due_on == date(2029, 11, 2)  # VIA negative, HIV negative: 3 years


def test_changing_the_visit_date_recomputes_the_derived_dates(nurse_actor, person):
    visit = _visit_with_derived_dates(nurse_actor, person)
    correct(nurse_actor, visit, day=NEW_DAY)  # only the date is corrected; the sections stay as recorded
    db.session.expire_all()
    stored = db.session.get(Visit, visit.id)
    assert stored.service_date == NEW_DAY
    assert stored.cervical_screening.next_due_on == add_months(NEW_DAY, 36) == date(2029, 11, 5)
    assert stored.prep_event.next_appointment_on == add_months(NEW_DAY, 3) == date(2027, 2, 5)


def test_changing_the_visit_date_with_the_sections_restated_recomputes_the_derived_dates(nurse_actor, person):
    visit = _visit_with_derived_dates(nurse_actor, person)
    services = ServicesInput(hiv=negative_test(), prep=oral_prep(), cervical=via())
    correct(nurse_actor, visit, day=NEW_DAY, services=services)
    db.session.expire_all()
    stored = db.session.get(Visit, visit.id)
    assert stored.prep_event.next_appointment_on == date(2027, 2, 5)
    assert stored.cervical_screening.next_due_on == date(2029, 11, 5)
    revisions = _revisions(visit)
    assert revisions["prep"].after["next_appointment_on"] == "2027-02-05"
    assert revisions["cervical"].before["next_due_on"] == "2029-11-02"
    assert revisions["cervical"].after["next_due_on"] == "2029-11-05"


def test_cervical_next_due_is_sooner_for_a_woman_known_positive_from_an_earlier_visit(nurse_actor, person):
    record(nurse_actor, person, EARLIER, hiv=positive_test(art_started_on=EARLIER, art_site=ArtSite.THIS_CLINIC))
    visit = record(nurse_actor, person, DAY, cervical=via(result_on=DAY))
    assert visit.cervical_screening.next_due_on == date(2028, 11, 2)  # 2 years for women living with HIV


def test_cervical_next_due_for_a_positive_found_at_the_same_visit(nurse_actor, person):
    visit = record(nurse_actor, person, DAY, hiv=positive_test(), cervical=via(result_on=DAY))
    assert visit.cervical_screening.next_due_on == date(2028, 11, 2)


def test_treated_cervical_screen_is_followed_up_after_a_year(nurse_actor, person):
    from clinic_app.screening.models import CervicalTreatment

    screen = via(
        CervicalResult.POSITIVE,
        result_on=DAY,
        treatment=CervicalTreatment.THERMAL_ABLATION,
        treatment_timing=TreatmentTiming.SAME_DAY,
        treated_on=DAY,
    )
    visit = record(nurse_actor, person, DAY, cervical=screen)
    assert visit.cervical_screening.next_due_on == date(2027, 11, 2)


def test_hpv_positive_awaiting_triage_is_stored_incomplete_without_a_next_date(nurse_actor, person):
    screen = via(CervicalResult.POSITIVE, method=CervicalMethod.HPV, result_on=DAY)
    visit = record(nurse_actor, person, DAY, cervical=screen)
    assert visit.cervical_screening.complete is False
    assert visit.cervical_screening.next_due_on is None


def test_pep_within_72_hours_is_stored(nurse_actor, person):
    visit = record(
        nurse_actor,
        person,
        DAY,
        pep=PepInput(PepExposure.SEXUAL_VIOLENCE, hours_since_exposure=72, regimen=PepRegimen.TDF_3TC_DTG),
    )
    assert visit.pep_course.hours_since_exposure == 72
    assert "pep" in visit.reasons
