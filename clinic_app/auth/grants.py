"""Clinical access given by an administrator: a second administrator confirms it, or the trail flags it.

An administrator reads no client record, but manages accounts: creating a nurse or data-administrator
account, raising an account to one of those roles, or setting a new password on one would let them sign
in with clinical access. Such a change needs a second administrator's password on the same form; without
one it is saved, and a flagged line stays at the top of the audit page until another administrator
confirms it there.
"""

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from clinic_app.audit.actions import FLAGGED
from clinic_app.audit.models import AuditEvent
from clinic_app.audit.services import record_event
from clinic_app.auth import throttle
from clinic_app.auth.models import User
from clinic_app.auth.passwords import verify_password
from clinic_app.core.actor import Actor
from clinic_app.core.errors import Invalid, NotAllowed
from clinic_app.core.permissions import CLINICAL, Role
from clinic_app.core.work import end_reads
from clinic_app.extensions import db


@dataclass(frozen=True)
class SecondAdmin:
    """The second administrator's credentials as typed on the account form (both may be empty)."""

    username: str = ""
    password: str = ""

    @property
    def given(self) -> bool:
        return bool(self.username.strip() or self.password)


def clinical_change(*, before: Role | None, after: Role, password_reset: bool) -> str | None:
    """What clinical access this change gives (for the audit line), or None when it gives none."""
    if after not in CLINICAL:
        return None
    if before is None:
        return f"created role={after}"
    if before != after:
        return f"raised role={before}->{after}"
    if password_reset:
        return f"password_reset role={after}"
    return None


def check_second_admin(*, actor: Actor, second: SecondAdmin) -> tuple[User | None, dict[str, str]]:
    """The confirming administrator, or the field errors to show (nothing is saved then)."""
    if not second.given:
        return None, {}
    name = second.username.strip().lower()
    user = db.session.scalar(select(User).where(User.username == name))
    problem = _("The second administrator's username or password is not correct.")
    keys = [throttle.account_key(name), f"second:{name[:64]}"]
    if throttle.locked(keys):
        return None, {"second_password": problem}
    stored_hash = user.password_hash if user is not None else None
    end_reads()  # the hash holds no database lock
    valid = stored_hash is not None and verify_password(stored_hash, second.password)
    if not valid or user.role != Role.ADMIN or not user.active:
        throttle.failed(keys[1:], throttle.Policy())
        record_event(actor=actor, action="auth.password_check_failed", target=user, detail="second_admin")
        db.session.commit()  # the failure counts although the change it was for is not saved
        return None, {"second_password": problem}
    if user.id == actor.id:
        return None, {"second_username": _("A second administrator, not yourself, must confirm.")}
    return user, {}


def record_grant(*, actor: Actor, user: User, change: str, second: User | None) -> str:
    """Flag the change when no second administrator confirmed it; returns the detail for the caller's line."""
    if second is not None:
        return f"confirmed_by={second.id}"
    record_event(actor=actor, action="user.clinical_grant_unconfirmed", target=user, detail=change)
    return "flagged"


def confirm(*, actor: Actor, seq: int) -> None:
    """Another administrator confirms a flagged grant from the audit page."""
    actor.require("users.manage")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.seq == seq))
    if event is None or event.action not in FLAGGED:
        raise Invalid(_("There is no such flagged line."))
    if event.actor_id == actor.id:
        raise NotAllowed(_("Another administrator must confirm the access you gave."))
    already = db.session.scalar(
        select(AuditEvent.id).where(
            AuditEvent.action == "user.clinical_grant_confirmed", AuditEvent.detail == f"line={seq}"
        )
    )
    if already is not None:
        return
    record_event(
        actor=actor,
        action="user.clinical_grant_confirmed",
        object_type=event.object_type,
        object_id=event.object_id,
        detail=f"line={seq}",
    )
    db.session.commit()
