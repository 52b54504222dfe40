"""SQLite settings for a desktop that loses power: WAL, full sync, foreign keys."""

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from clinic_app.extensions import db


def _on_connect(dbapi_connection, _record) -> None:
    # The driver's own transaction handling is replaced by BEGIN IMMEDIATE below,
    # so a writer takes the lock at the start and never fails half-way.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _on_begin(conn) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def configure_engines(app: Flask) -> None:
    """Attach the SQLite pragmas to the app's engine(s) when they are SQLite."""
    with app.app_context():
        for engine in db.engines.values():
            if engine.dialect.name == "sqlite":
                _attach(engine)


def _attach(engine: Engine) -> None:
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
