"""The MER counting rules of issue 11, one test per rule, each on histories recorded through the
app's own services (as a nurse and a peer educator would) and read back from the report.

Rule 2 is tested on the violence type recorded at the visit; crisis cases are a second source added later.
"""

import uuid
from datetime import UTC, date, datetime

import pytest

from clinic_app.clients.models import KeyPopulation, Sex
from clinic_app.core.actor import Actor, system_actor
from clinic_app.core.errors import Invalid
from clinic_app.extensions import db
from clinic_app.outreach import services as outreach
from clinic_app.outreach.models import Referral, ReferralService
from clinic_app.outreach.trainings import TrainingInput, record_training
from clinic_app.reports import services
from clinic_app.screening.models import (
    ArtSite,
    AssayResult,
    CervicalMethod,
    CervicalResult,
    CervicalTreatment,
    CervicalVisitType,
    PreviousHivStatus,
    TreatmentTiming,
)
from clinic_app.screening.models import TestingModality as Modality
from clinic_app.visits.models import (
    PepExposure,
    PepRegimen,
    PrepDistribution,
    PrepEventType,
    PrepRegimen,
    PrepStopReason,
    ViolenceType,
)
from clinic_app.visits.recording import load_sections
from clinic_app.visits.sections import (
    CervicalInput,
    CervicalTreatmentInput,
    CommoditiesInput,
    HivTestInput,
    PepInput,
    PrepInput,
    ServicesInput,
    ViolenceInput,
)
from clinic_app.visits.services import VisitInput, record_visit, update_visit
from tests.reports.test_indicators import nonzero, table

pytestmark = pytest.mark.usefixtures("in_request")

NOW = datetime(2026, 4, 20, 7, 0, tzinfo=UTC)
TODAY = date(2026, 4, 20)


def report(format_code: str, period: str):
    request = services.ReportRequest(format_code=format_code, period_code=period, clinic_codes=["BBR"])
    return services.build(actor=system_actor(), request=request, now=NOW)


def cells(format_code: str, period: str, title: str) -> dict:
    return nonzero(table(report(format_code, period), title))


@pytest.fixture
def staff(make, clinic):
    nurse = make.user(role="nurse", clinic=clinic, username="rules-nurse")
    peer = make.user(role="peer_educator", clinic=clinic, username="rules-peer")
    return Actor(nurse), Actor(peer)


@pytest.fixture
def person(make, staff):
    nurse = staff[0].user

    def make_person(born=date(1990, 5, 5), sex=Sex.FEMALE, kp=KeyPopulation.FSW, **kw):
        return make.client(
            registered_by=nurse, sex=sex, date_of_birth=born, key_population=kp, enrolled_on=date(2023, 1, 1), **kw
        )

    return make_person


ORAL = dict(regimen=PrepRegimen.TDF_FTC, months_dispensed=1)


def visit(actor, client, day, *, today=TODAY, code=None, **sections):
    data = VisitInput(service_date=day, visit_type="return", reasons=["general"], referral_code=code)
    return record_visit(actor=actor, client=client, data=data, services=ServicesInput(**sections), today=today)


def hiv_test(result="negative", **kw):
    assays = {
        "negative": (AssayResult.NON_REACTIVE, None),
        "positive": (AssayResult.REACTIVE, AssayResult.REACTIVE),
        "inconclusive": (AssayResult.REACTIVE, AssayResult.NON_REACTIVE),
    }[result]
    values = dict(
        previous_status=PreviousHivStatus.NEGATIVE,
        modality=Modality.FACILITY_KP,
        screening_result=assays[0],
        confirmatory_result=assays[1],
        result_received=True,
    )
    values.update(kw)
    return HivTestInput(**values)


def known_positive(**kw):
    return HivTestInput(previous_status=PreviousHivStatus.KNOWN_POSITIVE, **kw)


def condoms(n=10):
    return CommoditiesInput(male_condoms=n)


def contact(actor, client, day, **given):
    data = outreach.ContactInput(contact_date=day, kind="individual", client_number=client.client_number, **given)
    return outreach.record_contact(actor=actor, data=data, submission_key=uuid.uuid4(), today=day)[0]


def on_art_since(nurse, client, day):
    """A woman living with HIV who started ART at this clinic."""
    visit(nurse, client, day, hiv=hiv_test("positive", art_started_on=day, art_site=ArtSite.THIS_CLINIC))


# --------------------------------------------------------------------------- rule 1
def test_rule_1_cxca_tx_counts_women_treated_in_the_period_on_the_treatment_date(staff, person):
    nurse, _peer = staff
    # W1: screened VIA positive on 30 September (FY2025Q4), referred, treated on 1 October (FY2026Q1).
    w1 = person(born=date(1985, 1, 1))
    on_art_since(nurse, w1, date(2024, 3, 1))
    screen = visit(
        nurse,
        w1,
        date(2025, 9, 30),
        cervical=CervicalInput(
            screening_type=CervicalVisitType.FIRST, method=CervicalMethod.VIA, result=CervicalResult.POSITIVE
        ),
        today=date(2025, 9, 30),
    )
    # The treatment is recorded when it happens, on the screen it treats (the nurse opens that visit).
    later = load_sections(screen)
    later.cervical.treatment = CervicalTreatment.THERMAL_ABLATION
    later.cervical.treatment_timing = TreatmentTiming.REFERRED
    later.cervical.treated_on = date(2025, 10, 1)
    data = VisitInput(service_date=screen.service_date, visit_type="return", reasons=["general"])
    update_visit(actor=nurse, visit=screen, data=data, services=later, today=date(2025, 10, 1))
    # W2: rescreened positive in June (FY2025Q3), treated with LEEP in July (FY2025Q4).
    w2 = person(born=date(1980, 1, 1))
    on_art_since(nurse, w2, date(2023, 3, 1))
    visit(
        nurse,
        w2,
        date(2025, 6, 10),
        cervical=CervicalInput(
            screening_type=CervicalVisitType.RESCREEN,
            method=CervicalMethod.VIA,
            result=CervicalResult.POSITIVE,
            treatment=CervicalTreatment.LEEP,
            treatment_timing=TreatmentTiming.REFERRED,
            treated_on=date(2025, 7, 15),
        ),
        today=date(2025, 7, 15),
    )
    title = "CXCA_TX: treatment by screening visit type"
    assert cells("mer", "FY2026Q1", title) == {("Thermal ablation", "First screening"): 1}
    assert cells("mer", "FY2025Q4", title) == {("LEEP", "Rescreen after a negative"): 1}
    assert cells("mer", "FY2025Q3", title) == {}
    # The screens themselves stay in the quarter they were done, as does the denominator.
    positives = "CXCA_TX denominator: screen positives by visit type"
    assert cells("mer", "FY2025Q4", positives) == {("First screening", ""): 1}
    assert cells("mer", "FY2025Q3", positives) == {("Rescreen after a negative", ""): 1}


def test_rule_1_treatment_of_a_positive_screen_is_recordable_at_a_later_visit(staff, person):
    nurse, _peer = staff
    woman = person(born=date(1983, 8, 8))
    on_art_since(nurse, woman, date(2024, 2, 2))
    positive = CervicalInput(
        screening_type=CervicalVisitType.RESCREEN, method=CervicalMethod.VIA, result=CervicalResult.POSITIVE
    )
    screen = visit(nurse, woman, date(2025, 9, 15), cervical=positive)
    later = CervicalTreatmentInput(screen_id=str(screen.cervical_screening.id), treatment=CervicalTreatment.LEEP)
    treated = visit(nurse, woman, date(2025, 10, 3), cervical_tx=later, commodities=condoms())
    db.session.refresh(screen.cervical_screening)
    assert (screen.cervical_screening.treatment, screen.cervical_screening.treated_on) == (
        CervicalTreatment.LEEP,
        date(2025, 10, 3),
    )
    assert [r.section for r in screen_history(screen)] == ["cervical"]  # the screen's record keeps the change
    assert cells("mer", "FY2026Q1", "CXCA_TX: treatment by screening visit type") == {
        ("LEEP", "Rescreen after a negative"): 1
    }
    assert cells("mer", "FY2025Q4", "CXCA_TX: treatment by screening visit type") == {}
    # The same screen cannot be treated twice, nor a screen of another client.
    with pytest.raises(Invalid) as caught:
        visit(nurse, woman, date(2025, 10, 20), cervical_tx=later)
    assert "not yet treated" in caught.value.field_errors["cervical_tx-screen_id"]
    with pytest.raises(Invalid) as caught:
        visit(nurse, person(), date(2025, 10, 20), cervical_tx=CervicalTreatmentInput(screen_id=later.screen_id))
    assert set(caught.value.field_errors) >= {"cervical_tx-screen_id", "cervical_tx-treatment"}
    # Removing the later treatment (a correction) leaves the screen untreated again.
    data = VisitInput(service_date=treated.service_date, visit_type="return", reasons=["general"])
    update_visit(actor=nurse, visit=treated, data=data, services=ServicesInput(commodities=condoms()), today=TODAY)
    db.session.refresh(screen.cervical_screening)
    assert screen.cervical_screening.treatment is None
    assert cells("mer", "FY2026Q1", "CXCA_TX: treatment by screening visit type") == {}


def screen_history(visit):
    from clinic_app.visits.models import VisitRevision

    return db.session.scalars(db.select(VisitRevision).where(VisitRevision.visit_id == visit.id)).all()


def test_rule_1_a_referred_treatment_needs_its_date(staff, person):
    nurse, _peer = staff
    w = person()
    with pytest.raises(Invalid) as refused:
        visit(
            nurse,
            w,
            date(2026, 3, 2),
            cervical=CervicalInput(
                screening_type=CervicalVisitType.FIRST,
                method=CervicalMethod.VIA,
                result=CervicalResult.POSITIVE,
                treatment=CervicalTreatment.CRYOTHERAPY,
                treatment_timing=TreatmentTiming.REFERRED,
            ),
        )
    assert "cervical-treated_on" in refused.value.field_errors


# --------------------------------------------------------------------------- rule 2
def test_rule_2_gend_gbv_counts_sexual_violence_without_pep_as_sexual(staff, person):
    nurse, _peer = staff
    gbv = "GEND_GBV: type of violence, with PEP given"
    late = person(born=date(1994, 3, 3))  # came after 72 hours: sexual violence, no PEP possible
    visit(nurse, late, date(2025, 10, 20), violence=ViolenceInput([ViolenceType.SEXUAL, ViolenceType.PHYSICAL]))
    both = person(born=date(1992, 3, 3))  # physical in October, sexual with PEP in November: sexual, PEP
    visit(nurse, both, date(2025, 10, 21), violence=ViolenceInput([ViolenceType.PHYSICAL]))
    pep = PepInput(PepExposure.SEXUAL_VIOLENCE, hours_since_exposure=30, regimen=PepRegimen.TDF_3TC_DTG)
    visit(nurse, both, date(2025, 11, 4), violence=ViolenceInput([ViolenceType.SEXUAL]), pep=pep)
    untyped = person(born=date(1991, 3, 3))  # a PEP course with no type recorded counts as before
    visit(nurse, untyped, date(2025, 12, 1), pep=pep)
    emotional = person(born=date(1990, 3, 3))
    visit(nurse, emotional, date(2025, 12, 2), violence=ViolenceInput([ViolenceType.EMOTIONAL]))
    assert cells("mer", "FY2026Q1", gbv) == {
        ("Sexual violence", "No PEP"): 1,
        ("Sexual violence", "PEP given"): 2,
        ("Physical or emotional violence", "No PEP"): 1,
    }


def test_rule_2_pep_after_sexual_violence_needs_sexual_violence_ticked(staff, person):
    nurse, _peer = staff
    pep = PepInput(PepExposure.SEXUAL_VIOLENCE, hours_since_exposure=30, regimen=PepRegimen.TDF_3TC_DTG)
    with pytest.raises(Invalid) as caught:
        visit(nurse, person(), date(2025, 11, 4), violence=ViolenceInput([ViolenceType.PHYSICAL]), pep=pep)
    assert "tick sexual violence" in caught.value.field_errors["violence-types"]
    with pytest.raises(Invalid) as caught:
        visit(nurse, person(), date(2025, 11, 4), violence=ViolenceInput([]))
    assert "Tick the kinds of violence" in caught.value.field_errors["violence-types"]


# --------------------------------------------------------------------------- date of birth unknown
def test_a_client_whose_date_of_birth_is_unknown_counts_under_age_unknown(staff, person):
    nurse, _peer = staff
    unknown = person(born=None)
    visit(nurse, unknown, date(2025, 11, 5), hiv=hiv_test(), commodities=condoms())
    # A cervical screen of a woman of unknown age is not refused for her age (there is none to check).
    positive = person(born=None)
    on_art_since(nurse, positive, date(2024, 1, 1))
    visit(nurse, positive, date(2025, 11, 6), cervical=CervicalInput(
        screening_type=CervicalVisitType.FIRST, method=CervicalMethod.VIA, result=CervicalResult.NEGATIVE))  # fmt: skip
    assert cells("mer", "FY2026Q1", "HTS_TST: modality and result by age and sex") == {
        ("KP clinic / Negative", "Female / Unknown"): 1
    }
    assert cells("mer", "FY2026Q1", "CXCA_SCRN: visit type and result by age") == {
        ("First screening / Negative", "Unknown"): 1
    }
    hts = next(d for d in report("mer", "FY2026Q1").definitions if d.indicator == "HTS_TST")
    assert "whose date of birth is unknown, with no estimate, is counted under age 'Unknown'" in hts.definition


# --------------------------------------------------------------------------- HTS_SELF at outreach
def test_hts_self_counts_kits_handed_out_at_outreach_without_a_clinic_visit(staff, person):
    _nurse, peer = staff
    # One woman, never seen at the clinic: 1 kit for her and 2 for partners, assisted, on 2025-11-18.
    contact(peer, person(), date(2025, 11, 18), self_test_distribution="assisted", kits_for_self=1, kits_for_partner=2)
    contact(peer, person(), date(2025, 12, 1), self_test_distribution="unassisted", kits_for_other=1)
    assert cells("mer", "FY2026Q1", "HTS_SELF: kits by distribution and user") == {
        ("Assisted", "Self"): 1,
        ("Assisted", "Sexual partner"): 2,
        ("Unassisted", "Other"): 1,
    }
    assert cells("clinic_monthly", "2025-11", "HIV self-test kits by where they were handed out") == {
        ("At outreach", "Assisted"): 3
    }


def test_hts_self_kits_at_outreach_need_how_they_were_handed_over(staff, person):
    _nurse, peer = staff
    with pytest.raises(Invalid) as caught:
        contact(peer, person(), date(2025, 11, 18), kits_for_self=1, kits_for_other=30)
    assert caught.value.field_errors == {
        "self_test_distribution": "Say whether the kits were handed over assisted or unassisted.",
        "kits_for_other": "Give from 0 to 20 kits.",
    }


# --------------------------------------------------------------------------- people trained
def test_people_trained_counts_peer_educators_and_staff_as_well_as_clients_once_each(staff, person, make):
    nurse, peer = staff
    client = person()
    counsellor = make.user(role="data_admin", clinic=nurse.user.clinic, username="rules-admin")
    for day, numbers, trainees, others in (
        (date(2025, 10, 7), client.client_number, [peer.user, nurse.user], 2),
        (date(2025, 11, 7), client.client_number, [peer.user, counsellor], 0),
    ):
        data = TrainingInput(
            held_on=day,
            topic="tot",
            facilitator="Programme officer",
            client_numbers=numbers,
            other_attendees=others,
            staff_ids=[str(u.id) for u in trainees],
        )
        record_training(actor=nurse, data=data, submission_key=uuid.uuid4(), today=day)
    assert cells("programme", "2025Q4", "People trained") == {
        ("Clients", ""): 1,
        ("Peer educators", ""): 1,
        ("Other staff", ""): 2,  # the nurse and the data administrator
        ("Others (head count)", ""): 2,
    }


# --------------------------------------------------------------------------- PrEP refill and restart
def test_prep_refill_long_after_the_last_supply_is_refused_as_a_restart_that_needs_a_test(staff, person):
    nurse, _peer = staff
    client = person(born=date(1993, 3, 13))
    visit(nurse, client, date(2025, 6, 2), hiv=hiv_test(), prep=PrepInput(PrepEventType.INITIATION, **ORAL))
    with pytest.raises(Invalid) as caught:  # back on 10 November: the 1-month supply ran out on 2 July
        visit(nurse, client, date(2025, 11, 10), hiv=hiv_test(), prep=PrepInput(PrepEventType.FOLLOW_UP, **ORAL))
    assert "ran out on 2025-07-02, more than 30 days ago: this is a restart" in caught.value.field_errors["prep-event"]
    with pytest.raises(Invalid) as caught:  # a restart needs the HIV test first
        visit(nurse, client, date(2025, 11, 10), prep=PrepInput(PrepEventType.RESTART, **ORAL))
    assert "negative HIV test today" in caught.value.field_errors["prep-event"]
    visit(nurse, client, date(2025, 11, 10), hiv=hiv_test(), prep=PrepInput(PrepEventType.RESTART, **ORAL))
    assert cells("mer", "FY2026Q1", "PrEP_CT: HIV test result at the latest visit") == {("Negative", ""): 1}


def test_prep_refill_without_a_test_in_the_retest_interval_needs_a_reason(staff, person):
    nurse, _peer = staff
    client = person(born=date(1989, 9, 19))
    three = PrepInput(PrepEventType.INITIATION, regimen=PrepRegimen.TDF_FTC, months_dispensed=3)
    visit(nurse, client, date(2025, 7, 15), hiv=hiv_test(), prep=three)
    with pytest.raises(Invalid) as caught:
        visit(nurse, client, date(2025, 10, 20), prep=PrepInput(PrepEventType.FOLLOW_UP, **ORAL))
    assert caught.value.field_errors["prep-no_test_reason"].startswith("No HIV test today or in the last 3 months")
    reason = PrepInput(PrepEventType.FOLLOW_UP, **ORAL, no_test_reason="Test kits out of stock")
    refill = visit(nurse, client, date(2025, 10, 20), prep=reason)
    assert refill.prep_event.no_test_reason == "Test kits out of stock"
    assert cells("mer", "FY2026Q1", "PrEP_CT: HIV test result at the latest visit") == {("Other", ""): 1}


# --------------------------------------------------------------------------- national testing algorithms
def test_reactive_then_non_reactive_is_settled_by_the_countrys_tiebreaker_or_inconclusive_with_a_retest_date(
    staff, person, app
):
    nurse, _peer = staff
    discordant = dict(screening_result=AssayResult.REACTIVE, confirmatory_result=AssayResult.NON_REACTIVE)
    # Two tests (no algorithm chosen for Zimbabwe): inconclusive, retest in 14 days; a tie-breaker is refused.
    plain = visit(nurse, person(), date(2025, 10, 6), hiv=hiv_test(**discordant))
    assert (plain.hiv_test.final_result.value, plain.hiv_test.retest_on) == ("inconclusive", date(2025, 10, 20))
    with pytest.raises(Invalid) as caught:
        visit(nurse, person(), date(2025, 10, 6), hiv=hiv_test(**discordant, tiebreaker_result=AssayResult.REACTIVE))
    assert "has no tie-breaker test" in caught.value.field_errors["hiv-tiebreaker_result"]
    # A tie-breaker country: the third assay is asked for, and settles it as the algorithm says.
    app.config["HIV_TESTING_ALGORITHMS"] = {"ZW": "tiebreaker"}
    with pytest.raises(Invalid) as caught:
        visit(nurse, person(), date(2025, 10, 7), hiv=hiv_test(**discordant))
    assert "settles it with the tie-breaker test" in caught.value.field_errors["hiv-tiebreaker_result"]
    positive = visit(
        nurse, person(), date(2025, 10, 7), hiv=hiv_test(**discordant, tiebreaker_result=AssayResult.REACTIVE)
    )
    negative = visit(nurse, person(), date(2025, 10, 7), hiv=hiv_test(**discordant,
                     tiebreaker_result=AssayResult.NON_REACTIVE))  # fmt: skip
    assert [v.hiv_test.final_result.value for v in (positive, negative)] == ["positive", "negative"]
    app.config["HIV_TESTING_ALGORITHMS"] = {"ZW": "tiebreaker_inconclusive"}
    held = visit(nurse, person(), date(2025, 10, 8), hiv=hiv_test(**discordant, tiebreaker_result=AssayResult.REACTIVE))
    assert (held.hiv_test.final_result.value, held.hiv_test.retest_on) == ("inconclusive", date(2025, 10, 22))
    assert cells("mer", "FY2026Q1", "HTS_TST: key population type by result") == {
        ("FSW", "Negative"): 1,
        ("FSW", "Positive"): 1,
    }


# --------------------------------------------------------------------------- rule 3
def test_rule_3_prep_ct_counts_a_positive_result_at_a_prep_follow_up(staff, person):
    nurse, _peer = staff
    client = person(born=date(1996, 2, 2))
    oral = dict(regimen=PrepRegimen.TDF_FTC, months_dispensed=1)
    visit(nurse, client, date(2025, 8, 1), hiv=hiv_test(), prep=PrepInput(PrepEventType.INITIATION, **oral))
    visit(nurse, client, date(2025, 9, 26), hiv=hiv_test(), prep=PrepInput(PrepEventType.FOLLOW_UP, **oral))
    # At her next follow-up she tests positive: PrEP stops that day (seroconversion), ART starts.
    visit(
        nurse,
        client,
        date(2025, 11, 3),
        hiv=hiv_test("positive", art_started_on=date(2025, 11, 3), art_site=ArtSite.THIS_CLINIC),
        prep=PrepInput(PrepEventType.STOP, stop_reason=PrepStopReason.HIV_POSITIVE),
    )
    assert cells("mer", "FY2026Q1", "PrEP_CT: HIV test result at the latest visit") == {("Positive", ""): 1}
    assert cells("mer", "FY2026Q1", "TX_NEW: age and sex (ART started at this clinic)") == {("Female", "25-29"): 1}


def test_rule_3_a_refill_for_a_client_who_tests_positive_points_to_the_stop(staff, person):
    nurse, _peer = staff
    client = person()
    oral = dict(regimen=PrepRegimen.TDF_FTC, months_dispensed=1)
    visit(nurse, client, date(2026, 1, 5), hiv=hiv_test(), prep=PrepInput(PrepEventType.INITIATION, **oral))
    with pytest.raises(Invalid) as refused:
        visit(
            nurse, client, date(2026, 2, 5), hiv=hiv_test("positive"), prep=PrepInput(PrepEventType.FOLLOW_UP, **oral)
        )
    assert "stop" in refused.value.field_errors["prep-event"].lower()
    # A seroconversion stop needs the positive result it stands for.
    with pytest.raises(Invalid) as refused:
        visit(
            nurse,
            client,
            date(2026, 2, 5),
            hiv=hiv_test(),
            prep=PrepInput(PrepEventType.STOP, stop_reason=PrepStopReason.HIV_POSITIVE),
        )
    assert "prep-stop_reason" in refused.value.field_errors


# --------------------------------------------------------------------------- rule 4
def test_rule_4_kp_prev_counts_declined_testing_with_the_status_hierarchy(staff, person):
    nurse, peer = staff
    at_clinic, at_outreach, then_tested, positive = (person() for _ in range(4))
    # Declined at the clinic, with condoms.
    visit(
        nurse,
        at_clinic,
        date(2025, 10, 5),
        hiv=HivTestInput(previous_status=PreviousHivStatus.UNKNOWN, declined=True),
        commodities=condoms(),
    )
    # Declined at an outreach contact, with condoms.
    contact(peer, at_outreach, date(2025, 10, 7), male_condoms=5, test_declined=True)
    # Declined at outreach in October, tested at the clinic in November: newly tested wins.
    contact(peer, then_tested, date(2025, 10, 10), male_condoms=5, test_declined=True)
    visit(nurse, then_tested, date(2025, 11, 20), hiv=hiv_test(), commodities=condoms())
    # Known positive since 2024; declines a test (as she should) and takes condoms: known positive wins.
    visit(nurse, positive, date(2024, 5, 5), hiv=hiv_test("positive"), today=date(2024, 5, 5))
    contact(peer, positive, date(2025, 11, 1), male_condoms=5, test_declined=True)
    assert cells("mer", "FY2026Q1", "KP_PREV: key population type by testing status") == {
        ("FSW", "Known positive"): 1,
        ("FSW", "Newly tested or referred"): 1,
        ("FSW", "Declined testing"): 2,
    }


def test_rule_4_declined_is_its_own_answer_on_the_hiv_section(staff, person):
    nurse, _peer = staff
    with pytest.raises(Invalid) as refused:
        visit(nurse, person(), date(2026, 2, 2), hiv=hiv_test(declined=True))
    assert "hiv-declined" in refused.value.field_errors


# --------------------------------------------------------------------------- rule 5
def test_rule_5_kp_prev_package_is_complete_over_contacts_of_the_period_only(staff, person):
    nurse, peer = staff
    two_contacts, test_then_condoms, prep_stop, carried = (person() for _ in range(4))
    # An HIV-test referral at one contact and condoms at another, in the same period: a package.
    contact(peer, two_contacts, date(2025, 10, 3), referral_offered=True)
    contact(peer, two_contacts, date(2025, 11, 12), male_condoms=10)
    # Tested at the clinic (nothing else that day), condoms at outreach later: a package.
    visit(nurse, test_then_condoms, date(2025, 10, 10), hiv=hiv_test())
    contact(peer, test_then_condoms, date(2025, 11, 1), lubricant=5)
    # A PrEP stop is not a prevention service: a test and a stop are not a package.
    oral = dict(regimen=PrepRegimen.TDF_FTC, months_dispensed=1)
    visit(nurse, prep_stop, date(2025, 7, 1), hiv=hiv_test(), prep=PrepInput(PrepEventType.INITIATION, **oral))
    visit(
        nurse,
        prep_stop,
        date(2025, 10, 20),
        hiv=hiv_test(),
        prep=PrepInput(PrepEventType.STOP, stop_reason=PrepStopReason.NO_LONGER_AT_RISK),
    )
    # Tested at the end of September, condoms in October: nothing carries over from the last period.
    visit(nurse, carried, date(2025, 9, 25), hiv=hiv_test(), today=date(2025, 9, 25))
    contact(peer, carried, date(2025, 10, 2), male_condoms=10)
    assert cells("mer", "FY2026Q1", "KP_PREV: key population type by testing status") == {
        ("FSW", "Newly tested or referred"): 2,
    }


# --------------------------------------------------------------------------- rule 6
def test_rule_6_mer_disaggregates_kp_prep_type_distribution_and_age_bands(staff, person):
    nurse, _peer = staff
    older = person(born=date(1968, 3, 1), sex=Sex.MALE, kp=KeyPopulation.MSM)  # 57 in October 2025
    visit(
        nurse,
        older,
        date(2025, 10, 8),
        hiv=hiv_test("positive", art_started_on=date(2025, 10, 8), art_site=ArtSite.THIS_CLINIC),
    )
    injectable = person(born=date(1999, 4, 4))
    visit(
        nurse,
        injectable,
        date(2025, 10, 9),
        hiv=hiv_test(),
        prep=PrepInput(
            PrepEventType.INITIATION,
            regimen=PrepRegimen.CAB_LA,
            months_dispensed=2,
            distribution=PrepDistribution.COMMUNITY,
        ),
    )
    oral_older = person(born=date(1970, 1, 1), kp=KeyPopulation.FSW)
    oral = dict(regimen=PrepRegimen.TDF_FTC, months_dispensed=3)
    visit(nurse, oral_older, date(2025, 8, 4), hiv=hiv_test(), prep=PrepInput(PrepEventType.INITIATION, **oral))
    visit(nurse, oral_older, date(2025, 11, 2), hiv=hiv_test(), prep=PrepInput(PrepEventType.FOLLOW_UP, **oral))
    assert cells("mer", "FY2026Q1", "TX_NEW: age and sex (ART started at this clinic)") == {("Male", "55-59"): 1}
    assert cells("mer", "FY2026Q1", "TX_NEW: key population type") == {("MSM", ""): 1}
    assert cells("mer", "FY2026Q1", "PrEP_NEW: PrEP type by distribution") == {("Injectable", "Community"): 1}
    assert cells("mer", "FY2026Q1", "PrEP_CT: PrEP type by distribution") == {("Oral", "Facility"): 1}
    assert cells("mer", "FY2026Q1", "PrEP_CT: key population type") == {("FSW", ""): 1}
    # PrEP keeps MER's 50+ band; TX_NEW splits it.
    assert cells("mer", "FY2026Q1", "PrEP_CT: age and sex") == {("Female", "50+"): 1}
    labels = table(report("mer", "FY2026Q1"), "TX_NEW: age and sex (ART started at this clinic)").columns
    assert [c[0] for c in labels][-5:] == ["45-49", "50-54", "55-59", "60-64", "65+"]


# --------------------------------------------------------------------------- rule 7
def test_rule_7_referrals_completed_count_slips_redeemed_in_the_period(staff, person):
    nurse, peer = staff
    early, late = person(), person()
    slip = outreach.issue_referral(
        actor=peer,
        service="hiv_test",
        client_number=early.client_number,
        submission_key=uuid.uuid4(),
        today=date(2025, 9, 20),
    )[0]
    visit(nurse, early, date(2025, 10, 5), hiv=hiv_test(), code=slip.code, today=date(2025, 10, 5))
    # A slip past its validity still closes the loop when the client comes: marked late, not refused.
    stale = outreach.issue_referral(
        actor=peer, service="sti", client_number=None, submission_key=uuid.uuid4(), today=date(2025, 10, 1)
    )[0]
    visit(nurse, late, date(2025, 11, 15), commodities=condoms(), code=stale.code, today=date(2025, 11, 15))
    db.session.refresh(stale)
    assert stale.completed_on == date(2025, 11, 15) and stale.completed_late
    completed = "Referrals completed (slips redeemed in the period)"
    assert cells("programme", "2025Q4", completed) == {("HIV test", "On time"): 1, ("STI check", "Late"): 1}
    assert cells("programme", "2025Q3", completed) == {}
    assert cells("programme", "2025Q3", "Referrals issued") == {("HIV test", ""): 1}
    assert cells("programme", "2025Q4", "Referrals issued") == {("STI check", ""): 1}
    assert db.session.get(Referral, slip.id).service == ReferralService.HIV_TEST


# --------------------------------------------------------------------------- rule 8
def test_rule_8_programme_hiv_tests_are_the_hts_tst_total(staff, person):
    nurse, _peer = staff
    a, b, c, d = (person() for _ in range(4))
    visit(nurse, a, date(2025, 10, 2), hiv=hiv_test())
    visit(nurse, b, date(2025, 10, 3), hiv=hiv_test("positive", art_referred_to="District hospital"))
    visit(nurse, c, date(2025, 10, 4), hiv=hiv_test("inconclusive"))
    visit(nurse, d, date(2025, 10, 5), hiv=hiv_test(result_received=False))
    given = cells("programme", "2025Q4", "HIV tests with a result given (HTS_TST)")
    assert given == {("Negative", ""): 1, ("Positive", ""): 1}
    assert sum(given.values()) == sum(cells("mer", "FY2026Q1", "HTS_TST: key population type by result").values())
    assert cells("programme", "2025Q4", "HIV tests without a result given") == {
        ("Inconclusive", ""): 1,
        ("Result not given", ""): 1,
    }


# --------------------------------------------------------------------------- capture: cervical outside the ages
def test_cervical_screen_outside_the_ages_needs_a_reason_and_stays_out_of_cxca(staff, person):
    nurse, _peer = staff
    older = person(born=date(1958, 2, 1))  # 67 in November 2025, living with HIV on ART
    on_art_since(nurse, older, date(2023, 6, 1))
    screen = dict(screening_type=CervicalVisitType.FIRST, method=CervicalMethod.VIA, result=CervicalResult.NEGATIVE)
    with pytest.raises(Invalid) as refused:
        visit(nurse, older, date(2025, 11, 4), cervical=CervicalInput(**screen))
    assert "from age 20 to 65" in refused.value.field_errors["cervical-screening_type"]
    assert "say why" in refused.value.field_errors["cervical-outside_age_reason"]
    visit(nurse, older, date(2025, 11, 4), cervical=CervicalInput(**screen, outside_age_reason="Symptoms, asked"))
    assert cells("programme", "2025Q4", "Cervical screenings of all clients, by result") == {("Negative", ""): 1}
    assert cells("mer", "FY2026Q1", "CXCA_SCRN: visit type and result by age") == {}
