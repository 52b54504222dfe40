"""The due lists: who is due, since when, and who follows them up.

Each list is one indexed query over the clients' status rows (visits.models.ClientStatus,
kept in step with every visit), not a ranking of the whole history on each page.
A list is filtered by clinic (the clinic where the service that makes the client
due was given) and optionally by the client's peer educator. Dates are the
clinic's; month intervals follow add_months (30 Nov + 3 months = 28/29 Feb).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, func, null, or_, select
from sqlalchemy.orm import joinedload

from clinic_app.audit.services import record_alone
from clinic_app.clients.models import Client
from clinic_app.core.actor import Actor
from clinic_app.core.timeutil import add_months, latest_start_due_by
from clinic_app.extensions import db
from clinic_app.screening.algorithms import INCONCLUSIVE_RETEST_DAYS
from clinic_app.screening.models import HivResult
from clinic_app.visits.models import ClientStatus, PrepEventType


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


def _due_on_the_order_date(last_seen: date, order: date, detail, settings: DueSettings) -> date:
    return order


def _retest_due(last_seen: date, order: date, result, settings: DueSettings) -> date:
    """A negative test is due again after the retest interval; an inconclusive one after 14 days."""
    if result == HivResult.INCONCLUSIVE:
        return last_seen + timedelta(days=INCONCLUSIVE_RETEST_DAYS)
    return add_months(last_seen, settings.hiv_retest_months)


@dataclass(frozen=True)
class DueList:
    """One list: who is on it (conditions on the status row), since when, at which clinic."""

    name: str
    title: str
    explanation: str
    clinic: object  # the status column holding the clinic of the service that makes the client due
    last_seen: object  # the status column with the date of that service
    order: object  # the status column the list is sorted by (oldest first)
    conditions: Callable[[DueSettings], list]
    detail: object = None  # another status column the list needs (to show, or for the due date)
    detail_label: str | None = None  # the column's heading when the detail is shown beside the client
    due_since: Callable[[date, date, object, DueSettings], date] = _due_on_the_order_date

    def where(self, settings: DueSettings, filters: DueFilters) -> list:
        return [self.clinic == filters.clinic_id, *self.conditions(settings)]


def _within_due_soon(settings: DueSettings) -> date:
    return settings.today + timedelta(days=settings.due_soon_days)


def _prep_refill(settings: DueSettings) -> list:
    due = ClientStatus.prep_next_on
    return [
        ClientStatus.prep_event != PrepEventType.STOP,
        due.is_not(None),
        due <= _within_due_soon(settings),
        ClientStatus.known_positive.is_(False),
    ]


def _hiv_retest(settings: DueSettings) -> list:
    deadline = _within_due_soon(settings)
    cutoff = latest_start_due_by(deadline, settings.hiv_retest_months)
    inconclusive_cutoff = deadline - timedelta(days=INCONCLUSIVE_RETEST_DAYS)
    tested_on, result = ClientStatus.hiv_on, ClientStatus.hiv_result
    return [
        or_(
            and_(result == HivResult.NEGATIVE, tested_on <= cutoff),
            and_(result == HivResult.INCONCLUSIVE, tested_on <= inconclusive_cutoff),
        ),
        ClientStatus.known_positive.is_(False),
    ]


def _cervical_rescreen(settings: DueSettings) -> list:
    due = ClientStatus.cervical_next_on
    return [due.is_not(None), due <= _within_due_soon(settings)]


def _unlinked_positive(settings: DueSettings) -> list:
    return [ClientStatus.positive_on.is_not(None), ClientStatus.art_started.is_(False)]


def _missed_appointment(settings: DueSettings) -> list:
    appointment = ClientStatus.appointment_on
    return [appointment.is_not(None), appointment < settings.today - timedelta(days=settings.missed_grace_days)]


DUE_LISTS = {
    entry.name: entry
    for entry in (
        DueList(
            "prep_refill",
            _l("PrEP refill due or overdue"),
            _l("Latest PrEP visit was not a stop and the next PrEP appointment is within a week or past."),
            clinic=ClientStatus.prep_clinic_id,
            last_seen=ClientStatus.prep_on,
            order=ClientStatus.prep_next_on,
            conditions=_prep_refill,
            detail=ClientStatus.prep_months,
            detail_label=_l("Months dispensed"),
        ),
        DueList(
            "hiv_retest",
            _l("HIV retest due"),
            _l(
                "Latest HIV test was negative and is older than the retest interval, or inconclusive and older "
                "than 14 days (or will be within a week)."
            ),
            clinic=ClientStatus.hiv_clinic_id,
            last_seen=ClientStatus.hiv_on,
            order=ClientStatus.hiv_on,
            conditions=_hiv_retest,
            detail=ClientStatus.hiv_result,
            due_since=_retest_due,
        ),
        DueList(
            "cervical_rescreen",
            _l("Cervical rescreen due"),
            _l("The next screen date from the latest complete cervical screen is within a week or past."),
            clinic=ClientStatus.cervical_clinic_id,
            last_seen=ClientStatus.cervical_on,
            order=ClientStatus.cervical_next_on,
            conditions=_cervical_rescreen,
        ),
        DueList(
            "unlinked_positive",
            _l("Positive, ART start not confirmed"),
            _l("Confirmed HIV positive and no ART start date recorded at any visit."),
            clinic=ClientStatus.positive_clinic_id,
            last_seen=ClientStatus.positive_on,
            order=ClientStatus.positive_on,
            conditions=_unlinked_positive,
        ),
        DueList(
            "missed_appointment",
            _l("Missed appointments"),
            _l("The appointment given at the latest visit passed more than the grace days ago."),
            clinic=ClientStatus.visit_clinic_id,
            last_seen=ClientStatus.visit_on,
            order=ClientStatus.appointment_on,
            conditions=_missed_appointment,
        ),
    )
}


def _counted(due: DueList, settings: DueSettings, filters: DueFilters) -> Select:
    """How many are on the list: the status rows alone (through the list's index), with the peer filter."""
    query = select(func.count()).select_from(ClientStatus).where(*due.where(settings, filters))
    if filters.peer_educator_id:
        query = query.join(Client, Client.id == ClientStatus.client_id).where(
            Client.peer_educator_id == filters.peer_educator_id
        )
    return query


def _listed(due: DueList, settings: DueSettings, filters: DueFilters) -> Select:
    # A merged record has no visits left, hence no status row: only the record kept is listed.
    query = (
        select(Client, due.last_seen, due.order, due.detail if due.detail is not None else null())
        .join(ClientStatus, ClientStatus.client_id == Client.id)
        .options(joinedload(Client.peer_educator))
        .where(*due.where(settings, filters))
        .order_by(due.order, Client.id)
    )
    if filters.peer_educator_id:
        query = query.where(Client.peer_educator_id == filters.peer_educator_id)
    return query


def page_count(total: int, per_page: int) -> int:
    """Pages needed for ``total`` rows (at least one, to show that the list is empty)."""
    return max(1, -(-total // per_page))


@dataclass
class DuePage:
    """One page of a due list, with what a pager needs."""

    entries: list[DueEntry]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return page_count(self.total, self.per_page)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def due_page(
    *, actor: Actor, name: str, settings: DueSettings, filters: DueFilters, page: int = 1, per_page: int = 100
) -> DuePage:
    """One page of a due list, oldest due first, and how many are on the whole list."""
    actor.require("duelists.view")
    due = DUE_LISTS[name]
    total = db.session.scalar(_counted(due, settings, filters))
    page = min(max(page, 1), page_count(total, per_page))
    rows = db.session.execute(_listed(due, settings, filters).limit(per_page).offset((page - 1) * per_page)).all()
    entries = [
        DueEntry(
            client=client,
            since=due.due_since(last_seen, order, detail, settings),
            last_seen=last_seen,
            note=str(detail) if due.detail_label and detail else "",
        )
        for client, last_seen, order, detail in rows
    ]
    # One audit line for the page: which clients it showed (these lists tell who has HIV, PrEP, ...).
    record_alone(
        actor=actor,
        action="duelist.view",
        object_type="clients",
        object_ids=[entry.client.id for entry in entries],
        detail=f"list={name} page={page} total={total} clinic={filters.clinic_id}",
    )
    return DuePage(entries=entries, total=total, page=page, per_page=per_page)


def due_counts(*, actor: Actor, settings: DueSettings, filters: DueFilters) -> dict[str, int]:
    """How many clients are on each list (for the overview and the home page)."""
    actor.require("duelists.view")
    return {name: db.session.scalar(_counted(due, settings, filters)) for name, due in DUE_LISTS.items()}
