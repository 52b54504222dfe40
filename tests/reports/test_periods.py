"""Reporting period codes: every form, refusals, previous periods, the current period, fiscal-year ends."""

from datetime import date

import pytest

from clinic_app.reports.periods import BadPeriod, Period, current_period, parse_period, period_starting

MESSAGE = "is not a period. Use e.g. 2024-07, 2024Q3, 2024, FY2025Q1, FY2025S1, FY2025 or PY2023."


@pytest.mark.parametrize(
    ("code", "kind", "start", "end", "months"),
    [
        ("2024-07", "month", date(2024, 7, 1), date(2024, 7, 31), 1),
        ("2024-02", "month", date(2024, 2, 1), date(2024, 2, 29), 1),  # a leap year
        ("2025-02", "month", date(2025, 2, 1), date(2025, 2, 28), 1),
        ("2024-12", "month", date(2024, 12, 1), date(2024, 12, 31), 1),
        ("2024Q1", "quarter", date(2024, 1, 1), date(2024, 3, 31), 3),
        ("2024Q3", "quarter", date(2024, 7, 1), date(2024, 9, 30), 3),
        ("2024Q4", "quarter", date(2024, 10, 1), date(2024, 12, 31), 3),
        ("2024", "year", date(2024, 1, 1), date(2024, 12, 31), 12),
        ("FY2025Q1", "fiscal_quarter", date(2024, 10, 1), date(2024, 12, 31), 3),
        ("FY2025Q2", "fiscal_quarter", date(2025, 1, 1), date(2025, 3, 31), 3),
        ("FY2025Q3", "fiscal_quarter", date(2025, 4, 1), date(2025, 6, 30), 3),
        ("FY2025Q4", "fiscal_quarter", date(2025, 7, 1), date(2025, 9, 30), 3),
        ("FY2026Q1", "fiscal_quarter", date(2025, 10, 1), date(2025, 12, 31), 3),
        ("FY2025S1", "fiscal_half", date(2024, 10, 1), date(2025, 3, 31), 6),
        ("FY2025S2", "fiscal_half", date(2025, 4, 1), date(2025, 9, 30), 6),
        ("FY2025", "fiscal_year", date(2024, 10, 1), date(2025, 9, 30), 12),
        ("PY2023", "programme_year", date(2023, 8, 1), date(2024, 7, 31), 12),
        ("PY2019", "programme_year", date(2019, 8, 1), date(2020, 7, 31), 12),
    ],
)
def test_every_period_form(code, kind, start, end, months):
    period = parse_period(code)
    assert period == Period(code=code, start=start, end=end, kind=kind)
    assert period.months == months


@pytest.mark.parametrize(("typed", "code"), [("fy2025q1", "FY2025Q1"), ("  2024q3 ", "2024Q3"), ("py2023", "PY2023")])
def test_codes_are_read_in_any_case_and_trimmed(typed, code):
    assert parse_period(typed).code == code


@pytest.mark.parametrize(
    "code",
    [
        "",
        "   ",
        "2024-13",
        "2024-00",
        "2024-7",
        "2024Q5",
        "2024Q0",
        "FY2025Q0",
        "FY2025Q5",
        "FY2025S3",
        "FY2025S0",
        "FY2025H1",
        "PY23",
        "FY25",
        "1999",
        "2101",
        "Q3 2024",
        "2024/07",
        "July 2024",
        "PY2023Q1",
    ],
)
def test_bad_codes_are_refused_with_a_message(code):
    with pytest.raises(BadPeriod) as caught:
        parse_period(code)
    assert str(caught.value) == f"{code!r} {MESSAGE}"


def test_no_code_at_all_is_refused():
    with pytest.raises(BadPeriod, match="is not a period"):
        parse_period(None)


@pytest.mark.parametrize(
    ("code", "count", "expected"),
    [
        ("2024-01", 2, ["2023-11", "2023-12"]),
        ("2024-03", 1, ["2024-02"]),
        ("2024Q1", 1, ["2023Q4"]),
        ("2024Q2", 3, ["2023Q3", "2023Q4", "2024Q1"]),
        ("2024", 2, ["2022", "2023"]),
        ("FY2025Q1", 1, ["FY2024Q4"]),
        ("FY2025Q1", 4, ["FY2024Q1", "FY2024Q2", "FY2024Q3", "FY2024Q4"]),
        ("FY2025Q2", 2, ["FY2024Q4", "FY2025Q1"]),
        ("FY2025S1", 2, ["FY2024S1", "FY2024S2"]),
        ("FY2025", 1, ["FY2024"]),
        ("PY2023", 2, ["PY2021", "PY2022"]),
        ("2024-05", 0, []),
    ],
)
def test_previous_periods_cross_year_ends(code, count, expected):
    previous = parse_period(code).previous(count)
    assert [p.code for p in previous] == expected
    assert all(p.kind == parse_period(code).kind for p in previous)


def test_previous_fiscal_quarter_has_the_right_dates():
    (q4,) = parse_period("FY2025Q1").previous()
    assert (q4.start, q4.end) == (date(2024, 7, 1), date(2024, 9, 30))


@pytest.mark.parametrize(
    ("kind", "today", "code"),
    [
        ("month", date(2024, 12, 31), "2024-12"),
        ("month", date(2025, 1, 1), "2025-01"),
        ("quarter", date(2024, 12, 31), "2024Q4"),
        ("quarter", date(2025, 1, 1), "2025Q1"),
        ("quarter", date(2025, 6, 30), "2025Q2"),
        ("year", date(2024, 12, 31), "2024"),
        ("fiscal_quarter", date(2024, 9, 30), "FY2024Q4"),
        ("fiscal_quarter", date(2024, 10, 1), "FY2025Q1"),
        ("fiscal_quarter", date(2024, 12, 31), "FY2025Q1"),
        ("fiscal_quarter", date(2025, 1, 1), "FY2025Q2"),
        ("fiscal_quarter", date(2025, 7, 15), "FY2025Q4"),
        ("fiscal_half", date(2024, 10, 1), "FY2025S1"),
        ("fiscal_half", date(2025, 3, 31), "FY2025S1"),
        ("fiscal_half", date(2025, 4, 1), "FY2025S2"),
        ("fiscal_half", date(2025, 9, 30), "FY2025S2"),
        ("fiscal_year", date(2024, 9, 30), "FY2024"),
        ("fiscal_year", date(2024, 10, 1), "FY2025"),
        ("programme_year", date(2024, 7, 31), "PY2023"),
        ("programme_year", date(2024, 8, 1), "PY2024"),
        ("programme_year", date(2025, 1, 15), "PY2024"),
    ],
)
def test_current_period_of_each_kind(kind, today, code):
    period = current_period(kind, today)
    assert period.code == code
    assert period.start <= today <= period.end


@pytest.mark.parametrize(
    ("code", "closes"),
    [
        ("FY2025Q1", False),
        ("FY2025Q2", False),
        ("FY2025Q3", False),
        ("FY2025Q4", True),
        ("FY2025S1", False),
        ("FY2025S2", True),
        ("FY2025", True),
        ("2025Q3", False),  # a calendar quarter ending in September is not a fiscal period
        ("2025-09", False),
        ("2025", False),
        ("PY2024", False),
    ],
)
def test_closes_fiscal_year(code, closes):
    assert parse_period(code).closes_fiscal_year is closes


@pytest.mark.parametrize("code", ["FY2025Q1", "FY2025Q4", "FY2025S2", "FY2025", "2025-09", "2024-10"])
def test_fiscal_year_start(code):
    assert parse_period(code).fiscal_year_start == date(2024, 10, 1)


@pytest.mark.parametrize("code", ["2024-07", "2024Q3", "2024", "FY2025Q3", "FY2025S2", "FY2025", "PY2023"])
def test_period_starting_gives_back_the_same_period(code):
    period = parse_period(code)
    assert period_starting(period.kind, period.start) == period
