"""Dates as the clinic sees them: 'today' is the clinic's local date."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from clinic_app.core.db import utcnow


def local_today(tz_name: str, now: datetime | None = None) -> date:
    """Today's date in the given IANA time zone (a clinic's), from a UTC instant."""
    return (now or utcnow()).astimezone(ZoneInfo(tz_name)).date()


def age_on(born: date, on: date) -> int:
    """Completed years of age on a given date (a 29 February birthday counts on 1 March)."""
    years = on.year - born.year
    if (on.month, on.day) < (born.month, born.day):
        years -= 1
    return years


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later; a day the month lacks becomes its last day (31 Jan + 1 = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def latest_start_due_by(deadline: date, months: int) -> date:
    """The latest date d with add_months(d, months) <= deadline.

    Lets a due list ask SQL for ``last_date <= cutoff`` while the due date itself
    keeps the end-of-month rule of add_months.
    """
    candidate = add_months(deadline, -months)
    while add_months(candidate + timedelta(days=1), months) <= deadline:
        candidate += timedelta(days=1)
    return candidate
