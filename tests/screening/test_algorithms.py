"""The national HIV testing algorithm, cervical screening outcomes and intervals, and month arithmetic."""

import calendar
from datetime import date, timedelta

import pytest

from clinic_app.core.timeutil import add_months, latest_start_due_by
from clinic_app.screening.algorithms import cervical_next_due, hiv_final_result
from clinic_app.screening.models import AssayResult, CervicalMethod, CervicalResult, CervicalTreatment, HivResult
from clinic_app.visits.clinical import cervical_complete, cervical_outcome

NR, R, INV = AssayResult.NON_REACTIVE, AssayResult.REACTIVE, AssayResult.INVALID
NEG, POS, CANCER = CervicalResult.NEGATIVE, CervicalResult.POSITIVE, CervicalResult.SUSPECTED_CANCER
VIA, HPV, PAP = CervicalMethod.VIA, CervicalMethod.HPV, CervicalMethod.PAP

# --------------------------------------------------------------------------- HIV final result
# Every (screening, confirmatory) pair, with the result the national serial algorithm gives.
HIV_TABLE = {
    (None, None): None,
    (None, NR): None,
    (None, R): None,
    (None, INV): None,
    (NR, None): HivResult.NEGATIVE,
    (NR, NR): HivResult.NEGATIVE,
    (NR, R): HivResult.NEGATIVE,
    (NR, INV): HivResult.NEGATIVE,
    (R, None): HivResult.INCONCLUSIVE,
    (R, NR): HivResult.INCONCLUSIVE,
    (R, R): HivResult.POSITIVE,
    (R, INV): HivResult.INCONCLUSIVE,
    (INV, None): HivResult.INCONCLUSIVE,
    (INV, NR): HivResult.INCONCLUSIVE,
    (INV, R): HivResult.INCONCLUSIVE,
    (INV, INV): HivResult.INCONCLUSIVE,
}


def test_the_table_covers_every_combination():
    values = [None, *AssayResult]
    assert set(HIV_TABLE) == {(s, c) for s in values for c in values}


@pytest.mark.parametrize(
    ("screening", "confirmatory"),
    list(HIV_TABLE),
    ids=[f"{s and s.value}-{c and c.value}" for s, c in HIV_TABLE],
)
def test_hiv_final_result_follows_the_serial_algorithm(screening, confirmatory):
    assert hiv_final_result(screening, confirmatory) == HIV_TABLE[(screening, confirmatory)]


def test_only_two_reactive_tests_make_a_positive():
    positives = [pair for pair in HIV_TABLE if hiv_final_result(*pair) == HivResult.POSITIVE]
    assert positives == [(R, R)]


# --------------------------------------------------------------------------- cervical outcome and completeness
@pytest.mark.parametrize(
    ("method", "result", "triage", "outcome", "complete"),
    [
        (VIA, NEG, None, NEG, True),
        (VIA, POS, None, POS, True),
        (VIA, CANCER, None, CANCER, True),
        (VIA, None, None, None, False),
        (PAP, NEG, None, NEG, True),
        (PAP, POS, None, POS, True),
        (PAP, None, None, None, False),
        (HPV, NEG, None, NEG, True),
        (HPV, POS, None, None, False),  # HPV positive, triage pending: incomplete
        (HPV, POS, NEG, NEG, True),
        (HPV, POS, POS, POS, True),
        (HPV, POS, CANCER, CANCER, True),
        (HPV, None, None, None, False),
    ],
)
def test_cervical_outcome_and_completeness(method, result, triage, outcome, complete):
    assert cervical_outcome(method, result, triage) == outcome
    assert cervical_complete(method, result, triage) is complete


def test_hpv_positive_without_triage_is_incomplete():
    assert cervical_complete(HPV, POS, None) is False
    assert cervical_outcome(HPV, POS, None) is None


# --------------------------------------------------------------------------- cervical next due
SCREENED = date(2026, 3, 15)


def next_due(method, result, triage=None, treatment=None, *, hiv_positive=False, screened_on=SCREENED):
    return cervical_next_due(
        method=method,
        result=result,
        triage=triage,
        treatment=treatment,
        screened_on=screened_on,
        hiv_positive=hiv_positive,
    )


@pytest.mark.parametrize(
    ("method", "hiv_positive", "expected"),
    [
        (HPV, False, date(2031, 3, 15)),  # 5 years
        (HPV, True, date(2029, 3, 15)),  # 3 years
        (VIA, False, date(2029, 3, 15)),  # 3 years
        (VIA, True, date(2028, 3, 15)),  # 2 years
        (PAP, False, date(2029, 3, 15)),
        (PAP, True, date(2028, 3, 15)),
    ],
    ids=["hpv-neg", "hpv-wlhiv", "via-neg", "via-wlhiv", "pap-neg", "pap-wlhiv"],
)
def test_rescreen_after_a_negative_depends_on_method_and_hiv_status(method, hiv_positive, expected):
    assert next_due(method, NEG, hiv_positive=hiv_positive) == expected


def test_rescreen_interval_keeps_the_end_of_month_rule():
    assert next_due(VIA, NEG, screened_on=date(2024, 2, 29)) == date(2027, 2, 28)
    assert next_due(VIA, NEG, hiv_positive=True, screened_on=date(2024, 2, 29)) == date(2026, 2, 28)
    assert next_due(HPV, NEG, hiv_positive=True, screened_on=date(2025, 8, 31)) == date(2028, 8, 31)


@pytest.mark.parametrize(
    "treatment", [CervicalTreatment.CRYOTHERAPY, CervicalTreatment.THERMAL_ABLATION, CervicalTreatment.LEEP]
)
@pytest.mark.parametrize("hiv_positive", [False, True])
def test_follow_up_twelve_months_after_treatment(treatment, hiv_positive):
    assert next_due(VIA, POS, treatment=treatment, hiv_positive=hiv_positive) == date(2027, 3, 15)
    assert next_due(PAP, POS, treatment=treatment, hiv_positive=hiv_positive) == date(2027, 3, 15)
    assert next_due(HPV, POS, POS, treatment=treatment, hiv_positive=hiv_positive) == date(2027, 3, 15)


@pytest.mark.parametrize("treatment", [None, CervicalTreatment.NONE])
def test_positive_screen_not_yet_treated_has_no_next_screen_date(treatment):
    assert next_due(VIA, POS, treatment=treatment) is None
    assert next_due(HPV, POS, POS, treatment=treatment) is None


def test_hpv_positive_with_negative_triage_is_rescreened_after_twelve_months():
    assert next_due(HPV, POS, NEG) == date(2027, 3, 15)
    assert next_due(HPV, POS, NEG, hiv_positive=True) == date(2027, 3, 15)


@pytest.mark.parametrize("treatment", [None, CervicalTreatment.LEEP])
def test_suspected_cancer_has_no_next_screen_date(treatment):
    assert next_due(VIA, CANCER, treatment=treatment) is None
    assert next_due(PAP, CANCER, treatment=treatment, hiv_positive=True) is None
    assert next_due(HPV, POS, CANCER, treatment=treatment) is None


def test_pending_results_have_no_next_screen_date():
    assert next_due(VIA, None) is None
    assert next_due(HPV, None, hiv_positive=True) is None
    assert next_due(HPV, POS) is None  # triage pending


# --------------------------------------------------------------------------- add_months
@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2023, 11, 30), 3, date(2024, 2, 29)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2026, 8, 31), 3, date(2026, 11, 30)),
        (date(2026, 10, 31), 1, date(2026, 11, 30)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2026, 11, 20), 3, date(2027, 2, 20)),
        (date(2026, 3, 31), -1, date(2026, 2, 28)),
        (date(2026, 1, 15), -3, date(2025, 10, 15)),
        (date(2026, 5, 31), 0, date(2026, 5, 31)),
    ],
)
def test_add_months_keeps_the_day_or_takes_the_last_day_of_the_month(day, months, expected):
    assert add_months(day, months) == expected


def _add_months_by_calendar(day: date, months: int) -> date:
    """An independent reference: count months from year 0, clamp with calendar.monthrange."""
    total = day.year * 12 + (day.month - 1) + months
    year, month = divmod(total, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def test_add_months_agrees_with_the_calendar_for_every_day_of_2023_to_2025():
    day = date(2023, 1, 1)
    while day <= date(2025, 12, 31):
        for months in (-12, -3, -1, 1, 2, 3, 6, 12, 24, 36, 60):
            assert add_months(day, months) == _add_months_by_calendar(day, months), (day, months)
        day += timedelta(days=1)


# --------------------------------------------------------------------------- latest_start_due_by
def _latest_start_by_search(deadline: date, months: int) -> date:
    """Try every start day in a window that surely holds the answer; keep the latest that is due."""
    window = months * 31 + 7
    starts = [deadline - timedelta(days=n) for n in range(window + 1)]
    due = [start for start in starts if _add_months_by_calendar(start, months) <= deadline]
    assert due, "search window too small"
    return max(due)


@pytest.mark.parametrize("months", [1, 3, 12])
def test_latest_start_due_by_agrees_with_a_search_over_every_day_of_2023_to_2025(months):
    deadline = date(2023, 1, 1)
    while deadline <= date(2025, 12, 31):
        expected = _latest_start_by_search(deadline, months)
        assert latest_start_due_by(deadline, months) == expected, deadline
        deadline += timedelta(days=1)


@pytest.mark.parametrize(
    ("deadline", "months", "expected"),
    [
        (date(2026, 11, 30), 3, date(2026, 8, 31)),  # 31 Aug + 3 months = 30 Nov
        (date(2027, 2, 28), 3, date(2026, 11, 30)),  # 29 and 30 Nov both fall due on 28 Feb
        (date(2024, 2, 29), 1, date(2024, 1, 31)),
        (date(2025, 2, 28), 12, date(2024, 2, 29)),
        (date(2026, 11, 27), 3, date(2026, 8, 27)),
    ],
)
def test_latest_start_due_by_hand_cases(deadline, months, expected):
    assert latest_start_due_by(deadline, months) == expected
    assert add_months(expected, months) <= deadline
    assert add_months(expected + timedelta(days=1), months) > deadline
