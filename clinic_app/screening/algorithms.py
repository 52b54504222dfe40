"""Derived clinical values: the national HIV testing algorithm and cervical screening intervals."""

from datetime import date

from clinic_app.core.timeutil import add_months
from clinic_app.screening.models import AssayResult, CervicalMethod, CervicalResult, CervicalTreatment, HivResult
from clinic_app.visits.clinical import cervical_outcome

# Months to the next cervical screen after a negative result, by method; women
# living with HIV are rescreened sooner (WHO 2021 guidance).
RESCREEN_MONTHS = {
    CervicalMethod.HPV: {"hiv_negative": 60, "hiv_positive": 36},
    CervicalMethod.VIA: {"hiv_negative": 36, "hiv_positive": 24},
    CervicalMethod.PAP: {"hiv_negative": 36, "hiv_positive": 24},
}
POST_TREATMENT_MONTHS = 12
HPV_POSITIVE_TRIAGE_NEGATIVE_MONTHS = 12


def hiv_final_result(screening: AssayResult | None, confirmatory: AssayResult | None) -> HivResult | None:
    """Serial testing: a non-reactive screen is negative; a reactive screen is positive
    only when the confirmatory test is reactive too; anything else is inconclusive
    (retest in 14 days per the national algorithm)."""
    if screening is None:
        return None
    if screening == AssayResult.NON_REACTIVE:
        return HivResult.NEGATIVE
    if screening == AssayResult.REACTIVE and confirmatory == AssayResult.REACTIVE:
        return HivResult.POSITIVE
    return HivResult.INCONCLUSIVE


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
