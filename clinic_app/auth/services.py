"""Accounts: create, sign in, change password, enable/disable."""

import re
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from clinic_app.audit.services import record_event
from clinic_app.auth import grants, throttle
from clinic_app.auth.models import NO_PASSWORD, Language, User
from clinic_app.auth.passwords import (
    hash_password,
    needs_rehash,
    password_problem,
    reading,
    verify_password,
)
from clinic_app.clinics.models import Clinic
from clinic_app.core.actor import Actor, Visitor
from clinic_app.core.db import utcnow
from clinic_app.core.errors import DomainError, Invalid
from clinic_app.core.permissions import Role, can_grant
from clinic_app.core.work import end_reads
from clinic_app.extensions import db

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")

# Hash of a throwaway password, checked when the username is unknown so that an
# unknown name and a wrong password take the same time.
_DUMMY_HASH = hash_password("not-a-real-password-0")


def normalise_username(username: str) -> str:
    return (username or "").strip().lower()


def _check_new_account(username: str, password: str, clinic: Clinic | None) -> dict[str, str]:
    errors = {}
    if not USERNAME_RE.match(username):
        errors["username"] = _("Use 2 to 32 lower-case letters, digits, dots, dashes or underscores.")
    elif db.session.scalar(select(func.count()).where(User.username == username)):
        errors["username"] = _("This username is taken.")
    problem = password_problem(password, username=username)
    if problem:
        errors["password"] = problem
    if clinic is None:
        errors["clinic_id"] = _("Choose a clinic.")
    return errors


def create_user(
    *,
    actor: Actor,
    username: str,
    display_name: str,
    password: str,
    role: Role | str,
    clinic: Clinic | None,
    language: Language | str = Language.EN,
    second_admin: grants.SecondAdmin | None = None,
) -> User:
    """Create a staff account (the first administrator is made by ``flask users create``).

    An administrator cannot create a role they could not hold themselves; only
    administrators (and the command line, whose system actor may manage accounts) create accounts
    at all. A clinical account needs a second administrator, or its creation is flagged on the
    audit page (see auth/grants.py).
    """
    actor.require("users.manage")
    username = normalise_username(username)
    errors = _check_new_account(username, password, clinic)
    if not actor.is_system and not can_grant(actor.role, role):
        errors["role"] = _("You cannot give a role you do not hold.")
    if not (display_name or "").strip():
        errors["display_name"] = _("Enter the person's name as staff know them.")
    change = grants.clinical_change(before=None, after=Role(role), password_reset=False)
    second = None
    if change and not errors:
        second, second_errors = grants.check_second_admin(actor=actor, second=second_admin or grants.SecondAdmin())
        errors.update(second_errors)
    if errors:
        raise Invalid(_("The account was not created."), errors)
    clinic_id = clinic.id
    end_reads()
    password_hash = hash_password(password)  # outside the write transaction
    user = User(
        username=username,
        display_name=display_name.strip(),
        password_hash=password_hash,
        role=Role(role),
        clinic_id=clinic_id,
        language=Language(language),
    )
    db.session.add(user)
    db.session.flush()
    detail = f"role={user.role}"
    if change:
        detail += " " + grants.record_grant(actor=actor, user=user, change=change, second=second)
    record_event(actor=actor, action="user.create", target=user, detail=detail)
    db.session.commit()
    return user


class SignInPaused(DomainError):
    """Too many wrong passwords for this username from this address (or from this address):
    the next try is checked after ``retry_after`` seconds."""

    def __init__(self, retry_after: int):
        super().__init__(_("Too many wrong passwords: wait %(n)d seconds, then try again.", n=retry_after))
        self.retry_after = retry_after


class AccountLocked(DomainError):
    """The account is locked after very many wrong passwords from anywhere."""

    def __init__(self, retry_after: int):
        super().__init__(
            _(
                "Sign-in to this account is locked after very many wrong passwords. Sign in on a computer or "
                "phone where you signed in before, or ask the administrator to lift the lock."
            )
        )
        self.retry_after = retry_after


@dataclass(frozen=True)
class SignedIn:
    user: User
    failures_since_last: int  # wrong passwords typed for this account since its last sign-in
    lock_lifted: bool


def authenticate(
    *,
    username: str,
    password: str,
    source: str,
    policy: throttle.Policy | None = None,
    known_user_ids: frozenset[str] = frozenset(),
) -> User | None:
    """The active user with these credentials, or None (see sign_in)."""
    signed_in = sign_in(
        username=username, password=password, source=source, policy=policy, known_user_ids=known_user_ids
    )
    return signed_in.user if signed_in else None


def sign_in(
    *,
    username: str,
    password: str,
    source: str,
    policy: throttle.Policy | None = None,
    known_user_ids: frozenset[str] = frozenset(),
) -> SignedIn | None:
    """Check a sign-in; every attempt is audited.

    Wrong passwords slow down further tries of the username from that address, and many of them lock
    the account (see auth/throttle.py): a paused try raises SignInPaused, a locked account AccountLocked.
    ``known_user_ids`` are the accounts that signed in before from this browser: such a browser is not
    slowed by other people's failures at its address, and its user's correct password lifts a lock.
    The password is hashed outside any transaction (core/work.end_reads).
    """
    policy = policy or throttle.Policy()
    username = normalise_username(username)
    keys = throttle.Keys.of(username, source)
    with reading():
        user = db.session.scalar(select(User).where(User.username == username))
        known = user is not None and str(user.id) in known_user_ids
        verdict = throttle.verdict(keys, known_browser=known)
        user_id, stored_hash = (user.id, user.password_hash) if user else (None, _DUMMY_HASH)
    if verdict.wait_seconds:
        _record_sign_in_event("auth.sign_in_locked", user_id, source, detail="paused")
        raise SignInPaused(verdict.wait_seconds)
    valid = verify_password(stored_hash, password)
    new_hash = hash_password(password) if valid and needs_rehash(stored_hash) else None
    user = db.session.get(User, user_id) if user_id else None
    if not valid or user is None or not user.active:
        throttle.sign_in_failed(keys, policy)
        _record_sign_in_event("auth.sign_in_failed", user_id, source)
        return None
    lifted = False
    if verdict.account_locked:
        if not known:
            _record_sign_in_event("auth.sign_in_locked", user_id, source, detail="account")
            raise AccountLocked(int(policy.lockout.total_seconds()))
        lifted = throttle.lift_account_lock(username)
        record_event(actor=Actor(user, source), action="auth.account_unlocked", target=user, detail="own_sign_in")
    failures = throttle.sign_in_succeeded(keys)
    if new_hash:
        user.password_hash = new_hash
    user.last_sign_in_at = utcnow()
    record_event(actor=Actor(user, source), action="auth.sign_in", target=user)
    db.session.commit()
    return SignedIn(user=user, failures_since_last=failures, lock_lifted=lifted)


def _record_sign_in_event(action: str, user_id, source: str, detail: str | None = None) -> None:
    record_event(
        actor=Visitor(source),
        action=action,
        object_type=User.__tablename__ if user_id else None,
        object_id=user_id,
        source=source,
        detail=detail,
    )
    db.session.commit()


def sign_in_locked(user: User) -> bool:
    """Whether sign-in to this account is locked now (the administrator's account page says so)."""
    return throttle.account_locked(user.username)


def lift_sign_in_lock(*, actor: Actor, user: User) -> None:
    """An administrator lifts the lock that many wrong passwords put on an account."""
    actor.require("users.manage")
    if throttle.lift_account_lock(user.username):
        record_event(actor=actor, action="auth.account_unlocked", target=user, detail="administrator")
    db.session.commit()


def sign_out(*, actor: Actor) -> None:
    """End every session of this user on the server side."""
    actor.user.session_version += 1
    record_event(actor=actor, action="auth.sign_out", target=actor.user)
    db.session.commit()


def change_password(
    *, actor: Actor, current_password: str, new_password: str, policy: throttle.Policy | None = None
) -> None:
    """Change one's own password; other sessions of the user end.

    A wrong current password is audited and counts like a failed sign-in of the account: someone
    at an unlocked desk cannot guess it without limit. Both hashes are computed outside any transaction.
    """
    user = actor.user
    key = [f"password:{user.id}"]
    paused, stored_hash, username = throttle.locked(key), user.password_hash, user.username
    end_reads()
    if paused:
        raise Invalid(
            _("The password was not changed."),
            {"current_password": _("Too many wrong passwords: wait 15 minutes, or ask an administrator.")},
        )
    if not verify_password(stored_hash, current_password):
        throttle.failed(key, policy or throttle.Policy())
        record_event(actor=actor, action="auth.password_check_failed", target=user, detail="account_page")
        db.session.commit()  # the failure counts although nothing else is saved
        raise Invalid(_("The password was not changed."), {"current_password": _("This is not your current password.")})
    problem = password_problem(new_password, username=username)
    if problem:
        raise Invalid(_("The password was not changed."), {"new_password": problem})
    new_hash = hash_password(new_password)
    user.password_hash = new_hash
    user.session_version += 1
    record_event(actor=actor, action="user.password_change", target=user)
    db.session.commit()


def set_language(*, actor: Actor, language: Language | str) -> None:
    actor.user.language = Language(language)
    record_event(actor=actor, action="user.language", target=actor.user, detail=f"language={language}")
    db.session.commit()


def list_users(*, actor: Actor) -> list[User]:
    """Every staff account, by clinic then username, for the administrator's list.

    Service accounts (the network's sync account) are not staff: they are neither listed nor editable.
    """
    actor.require("users.manage")
    return list(
        db.session.scalars(
            select(User).join(User.clinic).where(User.password_hash != NO_PASSWORD).order_by(Clinic.code, User.username)
        )
    )


def staff_account(*, actor: Actor, user_id) -> User | None:
    """The staff account the administrator opens, or None (unknown, or a service account)."""
    actor.require("users.manage")
    user = db.session.get(User, user_id)
    return None if user is None or user.is_service_account else user


def update_user(
    *,
    actor: Actor,
    user: User,
    display_name: str,
    role: Role | str,
    clinic: Clinic | None,
    active: bool,
    new_password: str = "",
    language: Language | str | None = None,
    second_admin: grants.SecondAdmin | None = None,
) -> User:
    """An administrator changes an account; disabling it ends its sessions.

    Raising an account to a clinical role, or setting a new password on a clinical account,
    needs a second administrator or is flagged on the audit page (see auth/grants.py).
    """
    actor.require("users.manage")
    errors = {}
    if not (display_name or "").strip():
        errors["display_name"] = _("Enter the person's name as staff know them.")
    if clinic is None:
        errors["clinic_id"] = _("Choose a clinic.")
    if new_password:
        problem = password_problem(new_password, username=user.username)
        if problem:
            errors["new_password"] = problem
    if Role(role) != user.role and not can_grant(actor.role, role):
        errors["role"] = _("You cannot give a role you do not hold.")
    if user.id == actor.id and (not active or Role(role) != user.role):
        errors["role"] = _("You cannot disable your own account or change your own role.")
    change = grants.clinical_change(before=user.role, after=Role(role), password_reset=bool(new_password))
    second = None
    if change and not errors:
        second, second_errors = grants.check_second_admin(actor=actor, second=second_admin or grants.SecondAdmin())
        errors.update(second_errors)
    if errors:
        raise Invalid(_("The account was not changed."), errors)
    new_hash = None
    if new_password:
        end_reads()
        new_hash = hash_password(new_password)  # outside the write transaction
    changed = []
    if not active and user.active:
        user.session_version += 1
        changed.append("disabled")
    elif active and not user.active:
        changed.append("enabled")
    if Role(role) != user.role:
        changed.append(f"role={role}")
    if new_hash:
        user.password_hash = new_hash
        user.session_version += 1
        changed.append("password_reset")
    user.display_name = display_name.strip()
    user.role = Role(role)
    user.clinic_id = clinic.id
    user.active = active
    if language is not None:
        user.language = Language(language)
    if change:
        changed.append(grants.record_grant(actor=actor, user=user, change=change, second=second))
    record_event(actor=actor, action="user.update", target=user, detail=",".join(changed) or None)
    db.session.commit()
    return user
