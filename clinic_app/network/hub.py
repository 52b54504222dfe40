"""The hub's side of joining and trust: members, one-time enrolment codes, signed requests, revocation."""

import base64
import hashlib
import hmac
import secrets
import uuid
from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from clinic_app.audit.services import record_event
from clinic_app.clinics.models import Clinic
from clinic_app.core.actor import Actor
from clinic_app.core.db import utcnow
from clinic_app.core.errors import Conflict, Invalid, NotFound
from clinic_app.core.places import Country
from clinic_app.extensions import db
from clinic_app.network import protocol
from clinic_app.network.models import HubState, Member

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no look-alike characters


class Refused(Exception):
    """A request the hub will not serve: ``status`` is the HTTP status, ``reason`` says why in words."""

    def __init__(self, status: int, reason: str, **extra):
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.extra = extra


def hub_state(*, create: bool = False) -> HubState:
    state = db.session.get(HubState, 1)
    if state is None:
        if not create:
            raise Refused(503, "This server is not set up as a hub (run 'flask network init-hub').")
        state = HubState(id=1, hub_id=str(uuid.uuid4()), network_key=base64.b64encode(secrets.token_bytes(32)).decode())
        db.session.add(state)
        db.session.flush()
    return state


def init_hub(*, actor: Actor) -> HubState:
    """Give the hub its identity and the network key (once; later calls return the same)."""
    actor.require("network.hub")
    state = hub_state(create=True)
    db.session.commit()
    return state


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").strip().upper().encode()).hexdigest()


def register_clinic(*, actor: Actor, code: str, name: str, country: str, timezone: str) -> tuple[Member, str]:
    """Register a clinic (or give a revoked or unenrolled one a new code); returns the one-time code."""
    actor.require("network.hub")
    hub_state(create=True)
    code = (code or "").strip().upper()
    if not code or not name:
        raise Invalid("A clinic needs a code and a name.")
    member = db.session.scalar(select(Member).where(Member.code == code))
    if member is None:
        member = Member(code=code, name=name.strip(), country=country.upper(), timezone=timezone)
        db.session.add(member)
    elif member.enrolled_at is not None and member.revoked_at is None:
        raise Conflict(f"Clinic {code} is enrolled. Revoke it first to enrol it again.")
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(16))
    one_time = "-".join(raw[i : i + 4] for i in range(0, 16, 4))
    hours = current_app.config["NETWORK_ENROLMENT_HOURS"]
    member.enrolment_code_hash = _code_hash(one_time)
    member.enrolment_expires_at = utcnow() + timedelta(hours=hours)
    record_event(actor=actor, action="network.register_clinic", target=member)
    db.session.commit()
    return member, one_time


def revoke_clinic(*, actor: Actor, code: str) -> Member:
    actor.require("network.hub")
    member = db.session.scalar(select(Member).where(Member.code == (code or "").strip().upper()))
    if member is None:
        raise NotFound(f"No clinic {code} is registered at this hub.")
    member.revoked_at = utcnow()
    member.public_key = None
    member.enrolment_code_hash = None
    record_event(actor=actor, action="network.revoke_clinic", target=member)
    db.session.commit()
    return member


def members() -> list[Member]:
    return list(db.session.scalars(select(Member).order_by(Member.code)))


def enrol(payload: dict, *, actor: Actor) -> dict:
    """A clinic presents its one-time code and public key; the hub answers with its id and the network key.

    ``actor`` is the enrolling clinic's request (a Visitor known by its address): the code is its proof.
    """
    state = hub_state()
    code = str(payload.get("clinic_code", "")).strip().upper()
    member = db.session.scalar(select(Member).where(Member.code == code).with_for_update())
    given = _code_hash(str(payload.get("enrolment_code", "")))
    if (
        member is None
        or member.enrolment_code_hash is None
        or not hmac.compare_digest(member.enrolment_code_hash, given)
        or member.enrolment_expires_at < utcnow()
    ):
        raise Refused(403, "The enrolment code is wrong, used already or expired. Ask the hub for a new one.")
    try:
        clinic_id = uuid.UUID(str(payload["clinic_id"]))
        public_key = str(payload["public_key"])
        if len(base64.b64decode(public_key, validate=True)) != 32:
            raise ValueError
    except (KeyError, ValueError, TypeError):
        raise Refused(400, "The enrolment request is incomplete.") from None
    clinic = db.session.get(Clinic, clinic_id)
    same_code = db.session.scalar(select(Clinic).where(Clinic.code == code))
    if same_code is not None and same_code.id != clinic_id:
        raise Refused(409, f"The hub knows clinic {code} under another identity; it cannot enrol this database.")
    if clinic is None:
        clinic = Clinic(
            id=clinic_id, code=code, name=member.name, country=Country(member.country), timezone=member.timezone
        )
        db.session.add(clinic)
        db.session.flush()
        record_event(actor=actor, action="clinic.create", target=clinic)
    member.clinic_id = clinic_id
    member.public_key = public_key
    member.enrolled_at = utcnow()
    member.revoked_at = None
    member.last_counter = 0
    member.enrolment_code_hash = None  # the code works once
    record_event(actor=actor, action="network.enrol", target=member)
    db.session.commit()
    return {"hub_id": state.hub_id, "network_key": state.network_key, "clinic_id": str(clinic_id)}


def authenticate(*, method: str, path: str, headers, body: bytes) -> Member:
    """The member that sent this request, with its counter moved past this one; Refused otherwise.

    The counter moves in the caller's transaction, under the member row's lock: two copies of one
    request cannot both pass. If the request's work fails and rolls back, the counter is not spent,
    but that request changed nothing, so sending it again is harmless.
    """
    state = hub_state()
    try:
        clinic_id = uuid.UUID(headers.get(protocol.HEADER_CLINIC, ""))
        counter = int(headers.get(protocol.HEADER_COUNTER, ""))
        signature = headers.get(protocol.HEADER_SIGNATURE, "")
    except ValueError:
        raise Refused(401, "The request is not signed.") from None
    member = db.session.scalar(select(Member).where(Member.clinic_id == clinic_id))
    if member is None or member.enrolled_at is None:
        raise Refused(403, "This clinic is not enrolled at the hub.")
    if member.revoked_at is not None or member.public_key is None:
        raise Refused(403, "This clinic has been revoked by the hub administrator.")
    message = protocol.canonical(
        hub_id=state.hub_id, method=method, path=path, clinic_id=str(clinic_id), counter=counter, body=body
    )
    if not protocol.verify(member.public_key, message, signature):
        raise Refused(401, "The signature does not match: the request was altered or not sent by this clinic.")
    moved = db.session.execute(
        update(Member).where(Member.id == member.id, Member.last_counter < counter).values(last_counter=counter)
    )
    if moved.rowcount != 1:
        # The last counter accepted is no secret: it lets an honest node that lost its own (a restored
        # backup) move past it, while the replayed request itself stays refused.
        raise Refused(
            409, "This request was already received (a replay); it is refused.", last_counter=member.last_counter
        )
    db.session.refresh(member)
    return member


def note_refusal(member_id, reason: str) -> None:
    """Keep the last refusal in words for the hub's members page (its own small transaction)."""
    db.session.rollback()
    if member_id is None:
        return
    db.session.execute(update(Member).where(Member.id == member_id).values(last_refusal=reason[:500]))
    db.session.commit()
