"""SQL building blocks shared by the indicator definitions.

Every indicator is one SELECT of "fact rows": one row per counted unit (a person
or an event) with a ``weight`` (1, or a number of kits or pieces), the person's
``sex``, ``dob`` and ``kp`` codes, the ``on_date`` their age is taken on, and the
indicator's own disaggregation columns. The engine groups and sums those rows in
one aggregated query per indicator.
"""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, case, exists, extract, literal, or_, select
from sqlalchemy.orm import aliased

from clinic_app.clients.models import Client
from clinic_app.screening.models import HivResult, HivTest, PreviousHivStatus
from clinic_app.visits.models import Visit


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


def positive_by(client_id, on, *, known_before: bool = False):
    """True when the client was living with HIV on ``on``: a confirmed positive result that day or
    earlier, or their own statement of a known positive status.

    With ``known_before``, a result found on ``on`` itself does not count: the person was newly
    diagnosed then, not already known positive.
    """
    tested = aliased(Visit)  # the outer query's visit stays the one ``on`` belongs to
    result_date = tested.service_date < on if known_before else tested.service_date <= on
    return exists(
        select(HivTest.id)
        .join(tested, tested.id == HivTest.visit_id)
        .where(
            tested.client_id == client_id,
            or_(
                and_(HivTest.final_result == HivResult.POSITIVE, result_date),
                and_(HivTest.previous_status == PreviousHivStatus.KNOWN_POSITIVE, tested.service_date <= on),
            ),
        )
    )


def on_art_by(client_id, on):
    """True when an ART start on or before ``on`` is recorded at any visit."""
    linked = aliased(Visit)
    return exists(
        select(HivTest.id)
        .join(linked, linked.id == HivTest.visit_id)
        .where(linked.client_id == client_id, HivTest.art_started_on.is_not(None), HivTest.art_started_on <= on)
    )
