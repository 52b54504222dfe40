"""Peer-educator work: hotspots, outreach contacts and referral slips.

Every create takes the form's one-time ``submission_key`` (see core.once): a
second submit of the same form returns the row already saved instead of a copy.
"""

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from clinic_app.audit.services import record_alone, record_event, record_list_page
from clinic_app.clients import identifiers
from clinic_app.clients.models import Client
from clinic_app.clients.services import find_by_number, resolve
from clinic_app.core.actor import Actor
from clinic_app.core.errors import Invalid, NotFound
from clinic_app.core.once import already_submitted, commit_once
from clinic_app.core.permissions import Role
from clinic_app.core.timeutil import local_today
from clinic_app.extensions import db
from clinic_app.outreach import referrals
from clinic_app.outreach.models import (
    ContactKind,
    Hotspot,
    HotspotKind,
    OutreachContact,
    PeerHotspot,
    Referral,
    ReferralService,
)
from clinic_app.visits.models import SelfTestDistribution

MAX_GROUP = 25
MAX_PIECES = 1000
MAX_SELF_TEST_KITS = 20  # per recipient, as at the clinic


def actor_today(actor: Actor) -> date:
    return local_today(actor.user.clinic.timezone)


# --- hotspots --------------------------------------------------------------


def hotspots_for(actor: Actor, *, active_only: bool = True) -> list[Hotspot]:
    """The actor's clinic's hotspots; a peer educator's own hotspots come first."""
    query = select(Hotspot).where(Hotspot.clinic_id == actor.clinic_id).order_by(Hotspot.name)
    if active_only:
        query = query.where(Hotspot.is_active.is_(True))
    spots = list(db.session.scalars(query))
    mine = set(db.session.scalars(select(PeerHotspot.hotspot_id).where(PeerHotspot.user_id == actor.id)))
    return sorted(spots, key=lambda h: (h.id not in mine, h.name.lower()))


def save_hotspot(
    *,
    actor: Actor,
    name: str,
    kind: str,
    is_active: bool = True,
    peer_ids: list[str] = (),
    hotspot: Hotspot | None = None,
) -> Hotspot:
    """Create or change a hotspot of the actor's clinic and who covers it."""
    actor.require("outreach.hotspots")
    errors = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = _("Give the hotspot a name peer educators will recognise.")
    if kind not in {k.value for k in HotspotKind}:
        errors["kind"] = _("Choose the kind of place.")
    peers = _clinic_peers(actor, peer_ids, errors)
    if errors:
        raise Invalid(_("The hotspot was not saved."), errors)
    if hotspot is None:
        hotspot = Hotspot(clinic_id=actor.clinic_id)
        db.session.add(hotspot)
    elif hotspot.clinic_id != actor.clinic_id:
        raise NotFound()
    hotspot.name, hotspot.kind, hotspot.is_active = name, HotspotKind(kind), is_active
    db.session.flush()
    db.session.execute(PeerHotspot.__table__.delete().where(PeerHotspot.hotspot_id == hotspot.id))
    db.session.add_all(PeerHotspot(user_id=p.id, hotspot_id=hotspot.id) for p in peers)
    record_event(actor=actor, action="hotspot.save", target=hotspot)
    db.session.commit()
    return hotspot


def _clinic_peers(actor: Actor, peer_ids, errors: dict):
    from clinic_app.auth.models import User

    ids = []
    for value in peer_ids or []:
        try:
            ids.append(uuid.UUID(str(value)))
        except ValueError:
            errors["peer_ids"] = _("Choose peer educators from the list.")
    peers = list(
        db.session.scalars(
            select(User).where(User.id.in_(ids), User.role == Role.PEER_EDUCATOR, User.clinic_id == actor.clinic_id)
        )
    )
    if len(peers) != len(set(ids)):
        errors["peer_ids"] = _("Choose peer educators from the list.")
    return peers


def clinic_hotspot(actor: Actor, hotspot_id) -> Hotspot:
    hotspot = db.session.get(Hotspot, hotspot_id)
    if hotspot is None or hotspot.clinic_id != actor.clinic_id:
        raise NotFound()
    return hotspot


def covered_hotspot_ids(hotspot: Hotspot) -> list[str]:
    return [str(u) for u in db.session.scalars(select(PeerHotspot.user_id).where(PeerHotspot.hotspot_id == hotspot.id))]


# --- outreach contacts ------------------------------------------------------


@dataclass
class ContactInput:
    contact_date: date | None
    kind: str
    hotspot_id: str | None = None
    client_number: str | None = None
    contact_uic: str | None = None
    group_size: int | None = None
    male_condoms: int = 0
    lubricant: int = 0
    self_test_kits: int = 0  # a total without its recipients (imports); the form gives the three below
    self_test_distribution: str | None = None
    kits_for_self: int = 0
    kits_for_partner: int = 0
    kits_for_other: int = 0
    hiv_info: bool = False
    rights_info: bool = False
    violence_info: bool = False
    referral_offered: bool = False
    test_declined: bool = False


def known_client(number_text: str | None) -> Client | None:
    """The client a health-card number names (following merges), or None."""
    client = find_by_number(number_text or "")
    return resolve(client) if client else None


def _contact_values(actor: Actor, data: ContactInput, today: date, backdate_days: int) -> dict:
    errors: dict[str, str] = {}
    if data.contact_date is None:
        errors["contact_date"] = _("Give the date of the contact.")
    elif data.contact_date > today:
        errors["contact_date"] = _("The date is in the future.")
    elif data.contact_date < today - timedelta(days=backdate_days):
        errors["contact_date"] = _(
            "Contacts older than %(n)d days cannot be entered here; ask the data administrator.", n=backdate_days
        )
    hotspot = None
    if data.hotspot_id:
        try:
            hotspot = db.session.get(Hotspot, uuid.UUID(str(data.hotspot_id)))
        except ValueError:
            hotspot = None
        if hotspot is None or hotspot.clinic_id != actor.clinic_id or not hotspot.is_active:
            errors["hotspot_id"] = _("Choose a hotspot from the list.")
    client, uic, size = None, None, None
    if data.kind == ContactKind.INDIVIDUAL:
        if (data.client_number or "").strip():
            client = known_client(data.client_number)
            if client is None:
                errors["client_number"] = _("No client has this number. Check the health card, or leave it empty.")
        if (data.contact_uic or "").strip():
            uic = identifiers.normalise_uic(data.contact_uic)
            if uic is None:
                errors["contact_uic"] = _("A UIC looks like MAJO150892F. Leave it empty if unsure.")
    elif data.kind == ContactKind.GROUP:
        size = data.group_size
        if size is None or not 2 <= size <= MAX_GROUP:
            errors["group_size"] = _("A small group has 2 to %(n)d people.", n=MAX_GROUP)
    else:
        errors["kind"] = _("Choose one person or a small group.")
    counts = {name: getattr(data, name) or 0 for name in ("male_condoms", "lubricant", "self_test_kits")}
    for name, value in counts.items():
        if not 0 <= value <= MAX_PIECES:
            errors[name] = _("Give a number from 0 to %(n)d.", n=MAX_PIECES)
    flags = {
        name: bool(getattr(data, name))
        for name in ("hiv_info", "rights_info", "violence_info", "referral_offered", "test_declined")
    }
    kits = _kit_values(data, errors)
    if kits["self_test_kits"]:
        counts["self_test_kits"] = kits.pop("self_test_kits")
    else:
        kits.pop("self_test_kits")
    if not any(counts.values()) and not any(flags.values()):
        errors["hiv_info"] = _("Tick what was given or done at this contact.")
    if flags["referral_offered"] and flags["test_declined"]:
        errors["test_declined"] = _("Tick either 'offered or referred' (accepted) or 'declined', not both.")
    if errors:
        raise Invalid(_("The contact was not saved. Please correct the fields marked below."), errors)
    return dict(
        contact_date=data.contact_date,
        kind=ContactKind(data.kind),
        hotspot_id=hotspot.id if hotspot else None,
        client_id=client.id if client else None,
        contact_uic=uic,
        group_size=size,
        **counts,
        **kits,
        **flags,
    )


def _kit_values(data: ContactInput, errors: dict) -> dict:
    """Self-test kits by who they are for, and how they were handed over (HTS_SELF, community)."""
    by_recipient = {name: getattr(data, name) or 0 for name in ("kits_for_self", "kits_for_partner", "kits_for_other")}
    for name, value in by_recipient.items():
        if not 0 <= value <= MAX_SELF_TEST_KITS:
            errors[name] = _("Give from 0 to %(n)d kits.", n=MAX_SELF_TEST_KITS)
    distribution = data.self_test_distribution or None
    if distribution is not None and distribution not in {m.value for m in SelfTestDistribution}:
        errors["self_test_distribution"] = _("Choose one of the listed values.")
        distribution = None
    given = sum(by_recipient.values())
    if given and distribution is None and "self_test_distribution" not in errors:
        errors["self_test_distribution"] = _("Say whether the kits were handed over assisted or unassisted.")
    if distribution is not None and not given:
        errors["kits_for_self"] = _("Give the number of kits, or leave 'how the kits were handed over' empty.")
    return dict(
        self_test_kits=given,
        self_test_distribution=SelfTestDistribution(distribution) if distribution and given else None,
        **by_recipient,
    )


def record_contact(
    *, actor: Actor, data: ContactInput, submission_key: uuid.UUID, backdate_days: int = 31, today: date | None = None
) -> tuple[OutreachContact, bool]:
    """Record an outreach contact; returns (contact, created). A resubmitted form is not stored twice."""
    actor.require("outreach.work")
    existing = already_submitted(OutreachContact, submission_key)
    if existing is not None:
        if existing.peer_educator_id != actor.id:
            raise Invalid(_("The contact was not saved."), {"hiv_info": _("This entry belongs to someone else.")})
        return existing, False
    values = _contact_values(actor, data, today or actor_today(actor), backdate_days)
    contact = OutreachContact(
        id=uuid.uuid4(), clinic_id=actor.clinic_id, peer_educator_id=actor.id, submission_key=submission_key, **values
    )
    record_event(
        actor=actor,
        action="outreach.contact",
        object_type="outreach_contacts",
        object_id=contact.id,
        detail=f"kind={contact.kind}",
    )
    return commit_once(OutreachContact, contact, submission_key)


def own_contacts(*, actor: Actor, page: int, per_page: int):
    actor.require("outreach.work")
    query = (
        select(OutreachContact)
        .where(OutreachContact.peer_educator_id == actor.id)
        # The list shows each contact's hotspot and known client's number.
        .options(selectinload(OutreachContact.hotspot), selectinload(OutreachContact.client))
        .order_by(OutreachContact.contact_date.desc(), OutreachContact.created_at.desc())
    )
    pagination = db.paginate(query, page=page, per_page=per_page, error_out=False)
    record_list_page(
        actor=actor, action="outreach.contacts_view", object_type="outreach_contacts", pagination=pagination
    )
    return pagination


# --- referral slips ---------------------------------------------------------


def issue_referral(
    *,
    actor: Actor,
    service: str,
    client_number: str | None,
    submission_key: uuid.UUID,
    valid_days: int = 30,
    today: date | None = None,
    code: str | None = None,
    issued_on: date | None = None,
    backdate_days: int = 31,
) -> tuple[Referral, bool]:
    """Issue a referral slip with a new random code; returns (referral, created).

    A slip issued on a phone without signal comes with the day it was issued and a code the phone had
    reserved (outreach/offline.py): the code must be the actor's, unused, and valid on that day.
    """
    actor.require("outreach.work")
    existing = already_submitted(Referral, submission_key)
    if existing is not None:
        if existing.peer_educator_id != actor.id:
            raise Invalid(_("The referral was not issued."), {"service": _("This entry belongs to someone else.")})
        return existing, False
    today = today or actor_today(actor)
    errors = {}
    if issued_on is not None and issued_on > today:
        errors["issued_on"] = _("The date is in the future.")
    elif issued_on is not None and issued_on < today - timedelta(days=backdate_days):
        errors["issued_on"] = _(
            "Slips older than %(n)d days cannot be entered here; ask the data administrator.", n=backdate_days
        )
    issued_on = issued_on or today
    reservation = None
    if code is not None:
        from clinic_app.outreach.offline import reserved_for

        reservation = reserved_for(actor, code, issued_on)
        if reservation is None:
            errors["code"] = _(
                "This slip code was not reserved on your phone, or it was used or has expired. "
                "Give the client a new slip."
            )
    if service not in {s.value for s in ReferralService}:
        errors["service"] = _("Choose the service the client is referred for.")
    client = None
    if (client_number or "").strip():
        client = known_client(client_number)
        if client is None:
            errors["client_number"] = _("No client has this number. Check the health card, or leave it empty.")
    if errors:
        raise Invalid(_("The referral was not issued."), errors)
    referral = Referral(
        id=uuid.uuid4(),
        clinic_id=actor.clinic_id,
        peer_educator_id=actor.id,
        code=reservation.code if reservation else referrals.unique_code(),
        service=ReferralService(service),
        issued_on=issued_on,
        expires_on=issued_on + timedelta(days=valid_days),
        client_id=client.id if client else None,
        submission_key=submission_key,
    )
    record_event(
        actor=actor,
        action="referral.issue",
        object_type="referrals",
        object_id=referral.id,
        detail=f"service={service}" + (" offline=reserved-code" if reservation else ""),
    )
    if reservation is not None:
        reservation.referral_id = referral.id  # written in the same commit, after the slip (its foreign key)
    return commit_once(Referral, referral, submission_key)


def visible_referral(*, actor: Actor, referral_id) -> Referral:
    """A peer educator sees only their own slips; clinic staff see their clinic's. Each opening is audited
    (a slip names a service, and the client when one was known)."""
    referral = db.session.get(Referral, referral_id)
    if referral is None:
        raise NotFound()
    own_clinic = actor.can("outreach.clinic_referrals") and referral.clinic_id == actor.clinic_id
    if not (own_clinic or (actor.can("outreach.work") and referral.peer_educator_id == actor.id)):
        raise NotFound()
    record_alone(actor=actor, action="referral.view", target=referral)
    return referral


def referral_list(*, actor: Actor, page: int, per_page: int, status: str = ""):
    """A peer educator's own slips, or the clinic's slips for staff; newest first."""
    query = (
        select(Referral)
        .options(selectinload(Referral.peer_educator))  # staff see who issued each slip
        .order_by(Referral.issued_on.desc(), Referral.created_at.desc())
    )
    actor.require("outreach.referrals")
    if actor.can("outreach.clinic_referrals"):
        query = query.where(Referral.clinic_id == actor.clinic_id)
    else:
        actor.require("outreach.work")
        query = query.where(Referral.peer_educator_id == actor.id)
    today = actor_today(actor)
    if status == "open":
        query = query.where(Referral.visit_id.is_(None), Referral.expires_on >= today)
    elif status == "completed":
        query = query.where(Referral.visit_id.is_not(None))
    elif status == "expired":
        query = query.where(Referral.visit_id.is_(None), Referral.expires_on < today)
    pagination = db.paginate(query, page=page, per_page=per_page, error_out=False)
    shown = status if status in ("open", "completed", "expired") else "all"  # never the address as typed
    record_list_page(
        actor=actor,
        action="referral.list_view",
        object_type="referrals",
        pagination=pagination,
        detail=f"status={shown}",
    )
    return pagination


def count_open_referrals(actor: Actor) -> int:
    today = actor_today(actor)
    return db.session.scalar(
        select(func.count())
        .select_from(Referral)
        .where(Referral.peer_educator_id == actor.id, Referral.visit_id.is_(None), Referral.expires_on >= today)
    )
