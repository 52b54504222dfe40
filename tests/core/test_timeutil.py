"""Dates as the clinic sees them: local 'today' and age on the date of service."""

from datetime import UTC, date, datetime

from clinic_app.core.timeutil import age_on, local_today


def test_age_is_counted_on_the_date_of_service():
    assert age_on(date(1992, 8, 15), date(2026, 8, 14)) == 33
    assert age_on(date(1992, 8, 15), date(2026, 8, 15)) == 34


def test_29_february_birthday_counts_on_1_march_in_other_years():
    assert age_on(date(2004, 2, 29), date(2026, 2, 28)) == 21
    assert age_on(date(2004, 2, 29), date(2026, 3, 1)) == 22


def test_today_is_the_clinics_local_date():
    late_evening_utc = datetime(2026, 3, 31, 22, 30, tzinfo=UTC)
    assert local_today("UTC", late_evening_utc) == date(2026, 3, 31)
    assert local_today("Africa/Harare", late_evening_utc) == date(2026, 4, 1)
