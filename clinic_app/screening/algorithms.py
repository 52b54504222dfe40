"""Derived clinical values: the national HIV testing algorithm and cervical screening intervals."""

from dataclasses import dataclass
from datetime import date, timedelta

from clinic_app.core.timeutil import add_months
from clinic_app.screening.models import AssayResult, CervicalMethod, CervicalResult, CervicalTreatment, HivResult


def cervical_outcome(
    method: CervicalMethod | None, result: CervicalResult | None, triage: CervicalResult | None
) -> CervicalResult | None:
    """The screen's result for counting: an HPV-positive screen takes its triage result."""
    if result is None:
        return None
    if method == CervicalMethod.HPV and result == CervicalResult.POSITIVE:
        return triage
    return result


# Months to the next cervical screen after a negative result, by method; women
# living with HIV are rescreened sooner (WHO 2021 guidance).
RESCREEN_MONTHS = {
    CervicalMethod.HPV: {"hiv_negative": 60, "hiv_positive": 36},
    CervicalMethod.VIA: {"hiv_negative": 36, "hiv_positive": 24},
    CervicalMethod.PAP: {"hiv_negative": 36, "hiv_positive": 24},
}
POST_TREATMENT_MONTHS = 12
HPV_POSITIVE_TRIAGE_NEGATIVE_MONTHS = 12


INCONCLUSIVE_RETEST_DAYS = 14  # an inconclusive result is retested this many days later


@dataclass(frozen=True)
class TestingAlgorithm:
    """A national serial HIV testing algorithm: a screening assay, a confirmatory assay after a reactive
    screen, and, where the country uses one, a third (tie-breaker) assay after reactive then non-reactive."""

    __test__ = False  # not a pytest class

    code: str
    tiebreaker: bool = False
    after_reactive_tiebreaker: HivResult = HivResult.INCONCLUSIVE
    after_non_reactive_tiebreaker: HivResult = HivResult.NEGATIVE


# Chosen per country in settings (HIV_TESTING_ALGORITHMS, country code -> one of these).
ALGORITHMS = {
    a.code: a
    for a in (
        # Reactive then non-reactive: inconclusive, retest in 14 days.
        TestingAlgorithm("two_tests"),
        # Reactive then non-reactive: a third assay; reactive -> positive, non-reactive -> negative.
        TestingAlgorithm("tiebreaker", True, HivResult.POSITIVE, HivResult.NEGATIVE),
        # Reactive then non-reactive: a third assay; reactive -> inconclusive (retest), non-reactive -> negative.
        TestingAlgorithm("tiebreaker_inconclusive", True, HivResult.INCONCLUSIVE, HivResult.NEGATIVE),
    )
}
TWO_TESTS = ALGORITHMS["two_tests"]


def testing_algorithm(country) -> TestingAlgorithm:
    """The algorithm the settings choose for a country (two tests where none is chosen)."""
    from flask import current_app

    chosen = current_app.config.get("HIV_TESTING_ALGORITHMS") or {}
    return ALGORITHMS.get(chosen.get(str(country), "two_tests"), TWO_TESTS)


def discordant(screening: AssayResult | None, confirmatory: AssayResult | None) -> bool:
    """A reactive screening test then a non-reactive confirmatory test (where a tie-breaker decides)."""
    return screening == AssayResult.REACTIVE and confirmatory == AssayResult.NON_REACTIVE


def hiv_final_result(
    screening: AssayResult | None,
    confirmatory: AssayResult | None,
    tiebreaker: AssayResult | None = None,
    algorithm: TestingAlgorithm = TWO_TESTS,
) -> HivResult | None:
    """Serial testing: a non-reactive screen is negative; a reactive screen is positive only when the
    confirmatory test is reactive too; reactive then non-reactive goes to the country's tie-breaker when it
    has one; anything else is inconclusive (retest in 14 days per the national algorithm)."""
    if screening is None:
        return None
    if screening == AssayResult.NON_REACTIVE:
        return HivResult.NEGATIVE
    if screening == AssayResult.REACTIVE and confirmatory == AssayResult.REACTIVE:
        return HivResult.POSITIVE
    if algorithm.tiebreaker and discordant(screening, confirmatory):
        if tiebreaker == AssayResult.REACTIVE:
            return algorithm.after_reactive_tiebreaker
        if tiebreaker == AssayResult.NON_REACTIVE:
            return algorithm.after_non_reactive_tiebreaker
    return HivResult.INCONCLUSIVE


def retest_on(result: HivResult | None, tested_on: date) -> date | None:
    """The retest date an inconclusive result is reported with."""
    return tested_on + timedelta(days=INCONCLUSIVE_RETEST_DAYS) if result == HivResult.INCONCLUSIVE else None


def cervical_next_due(
    *,
    method: CervicalMethod,
    result: CervicalResult | None,
    triage: CervicalResult | None,
    treatment: CervicalTreatment | None,
    screened_on: date,
    hiv_positive: bool,
) -> date | None:
    """When the next screen is due: rescreen after a negative, follow-up a year after
    treatment; none while a result is pending or cancer is suspected (referral)."""
    outcome = cervical_outcome(method, result, triage)
    if method == CervicalMethod.HPV and result == CervicalResult.POSITIVE and outcome == CervicalResult.NEGATIVE:
        return add_months(screened_on, HPV_POSITIVE_TRIAGE_NEGATIVE_MONTHS)
    if outcome == CervicalResult.NEGATIVE:
        months = RESCREEN_MONTHS[method]["hiv_positive" if hiv_positive else "hiv_negative"]
        return add_months(screened_on, months)
    if outcome == CervicalResult.POSITIVE and treatment not in (None, CervicalTreatment.NONE):
        return add_months(screened_on, POST_TREATMENT_MONTHS)
    return None
