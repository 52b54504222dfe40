"""Keeping each client's ClientStatus row in step with their history.

A status row is a function of the client's visits and services alone, so it is
recomputed whole rather than patched: ``refresh(connection, client_ids)`` derives the
rows of those clients from their history (latest date of service, then latest entered)
and replaces them. A session hook calls it after every flush that wrote a visit, HIV
test, PrEP event or cervical screen, in the same transaction. Writes that bypass the ORM
call ``refresh`` or ``rebuild`` themselves: a merge's bulk moves (``refresh`` is registered
with clients.contributions, which the merge calls), a network sync's Core statements
(network.derived), the benchmark loader, ``flask visits rebuild-status``.

Why a hook, not a call in record_visit and update_visit: those are not the only writers of
a client's history. The demo loaders (``flask demo seed``: demo.synthetic, demo.crisis) write visits
and their sections through visits.recording without the services, a merge re-points a
client's records, and tests write rows directly; each would have to remember the call, and
one that forgot would leave a status row that quietly disagrees with the history. Hooked to
the flush, the rows cannot fall behind any ORM write; the services name the hook where they
flush (visits.services._write). What the hook cannot see (Core statements: a merge's bulk
moves, a network sync) calls ``refresh`` itself, as above. The report facts
(reports.upkeep) are kept the same way by their own after-flush hook, for the same reasons.
"""

import uuid
from collections.abc import Iterable
from functools import cache

from sqlalchemy import Connection, and_, bindparam, case, delete, event, func, insert, inspect, select
from sqlalchemy.orm import Session

from clinic_app.clients import contributions
from clinic_app.clients.models import Client
from clinic_app.core.db import utcnow
from clinic_app.screening.models import CervicalScreening, HivResult, HivTest
from clinic_app.visits import clinical
from clinic_app.visits.models import ClientStatus, PrepEvent, PrepEventType, Visit

CHUNK = 2000  # clients per query when rebuilding (well under any bind-parameter limit)
TRACKED = (Visit, HivTest, PrepEvent, CervicalScreening)


def _in(column):
    """``column IN :clients``: the statements are built once, the clients are their parameter."""
    return column.in_(bindparam("clients", expanding=True, type_=column.type))


def _ranked(columns, *joins_and_conditions):
    """The latest row per client (by date of service, then entry), among the clients given."""
    rank = func.row_number().over(
        partition_by=Visit.client_id, order_by=(Visit.service_date.desc(), Visit.created_at.desc(), Visit.id.desc())
    )
    query = select(Visit.client_id.label("client_id"), *columns, rank.label("rank")).where(_in(Visit.client_id))
    for step in joins_and_conditions:
        query = step(query)
    ranked = query.subquery()
    return select(*[c for c in ranked.c if c.name != "rank"]).where(ranked.c.rank == 1)


def _join(model, *conditions):
    return lambda query: query.join(model, and_(model.visit_id == Visit.id, *conditions))


@cache
def _facets() -> list:
    """Each part of the status as a query of (client_id, values...) for the clients given as ``clients``
    (built once: building them anew for each write cost more than running them)."""
    positive = clinical.shows_positive_sql()
    flags = (
        select(
            Visit.client_id.label("client_id"),
            func.max(case((positive, 1), else_=0)).label("known_positive"),
            func.max(case((HivTest.art_started_on.is_not(None), 1), else_=0)).label("art_started"),
        )
        .join(HivTest, HivTest.visit_id == Visit.id)
        .where(_in(Visit.client_id))
        .group_by(Visit.client_id)
    )
    return [
        flags,
        _ranked(
            (
                Visit.clinic_id.label("hiv_clinic_id"),
                Visit.service_date.label("hiv_on"),
                HivTest.final_result.label("hiv_result"),
            ),
            _join(HivTest, HivTest.final_result.is_not(None)),
        ),
        _ranked(
            (Visit.clinic_id.label("positive_clinic_id"), Visit.service_date.label("positive_on")),
            _join(HivTest, HivTest.final_result == HivResult.POSITIVE),
        ),
        _ranked(
            (
                Visit.clinic_id.label("prep_clinic_id"),
                Visit.service_date.label("prep_on"),
                PrepEvent.event.label("prep_event"),
                PrepEvent.next_appointment_on.label("prep_next_on"),
                PrepEvent.months_dispensed.label("prep_months"),
            ),
            _join(PrepEvent),
        ),
        _ranked(
            (
                Visit.clinic_id.label("cervical_clinic_id"),
                Visit.service_date.label("cervical_on"),
                CervicalScreening.next_due_on.label("cervical_next_on"),
            ),
            _join(CervicalScreening, clinical.cervical_complete_sql()),
        ),
        _ranked(
            (
                Visit.clinic_id.label("visit_clinic_id"),
                Visit.service_date.label("visit_on"),
                func.coalesce(Visit.next_appointment_on, PrepEvent.next_appointment_on).label("appointment_on"),
            ),
            lambda query: query.outerjoin(
                PrepEvent, and_(PrepEvent.visit_id == Visit.id, PrepEvent.event != PrepEventType.STOP)
            ),
        ),
    ]


_EMPTY = {column.name: None for column in ClientStatus.__table__.c} | {"known_positive": False, "art_started": False}


def _derive(connection: Connection, clients: list) -> list[dict]:
    """The status rows of ``clients`` (those with any visit), from their history."""
    rows: dict[uuid.UUID, dict] = {}
    for query in _facets():
        for found in connection.execute(query, {"clients": clients}).mappings():
            row = rows.setdefault(found["client_id"], dict(_EMPTY))
            row.update(found)
    now = utcnow()
    for row in rows.values():
        row["known_positive"], row["art_started"] = bool(row["known_positive"]), bool(row["art_started"])
        row["refreshed_at"] = now
    return list(rows.values())


def _chunks(ids: list) -> Iterable[list]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


@contributions.derived_rows.register  # a merge's bulk moves
def refresh(connection: Connection, client_ids: Iterable) -> None:
    """Rewrite the status rows of these clients from their history (a client with no visit has none)."""
    ids = sorted({client_id for client_id in client_ids if client_id is not None})
    for chunk in _chunks(ids):
        # On PostgreSQL, two writers for one client take turns here, so the second derives from a
        # history that includes the first's visit (SQLite already lets one writer in at a time).
        connection.execute(select(Client.id).where(Client.id.in_(chunk)).order_by(Client.id).with_for_update())
        rows = _derive(connection, chunk)
        connection.execute(delete(ClientStatus).where(ClientStatus.client_id.in_(chunk)))
        if rows:
            connection.execute(insert(ClientStatus), rows)


def rebuild(connection: Connection) -> int:
    """Recompute every client's status (after a bulk import or a sync); returns the rows written."""
    connection.execute(delete(ClientStatus))
    ids = list(connection.scalars(select(Visit.client_id).distinct().order_by(Visit.client_id)))
    written = 0
    for chunk in _chunks(ids):
        rows = _derive(connection, chunk)
        connection.execute(insert(ClientStatus), rows)
        written += len(rows)
    return written


def _touched_clients(session: Session) -> set:
    """Clients whose visits or services this flush wrote (by object; bulk statements are not seen)."""
    clients, visits = set(), set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Visit):
            clients.add(obj.client_id)
            clients.update(inspect(obj).attrs.client_id.history.deleted or ())
        elif isinstance(obj, TRACKED):
            visits.add(obj.visit_id)
            visits.update(inspect(obj).attrs.visit_id.history.deleted or ())
    visits.discard(None)
    if visits:
        clients.update(session.connection().scalars(select(Visit.client_id).where(Visit.id.in_(visits))))
    return clients


@event.listens_for(Session, "after_flush")
def _keep_status_in_step(session: Session, _flush_context) -> None:
    clients = _touched_clients(session)
    if clients:
        refresh(session.connection(), clients)
