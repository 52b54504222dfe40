"""Tracing: clients from the due lists handed to a peer educator, and what came of it.

A peer educator sees who to find (number, UIC, alias, phone if the client agreed)
but never why in clinical terms: the due list a client came from can reveal an
HIV status, so it is shown to clinic staff only.
"""

import uuid
from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import joinedload

from clinic_app.audit.services import record_alone, record_event
from clinic_app.auth.models import User
from clinic_app.clients.models import Client
from clinic_app.core.actor import Actor
from clinic_app.core.errors import Invalid, NotFound
from clinic_app.core.permissions import Role
from clinic_app.core.timeutil import local_today
from clinic_app.extensions import db
from clinic_app.outreach.models import TracingAssignment, TracingOutcome
from clinic_app.visits.models import Visit

KEEP_CLOSED_DAYS = 30  # a closed follow-up leaves the peer educator's phone after this
REASONS = ("prep_refill", "hiv_retest", "cervical_rescreen", "unlinked_positive", "missed_appointment", "other")


def reason_label(code: str) -> str:
    """The due list a client was handed over from, by its title (staff pages only: it can name a status)."""
    from clinic_app.duelists.services import DUE_LISTS

    due = DUE_LISTS.get(code)
    return str(due.title) if due is not None else _("Other")


def _peer(actor: Actor, peer_id) -> User | None:
    try:
        peer = db.session.get(User, uuid.UUID(str(peer_id)))
    except ValueError:
        return None
    if peer is None or peer.role != Role.PEER_EDUCATOR or peer.clinic_id != actor.clinic_id or not peer.active:
        return None
    return peer


def assign_tracing(*, actor: Actor, client_ids: list, peer_id, reason: str, today: date | None = None) -> int:
    """Hand clients to a peer educator of the actor's clinic; returns how many were newly assigned.

    A client already open on that peer educator's list is not added twice.
    """
    actor.require("outreach.assign_tracing")
    peer = _peer(actor, peer_id)
    if peer is None:
        raise Invalid(_("Choose a peer educator of this clinic."), {"peer_id": _("Choose a peer educator.")})
    ids = []
    for value in client_ids:
        try:
            ids.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    clients = list(db.session.scalars(select(Client).where(Client.id.in_(ids), Client.merged_into_id.is_(None))))
    if not clients:
        raise Invalid(_("Tick at least one client to assign."), {"client_ids": _("Tick at least one client.")})
    elsewhere = len(clients) - len(_clients_of(actor.clinic_id, [c.id for c in clients]))
    if elsewhere:
        # The peer educator would see the client's phone: only this clinic's own clients are traced from here.
        message = ngettext(
            "%(num)d ticked client is not a client of this clinic (registered and seen elsewhere): "
            "their own clinic follows them up. Nothing was assigned.",
            "%(num)d ticked clients are not clients of this clinic (registered and seen elsewhere): "
            "their own clinic follows them up. Nothing was assigned.",
            elsewhere,
        )
        raise Invalid(message, {"client_ids": message})
    already = set(
        db.session.scalars(
            select(TracingAssignment.client_id).where(
                TracingAssignment.peer_educator_id == peer.id,
                TracingAssignment.outcome.is_(None),
                TracingAssignment.client_id.in_([c.id for c in clients]),
            )
        )
    )
    today = today or local_today(actor.user.clinic.timezone)
    added = 0
    for client in clients:
        if client.id in already:
            continue
        row = TracingAssignment(
            id=uuid.uuid4(),
            clinic_id=actor.clinic_id,
            client_id=client.id,
            peer_educator_id=peer.id,
            assigned_by_id=actor.id,
            assigned_on=today,
            reason=reason if reason in REASONS else "other",
        )
        db.session.add(row)
        record_event(actor=actor, action="tracing.assign", object_type="tracing_assignments", object_id=row.id)
        added += 1
    db.session.commit()
    return added


def _clients_of(clinic_id, client_ids: list) -> set:
    """Of these clients, those registered at the clinic or seen there (a visit at the clinic)."""
    seen_here = exists().where(Visit.client_id == Client.id, Visit.clinic_id == clinic_id)
    return set(
        db.session.scalars(
            select(Client.id).where(Client.id.in_(client_ids), or_(Client.clinic_id == clinic_id, seen_here))
        )
    )


def own_tracing(*, actor: Actor, today: date | None = None) -> list[TracingAssignment]:
    """A peer educator's open tracing list, then what they closed in the last 30 days."""
    actor.require("outreach.tracing")
    today = today or local_today(actor.user.clinic.timezone)
    rows = db.session.scalars(
        select(TracingAssignment)
        .options(joinedload(TracingAssignment.client))
        .where(
            TracingAssignment.peer_educator_id == actor.id,
            or_(
                TracingAssignment.outcome.is_(None),
                TracingAssignment.outcome_on >= today - timedelta(days=KEEP_CLOSED_DAYS),
            ),
        )
        .order_by(TracingAssignment.outcome.is_not(None), TracingAssignment.assigned_on.desc())
        .limit(500)
    )
    return _shown(actor, list(rows), "mine")


def open_tracing_count(*, actor: Actor) -> int:
    """How many of a peer educator's tracing assignments are still open (the outreach home page)."""
    actor.require("outreach.tracing")
    return db.session.scalar(
        select(func.count()).where(TracingAssignment.peer_educator_id == actor.id, TracingAssignment.outcome.is_(None))
    )


def _shown(actor: Actor, rows: list[TracingAssignment], which: str) -> list[TracingAssignment]:
    """One audit line for a tracing list page: the clients it showed, with their ways of reaching them."""
    record_alone(
        actor=actor,
        action="tracing.list",
        object_type="clients",
        object_ids=[row.client_id for row in rows],
        detail=f"list={which}",
    )
    return rows


def clinic_tracing(*, actor: Actor) -> list[TracingAssignment]:
    """For staff: the clinic's assignments, open first."""
    actor.require("outreach.assign_tracing")
    rows = db.session.scalars(
        select(TracingAssignment)
        .options(joinedload(TracingAssignment.client), joinedload(TracingAssignment.peer_educator))
        .where(TracingAssignment.clinic_id == actor.clinic_id)
        .order_by(TracingAssignment.outcome.is_not(None), TracingAssignment.assigned_on.desc())
        .limit(500)
    )
    return _shown(actor, list(rows), "clinic")


def record_outcome(*, actor: Actor, assignment_id, outcome: str, today: date | None = None) -> TracingAssignment:
    """The peer educator says what came of the follow-up."""
    actor.require("outreach.work")
    assignment = db.session.get(TracingAssignment, assignment_id)
    if assignment is None or assignment.peer_educator_id != actor.id:
        raise NotFound()
    if outcome not in {o.value for o in TracingOutcome}:
        raise Invalid(_("Choose what came of the follow-up."), {"outcome": _("Choose an outcome.")})
    assignment.outcome = TracingOutcome(outcome)
    assignment.outcome_on = today or local_today(actor.user.clinic.timezone)
    record_event(actor=actor, action="tracing.outcome", target=assignment, detail=f"outcome={outcome}")
    db.session.commit()
    return assignment
