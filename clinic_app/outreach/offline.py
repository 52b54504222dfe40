"""Peer educators without signal: blocks of referral codes reserved while online, for slips issued offline.

The phone asks for a block while it has signal (reserve_codes); a slip issued offline carries one of those
codes, and issue_referral accepts it only from the peer educator who reserved it, unused and not expired on
the day the slip was issued. Expired unused codes are released at the next reservation, every unused code
at sign-out (the phone forgets them then). Entries are sent with a UUID the phone made, used as the
submission key, so sending one twice never stores it twice (core.once).
"""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import delete, func, select

from clinic_app.audit.services import record_event
from clinic_app.core.actor import Actor
from clinic_app.extensions import db
from clinic_app.outreach import referrals
from clinic_app.outreach.models import ReservedCode

BLOCK_SIZE = 10  # slips a peer educator can issue between two connections
CODE_DAYS = 14  # how long a reserved code stays valid on the phone
# An expired code is kept this long before it is released: a slip issued with it while it was valid may
# still be waiting on a phone without signal.
GRACE_DAYS = 31


@dataclass(frozen=True)
class CodeBlock:
    codes: list[ReservedCode]
    added: int
    released: int


def reserve_codes(*, actor: Actor, today: date, size: int = BLOCK_SIZE, days: int = CODE_DAYS) -> CodeBlock:
    """Top the peer educator's block of unused codes up to ``size``; expired unused codes are released first."""
    actor.require("outreach.work")
    released = db.session.execute(
        delete(ReservedCode).where(
            ReservedCode.peer_educator_id == actor.id,
            ReservedCode.referral_id.is_(None),
            ReservedCode.expires_on < today - timedelta(days=GRACE_DAYS),
        )
    ).rowcount
    held = _unused(actor, today)
    added = max(0, size - len(held))
    for _ in range(added):
        code = ReservedCode(
            code=referrals.unique_code(),
            clinic_id=actor.clinic_id,
            peer_educator_id=actor.id,
            expires_on=today + timedelta(days=days),
        )
        db.session.add(code)
        db.session.flush()  # the next unique_code() sees this one
    if added or released:
        record_event(
            actor=actor,
            action="referral.codes_reserve",
            object_type="reserved_codes",
            detail=f"added={added} released={released} held={len(held) + added}",
        )
    db.session.commit()
    return CodeBlock(codes=_unused(actor, today), added=added, released=released)


def _unused(actor: Actor, today: date) -> list[ReservedCode]:
    return list(
        db.session.scalars(
            select(ReservedCode)
            .where(
                ReservedCode.peer_educator_id == actor.id,
                ReservedCode.referral_id.is_(None),
                ReservedCode.expires_on >= today,
            )
            .order_by(ReservedCode.expires_on, ReservedCode.code)
        )
    )


def release_codes(*, actor: Actor) -> int:
    """Give back every unused code of the peer educator (she signed out: the phone forgot them)."""
    released = db.session.execute(
        delete(ReservedCode).where(ReservedCode.peer_educator_id == actor.id, ReservedCode.referral_id.is_(None))
    ).rowcount
    if released:
        record_event(
            actor=actor, action="referral.codes_release", object_type="reserved_codes", detail=f"released={released}"
        )
    db.session.commit()
    return released


def reserved_for(actor: Actor, code_text: str | None, issued_on: date) -> ReservedCode | None:
    """The actor's unused reservation of this code, valid on the day the slip was issued, or None."""
    code = referrals.normalise_code(code_text)
    if code is None:
        return None
    return db.session.scalar(
        select(ReservedCode).where(
            ReservedCode.code == code,
            ReservedCode.peer_educator_id == actor.id,
            ReservedCode.referral_id.is_(None),
            ReservedCode.expires_on >= issued_on,
        )
    )


def count_unused(actor: Actor, today: date) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(ReservedCode)
        .where(
            ReservedCode.peer_educator_id == actor.id,
            ReservedCode.referral_id.is_(None),
            ReservedCode.expires_on >= today,
        )
    )
