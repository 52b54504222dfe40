"""Holds the database passphrase in memory only, and opens encrypted connections with it.

The passphrase is never written to disk. SQLCipher derives the page key from it
(PBKDF2-HMAC-SHA512, 256,000 iterations, with the file's own salt) when a
connection opens; pooled connections keep it, so this costs once per connection.
"""

import getpass
import math
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import click
from flask import Flask, current_app, has_request_context
from sqlalchemy import event

from clinic_app.core.sqlite import sqlite_engines

MIN_PASSPHRASE = 12
ENV_PASSPHRASE = "CLINIC_DB_PASSPHRASE"  # noqa: S105 (the name of a variable, not a secret)
_DELAYS = (0, 0, 0, 2, 5, 15, 30, 60)  # seconds to wait after the nth wrong passphrase from one place
LOCAL = "local"  # the clinic desktop itself (127.0.0.1): its own delay and its own turn to check
_REMOTE_CHECKS = 2  # passphrases from the network checked at once (each costs ~0.2 s of a core)
_MAX_PLACES = 4096  # addresses whose wrong guesses are remembered


def database_path(app: Flask) -> Path | None:
    """The SQLite file of the app's database (relative paths are under instance/, as Flask-SQLAlchemy does)."""
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if not uri.startswith("sqlite:///"):
        return None
    path = Path(uri.split("///", 1)[1])
    return path if path.is_absolute() else Path(app.instance_path) / path


class Locked(click.ClickException):
    """The database is encrypted and nobody has unlocked it yet (a command prints this message)."""


def quote(passphrase: str) -> str:
    return "'" + passphrase.replace("'", "''") + "'"


@dataclass(frozen=True)
class SealedSecret:
    """A secret another feature keeps sealed under the passphrase (the audit chain's key), given to the vault
    at app creation so a passphrase change reseals it without the vault importing that feature."""

    reseal: Callable  # (session, old_passphrase, new_passphrase): add a seal for the new passphrase
    drop_other_seals: Callable  # (session, passphrase): keep only the seal that opens with it


class Vault:
    def __init__(self, app: Flask):
        self.sealed_secrets: list[SealedSecret] = []
        self.enabled = app.config.get("DATABASE_ENCRYPTION") == "sqlcipher"
        self.path = database_path(app) if self.enabled else None
        self._passphrase: str | None = None
        # A passphrase in the environment (demo mode, scripted commands) unlocks without the page.
        self._from_environment = os.environ.get(ENV_PASSPHRASE)
        # Wrong guesses per place (an address, or LOCAL): a loop from the network slows only itself.
        self._tries: dict[str, tuple[int, float]] = {}
        self._state = threading.Lock()
        self._remote_checks = threading.BoundedSemaphore(_REMOTE_CHECKS)
        self._local_check = threading.Lock()
        # Held while the passphrase is set and the schema brought up to date: one unlock at a time.
        self._opening = threading.Lock()
        self._preparing = False

    @property
    def locked(self) -> bool:
        if self.enabled and self._passphrase is None and self._from_environment and self.exists:
            candidate, self._from_environment = self._from_environment, None
            self.unlock(candidate)
        return self.enabled and (self._passphrase is None or self._preparing)

    @property
    def exists(self) -> bool:
        return bool(self.path) and self.path.exists()

    def install(self, app: Flask) -> None:
        """Give each new SQLite connection the key first, before anything (the other pragmas) reads it."""
        if not self.enabled:
            return
        for engine in sqlite_engines(app):
            event.listen(engine, "connect", self._key_connection, insert=True)

    def _key_connection(self, dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA key = {quote(self.passphrase())}")
        cursor.close()

    def engine_options(self) -> dict:
        """SQLCipher as the driver; connections open the file but never create it (only set-up does)."""
        from sqlcipher3 import dbapi2 as sqlcipher

        def connect():
            return sqlcipher.connect(f"file:{self.path}?mode=rw", uri=True, check_same_thread=False)

        return {"module": sqlcipher, "creator": connect}

    def passphrase(self) -> str:
        """For a new connection: the passphrase, asked on the terminal for a command if need be."""
        if self._passphrase is None and not has_request_context():
            if not self.exists:
                raise Locked("There is no database yet: set it up from the app's page first.")
            given = os.environ.get(ENV_PASSPHRASE) or (
                getpass.getpass("Database passphrase: ") if sys.stdin and sys.stdin.isatty() else None
            )
            if given and not self.check(given):
                raise Locked("This passphrase does not open the database.")
            if given:
                self._passphrase = given
        if self._passphrase is None:
            raise Locked("The database is locked: unlock it first.")
        return self._passphrase

    def check(self, passphrase: str) -> bool:
        """Whether this passphrase opens the database file."""
        from sqlcipher3 import dbapi2 as sqlcipher

        if not self.exists:
            return False
        connection = sqlcipher.connect(f"file:{self.path}?mode=rw", uri=True)  # never creates the file
        try:
            connection.execute(f"PRAGMA key = {quote(passphrase)}")
            connection.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return True
        except sqlcipher.DatabaseError:
            return False
        finally:
            connection.close()

    def wait_seconds(self, place: str = LOCAL) -> int:
        with self._state:
            _failures, next_try = self._tries.get(place, (0, 0.0))
        return max(0, math.ceil(next_try - time.monotonic()))

    def unlock(self, passphrase: str, place: str = LOCAL, prepare=None) -> bool:
        """Try a passphrase typed at ``place``; wrong guesses make that place's next try wait longer
        (kept in memory: the database is shut). Guesses from the network are checked a few at a time,
        the desktop's (LOCAL) in a turn of its own, so no loop from the network keeps it waiting.

        ``prepare`` runs once, after the passphrase is held and before any page is served with it
        (the schema brought up to date); a second right passphrase meanwhile waits, then finds it open.
        """
        if self.wait_seconds(place) or not self.exists:
            return False
        with self._local_check if place == LOCAL else self._remote_checks:
            right = self.check(passphrase)
        if not right:
            self._wrong_guess(place)
            return False
        with self._state:
            self._tries.pop(place, None)
        with self._opening:
            if self._passphrase is not None:
                return True  # opened by another request meanwhile
            self._passphrase, self._preparing = passphrase, prepare is not None
            try:
                if prepare is not None:
                    prepare()
            except BaseException:
                self._passphrase = None
                raise
            finally:
                self._preparing = False
        return True

    def _wrong_guess(self, place: str) -> None:
        with self._state:
            failures = self._tries.get(place, (0, 0.0))[0] + 1
            self._tries[place] = (failures, time.monotonic() + _DELAYS[min(failures, len(_DELAYS) - 1)])
            if len(self._tries) > _MAX_PLACES:  # forget the place whose wait ended longest ago
                del self._tries[min(self._tries, key=lambda key: self._tries[key][1])]

    def create(self, passphrase: str, prepare=None) -> bool:
        """Make a new, empty encrypted database (WAL mode) and hold its passphrase; False when one exists
        (two set-ups sent at once: the second finds the first's). ``prepare`` as for unlock."""
        from sqlcipher3 import dbapi2 as sqlcipher

        with self._opening:
            if self.exists:
                return False
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlcipher.connect(str(self.path))
            try:
                connection.execute(f"PRAGMA key = {quote(passphrase)}")
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute("CREATE TABLE vault_created (at TEXT)")
                connection.execute("DROP TABLE vault_created")
                connection.commit()
            finally:
                connection.close()
            self._passphrase, self._preparing = passphrase, prepare is not None
            try:
                if prepare is not None:
                    prepare()
            finally:
                self._preparing = False
        return True

    def forget(self) -> None:
        self._passphrase = None


def vault(app: Flask | None = None) -> Vault:
    return (app or current_app).extensions["vault"]
