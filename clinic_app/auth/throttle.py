"""Sign-in throttling kept in the database, so a restart does not reset it.

An attacker must be slowed down without locking the real user out, so no single address or
username can stop everyone:

- ``try:<username>|<address>``: after a few wrong passwords, each further try of that username from
  that address waits twice as long as the last (2 s, 4 s, ... at most 15 minutes). The same user at
  another address is not slowed.
- ``addr:<address>``: many failures from one address, whatever the usernames, slow that address down
  the same way, except for a browser that has signed in to the typed account before (a known browser):
  the clinic desktop is one address shared by every member of staff.
- ``user:<username>``: very many failures for one username, from anywhere, lock the account. The user's
  own correct password from a known browser lifts the lock, and so can an administrator.
- ``password:<user id>`` and ``second:<username>``: a current-password check on the account page and a
  second administrator's confirmation; a few wrong ones pause that check only, never the sign-in.

Keys are counted whether or not the username exists, so the answer reveals nothing about accounts.
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from clinic_app.auth.models import SignInThrottle
from clinic_app.core.db import utcnow
from clinic_app.extensions import db


@dataclass(frozen=True)
class Policy:
    free_failures: int = 3  # wrong passwords per username and address before the delays start
    first_delay: timedelta = timedelta(seconds=2)
    max_delay: timedelta = timedelta(minutes=15)
    per_address: int = 20  # failures from one address (any username) before it is slowed
    per_account: int = 50  # failures for one username (any address) within the window before a lock
    window: timedelta = timedelta(minutes=60)
    lockout: timedelta = timedelta(minutes=60)
    checks: int = 5  # wrong passwords in a check (account page, second administrator) before a pause
    check_pause: timedelta = timedelta(minutes=15)

    @classmethod
    def from_config(cls, config) -> "Policy":
        return cls(
            free_failures=config["SIGN_IN_FREE_FAILURES"],
            first_delay=timedelta(seconds=config["SIGN_IN_FIRST_DELAY_SECONDS"]),
            max_delay=timedelta(minutes=config["SIGN_IN_MAX_DELAY_MINUTES"]),
            per_address=config["SIGN_IN_LIMIT_PER_ADDRESS"],
            per_account=config["SIGN_IN_LIMIT_PER_ACCOUNT"],
            window=timedelta(minutes=config["SIGN_IN_WINDOW_MINUTES"]),
            lockout=timedelta(minutes=config["SIGN_IN_LOCKOUT_MINUTES"]),
        )


@dataclass(frozen=True)
class Keys:
    """The throttle keys of one sign-in attempt."""

    attempt: str
    address: str
    account: str

    @classmethod
    def of(cls, username: str, source: str) -> "Keys":
        return cls(f"try:{username[:32]}|{source[:40]}", f"addr:{source[:64]}", account_key(username))


@dataclass(frozen=True)
class Verdict:
    """Whether an attempt may be checked now: seconds to wait first, and whether the account is locked."""

    wait_seconds: int = 0
    account_locked: bool = False


def account_key(username: str) -> str:
    return f"user:{username[:64]}"


def _rows(keys_: list[str]) -> dict[str, SignInThrottle]:
    rows = db.session.scalars(select(SignInThrottle).where(SignInThrottle.key.in_(keys_)))
    return {row.key: row for row in rows}


def _row(key: str) -> SignInThrottle:
    row = db.session.scalar(select(SignInThrottle).where(SignInThrottle.key == key))
    if row is None:
        row = SignInThrottle(key=key, failures=0)
        db.session.add(row)
    return row


def _wait(row: SignInThrottle | None, now: datetime) -> int:
    if row is None or row.locked_until is None or row.locked_until <= now:
        return 0
    return max(1, math.ceil((row.locked_until - now).total_seconds()))


def verdict(keys_: Keys, *, known_browser: bool, now: datetime | None = None) -> Verdict:
    """What the throttle says about an attempt, before its password is checked (reads only)."""
    now = now or utcnow()
    rows = _rows([keys_.attempt, keys_.address, keys_.account])
    waits = [_wait(rows.get(keys_.attempt), now)]
    if not known_browser:
        waits.append(_wait(rows.get(keys_.address), now))
    return Verdict(wait_seconds=max(waits), account_locked=bool(_wait(rows.get(keys_.account), now)))


def _count(row: SignInThrottle, window: timedelta, now: datetime) -> None:
    if row.first_failure_at is None or now - row.first_failure_at > window:
        row.first_failure_at, row.failures = now, 0
    row.failures += 1


def _delay(failures: int, free: int, policy: Policy) -> timedelta | None:
    if failures < free:
        return None
    return min(policy.first_delay * 2 ** (failures - free), policy.max_delay)


def sign_in_failed(keys_: Keys, policy: Policy, now: datetime | None = None) -> None:
    """Count a wrong password: delays for the attempt and address keys, a lock for the account. The caller commits."""
    now = now or utcnow()
    slow_window = max(policy.window, policy.max_delay * 2)
    for key, free in ((keys_.attempt, policy.free_failures), (keys_.address, policy.per_address)):
        row = _row(key)
        _count(row, slow_window, now)
        delay = _delay(row.failures, free, policy)
        if delay is not None:
            row.locked_until = now + delay
    account = _row(keys_.account)
    if account.locked_until is not None and account.locked_until > now:
        return  # locked already: the lock runs from the failure that set it
    _count(account, policy.window, now)
    if account.failures >= policy.per_account:
        account.locked_until = now + policy.lockout


def sign_in_succeeded(keys_: Keys) -> int:
    """A correct sign-in clears its attempt key and the account's count (not the address's).

    Returns how many wrong passwords the account had since, for a notice to the user.
    """
    account = db.session.scalar(select(SignInThrottle).where(SignInThrottle.key == keys_.account))
    failures = account.failures if account is not None else 0
    db.session.execute(delete(SignInThrottle).where(SignInThrottle.key.in_([keys_.attempt, keys_.account])))
    return failures


def lift_account_lock(username: str) -> bool:
    """End an account's lock (and its count); True when it was locked. The caller commits."""
    row = db.session.scalar(select(SignInThrottle).where(SignInThrottle.key == account_key(username)))
    if row is None:
        return False
    was_locked = bool(_wait(row, utcnow()))
    db.session.delete(row)
    return was_locked


def account_locked(username: str, now: datetime | None = None) -> bool:
    return bool(_wait(_rows([account_key(username)]).get(account_key(username)), now or utcnow()))


def locked(keys_: list[str], now: datetime | None = None) -> bool:
    """Whether any of these check keys (or an account key) is paused now."""
    now = now or utcnow()
    return any(_wait(row, now) for row in _rows(keys_).values())


def failed(keys_: list[str], policy: Policy, now: datetime | None = None) -> None:
    """Count a wrong password in a check; pause a key that reached its limit within the window. The caller commits."""
    now = now or utcnow()
    for key in keys_:
        row = _row(key)
        _count(row, policy.check_pause, now)
        if row.failures >= policy.checks:
            row.locked_until = now + policy.check_pause
            row.failures, row.first_failure_at = 0, None
