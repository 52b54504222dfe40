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
from zxcvbn import zxcvbn

from clinic_app.core.errors import Busy
from clinic_app.core.work import end_reads
from clinic_app.extensions import db

# OWASP minimum for argon2id: m=19 MiB, t=2, p=1. We use m=46 MiB, t=1, p=1,
# another OWASP-listed equivalent, which costs ~50 ms on a clinic desktop.
_hasher = PasswordHasher(time_cost=1, memory_cost=47104, parallelism=1, type=Type.ID)

MIN_LENGTH = 10
MAX_LENGTH = 256

# zxcvbn estimates how many guesses a password takes, knowing common passwords, names, words,
# keyboard patterns, dates and l33t substitutions: below score 3 (about 10^8 guesses) is refused.
MIN_STRENGTH = 3
STRENGTH_CHECKED_LENGTH = 100  # zxcvbn slows down sharply on long input; the first 100 characters tell
APP_WORDS = ("bluebox", "blue box", "clinic", "nurse", "admin", "peer", "beitbridge", "ngodwana", "inchope")


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


@contextmanager
def reading():
    """A read-only transaction (on SQLite it takes no write lock), ended on leaving the block.

    A POST's transaction takes SQLite's write lock at its start (core/sqlite.py): hashing inside it
    would hold every other writer for the hash's time, and a flood of sign-ins would stall the clinic.
    Callers end their reads first (core/work.end_reads) and hash outside any transaction.
    """
    end_reads()
    db.session.connection(execution_options={"read_only": True})
    try:
        yield
    finally:
        db.session.commit()


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def password_problem(password: str, *, username: str = "") -> str | None:
    """Why a new password is refused, or None when it is acceptable.

    Length, not the username, and hard enough to guess by zxcvbn's estimate (which knows the common
    passwords and their variations such as ``Summer2024!``); no composition rules (NIST 800-63B).
    """
    if len(password) < MIN_LENGTH:
        return _("Use at least %(n)d characters.", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _("Use at most %(n)d characters.", n=MAX_LENGTH)
    if username and username.lower() in password.lower():
        return _("The password must not contain the username.")
    hints = [username, *APP_WORDS] if username else list(APP_WORDS)
    if zxcvbn(password[:STRENGTH_CHECKED_LENGTH], user_inputs=hints)["score"] < MIN_STRENGTH:
        return _(
            "This password is too easy to guess: it is a common password or close to one. "
            "A short sentence of your own is better."
        )
    return None
