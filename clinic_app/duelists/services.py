"""The due lists, each one aggregated query: who is due, since when, and who follows them up.

A list is filtered by clinic (the clinic where the service that makes the client
due was given) and optionally by the client's peer educator. Dates are the
clinic's; month intervals follow add_months (30 Nov + 3 months = 28/29 Feb).
"""

import time
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.orm import joinedload

from clinic_app.clients.models import Client
from clinic_app.core.actor import Actor
from clinic_app.core.timeutil import add_months, latest_start_due_by
from clinic_app.extensions import db
from clinic_app.screening.models import CervicalScreening, HivResult, HivTest, PreviousHivStatus
from clinic_app.visits.models import PrepEvent, PrepEventType, Visit

LIST_LIMIT = 1000
INCONCLUSIVE_RETEST_DAYS = 14  # national algorithm: an inconclusive result is retested in 14 days


@dataclass(frozen=True)
class DueSettings:
    today: date
    due_soon_days: int = 7
    hiv_retest_months: int = 3
    missed_grace_days: int = 7

    @classmethod
    def from_config(cls, config, today: date) -> "DueSettings":
        return cls(
            today=today,
            due_soon_days=config["DUE_SOON_DAYS"],
            hiv_retest_months=config["HIV_RETEST_MONTHS"],
            missed_grace_days=config["MISSED_GRACE_DAYS"],
        )


@dataclass(frozen=True)
class DueFilters:
    clinic_id: object
    peer_educator_id: object = None


@dataclass
class DueEntry:
    client: Client
    since: date  # when the client became due (appointment or due date)
    last_seen: date  # date of the service that makes them due
    note: str = ""

    def days_overdue(self, today: date) -> int:
        return (today - self.since).days


def _positive_clients():
    """Clients with a confirmed positive result or who said they are known positive."""
    return (
        select(Visit.client_id)
        .join(HivTest, HivTest.visit_id == Visit.id)
        .where(
            or_(HivTest.final_result == HivResult.POSITIVE, HivTest.previous_status == PreviousHivStatus.KNOWN_POSITIVE)
        )
    )


def _seen_at(clinic_id):
    """Clients with any visit at the clinic: only they can be on its lists, so only they are ranked."""
    return select(Visit.client_id).where(Visit.clinic_id == clinic_id)


def _latest(model, filters: DueFilters, *conditions):
    """Per client seen at the filtered clinic, the latest row of ``model`` (by date of service), as a subquery."""
    rank = func.row_number().over(
        partition_by=Visit.client_id, order_by=(Visit.service_date.desc(), Visit.created_at.desc())
    )
    return (
        select(
            model,
            Visit.client_id.label("client_id"),
            Visit.service_date.label("service_date"),
            Visit.clinic_id.label("visit_clinic_id"),
            rank.label("rank"),
        )
        .join(Visit, Visit.id == model.visit_id)
        .where(Visit.client_id.in_(_seen_at(filters.clinic_id)), *conditions)
        .subquery()
    )


def _scoped(query: Select, latest, filters: DueFilters) -> Select:
    query = (
        query.join(Client, Client.id == latest.c.client_id)
        .options(joinedload(Client.peer_educator))
        .where(latest.c.rank == 1, latest.c.visit_clinic_id == filters.clinic_id, Client.merged_into_id.is_(None))
    )
    if filters.peer_educator_id:
        query = query.where(Client.peer_educator_id == filters.peer_educator_id)
    return query


def prep_refill_query(settings: DueSettings, filters: DueFilters) -> Select:
    latest = _latest(PrepEvent, filters)
    due = latest.c.next_appointment_on
    return (
        _scoped(select(Client, due, latest.c.service_date, latest.c.months_dispensed), latest, filters)
        .where(
            latest.c.event != PrepEventType.STOP,
            due.is_not(None),
            due <= settings.today + timedelta(days=settings.due_soon_days),
            Client.id.not_in(_positive_clients()),
        )
        .order_by(due)
    )


def hiv_retest_query(settings: DueSettings, filters: DueFilters) -> Select:
    latest = _latest(HivTest, filters, HivTest.final_result.is_not(None))
    deadline = settings.today + timedelta(days=settings.due_soon_days)
    cutoff = latest_start_due_by(deadline, settings.hiv_retest_months)
    inconclusive_cutoff = deadline - timedelta(days=INCONCLUSIVE_RETEST_DAYS)
    return (
        _scoped(select(Client, latest.c.service_date, latest.c.service_date, latest.c.final_result), latest, filters)
        .where(
            or_(
                and_(latest.c.final_result == HivResult.NEGATIVE, latest.c.service_date <= cutoff),
                and_(latest.c.final_result == HivResult.INCONCLUSIVE, latest.c.service_date <= inconclusive_cutoff),
            ),
            Client.id.not_in(_positive_clients()),
        )
        .order_by(latest.c.service_date)
    )


def cervical_rescreen_query(settings: DueSettings, filters: DueFilters) -> Select:
    latest = _latest(CervicalScreening, filters, CervicalScreening.complete.is_(True))
    due = latest.c.next_due_on
    return (
        _scoped(select(Client, due, latest.c.service_date), latest, filters)
        .where(due.is_not(None), due <= settings.today + timedelta(days=settings.due_soon_days))
        .order_by(due)
    )


def unlinked_positive_query(settings: DueSettings, filters: DueFilters) -> Select:
    latest = _latest(HivTest, filters, HivTest.final_result == HivResult.POSITIVE)
    linked = exists(
        select(HivTest.id)
        .join(Visit, Visit.id == HivTest.visit_id)
        .where(Visit.client_id == Client.id, HivTest.art_started_on.is_not(None))
    )
    return (
        _scoped(select(Client, latest.c.service_date, latest.c.service_date), latest, filters)
        .where(~linked)
        .order_by(latest.c.service_date)
    )


def missed_appointment_query(settings: DueSettings, filters: DueFilters) -> Select:
    rank = func.row_number().over(
        partition_by=Visit.client_id, order_by=(Visit.service_date.desc(), Visit.created_at.desc())
    )
    latest = (
        select(
            Visit.client_id.label("client_id"),
            Visit.service_date.label("service_date"),
            Visit.clinic_id.label("visit_clinic_id"),
            func.coalesce(Visit.next_appointment_on, PrepEvent.next_appointment_on).label("appointment"),
            rank.label("rank"),
        )
        .outerjoin(PrepEvent, and_(PrepEvent.visit_id == Visit.id, PrepEvent.event != PrepEventType.STOP))
        .where(Visit.client_id.in_(_seen_at(filters.clinic_id)))
        .subquery()
    )
    appointment = latest.c.appointment
    return (
        _scoped(select(Client, appointment, latest.c.service_date), latest, filters)
        .where(appointment.is_not(None), appointment < settings.today - timedelta(days=settings.missed_grace_days))
        .order_by(appointment)
    )


@dataclass(frozen=True)
class DueList:
    name: str
    title: str
    explanation: str
    query: object


DUE_LISTS = {
    entry.name: entry
    for entry in (
        DueList(
            "prep_refill",
            _l("PrEP refill due or overdue"),
            _l("Latest PrEP visit was not a stop and the next PrEP appointment is within a week or past."),
            prep_refill_query,
        ),
        DueList(
            "hiv_retest",
            _l("HIV retest due"),
            _l(
                "Latest HIV test was negative and is older than the retest interval, or inconclusive and older "
                "than 14 days (or will be within a week)."
            ),
            hiv_retest_query,
        ),
        DueList(
            "cervical_rescreen",
            _l("Cervical rescreen due"),
            _l("The next screen date from the latest complete cervical screen is within a week or past."),
            cervical_rescreen_query,
        ),
        DueList(
            "unlinked_positive",
            _l("Positive, ART start not confirmed"),
            _l("Confirmed HIV positive and no ART start date recorded at any visit."),
            unlinked_positive_query,
        ),
        DueList(
            "missed_appointment",
            _l("Missed appointments"),
            _l("The appointment given at the latest visit passed more than the grace days ago."),
            missed_appointment_query,
        ),
    )
}


def due_entries(*, actor: Actor, name: str, settings: DueSettings, filters: DueFilters) -> list[DueEntry]:
    """One due list, at most LIST_LIMIT rows, oldest due first."""
    actor.require("duelists.view")
    rows = db.session.execute(DUE_LISTS[name].query(settings, filters).limit(LIST_LIMIT)).all()
    entries = []
    for client, since, last_seen, *rest in rows:
        if name == "hiv_retest":
            inconclusive = rest and rest[0] == HivResult.INCONCLUSIVE
            since = (
                last_seen + timedelta(days=INCONCLUSIVE_RETEST_DAYS)
                if inconclusive
                else add_months(last_seen, settings.hiv_retest_months)
            )
        note = ""
        if name == "prep_refill" and rest and rest[0]:
            note = str(rest[0])
        entries.append(DueEntry(client=client, since=since, last_seen=last_seen, note=note))
    return entries


_COUNTS: dict[tuple, tuple[float, dict[str, int]]] = {}


def due_counts(*, actor: Actor, settings: DueSettings, filters: DueFilters, cache_seconds: int = 0) -> dict[str, int]:
    """How many clients are on each list (for the home page).

    With ``cache_seconds``, counts computed less than that long ago for the same clinic, filter
    and day are reused: every nurse's home page would otherwise scan the whole history.
    """
    actor.require("duelists.view")
    key = (str(db.engine.url), filters.clinic_id, filters.peer_educator_id, settings)
    cached = _COUNTS.get(key)
    if cache_seconds and cached and time.monotonic() - cached[0] < cache_seconds:
        return dict(cached[1])
    counts = {
        name: db.session.scalar(select(func.count()).select_from(entry.query(settings, filters).subquery()))
        for name, entry in DUE_LISTS.items()
    }
    _COUNTS[key] = (time.monotonic(), counts)
    return dict(counts)
