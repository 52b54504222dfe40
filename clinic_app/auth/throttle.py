"""Sign-in throttling kept in the database, so a restart does not reset it.

Failures are counted per username typed (whether or not it exists, so the
answer reveals nothing) and per source address. Past the limit, sign-in is
refused for a while with one generic message.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from clinic_app.auth.models import SignInThrottle
from clinic_app.core.db import utcnow
from clinic_app.extensions import db


@dataclass(frozen=True)
class Policy:
    per_username: int = 5
    per_address: int = 20
    window: timedelta = timedelta(minutes=15)
    lockout: timedelta = timedelta(minutes=15)

    @classmethod
    def from_config(cls, config) -> "Policy":
        return cls(
            per_username=config["SIGN_IN_LIMIT_PER_USERNAME"],
            per_address=config["SIGN_IN_LIMIT_PER_ADDRESS"],
            window=timedelta(minutes=config["SIGN_IN_WINDOW_MINUTES"]),
            lockout=timedelta(minutes=config["SIGN_IN_LOCKOUT_MINUTES"]),
        )


def _row(key: str) -> SignInThrottle:
    row = db.session.scalar(select(SignInThrottle).where(SignInThrottle.key == key))
    if row is None:
        row = SignInThrottle(key=key, failures=0)
        db.session.add(row)
    return row


def keys(username: str, source: str) -> list[str]:
    return [f"user:{username[:64]}", f"addr:{source[:64]}"]


def locked(keys_: list[str], now: datetime | None = None) -> bool:
    now = now or utcnow()
    rows = db.session.scalars(select(SignInThrottle).where(SignInThrottle.key.in_(keys_)))
    return any(row.locked_until is not None and row.locked_until > now for row in rows)


def failed(keys_: list[str], policy: Policy, now: datetime | None = None) -> None:
    """Count a failure; lock a key that reached its limit within the window. The caller commits."""
    now = now or utcnow()
    limits = {"user": policy.per_username, "addr": policy.per_address, "password": policy.per_username}
    for key in keys_:
        row = _row(key)
        if row.first_failure_at is None or now - row.first_failure_at > policy.window:
            row.first_failure_at, row.failures = now, 0
        row.failures += 1
        if row.failures >= limits[key.split(":", 1)[0]]:
            row.locked_until = now + policy.lockout
            row.failures, row.first_failure_at = 0, None


def succeeded(username_key: str) -> None:
    """A successful sign-in clears the username's count (not the address's)."""
    row = db.session.scalar(select(SignInThrottle).where(SignInThrottle.key == username_key))
    if row is not None:
        db.session.delete(row)
