"""SQL building blocks shared by the indicator definitions.

Every indicator is one SELECT of "fact rows": one row per counted unit (a person
or an event) with a ``weight`` (1, or a number of kits or pieces), the person's
``sex``, ``dob`` and ``kp`` codes, the ``on_date`` their age is taken on, and the
indicator's own disaggregation columns. The engine groups and sums those rows in
one aggregated query per indicator.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, extract, literal

from clinic_app.clients.models import Client


@dataclass(frozen=True)
class Window:
    """The dates an indicator counts over and the clinics it counts."""

    start: date
    end: date
    clinic_ids: tuple | None  # None: every clinic

    def dates(self, column):
        return column.between(self.start, self.end)

    def clinics(self, column):
        return literal(True) if self.clinic_ids is None else column.in_(self.clinic_ids)


def person_columns():
    """The client's sex, birth date and key-population type, as fact columns."""
    return (Client.sex.label("sex"), Client.date_of_birth.label("dob"), Client.key_population.label("kp"))


def age_at(dob, on):
    """Completed years on a date, in portable SQL (a 29 Feb birthday counts on 1 Mar)."""
    not_yet = (extract("month", on) * 100 + extract("day", on)) < (extract("month", dob) * 100 + extract("day", dob))
    return extract("year", on) - extract("year", dob) - case((not_yet, 1), else_=0)
