"""Password hashing (argon2id) and the password policy.

At most ``HASH_SLOTS`` hashes run at once (each takes ~50 ms of a core and 46 MiB): a flood of
sign-ins queues here instead of starving the nurses' requests, and a request that cannot get a slot
within ``HASH_WAIT_SECONDS`` is answered 503 with Retry-After (core.errors.Busy), never a 500.
"""

import threading
from contextlib import contextmanager

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask_babel import gettext as _

from clinic_app.core.errors import Busy
from clinic_app.extensions import db

# OWASP minimum for argon2id: m=19 MiB, t=2, p=1. We use m=46 MiB, t=1, p=1,
# another OWASP-listed equivalent, which costs ~50 ms on a clinic desktop.
_hasher = PasswordHasher(time_cost=1, memory_cost=47104, parallelism=1, type=Type.ID)

MIN_LENGTH = 10
MAX_LENGTH = 256

# A short list of the passwords attackers try first; the policy refuses them.
COMMON_PASSWORDS = frozenset(
    """
    1234567890 12345678910 0123456789 1111111111 0000000000 1234512345 123123123123
    qwertyuiop 1q2w3e4r5t qwerty12345 asdfghjkl; password12 password123 password1234
    passw0rd12 iloveyou12 welcome123 welcome1234 letmein123 administrator changeme12
    sunshine12 football12 princess12 abcdefghij abc1234567 1qaz2wsx3edc zaq12wsxcde
    clinic1234 bluebox123 bluebox2024 nurse12345 admin12345 admin123456
    """.split()
)


HASH_SLOTS = 2  # the clinic desktop's cores
HASH_WAIT_SECONDS = 5.0
_slots = threading.BoundedSemaphore(HASH_SLOTS)


@contextmanager
def hashing_slot():
    """One of the few hashing slots, or Busy when none frees up in time."""
    if not _slots.acquire(timeout=HASH_WAIT_SECONDS):
        raise Busy(retry_after=5)
    try:
        yield
    finally:
        _slots.release()


def hash_password(password: str) -> str:
    with hashing_slot():
        return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    with hashing_slot():
        try:
            return _hasher.verify(password_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


def end_transaction() -> None:
    """End the session's transaction (what it holds is committed) before a slow hash.

    A POST's transaction takes SQLite's write lock at its start (core/sqlite.py): hashing inside it
    would hold every other writer for the hash's time, and a flood of sign-ins would stall the clinic.
    """
    db.session.commit()


@contextmanager
def reading():
    """A read-only transaction (on SQLite it takes no write lock), ended on leaving the block."""
    end_transaction()
    db.session.connection(execution_options={"read_only": True})
    try:
        yield
    finally:
        db.session.commit()


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def password_problem(password: str, *, username: str = "") -> str | None:
    """Why a new password is refused, or None when it is acceptable.

    Length and a list of common passwords only: no composition rules (NIST 800-63B).
    """
    if len(password) < MIN_LENGTH:
        return _("Use at least %(n)d characters.", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _("Use at most %(n)d characters.", n=MAX_LENGTH)
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or len(set(lowered)) < 3:
        return _("This password is too common; choose another.")
    if username and username.lower() in lowered:
        return _("The password must not contain the username.")
    return None
