"""What staff do with the network: find a client registered elsewhere, take them on, record the
client's answer on sharing, read the shared continuity data (audited at both ends), see the sync state.
The visit's clinical rules learn the PrEP given elsewhere through visits.contributions."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from clinic_app.audit.services import record_event
from clinic_app.auth.models import User
from clinic_app.clients import identifiers
from clinic_app.clients.models import Client
from clinic_app.clinics.models import Clinic
from clinic_app.core.actor import Actor
from clinic_app.core.errors import Conflict, Invalid, NotFound
from clinic_app.core.work import write_alone
from clinic_app.extensions import db
from clinic_app.network import node, transport
from clinic_app.network.hub_sync import uic_hash
from clinic_app.network.models import Continuity, CrossClinicView, IndexEntry, IndexNumber, ShareConsent
from clinic_app.visits import contributions as visit_contributions


@dataclass(frozen=True)
class NetworkHit:
    client_id: uuid.UUID
    home_clinic: Clinic | None
    numbers: tuple[str, ...]
    held_here: bool


def _entries_for(term: str, network_key: str):
    number = identifiers.normalise_client_number(term)
    uic = identifiers.normalise_uic(term)
    if number:
        return (
            "number",
            {"number": number},
            IndexEntry.client_id.in_(select(IndexNumber.client_id).where(IndexNumber.number == number)),
        )
    if uic:
        digest = uic_hash(network_key, uic)
        return "uic", {"uic_hash": digest}, IndexEntry.uic_hash == digest
    return None, None, None


def search_network(*, actor: Actor, term: str) -> tuple[list[NetworkHit], str]:
    """Look for a client number or UIC in the network index: the hub's when it answers, else the local copy.

    Returns the hits and where they came from ("hub" or "local"). Nothing but the index is learnt.
    """
    actor.require("clients.search")
    link = node.link()
    if link is None:
        return [], "none"
    kind, question, where = _entries_for(term, link.network_key)
    if kind is None:
        return [], "none"
    source = "local"
    try:
        answer = node._post(link, "lookup", question, timeout=current_app.config["NETWORK_LOOKUP_TIMEOUT_SECONDS"])
    except transport.HubUnavailable:
        db.session.rollback()
    else:
        db.session.info["network_replaying"] = True
        try:
            node._index(answer.get("index", []))
        finally:
            db.session.info.pop("network_replaying", None)
        source = "hub"
    entries = db.session.scalars(select(IndexEntry).where(where)).all()
    hits, seen = [], set()
    for entry in entries:
        kept = entry
        while kept is not None and kept.merged_into_id is not None:
            kept = db.session.get(IndexEntry, kept.merged_into_id)
        if kept is None or kept.client_id in seen:
            continue
        seen.add(kept.client_id)
        numbers = db.session.scalars(select(IndexNumber.number).where(IndexNumber.client_id == kept.client_id)).all()
        hits.append(
            NetworkHit(
                client_id=kept.client_id,
                home_clinic=db.session.get(Clinic, kept.home_clinic_id),
                numbers=tuple(sorted(numbers)),
                held_here=db.session.get(Client, kept.client_id) is not None,
            )
        )
    record_event(actor=actor, action="network.search", detail=f"by={kind} results={len(hits)} source={source}")
    db.session.commit()
    return hits, source


def take_on(*, actor: Actor, client_id) -> Client:
    """Hold a client registered at another clinic here, under the same record, to record their visit."""
    actor.require("clients.register")
    existing = db.session.get(Client, client_id)
    if existing is not None:
        return existing
    link = node.link()
    if link is None:
        raise Invalid(_("This clinic is not part of a network."))
    try:
        answer = node._post(link, "adopt", {"client_id": str(client_id)})
    except transport.HubUnavailable as error:
        raise Conflict(
            _("The hub cannot be reached now, so the client's record cannot be fetched: %(why)s", why=error.words)
        ) from None
    node.apply_pull(answer, actor=actor)
    kept_id = uuid.UUID(answer["registrations"][0]["id"]) if answer.get("registrations") else client_id
    client = db.session.get(Client, kept_id)
    if client is None:
        raise Conflict(_("This client's number is used here by another record; ask the data administrator."))
    record_event(actor=actor, action="network.take_on", target=client)
    db.session.commit()
    return client


def sharing(client: Client) -> ShareConsent | None:
    """The client's latest answer on sharing: one given here and not yet synced, else the hub's latest."""
    return db.session.scalar(
        select(ShareConsent)
        .where(ShareConsent.client_id == client.id)
        .order_by(ShareConsent.hub_seq.is_(None).desc(), ShareConsent.hub_seq.desc(), ShareConsent.recorded_at.desc())
        .limit(1)
    )


def record_sharing(*, actor: Actor, client: Client, given: bool) -> ShareConsent:
    """Record the client's answer: share the continuity minimum with other Blue Boxes, or stop sharing."""
    actor.require("clients.edit")
    if client.is_merged:
        raise Conflict(_("This record was merged into another; use that one."))
    answer = ShareConsent(client_id=client.id, clinic_id=actor.clinic_id, given=given, recorded_by_id=actor.id)
    db.session.add(answer)
    db.session.flush()
    record_event(actor=actor, action="network.share_consent", target=client, detail=f"given={int(given)}")
    db.session.commit()
    return answer


@dataclass(frozen=True)
class SharedVisit:
    row: Continuity
    clinic: Clinic | None


def shared_care(*, actor: Actor, client: Client) -> list[SharedVisit]:
    """Other clinics' continuity data for this client; each showing is audited here and at the hub."""
    actor.require("clients.view")
    rows = db.session.scalars(
        select(Continuity).where(Continuity.client_id == client.id).order_by(Continuity.service_date.desc())
    ).all()
    if not rows:
        return []
    clinics = {c.id: c for c in db.session.scalars(select(Clinic))}
    sources = ",".join(sorted({clinics[r.clinic_id].code for r in rows if r.clinic_id in clinics}))
    shown = [SharedVisit(row, clinics.get(row.clinic_id)) for row in rows]
    # The showing and its audit line are one unit of work of their own, as a read's audit line is
    # (core/work.write_alone): the client page that asks keeps its read transaction.
    with write_alone() as session:
        session.add(CrossClinicView(client_id=client.id, clinic_id=actor.clinic_id))
        record_event(
            actor=actor,
            action="network.continuity_view",
            target=client,
            detail=f"from={sources}"[:255],
            session=session,
        )
    return shown


def ever_on_prep_elsewhere(client_id) -> bool:
    """Shared data says the client was on PrEP at another clinic (so a start here is not an initiation)."""
    return (
        db.session.scalar(
            select(Continuity.visit_id).where(Continuity.client_id == client_id, Continuity.prep_event.is_not(None))
        )
        is not None
    )


@visit_contributions.prep_elsewhere.register
def prep_elsewhere(client: Client) -> list:
    """PrEP events other clinics shared for this client (with consent), for the visit's clinical rules: a start
    here is then no initiation."""
    return db.session.execute(
        select(Continuity.service_date, Continuity.prep_event, Continuity.prep_months).where(
            Continuity.client_id == client.id, Continuity.prep_event.is_not(None)
        )
    ).all()


@dataclass(frozen=True)
class SyncState:
    enrolled: bool
    hub_url: str | None = None
    last_success_at: datetime | None = None
    last_attempt_at: datetime | None = None
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    backlog: int = 0
    failures: int = 0
    pushed_total: int = 0
    index_size: int = 0
    # Clients of other Blue Boxes taken on here from the network, by their latest answer on sharing.
    from_elsewhere: dict = field(default_factory=dict)


def sync_state(*, actor: Actor) -> SyncState:
    actor.require("network.status")
    link = node.link()
    if link is None:
        return SyncState(enrolled=False)
    from sqlalchemy import func

    return SyncState(
        enrolled=True,
        hub_url=link.hub_url,
        last_success_at=link.last_success_at,
        last_attempt_at=link.last_attempt_at,
        next_attempt_at=link.next_attempt_at,
        last_error=link.last_error,
        backlog=node.backlog(),
        failures=link.failures,
        pushed_total=link.pushed_total,
        index_size=db.session.scalar(select(func.count()).select_from(IndexEntry)) or 0,
        from_elsewhere=_held_from_elsewhere(link.clinic_id),
    )


def _held_from_elsewhere(clinic_id) -> dict:
    """How many clients of other clinics this clinic took on from the network: sharing on, off, not asked."""
    network = db.session.scalar(select(User.id).where(User.username == node.SYSTEM_USERNAME))
    ids = db.session.scalars(
        select(Client.id).where(
            Client.clinic_id != clinic_id, Client.registered_by_id == network, Client.merged_into_id.is_(None)
        )
    ).all()
    answers = {}
    if ids:
        rows = db.session.execute(
            select(ShareConsent.client_id, ShareConsent.given)
            .where(ShareConsent.client_id.in_(ids))
            .order_by(ShareConsent.hub_seq.is_(None), ShareConsent.hub_seq, ShareConsent.recorded_at)
        )
        answers = {client_id: given for client_id, given in rows}  # the latest answer wins
    counts = {"on": 0, "off": 0, "not_asked": 0}
    for client_id in ids:
        given = answers.get(client_id)
        counts["on" if given else "not_asked" if given is None else "off"] += 1
    return counts


def sync_now(*, actor: Actor) -> node.SyncResult:
    actor.require("network.sync")
    if node.link() is None:
        raise NotFound(_("This clinic is not part of a network."))
    return node.sync(actor=actor)  # the sync writes its own audit line, as from the scheduler or a command
