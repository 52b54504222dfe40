"""SQLite settings for a desktop that loses power (WAL, full sync, foreign keys), and its encryption key."""

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from clinic_app.extensions import db
from clinic_app.vault.keyring import Vault, quote


def _pragmas(keys: Vault | None):
    def on_connect(dbapi_connection, _record) -> None:
        # The driver's own transaction handling is replaced by BEGIN IMMEDIATE below,
        # so a writer takes the lock at the start and never fails half-way.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if keys is not None and keys.enabled:
            cursor.execute(f"PRAGMA key = {quote(keys.passphrase())}")  # first, before anything is read
        _durable(cursor)
        cursor.close()

    return on_connect


def _durable(cursor) -> None:
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")


def _on_begin(conn) -> None:
    # A long export reads on a connection marked read_only and never takes the write lock.
    conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get("read_only") else "BEGIN IMMEDIATE")


def configure_engines(app: Flask, keys: Vault | None = None) -> None:
    """Attach the SQLite pragmas (and the encryption key) to the app's engine(s) when they are SQLite."""
    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.name == "sqlite":
                _attach(engine, keys)


def _attach(engine: Engine, keys: Vault | None) -> None:
    event.listen(engine, "connect", _pragmas(keys))
    event.listen(engine, "begin", _on_begin)
