"""SQLite settings for a desktop that loses power (WAL, full sync, foreign keys).

The encryption key is the vault's: it installs its own connect hook, run before these (vault/keyring.py).
"""

import contextlib
import os

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from clinic_app.core.work import WRITE_LOCK, only_reading
from clinic_app.extensions import db


def _pragmas():
    def on_connect(dbapi_connection, _record) -> None:
        # The driver's own transaction handling is replaced by BEGIN IMMEDIATE below,
        # so a writer takes the lock at the start and never fails half-way.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        _durable(cursor)
        _planner_statistics(cursor)
        cursor.close()
        _private(dbapi_connection)

    return on_connect


def _private(dbapi_connection) -> None:
    """The database file and its WAL and shared-memory files: readable by this user only (0600),
    also when an older version created them 0644."""
    row = dbapi_connection.execute("PRAGMA database_list").fetchone()
    path = row[2] if row else ""
    for name in (path, f"{path}-wal", f"{path}-shm") if path else ():
        if os.path.exists(name) and os.stat(name).st_mode & 0o077:
            os.chmod(name, 0o600)


def _durable(cursor) -> None:
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")


def _planner_statistics(cursor) -> None:
    """Give the query planner statistics, as SQLite recommends for a long-lived connection.

    Without them (the app never ran ANALYZE) the report queries on a 1M-visit file took 60.8 s
    instead of 44.9 s. From SQLite 3.46 (SQLCipher's, at the clinic) 0x10002 looks at every table and
    analyses, with a small row limit, only those whose statistics are missing or stale, so it is
    cheap at each new connection; an older SQLite without the flag skips it.
    """
    if tuple(int(p) for p in cursor.execute("SELECT sqlite_version()").fetchone()[0].split(".")[:2]) >= (3, 46):
        cursor.execute("PRAGMA optimize=0x10002")


@contextlib.contextmanager
def page_cache(session, mib: int):
    """A larger page cache on the session's SQLite connection while a report runs, then the usual one.

    A report reads the same fact pages for each indicator, the trend and the checks; with the 2 MB default,
    SQLCipher decrypts them again each time. Measured on the encrypted 1M-visit file: the MER report 4.6 s
    with the default, 3.3 s with 128 MB, 2.8 s with 256 MB. The cache is given back afterwards, so a pooled
    connection does not keep it. Nothing on PostgreSQL.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite" or not mib:
        yield
        return
    usual = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size=-{int(mib) * 1024}")
    try:
        yield
    finally:
        with contextlib.suppress(Exception):  # a broken connection is discarded with its cache
            connection.exec_driver_sql(f"PRAGMA cache_size={int(usual)}")


def _on_begin(conn) -> None:
    """Writers take the write lock at BEGIN (never half-way); readers never take it.

    A request declared to only read (GET and HEAD, core/work.py) and a long export (read_only) begin a
    plain read transaction; a write beside them takes its own short write transaction (marked write,
    core/work.write_alone). Everything else writes. The connection remembers that it holds the lock, so
    a write of its own caller is not made to wait for it.
    """
    options = conn.get_execution_options()
    reading = options.get("read_only") or (not options.get("write") and only_reading())
    conn.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")
    conn.info[WRITE_LOCK] = not reading


def _on_end(conn) -> None:
    conn.info.pop(WRITE_LOCK, None)


def sqlite_engines(app: Flask) -> list[Engine]:
    """The app's engines that are SQLite (none on PostgreSQL)."""
    with app.app_context():
        return [engine for engine in db.engines.values() if engine.dialect.name == "sqlite"]


def configure_engines(app: Flask) -> None:
    """Attach the SQLite pragmas to the app's engine(s) when they are SQLite."""
    for engine in sqlite_engines(app):
        _attach(engine)


def _optimize_on_close(dbapi_connection, _record) -> None:
    """SQLite recommends PRAGMA optimize before closing a connection: it analyses what the connection's
    queries showed would profit (cheap; nothing when the statistics are fresh)."""
    with contextlib.suppress(Exception):  # a connection that cannot run it (locked, broken) is closing anyway
        dbapi_connection.execute("PRAGMA optimize")


def _attach(engine: Engine) -> None:
    event.listen(engine, "connect", _pragmas())
    event.listen(engine, "close", _optimize_on_close)
    event.listen(engine, "begin", _on_begin)
    event.listen(engine, "commit", _on_end)
    event.listen(engine, "rollback", _on_end)
