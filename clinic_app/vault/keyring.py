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
from pathlib import Path

import click
from flask import Flask, current_app, has_request_context

MIN_PASSPHRASE = 12
ENV_PASSPHRASE = "CLINIC_DB_PASSPHRASE"  # noqa: S105 (the name of a variable, not a secret)
_DELAYS = (0, 0, 0, 2, 5, 15, 30, 60)  # seconds to wait after the nth wrong passphrase


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


class Vault:
    def __init__(self, app: Flask):
        self.enabled = app.config.get("DATABASE_ENCRYPTION") == "sqlcipher"
        self.path = database_path(app) if self.enabled else None
        self._passphrase: str | None = None
        # A passphrase in the environment (demo mode, scripted commands) unlocks without the page.
        self._from_environment = os.environ.get(ENV_PASSPHRASE)
        self._failures = 0
        self._next_try = 0.0
        self._lock = threading.Lock()

    @property
    def locked(self) -> bool:
        if self.enabled and self._passphrase is None and self._from_environment and self.exists:
            candidate, self._from_environment = self._from_environment, None
            self.unlock(candidate)
        return self.enabled and self._passphrase is None

    @property
    def exists(self) -> bool:
        return bool(self.path) and self.path.exists()

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

    def wait_seconds(self) -> int:
        return max(0, math.ceil(self._next_try - time.monotonic()))

    def unlock(self, passphrase: str) -> bool:
        """Try a passphrase; wrong guesses make the next try wait longer (kept in memory: the database is shut)."""
        with self._lock:
            if self.wait_seconds() or not self.exists:
                return False
            if self.check(passphrase):
                self._passphrase, self._failures = passphrase, 0
                return True
            self._failures += 1
            self._next_try = time.monotonic() + _DELAYS[min(self._failures, len(_DELAYS) - 1)]
            return False

    def create(self, passphrase: str) -> None:
        """Make a new, empty encrypted database (WAL mode) and hold its passphrase."""
        from sqlcipher3 import dbapi2 as sqlcipher

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
        self._passphrase = passphrase

    def forget(self) -> None:
        self._passphrase = None


def vault(app: Flask | None = None) -> Vault:
    return (app or current_app).extensions["vault"]
