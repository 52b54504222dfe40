"""The due lists: who is due, since when, and who follows them up.

Each list is one indexed query over the clients' status rows (visits.models.ClientStatus,
kept in step with every visit), not a ranking of the whole history on each page.
A list is filtered by clinic (the clinic where the service that makes the client
due was given) and optionally by the client's peer educator. Dates are the
clinic's; month intervals follow add_months (30 Nov + 3 months = 28/29 Feb).
"""

import time
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import joinedload

from clinic_app.clients.models import Client
from clinic_app.core.actor import Actor
from clinic_app.core.timeutil import add_months, latest_start_due_by
from clinic_app.extensions import db
from clinic_app.screening.models import HivResult
from clinic_app.visits.models import ClientStatus, PrepEventType

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


def _scoped(query: Select, clinic_column, filters: DueFilters) -> Select:
    """Clients whose status places them at the filtered clinic (and with the filtered peer educator)."""
    query = (
        query.join(ClientStatus, ClientStatus.client_id == Client.id)
        .options(joinedload(Client.peer_educator))
        .where(clinic_column == filters.clinic_id, Client.merged_into_id.is_(None))
    )
    if filters.peer_educator_id:
        query = query.where(Client.peer_educator_id == filters.peer_educator_id)
    return query


def prep_refill_query(settings: DueSettings, filters: DueFilters) -> Select:
    due = ClientStatus.prep_next_on
    return (
        _scoped(
            select(Client, due, ClientStatus.prep_on, ClientStatus.prep_months), ClientStatus.prep_clinic_id, filters
        )
        .where(
            ClientStatus.prep_event != PrepEventType.STOP,
            due.is_not(None),
            due <= settings.today + timedelta(days=settings.due_soon_days),
            ClientStatus.known_positive.is_(False),
        )
        .order_by(due, Client.id)
    )


def hiv_retest_query(settings: DueSettings, filters: DueFilters) -> Select:
    deadline = settings.today + timedelta(days=settings.due_soon_days)
    cutoff = latest_start_due_by(deadline, settings.hiv_retest_months)
    inconclusive_cutoff = deadline - timedelta(days=INCONCLUSIVE_RETEST_DAYS)
    tested_on, result = ClientStatus.hiv_on, ClientStatus.hiv_result
    return (
        _scoped(select(Client, tested_on, tested_on, result), ClientStatus.hiv_clinic_id, filters)
        .where(
            or_(
                and_(result == HivResult.NEGATIVE, tested_on <= cutoff),
                and_(result == HivResult.INCONCLUSIVE, tested_on <= inconclusive_cutoff),
            ),
            ClientStatus.known_positive.is_(False),
        )
        .order_by(tested_on, Client.id)
    )


def cervical_rescreen_query(settings: DueSettings, filters: DueFilters) -> Select:
    due = ClientStatus.cervical_next_on
    return (
        _scoped(select(Client, due, ClientStatus.cervical_on), ClientStatus.cervical_clinic_id, filters)
        .where(due.is_not(None), due <= settings.today + timedelta(days=settings.due_soon_days))
        .order_by(due, Client.id)
    )


def unlinked_positive_query(settings: DueSettings, filters: DueFilters) -> Select:
    tested_on = ClientStatus.positive_on
    return (
        _scoped(select(Client, tested_on, tested_on), ClientStatus.positive_clinic_id, filters)
        .where(tested_on.is_not(None), ClientStatus.art_started.is_(False))
        .order_by(tested_on, Client.id)
    )


def missed_appointment_query(settings: DueSettings, filters: DueFilters) -> Select:
    appointment = ClientStatus.appointment_on
    return (
        _scoped(select(Client, appointment, ClientStatus.visit_on), ClientStatus.visit_clinic_id, filters)
        .where(appointment.is_not(None), appointment < settings.today - timedelta(days=settings.missed_grace_days))
        .order_by(appointment, Client.id)
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
