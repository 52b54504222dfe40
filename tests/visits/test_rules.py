"""The clinical consistency rules, one by one, on a RuleContext built by hand (no database)."""

from datetime import date, timedelta

import pytest

from clinic_app.clients.models import KeyPopulation, Sex
from clinic_app.screening import algorithms
from clinic_app.screening.models import (
    ArtSite,
    AssayResult,
    CervicalMethod,
    CervicalResult,
    CervicalTreatment,
    CervicalVisitType,
    HivResult,
    PreviousHivStatus,
    StiSyndrome,
    SyphilisResult,
    TreatmentTiming,
)
from clinic_app.screening.models import TestingModality as Modality
from clinic_app.visits import rules
from clinic_app.visits.models import (
    PepExposure,
    PepOutcome,
    PepRegimen,
    PrepEventType,
    PrepRegimen,
    PrepStopReason,
    SelfTestDistribution,
    ViolenceType,
)
from clinic_app.visits.rules import ClientFacts, RuleContext, RuleSettings
from clinic_app.visits.sections import (
    RULES,
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
    check,
)

VISIT_DAY = date(2026, 11, 10)
TODAY = date(2026, 11, 20)
BORN = date(1995, 8, 15)  # 31 on the visit day


def facts(**overrides) -> ClientFacts:
    values = dict(sex=Sex.FEMALE, date_of_birth=BORN, key_population=KeyPopulation.FSW)
    values.update(overrides)
    return ClientFacts(**values)


def context(*, client=None, service_date=VISIT_DAY, today=TODAY, settings=None, **sections) -> RuleContext:
    return RuleContext(
        facts=client or facts(),
        service_date=service_date,
        today=today,
        services=ServicesInput(**sections),
        settings=settings or RuleSettings(),
    )


# Inputs that pass every rule, to vary one field at a time.
def negative_test(**overrides) -> HivTestInput:
    values = dict(
        previous_status=PreviousHivStatus.NEGATIVE,
        modality=Modality.FACILITY_KP,
        screening_result=AssayResult.NON_REACTIVE,
        result_received=True,
    )
    values.update(overrides)
    return HivTestInput(**values)


def positive_test(**overrides) -> HivTestInput:
    return negative_test(screening_result=AssayResult.REACTIVE, confirmatory_result=AssayResult.REACTIVE, **overrides)


def known_positive_linkage(**overrides) -> HivTestInput:
    values = dict(previous_status=PreviousHivStatus.KNOWN_POSITIVE)
    values.update(overrides)
    return HivTestInput(**values)


def oral_prep(event=PrepEventType.FOLLOW_UP, **overrides) -> PrepInput:
    values = dict(event=event, regimen=PrepRegimen.TDF_FTC, months_dispensed=3)
    values.update(overrides)
    return PrepInput(**values)


def pep(**overrides) -> PepInput:
    values = dict(exposure=PepExposure.CONDOM_FAILURE, hours_since_exposure=20, regimen=PepRegimen.TDF_3TC_DTG)
    values.update(overrides)
    return PepInput(**values)


def via_screen(**overrides) -> CervicalInput:
    values = dict(
        screening_type=CervicalVisitType.FIRST,
        method=CervicalMethod.VIA,
        result=CervicalResult.NEGATIVE,
        result_on=VISIT_DAY,
    )
    values.update(overrides)
    return CervicalInput(**values)


def kits(**overrides) -> SelfTestInput:
    values = dict(distribution=SelfTestDistribution.ASSISTED, for_self=1)
    values.update(overrides)
    return SelfTestInput(**values)


PRIOR_PREP = [(date(2025, 3, 4), PrepEventType.INITIATION), (date(2025, 6, 4), PrepEventType.STOP)]


def refused(rule, ctx, field, fragment):
    errors = rule(ctx)
    assert field in errors, errors
    assert fragment in errors[field]
    return errors


# --------------------------------------------------------------------------- every rule has tests
COVERED = {
    rules.hiv_test_is_complete,
    rules.known_positive_not_retested,
    rules.index_testing_halted_for_key_populations,
    rules.confirmatory_only_after_reactive,
    rules.tiebreaker_follows_the_national_algorithm,
    rules.art_linkage_only_for_positives,
    rules.no_prep_for_positive,
    rules.seroconversion_stop_needs_the_positive_result,
    rules.prep_new_means_never_before,
    rules.prep_refill_long_after_the_supply_is_a_restart,
    rules.prep_refill_needs_a_recent_hiv_test,
    rules.prep_start_needs_negative_test,
    rules.prep_dispensing_is_complete,
    rules.pep_within_72_hours,
    rules.violence_care_names_the_violence,
    rules.cervical_screening_applies,
    rules.cervical_screening_is_consistent,
    rules.later_treatment_is_for_an_earlier_positive_screen,
    rules.results_not_before_visit,
    rules.quantities_are_plausible,
    rules.sti_findings_are_consistent,
}


def test_every_rule_that_runs_has_tests_in_this_module():
    assert set(RULES) == COVERED


def test_a_complete_common_visit_passes_every_rule():
    ctx = context(
        hiv=negative_test(),
        prep=oral_prep(),
        sti=StiInput(syndromes=[StiSyndrome.NONE], syphilis_result=SyphilisResult.NON_REACTIVE),
        cervical=via_screen(),
        commodities=CommoditiesInput(male_condoms=30, lubricant=10),
        selftest=kits(for_partner=1),
        client=facts(prep_history=PRIOR_PREP[:1]),
    )
    assert check(ctx) == {}


def test_an_empty_visit_passes_every_rule():
    assert check(context()) == {}


def test_check_keeps_the_first_message_for_a_field_and_reports_every_field():
    # An initiation for a positive client with PrEP history breaks two rules on "prep-event":
    # the one that runs first (no PrEP for a positive) gives the message shown.
    ctx = context(
        prep=oral_prep(PrepEventType.INITIATION),
        hiv=negative_test(previous_status=None),
        client=facts(positive_since=date(2024, 5, 6), prep_history=PRIOR_PREP),
    )
    errors = check(ctx)
    assert "latest confirmed HIV result is positive" in errors["prep-event"]
    assert "Say what the client knew" in errors["hiv-previous_status"]
    assert "already known HIV positive" in errors["hiv-screening_result"]


# --------------------------------------------------------------------------- hiv_test_is_complete
def test_hiv_section_without_previous_status_is_refused():
    refused(
        rules.hiv_test_is_complete,
        context(hiv=negative_test(previous_status=None)),
        "hiv-previous_status",
        "knew of their HIV status before today",
    )


def test_hiv_section_without_a_screening_result_is_refused_unless_known_positive():
    refused(
        rules.hiv_test_is_complete,
        context(hiv=HivTestInput(previous_status=PreviousHivStatus.NEGATIVE)),
        "hiv-screening_result",
        "Give the screening test result",
    )
    assert rules.hiv_test_is_complete(context(hiv=known_positive_linkage())) == {}
    client = facts(positive_since=date(2025, 1, 1))
    ctx = context(hiv=HivTestInput(previous_status=PreviousHivStatus.UNKNOWN), client=client)
    assert rules.hiv_test_is_complete(ctx) == {}


def test_hiv_test_without_modality_is_refused():
    refused(
        rules.hiv_test_is_complete,
        context(hiv=negative_test(modality=None)),
        "hiv-modality",
        "Choose where the test was done",
    )


def test_complete_hiv_test_is_accepted():
    assert rules.hiv_test_is_complete(context(hiv=negative_test())) == {}
    assert rules.hiv_test_is_complete(context()) == {}


# --------------------------------------------------------------------------- known_positive_not_retested
def test_client_on_record_as_positive_is_not_tested_again_as_a_new_test():
    ctx = context(hiv=negative_test(), client=facts(positive_since=date(2025, 3, 2)))
    errors = refused(rules.known_positive_not_retested, ctx, "hiv-screening_result", "already known HIV positive")
    assert "(since 2025-03-02)" in errors["hiv-screening_result"]
    assert "record linkage to ART instead" in errors["hiv-screening_result"]


def test_client_who_says_they_are_positive_is_not_tested_again_as_a_new_test():
    ctx = context(hiv=negative_test(previous_status=PreviousHivStatus.KNOWN_POSITIVE))
    errors = refused(rules.known_positive_not_retested, ctx, "hiv-screening_result", "already known HIV positive")
    assert "since" not in errors["hiv-screening_result"]


def test_known_positive_seen_for_linkage_without_a_test_is_accepted():
    client = facts(positive_since=date(2025, 3, 2))
    ctx = context(hiv=known_positive_linkage(art_started_on=VISIT_DAY, art_site=ArtSite.THIS_CLINIC), client=client)
    assert rules.known_positive_not_retested(ctx) == {}
    assert check(ctx) == {}


def test_client_with_negative_history_may_be_tested():
    client = facts(negative_test_dates=[date(2026, 8, 1)])
    assert rules.known_positive_not_retested(context(hiv=negative_test(), client=client)) == {}


def test_a_positive_result_dated_after_this_visit_does_not_make_it_a_retest():
    """Visits are often typed in after the day: what happened later does not count against an earlier date."""
    client = facts(positive_since=VISIT_DAY + timedelta(days=1))
    ctx = context(hiv=negative_test(), prep=oral_prep(PrepEventType.INITIATION), client=client)
    assert ctx.known_positive is False
    assert rules.known_positive_not_retested(ctx) == {}
    assert rules.no_prep_for_positive(ctx) == {}
    assert check(ctx) == {}


def test_a_positive_result_on_the_same_day_elsewhere_counts():
    ctx = context(hiv=negative_test(), client=facts(positive_since=VISIT_DAY))
    refused(rules.known_positive_not_retested, ctx, "hiv-screening_result", "(since 2026-11-10)")


# --------------------------------------------------------------------------- index testing
@pytest.mark.parametrize("population", [p for p in KeyPopulation if p != KeyPopulation.NON_KP], ids=lambda p: p.value)
def test_index_testing_is_refused_for_key_populations(population):
    ctx = context(hiv=negative_test(modality=Modality.INDEX), client=facts(key_population=population))
    refused(rules.index_testing_halted_for_key_populations, ctx, "hiv-modality", "Index testing is halted")


def test_index_testing_is_allowed_for_a_client_who_is_not_a_key_population():
    ctx = context(hiv=negative_test(modality=Modality.INDEX), client=facts(key_population=KeyPopulation.NON_KP))
    assert rules.index_testing_halted_for_key_populations(ctx) == {}
    assert check(ctx) == {}


def test_other_modalities_are_allowed_for_key_populations():
    ctx = context(hiv=negative_test(modality=Modality.MOBILE))
    assert rules.index_testing_halted_for_key_populations(ctx) == {}


# --------------------------------------------------------------------------- confirmatory only after reactive
@pytest.mark.parametrize("screen", [AssayResult.NON_REACTIVE, AssayResult.INVALID], ids=lambda r: r.value)
def test_confirmatory_test_after_a_non_reactive_or_invalid_screen_is_refused(screen):
    ctx = context(hiv=negative_test(screening_result=screen, confirmatory_result=AssayResult.REACTIVE))
    refused(
        rules.confirmatory_only_after_reactive,
        ctx,
        "hiv-confirmatory_result",
        "only after a reactive screening test",
    )


@pytest.mark.parametrize(
    "confirmatory", [AssayResult.REACTIVE, AssayResult.NON_REACTIVE, AssayResult.INVALID], ids=lambda r: r.value
)
def test_confirmatory_test_after_a_reactive_screen_is_accepted(confirmatory):
    ctx = context(hiv=negative_test(screening_result=AssayResult.REACTIVE, confirmatory_result=confirmatory))
    assert rules.confirmatory_only_after_reactive(ctx) == {}


# --------------------------------------------------------------------------- ART linkage only for positives
@pytest.mark.parametrize(
    "linkage",
    [
        {"art_started_on": VISIT_DAY, "art_site": ArtSite.THIS_CLINIC},
        {"art_referred_to": "Beitbridge District Hospital"},
        {"art_site": ArtSite.OTHER_FACILITY},
    ],
    ids=["started", "referred", "site"],
)
def test_art_linkage_for_a_negative_client_is_refused(linkage):
    ctx = context(hiv=negative_test(**linkage))
    refused(rules.art_linkage_only_for_positives, ctx, "hiv-art_started_on", "confirmed positive result")


def test_art_linkage_after_an_inconclusive_result_is_refused():
    inconclusive = negative_test(
        screening_result=AssayResult.REACTIVE,
        confirmatory_result=AssayResult.NON_REACTIVE,
        art_referred_to="District hospital",
    )
    refused(
        rules.art_linkage_only_for_positives,
        context(hiv=inconclusive),
        "hiv-art_started_on",
        "confirmed positive result",
    )


def test_art_linkage_for_a_positive_found_today_is_accepted():
    ctx = context(hiv=positive_test(art_started_on=VISIT_DAY, art_site=ArtSite.THIS_CLINIC))
    assert rules.art_linkage_only_for_positives(ctx) == {}
    assert check(ctx) == {}


def test_art_linkage_for_a_known_positive_is_accepted():
    ctx = context(
        hiv=known_positive_linkage(art_referred_to="Victoria Falls hospital"),
        client=facts(positive_since=date(2024, 1, 5)),
    )
    assert rules.art_linkage_only_for_positives(ctx) == {}
    ctx = context(hiv=known_positive_linkage(art_started_on=VISIT_DAY, art_site=ArtSite.OTHER_FACILITY))
    assert rules.art_linkage_only_for_positives(ctx) == {}


def test_art_start_without_the_place_is_refused():
    ctx = context(hiv=positive_test(art_started_on=VISIT_DAY))
    refused(rules.art_linkage_only_for_positives, ctx, "hiv-art_site", "Say where ART was started")


# --------------------------------------------------------------------------- no PrEP for a positive
GIVEN = [PrepEventType.INITIATION, PrepEventType.FOLLOW_UP, PrepEventType.RESTART]


@pytest.mark.parametrize("event", GIVEN, ids=lambda e: e.value)
def test_prep_is_refused_for_a_client_on_record_as_positive(event):
    ctx = context(prep=oral_prep(event), client=facts(positive_since=date(2025, 2, 2)))
    refused(rules.no_prep_for_positive, ctx, "prep-event", "latest confirmed HIV result is positive")


@pytest.mark.parametrize("event", GIVEN, ids=lambda e: e.value)
def test_prep_is_refused_for_a_client_who_says_they_are_positive(event):
    ctx = context(prep=oral_prep(event), hiv=known_positive_linkage())
    refused(rules.no_prep_for_positive, ctx, "prep-event", "Link the client to ART")


@pytest.mark.parametrize("event", GIVEN, ids=lambda e: e.value)
def test_prep_is_refused_for_a_positive_found_today_in_the_same_visit(event):
    ctx = context(prep=oral_prep(event), hiv=positive_test(), client=facts(prep_history=PRIOR_PREP))
    refused(rules.no_prep_for_positive, ctx, "prep-event", "cannot be started or refilled")


def test_prep_stop_is_accepted_for_a_positive():
    stop = PrepInput(event=PrepEventType.STOP, stop_reason=PrepStopReason.HIV_POSITIVE)
    ctx = context(prep=stop, hiv=positive_test(), client=facts(prep_history=PRIOR_PREP[:1]))
    assert rules.no_prep_for_positive(ctx) == {}
    assert check(ctx) == {}


@pytest.mark.parametrize("event", GIVEN, ids=lambda e: e.value)
def test_prep_is_accepted_for_a_client_negative_today(event):
    ctx = context(prep=oral_prep(event), hiv=negative_test())
    assert rules.no_prep_for_positive(ctx) == {}


# --------------------------------------------------------------------------- PrEP new means never before
def test_prep_initiation_for_a_client_with_earlier_prep_is_refused():
    history = [(date(2025, 6, 4), PrepEventType.FOLLOW_UP), (date(2025, 3, 4), PrepEventType.INITIATION)]
    ctx = context(prep=oral_prep(PrepEventType.INITIATION), hiv=negative_test(), client=facts(prep_history=history))
    errors = refused(rules.prep_new_means_never_before, ctx, "prep-event", "has been on PrEP before")
    assert "(first record 2025-03-04)" in errors["prep-event"]


def test_prep_initiation_for_a_client_never_on_prep_is_accepted():
    ctx = context(prep=oral_prep(PrepEventType.INITIATION), hiv=negative_test())
    assert rules.prep_new_means_never_before(ctx) == {}
    assert check(ctx) == {}


def test_prep_restart_without_earlier_prep_is_refused():
    ctx = context(prep=oral_prep(PrepEventType.RESTART), hiv=negative_test())
    refused(rules.prep_new_means_never_before, ctx, "prep-event", "no earlier PrEP record")


def test_prep_restart_after_earlier_prep_is_accepted():
    ctx = context(prep=oral_prep(PrepEventType.RESTART), hiv=negative_test(), client=facts(prep_history=PRIOR_PREP))
    assert rules.prep_new_means_never_before(ctx) == {}
    assert check(ctx) == {}


def test_prep_initiation_typed_in_before_a_later_follow_up_is_accepted():
    later = [(VISIT_DAY + timedelta(days=90), PrepEventType.FOLLOW_UP)]
    ctx = context(prep=oral_prep(PrepEventType.INITIATION), hiv=negative_test(), client=facts(prep_history=later))
    assert rules.prep_new_means_never_before(ctx) == {}
    assert check(ctx) == {}


def test_prep_initiation_is_refused_when_another_initiation_is_recorded_even_later():
    later = [(VISIT_DAY + timedelta(days=90), PrepEventType.INITIATION)]
    ctx = context(prep=oral_prep(PrepEventType.INITIATION), hiv=negative_test(), client=facts(prep_history=later))
    refused(rules.prep_new_means_never_before, ctx, "prep-event", "(first record 2027-02-08)")


def test_prep_restart_with_only_later_prep_records_is_refused():
    later = [(VISIT_DAY + timedelta(days=90), PrepEventType.INITIATION)]
    ctx = context(prep=oral_prep(PrepEventType.RESTART), hiv=negative_test(), client=facts(prep_history=later))
    refused(rules.prep_new_means_never_before, ctx, "prep-event", "no earlier PrEP record")


def test_prep_follow_up_and_stop_do_not_depend_on_history_for_this_rule():
    ctx = context(prep=oral_prep(), client=facts(prep_history=PRIOR_PREP))
    assert rules.prep_new_means_never_before(ctx) == {}
    stop = PrepInput(event=PrepEventType.STOP, stop_reason=PrepStopReason.CLIENT_CHOICE)
    assert rules.prep_new_means_never_before(context(prep=stop, client=facts(prep_history=PRIOR_PREP))) == {}


# --------------------------------------------------------------------------- PrEP start needs a negative test
STARTS = [PrepEventType.INITIATION, PrepEventType.RESTART]


def _start_ctx(event, *, negative_days_before=None, hiv=None, settings=None):
    history = PRIOR_PREP if event == PrepEventType.RESTART else []
    negatives = [] if negative_days_before is None else [VISIT_DAY - timedelta(days=negative_days_before)]
    client = facts(prep_history=history, negative_test_dates=negatives)
    return context(prep=oral_prep(event), hiv=hiv, client=client, settings=settings)


@pytest.mark.parametrize("event", STARTS, ids=lambda e: e.value)
def test_prep_start_without_any_negative_test_is_refused(event):
    refused(
        rules.prep_start_needs_negative_test,
        _start_ctx(event),
        "prep-event",
        "negative HIV test today or in the last 7 days",
    )


@pytest.mark.parametrize("event", STARTS, ids=lambda e: e.value)
def test_prep_start_with_a_negative_test_today_is_accepted(event):
    ctx = _start_ctx(event, hiv=negative_test())
    assert rules.prep_start_needs_negative_test(ctx) == {}
    assert check(ctx) == {}


@pytest.mark.parametrize("event", STARTS, ids=lambda e: e.value)
def test_prep_start_with_a_negative_test_exactly_at_the_window_edge_is_accepted(event):
    ctx = _start_ctx(event, negative_days_before=7)
    assert rules.prep_start_needs_negative_test(ctx) == {}
    assert check(ctx) == {}


@pytest.mark.parametrize("event", STARTS, ids=lambda e: e.value)
def test_prep_start_with_a_negative_test_one_day_outside_the_window_is_refused(event):
    refused(
        rules.prep_start_needs_negative_test, _start_ctx(event, negative_days_before=8), "prep-event", "last 7 days"
    )


def test_prep_start_with_a_negative_test_after_the_visit_does_not_count():
    ctx = _start_ctx(PrepEventType.INITIATION, negative_days_before=-1)
    refused(rules.prep_start_needs_negative_test, ctx, "prep-event", "Record today's test")


def test_prep_start_with_an_inconclusive_test_today_is_refused():
    inconclusive = negative_test(screening_result=AssayResult.INVALID)
    ctx = _start_ctx(PrepEventType.INITIATION, hiv=inconclusive)
    refused(rules.prep_start_needs_negative_test, ctx, "prep-event", "negative HIV test today")


def test_prep_test_window_follows_the_setting():
    settings = RuleSettings(prep_test_window_days=14)
    assert (
        rules.prep_start_needs_negative_test(
            _start_ctx(PrepEventType.INITIATION, negative_days_before=14, settings=settings)
        )
        == {}
    )
    refused(
        rules.prep_start_needs_negative_test,
        _start_ctx(PrepEventType.INITIATION, negative_days_before=15, settings=settings),
        "prep-event",
        "in the last 14 days",
    )


def test_prep_follow_up_does_not_need_a_test_under_this_rule():
    ctx = context(prep=oral_prep(), client=facts(prep_history=PRIOR_PREP[:1]))
    assert rules.prep_start_needs_negative_test(ctx) == {}


# --------------------------------------------------------------------------- PrEP dispensing
def test_prep_section_without_an_event_is_refused():
    refused(
        rules.prep_dispensing_is_complete,
        context(prep=PrepInput(event=None)),
        "prep-event",
        "Choose what happened with PrEP",
    )


def test_prep_stop_without_a_reason_is_refused_and_with_one_is_accepted():
    refused(
        rules.prep_dispensing_is_complete,
        context(prep=PrepInput(event=PrepEventType.STOP)),
        "prep-stop_reason",
        "reason PrEP was stopped",
    )
    stop = PrepInput(event=PrepEventType.STOP, stop_reason=PrepStopReason.SIDE_EFFECTS)
    assert rules.prep_dispensing_is_complete(context(prep=stop)) == {}


def test_prep_given_without_a_regimen_is_refused():
    refused(rules.prep_dispensing_is_complete, context(prep=oral_prep(regimen=None)), "prep-regimen", "Choose the PrEP")


@pytest.mark.parametrize("months", [1, 2])
def test_cab_la_up_to_two_months_is_accepted(months):
    ctx = context(prep=oral_prep(regimen=PrepRegimen.CAB_LA, months_dispensed=months))
    assert rules.prep_dispensing_is_complete(ctx) == {}


def test_cab_la_for_three_months_is_refused():
    ctx = context(prep=oral_prep(regimen=PrepRegimen.CAB_LA, months_dispensed=3))
    refused(rules.prep_dispensing_is_complete, ctx, "prep-months_dispensed", "from 1 to 2")


@pytest.mark.parametrize("regimen", [PrepRegimen.TDF_FTC, PrepRegimen.TDF_3TC], ids=lambda r: r.value)
def test_oral_prep_up_to_six_months_is_accepted_and_seven_refused(regimen):
    for months in (1, 6):
        assert (
            rules.prep_dispensing_is_complete(context(prep=oral_prep(regimen=regimen, months_dispensed=months))) == {}
        )
    ctx = context(prep=oral_prep(regimen=regimen, months_dispensed=7))
    refused(rules.prep_dispensing_is_complete, ctx, "prep-months_dispensed", "from 1 to 6")


@pytest.mark.parametrize("months", [None, 0, -1])
def test_prep_given_without_months_is_refused(months):
    ctx = context(prep=oral_prep(months_dispensed=months))
    refused(rules.prep_dispensing_is_complete, ctx, "prep-months_dispensed", "Give the months dispensed")


@pytest.mark.parametrize("days_after", [1, 90, 366])
def test_prep_next_appointment_within_a_year_is_accepted(days_after):
    ctx = context(prep=oral_prep(next_appointment_on=VISIT_DAY + timedelta(days=days_after)))
    assert rules.prep_dispensing_is_complete(ctx) == {}


@pytest.mark.parametrize("days_after", [-5, 0, 367])
def test_prep_next_appointment_not_after_the_visit_or_beyond_a_year_is_refused(days_after):
    ctx = context(prep=oral_prep(next_appointment_on=VISIT_DAY + timedelta(days=days_after)))
    refused(rules.prep_dispensing_is_complete, ctx, "prep-next_appointment_on", "within a year after this visit")


# --------------------------------------------------------------------------- PEP within 72 hours
@pytest.mark.parametrize("hours", [0, 71, 72])
def test_pep_up_to_72_hours_after_exposure_is_accepted(hours):
    ctx = context(pep=pep(hours_since_exposure=hours))
    assert rules.pep_within_72_hours(ctx) == {}
    assert check(ctx) == {}


def test_pep_at_73_hours_is_refused():
    errors = refused(
        rules.pep_within_72_hours,
        context(pep=pep(hours_since_exposure=73)),
        "pep-hours_since_exposure",
        "not given more than 72 hours after exposure",
    )
    assert "violence support" not in errors["pep-hours_since_exposure"]


def test_late_pep_after_sexual_violence_points_to_violence_support():
    ctx = context(pep=pep(exposure=PepExposure.SEXUAL_VIOLENCE, hours_since_exposure=100))
    refused(rules.pep_within_72_hours, ctx, "pep-hours_since_exposure", "and again in 6 weeks, and violence support")


@pytest.mark.parametrize("hours", [None, -1])
def test_pep_without_valid_hours_is_refused(hours):
    ctx = context(pep=pep(hours_since_exposure=hours))
    refused(rules.pep_within_72_hours, ctx, "pep-hours_since_exposure", "Give the hours since exposure")


DISCORDANT = dict(screening_result=AssayResult.REACTIVE, confirmatory_result=AssayResult.NON_REACTIVE)
TIEBREAKER = RuleSettings(testing_algorithm=algorithms.ALGORITHMS["tiebreaker"])


def test_a_tiebreaker_is_refused_where_the_algorithm_has_none():
    ctx = context(hiv=negative_test(**DISCORDANT, tiebreaker_result=AssayResult.REACTIVE))
    refused(rules.tiebreaker_follows_the_national_algorithm, ctx, "hiv-tiebreaker_result", "has no tie-breaker test")
    assert rules.tiebreaker_follows_the_national_algorithm(context(hiv=negative_test(**DISCORDANT))) == {}
    assert context(hiv=negative_test(**DISCORDANT)).hiv_result_today == HivResult.INCONCLUSIVE


def test_a_tiebreaker_country_asks_for_the_third_assay_after_reactive_then_non_reactive():
    ctx = context(hiv=negative_test(**DISCORDANT), settings=TIEBREAKER)
    refused(rules.tiebreaker_follows_the_national_algorithm, ctx, "hiv-tiebreaker_result", "settles it with the tie")
    settled = context(hiv=negative_test(**DISCORDANT, tiebreaker_result=AssayResult.NON_REACTIVE), settings=TIEBREAKER)
    assert check(settled) == {}
    assert settled.hiv_result_today == HivResult.NEGATIVE


def test_a_tiebreaker_only_follows_reactive_then_non_reactive():
    ctx = context(hiv=negative_test(tiebreaker_result=AssayResult.REACTIVE), settings=TIEBREAKER)
    refused(rules.tiebreaker_follows_the_national_algorithm, ctx, "hiv-tiebreaker_result", "done only after a reactive")


def test_a_later_treatment_names_an_earlier_untreated_positive_screen_and_the_treatment():
    open_screen = facts(treatable_screens={"s1": date(2026, 10, 1)})
    ok = context(client=open_screen, cervical_tx=CervicalTreatmentInput("s1", CervicalTreatment.CRYOTHERAPY))
    assert rules.later_treatment_is_for_an_earlier_positive_screen(ok) == {}
    wrong = context(client=open_screen, cervical_tx=CervicalTreatmentInput("s2", CervicalTreatment.NONE))
    errors = rules.later_treatment_is_for_an_earlier_positive_screen(wrong)
    assert "not yet treated" in errors["cervical_tx-screen_id"]
    assert "Choose the treatment given" in errors["cervical_tx-treatment"]
    same_day = context(service_date=date(2026, 10, 1), client=open_screen,
                       cervical_tx=CervicalTreatmentInput("s1", CervicalTreatment.LEEP))  # fmt: skip
    refused(rules.later_treatment_is_for_an_earlier_positive_screen, same_day, "cervical_tx-screen_id", "earlier")


LAST_SUPPLY = [(date(2026, 8, 10), PrepEventType.INITIATION, 2)]  # runs out on 2026-10-10


def test_a_prep_refill_within_the_supply_and_grace_is_a_refill():
    in_grace = date(2026, 10, 10) + timedelta(days=30)  # the last day of the 30 days' grace
    ctx = context(service_date=in_grace, prep=oral_prep(), hiv=negative_test(), client=facts(prep_supplies=LAST_SUPPLY))
    assert rules.prep_refill_long_after_the_supply_is_a_restart(ctx) == {}
    assert check(ctx) == {}


def test_a_prep_refill_long_after_the_last_supply_is_a_restart_needing_a_test():
    late = date(2026, 10, 10) + timedelta(days=31)  # one day past the grace
    ctx = context(service_date=late, prep=oral_prep(), hiv=negative_test(), client=facts(prep_supplies=LAST_SUPPLY))
    refused(
        rules.prep_refill_long_after_the_supply_is_a_restart,
        ctx,
        "prep-event",
        "(given 2026-08-10 for 2 months) ran out on 2026-10-10, more than 30 days ago: this is a restart.",
    )
    grace = RuleSettings(prep_refill_grace_days=45)
    longer = context(service_date=late, prep=oral_prep(), settings=grace, client=facts(prep_supplies=LAST_SUPPLY))
    assert rules.prep_refill_long_after_the_supply_is_a_restart(longer) == {}


def test_a_prep_refill_after_a_stop_is_a_restart():
    stopped = [(date(2026, 10, 1), PrepEventType.STOP, None)]
    ctx = context(prep=oral_prep(), hiv=negative_test(), client=facts(prep_supplies=stopped))
    refused(rules.prep_refill_long_after_the_supply_is_a_restart, ctx, "prep-event", "record a restart")


def test_a_prep_refill_without_a_test_in_the_retest_interval_needs_the_reason():
    old = facts(negative_test_dates=[date(2026, 8, 9)], prep_supplies=LAST_SUPPLY)  # 3 months + 1 day before
    refused(rules.prep_refill_needs_a_recent_hiv_test, context(prep=oral_prep(), client=old), "prep-no_test_reason",
            "No HIV test today or in the last 3 months")  # fmt: skip
    with_reason = context(prep=oral_prep(no_test_reason="Test kits out of stock"), client=old)
    assert rules.prep_refill_needs_a_recent_hiv_test(with_reason) == {}
    recent = facts(negative_test_dates=[date(2026, 8, 10)], prep_supplies=LAST_SUPPLY)  # exactly 3 months
    assert rules.prep_refill_needs_a_recent_hiv_test(context(prep=oral_prep(), client=recent)) == {}
    refused(rules.prep_refill_needs_a_recent_hiv_test,
            context(prep=oral_prep(no_test_reason="x"), hiv=negative_test(), client=old),
            "prep-no_test_reason", "leave the reason empty")  # fmt: skip


def test_violence_care_with_its_kinds_is_accepted_with_or_without_pep():
    after_rape = pep(exposure=PepExposure.SEXUAL_VIOLENCE)
    assert check(context(violence=ViolenceInput([ViolenceType.SEXUAL]), pep=after_rape)) == {}
    assert check(context(violence=ViolenceInput([ViolenceType.PHYSICAL, ViolenceType.EMOTIONAL]))) == {}


def test_violence_care_without_a_kind_is_refused():
    ctx = context(violence=ViolenceInput([]))
    refused(rules.violence_care_names_the_violence, ctx, "violence-types", "Tick the kinds of violence")


def test_pep_after_sexual_violence_with_only_physical_violence_ticked_is_refused():
    ctx = context(violence=ViolenceInput([ViolenceType.PHYSICAL]), pep=pep(exposure=PepExposure.SEXUAL_VIOLENCE))
    refused(rules.violence_care_names_the_violence, ctx, "violence-types", "tick sexual violence")


def test_pep_without_exposure_or_regimen_is_refused():
    errors = rules.pep_within_72_hours(context(pep=pep(exposure=None, regimen=None)))
    assert "type of exposure" in errors["pep-exposure"]
    assert "PEP regimen" in errors["pep-regimen"]


# --------------------------------------------------------------------------- cervical screening applies
def test_cervical_screening_for_a_male_client_is_refused():
    ctx = context(cervical=via_screen(), client=facts(sex=Sex.MALE, key_population=KeyPopulation.MSW))
    refused(rules.cervical_screening_applies, ctx, "cervical-screening_type", "recorded as male")


def test_cervical_screening_for_a_transgender_client_is_not_refused_for_sex():
    ctx = context(cervical=via_screen(), client=facts(sex=Sex.TRANSGENDER, key_population=KeyPopulation.TGSW))
    assert rules.cervical_screening_applies(ctx) == {}


def _born_years_before(day: date, years: int) -> date:
    return day.replace(year=day.year - years)


@pytest.mark.parametrize("age", [24, 66])
def test_cervical_screening_outside_25_to_65_is_refused(age):
    client = facts(date_of_birth=_born_years_before(VISIT_DAY, age))
    errors = refused(
        rules.cervical_screening_applies,
        context(cervical=via_screen(), client=client),
        "cervical-screening_type",
        "from age 25 to 65",
    )
    assert f"this client is {age}" in errors["cervical-screening_type"]


@pytest.mark.parametrize("age", [25, 65])
def test_cervical_screening_at_25_and_65_is_accepted(age):
    client = facts(date_of_birth=_born_years_before(VISIT_DAY, age))
    assert rules.cervical_screening_applies(context(cervical=via_screen(), client=client)) == {}


def test_cervical_screening_at_20_is_accepted_for_a_woman_living_with_hiv():
    born = _born_years_before(VISIT_DAY, 20)
    on_record = facts(date_of_birth=born, positive_since=date(2025, 1, 1))
    assert rules.cervical_screening_applies(context(cervical=via_screen(), client=on_record)) == {}
    found_today = context(cervical=via_screen(), hiv=positive_test(), client=facts(date_of_birth=born))
    assert rules.cervical_screening_applies(found_today) == {}
    says_so = context(cervical=via_screen(), hiv=known_positive_linkage(), client=facts(date_of_birth=born))
    assert rules.cervical_screening_applies(says_so) == {}


def test_cervical_screening_at_20_is_refused_for_a_woman_without_hiv():
    client = facts(date_of_birth=_born_years_before(VISIT_DAY, 20))
    ctx = context(cervical=via_screen(), hiv=negative_test(), client=client)
    refused(rules.cervical_screening_applies, ctx, "cervical-screening_type", "this client is 20")


def test_cervical_screening_at_19_is_refused_even_for_a_woman_living_with_hiv():
    client = facts(date_of_birth=_born_years_before(VISIT_DAY, 19), positive_since=date(2025, 1, 1))
    ctx = context(cervical=via_screen(), client=client)
    refused(rules.cervical_screening_applies, ctx, "cervical-screening_type", "from age 20 to 65; this client is 19")


def test_cervical_age_is_counted_on_the_date_of_service_not_today():
    client = facts(date_of_birth=date(2001, 11, 25))
    # 25 by "today", but 24 on the day she was seen.
    day_before = context(
        cervical=via_screen(result_on=date(2026, 11, 24)),
        client=client,
        service_date=date(2026, 11, 24),
        today=date(2026, 12, 31),
    )
    refused(rules.cervical_screening_applies, day_before, "cervical-screening_type", "this client is 24")
    birthday = context(
        cervical=via_screen(result_on=date(2026, 11, 25)),
        client=client,
        service_date=date(2026, 11, 25),
        today=date(2026, 12, 31),
    )
    assert rules.cervical_screening_applies(birthday) == {}


def test_cervical_age_for_a_29_february_birthday_turns_on_1_march():
    client = facts(date_of_birth=date(2000, 2, 29))
    feb_28 = context(cervical=via_screen(result_on=None), client=client, service_date=date(2025, 2, 28), today=TODAY)
    refused(rules.cervical_screening_applies, feb_28, "cervical-screening_type", "this client is 24")
    mar_1 = context(cervical=via_screen(result_on=None), client=client, service_date=date(2025, 3, 1), today=TODAY)
    assert rules.cervical_screening_applies(mar_1) == {}


def test_cervical_age_limits_follow_the_settings():
    client = facts(date_of_birth=_born_years_before(VISIT_DAY, 30))
    settings = RuleSettings(cervical_min_age=30, cervical_max_age=49)
    assert rules.cervical_screening_applies(context(cervical=via_screen(), client=client, settings=settings)) == {}
    older = facts(date_of_birth=_born_years_before(VISIT_DAY, 50))
    ctx = context(cervical=via_screen(), client=older, settings=settings)
    refused(rules.cervical_screening_applies, ctx, "cervical-screening_type", "from age 30 to 49; this client is 50")


# --------------------------------------------------------------------------- cervical screening is consistent
def test_cervical_section_without_type_or_method_is_refused():
    errors = rules.cervical_screening_is_consistent(context(cervical=via_screen(screening_type=None, method=None)))
    assert "screening visit type" in errors["cervical-screening_type"]
    assert "screening method" in errors["cervical-method"]


@pytest.mark.parametrize(
    ("method", "result"),
    [
        (CervicalMethod.VIA, CervicalResult.POSITIVE),
        (CervicalMethod.PAP, CervicalResult.NEGATIVE),
        (CervicalMethod.HPV, CervicalResult.NEGATIVE),
        (CervicalMethod.HPV, None),
    ],
    ids=["via-positive", "pap-negative", "hpv-negative", "hpv-pending"],
)
def test_triage_result_is_refused_unless_hpv_positive(method, result):
    ctx = context(cervical=via_screen(method=method, result=result, triage_result=CervicalResult.NEGATIVE))
    refused(
        rules.cervical_screening_is_consistent,
        ctx,
        "cervical-triage_result",
        "only after a positive HPV test",
    )


def test_triage_result_after_a_positive_hpv_test_is_accepted():
    ctx = context(
        cervical=via_screen(
            method=CervicalMethod.HPV, result=CervicalResult.POSITIVE, triage_result=CervicalResult.NEGATIVE
        )
    )
    assert rules.cervical_screening_is_consistent(ctx) == {}
    assert check(ctx) == {}


@pytest.mark.parametrize(
    "screen",
    [
        {"method": CervicalMethod.VIA, "result": CervicalResult.NEGATIVE},
        {"method": CervicalMethod.VIA, "result": None},
        {"method": CervicalMethod.HPV, "result": CervicalResult.POSITIVE},  # triage pending
        {"method": CervicalMethod.HPV, "result": CervicalResult.POSITIVE, "triage_result": CervicalResult.NEGATIVE},
    ],
    ids=["via-negative", "via-pending", "hpv-positive-untriaged", "hpv-positive-triage-negative"],
)
def test_treatment_without_a_positive_screen_is_refused(screen):
    ctx = context(
        cervical=via_screen(
            **screen,
            treatment=CervicalTreatment.CRYOTHERAPY,
            treatment_timing=TreatmentTiming.SAME_DAY,
            treated_on=VISIT_DAY,
        )
    )
    refused(rules.cervical_screening_is_consistent, ctx, "cervical-treatment", "only after a positive screen")


@pytest.mark.parametrize(
    "screen",
    [
        {"method": CervicalMethod.VIA, "result": CervicalResult.POSITIVE},
        {"method": CervicalMethod.PAP, "result": CervicalResult.SUSPECTED_CANCER},
        {"method": CervicalMethod.HPV, "result": CervicalResult.POSITIVE, "triage_result": CervicalResult.POSITIVE},
    ],
    ids=["via-positive", "pap-suspected-cancer", "hpv-positive-triage-positive"],
)
def test_treatment_after_a_positive_screen_is_accepted(screen):
    ctx = context(
        cervical=via_screen(
            **screen,
            treatment=CervicalTreatment.THERMAL_ABLATION,
            treatment_timing=TreatmentTiming.SAME_DAY,
            treated_on=VISIT_DAY,
        )
    )
    assert rules.cervical_screening_is_consistent(ctx) == {}
    assert check(ctx) == {}


def test_no_treatment_is_accepted_after_any_result():
    ctx = context(cervical=via_screen(treatment=CervicalTreatment.NONE))
    assert rules.cervical_screening_is_consistent(ctx) == {}


def test_treatment_without_timing_is_refused():
    ctx = context(
        cervical=via_screen(result=CervicalResult.POSITIVE, treatment=CervicalTreatment.LEEP, treated_on=VISIT_DAY)
    )
    refused(rules.cervical_screening_is_consistent, ctx, "cervical-treatment_timing", "same day or referred")


# --------------------------------------------------------------------------- dates between the visit and today
DATED = [
    ("hiv-art_started_on", lambda day: {"hiv": positive_test(art_started_on=day, art_site=ArtSite.THIS_CLINIC)}),
    ("cervical-result_on", lambda day: {"cervical": via_screen(result_on=day)}),
    (
        "cervical-treated_on",
        lambda day: {
            "cervical": via_screen(
                result=CervicalResult.POSITIVE,
                treatment=CervicalTreatment.CRYOTHERAPY,
                treatment_timing=TreatmentTiming.REFERRED,
                treated_on=day,
            )
        },
    ),
    ("pep-outcome_on", lambda day: {"pep": pep(outcome=PepOutcome.COMPLETED, outcome_on=day)}),
]


@pytest.mark.parametrize(("field", "sections"), DATED, ids=[d[0] for d in DATED])
def test_result_dated_before_the_visit_is_refused(field, sections):
    ctx = context(**sections(VISIT_DAY - timedelta(days=1)))
    refused(rules.results_not_before_visit, ctx, field, "before the visit (2026-11-10)")


@pytest.mark.parametrize(("field", "sections"), DATED, ids=[d[0] for d in DATED])
def test_result_dated_in_the_future_is_refused(field, sections):
    ctx = context(**sections(TODAY + timedelta(days=1)))
    refused(rules.results_not_before_visit, ctx, field, "This date is in the future.")


@pytest.mark.parametrize(("field", "sections"), DATED, ids=[d[0] for d in DATED])
@pytest.mark.parametrize("day", [VISIT_DAY, TODAY], ids=["visit-day", "today"])
def test_result_dated_from_the_visit_to_today_is_accepted(field, sections, day):
    ctx = context(**sections(day))
    assert rules.results_not_before_visit(ctx) == {}
    assert check(ctx) == {}


# --------------------------------------------------------------------------- quantities
@pytest.mark.parametrize("name", ["male_condoms", "female_condoms", "lubricant"])
@pytest.mark.parametrize("quantity", [-1, 1001])
def test_implausible_commodity_quantities_are_refused(name, quantity):
    ctx = context(commodities=CommoditiesInput(**{name: quantity}))
    refused(rules.quantities_are_plausible, ctx, f"commodities-{name}", "from 0 to 1000")


def test_commodity_quantities_from_0_to_1000_are_accepted():
    goods = CommoditiesInput(male_condoms=1000, female_condoms=0, lubricant=10)
    assert rules.quantities_are_plausible(context(commodities=goods)) == {}


@pytest.mark.parametrize("counts", [{"for_self": 21}, {"for_partner": -1}, {"for_other": 21}])
def test_too_many_self_test_kits_are_refused_beside_the_wrong_count(counts):
    ctx = context(selftest=kits(**counts))
    (field,) = counts
    refused(rules.quantities_are_plausible, ctx, f"selftest-{field}", "from 0 to 20 kits")


def test_self_test_section_without_kits_is_refused():
    ctx = context(selftest=kits(for_self=0))
    refused(rules.quantities_are_plausible, ctx, "selftest-for_self", "Give the number of kits")


def test_self_test_section_without_distribution_is_refused():
    ctx = context(selftest=kits(distribution=None))
    refused(rules.quantities_are_plausible, ctx, "selftest-distribution", "assisted or unassisted")


def test_self_test_kits_up_to_20_each_are_accepted():
    ctx = context(selftest=kits(for_self=20, for_partner=20, for_other=20))
    assert rules.quantities_are_plausible(ctx) == {}


# --------------------------------------------------------------------------- STI
def test_no_symptoms_ticked_with_a_symptom_is_refused():
    sti = StiInput(syndromes=[StiSyndrome.NONE, StiSyndrome.DISCHARGE])
    refused(rules.sti_findings_are_consistent, context(sti=sti), "sti-syndromes", "'No symptoms' cannot be ticked")


@pytest.mark.parametrize(
    "syndromes",
    [[StiSyndrome.NONE], [StiSyndrome.DISCHARGE, StiSyndrome.ULCER], []],
    ids=["none", "two-symptoms", "nothing-ticked"],
)
def test_consistent_sti_findings_are_accepted(syndromes):
    assert rules.sti_findings_are_consistent(context(sti=StiInput(syndromes=syndromes))) == {}


# --------------------------------------------------------------------------- issue 11 capture
def test_seroconversion_stop_without_a_positive_result_is_refused():
    stop = PrepInput(PrepEventType.STOP, stop_reason=PrepStopReason.HIV_POSITIVE)
    refused(
        rules.seroconversion_stop_needs_the_positive_result,
        context(hiv=negative_test(), prep=stop),
        "prep-stop_reason",
        "Record the confirmed positive HIV test",
    )


def test_seroconversion_stop_with_todays_positive_result_passes_every_rule():
    stop = PrepInput(PrepEventType.STOP, stop_reason=PrepStopReason.HIV_POSITIVE)
    positive = negative_test(screening_result=AssayResult.REACTIVE, confirmatory_result=AssayResult.REACTIVE)
    assert check(context(hiv=positive, prep=stop, client=facts(prep_history=PRIOR_PREP[:1]))) == {}


def test_declined_test_needs_no_result_and_refuses_one():
    declined = HivTestInput(previous_status=PreviousHivStatus.UNKNOWN, declined=True)
    assert rules.hiv_test_is_complete(context(hiv=declined)) == {}
    refused(
        rules.hiv_test_is_complete,
        context(hiv=negative_test(declined=True)),
        "hiv-declined",
        "A declined test has no result",
    )
    refused(
        rules.hiv_test_is_complete,
        context(hiv=declined, client=facts(positive_since=date(2024, 5, 6))),
        "hiv-declined",
        "not offered a new test",
    )


def test_referred_cervical_treatment_needs_its_date():
    screen = via_screen(
        result=CervicalResult.POSITIVE,
        treatment=CervicalTreatment.CRYOTHERAPY,
        treatment_timing=TreatmentTiming.REFERRED,
    )
    refused(rules.cervical_screening_is_consistent, context(cervical=screen), "cervical-treated_on", "Give the date")


def test_cervical_screening_outside_the_ages_passes_with_a_reason_and_a_reason_inside_them_is_refused():
    young = facts(date_of_birth=date(VISIT_DAY.year - 22, 1, 1))
    assert (
        rules.cervical_screening_applies(context(cervical=via_screen(outside_age_reason="Symptoms"), client=young))
        == {}
    )
    refused(
        rules.cervical_screening_applies,
        context(cervical=via_screen(outside_age_reason="Symptoms")),
        "cervical-outside_age_reason",
        "within the screening ages",
    )
