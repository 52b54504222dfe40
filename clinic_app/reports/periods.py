"""Reporting periods: calendar month/quarter/year, PEPFAR fiscal quarters and halves, programme years.

Written as short codes so they fit a command line and a file name:
  2024-07   a calendar month          2024Q3   a calendar quarter      2024   a calendar year
  FY2025Q1  a PEPFAR fiscal quarter (FY2025 Q1 = Oct-Dec 2024)
  FY2025S1  a fiscal half (Oct-Mar; S2 = Apr-Sep), the MER semi-annual period
  FY2025    a fiscal year (Oct 2024 - Sep 2025)
  PY2023    a programme year (Aug 2023 - Jul 2024, Hands Off style)
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from clinic_app.core.timeutil import add_months


@dataclass(frozen=True)
class Period:
    code: str
    start: date
    end: date  # inclusive
    kind: str  # month, quarter, year, fiscal_quarter, fiscal_half, fiscal_year, programme_year

    @property
    def months(self) -> int:
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    def previous(self, count: int = 1) -> list["Period"]:
        """The ``count`` periods of the same kind before this one, oldest first."""
        periods, current = [], self
        for _ in range(count):
            current = _shift(current, -1)
            periods.append(current)
        return list(reversed(periods))

    @property
    def fiscal_year_start(self) -> date:
        year = self.start.year + (1 if self.start.month >= 10 else 0)
        return date(year - 1, 10, 1)

    @property
    def closes_fiscal_year(self) -> bool:
        """Q4 and S2 report fiscal-year-to-date unique counts for some MER indicators."""
        return self.kind in ("fiscal_quarter", "fiscal_half", "fiscal_year") and self.end.month == 9


class BadPeriod(ValueError):
    pass


def _span(start: date, months: int) -> date:
    return add_months(start, months) - timedelta(days=1)


_PATTERNS = [
    (re.compile(r"^(\d{4})-(\d{2})$"), "month"),
    (re.compile(r"^(\d{4})Q([1-4])$"), "quarter"),
    (re.compile(r"^(\d{4})$"), "year"),
    (re.compile(r"^FY(\d{4})Q([1-4])$"), "fiscal_quarter"),
    (re.compile(r"^FY(\d{4})S([12])$"), "fiscal_half"),
    (re.compile(r"^FY(\d{4})$"), "fiscal_year"),
    (re.compile(r"^PY(\d{4})$"), "programme_year"),
]
_LENGTH = {
    "month": 1,
    "quarter": 3,
    "year": 12,
    "fiscal_quarter": 3,
    "fiscal_half": 6,
    "fiscal_year": 12,
    "programme_year": 12,
}


def parse_period(code: str) -> Period:
    """A Period from its code; BadPeriod with a message a person can act on otherwise."""
    text = (code or "").strip().upper()
    for pattern, kind in _PATTERNS:
        match = pattern.match(text)
        if not match:
            continue
        year = int(match.group(1))
        part = int(match.group(2)) if match.lastindex and match.lastindex > 1 else 1
        if not 2000 <= year <= 2100:
            break
        if kind == "month":
            if not 1 <= part <= 12:
                break
            start = date(year, part, 1)
        elif kind == "quarter":
            start = date(year, 3 * part - 2, 1)
        elif kind == "year":
            start = date(year, 1, 1)
        elif kind == "fiscal_quarter":
            start = add_months(date(year - 1, 10, 1), 3 * (part - 1))
        elif kind == "fiscal_half":
            start = add_months(date(year - 1, 10, 1), 6 * (part - 1))
        elif kind == "fiscal_year":
            start = date(year - 1, 10, 1)
        else:
            start = date(year, 8, 1)
        return Period(code=text, start=start, end=_span(start, _LENGTH[kind]), kind=kind)
    raise BadPeriod(f"{code!r} is not a period. Use e.g. 2024-07, 2024Q3, 2024, FY2025Q1, FY2025S1, FY2025 or PY2023.")


def _shift(period: Period, steps: int) -> Period:
    start = add_months(period.start, steps * _LENGTH[period.kind])
    return period_starting(period.kind, start)


def period_starting(kind: str, start: date) -> Period:
    """The period of ``kind`` that starts on ``start`` (which must be a period start)."""
    if kind == "month":
        code = f"{start.year}-{start.month:02d}"
    elif kind == "quarter":
        code = f"{start.year}Q{(start.month - 1) // 3 + 1}"
    elif kind == "year":
        code = str(start.year)
    elif kind == "fiscal_quarter":
        fy = start.year + (1 if start.month >= 10 else 0)
        code = f"FY{fy}Q{((start.month - 10) % 12) // 3 + 1}"
    elif kind == "fiscal_half":
        fy = start.year + (1 if start.month >= 10 else 0)
        code = f"FY{fy}S{1 if start.month == 10 else 2}"
    elif kind == "fiscal_year":
        code = f"FY{start.year + 1}"
    else:
        code = f"PY{start.year}"
    return parse_period(code)


def current_period(kind: str, today: date) -> Period:
    """The period of ``kind`` that contains ``today``."""
    if kind == "month":
        start = today.replace(day=1)
    elif kind == "quarter":
        start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    elif kind == "year":
        start = date(today.year, 1, 1)
    elif kind in ("fiscal_quarter", "fiscal_half", "fiscal_year"):
        months = {"fiscal_quarter": 3, "fiscal_half": 6, "fiscal_year": 12}[kind]
        fy_start = date(today.year - (0 if today.month >= 10 else 1), 10, 1)
        elapsed = (today.year - fy_start.year) * 12 + today.month - fy_start.month
        start = add_months(fy_start, months * (elapsed // months))
    else:
        start = date(today.year - (0 if today.month >= 8 else 1), 8, 1)
    return period_starting(kind, start)


# How many periods of each kind the report form offers (the current one and those before it).
RECENT = {
    "month": 13,
    "quarter": 8,
    "year": 3,
    "fiscal_quarter": 8,
    "fiscal_half": 4,
    "fiscal_year": 3,
    "programme_year": 7,
}


def recent_periods(kind: str, today: date, count: int | None = None) -> list[Period]:
    """The period of ``kind`` containing ``today`` and the ones before it, newest first (none in the future)."""
    current = current_period(kind, today)
    return list(reversed(current.previous((count or RECENT[kind]) - 1) + [current]))


def is_future(period: Period, today: date) -> bool:
    """A period that has not started yet has nothing to report."""
    return period.start > today
