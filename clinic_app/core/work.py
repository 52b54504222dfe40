"""The transaction boundary, one rule for every caller: a page, a command, a test, a sync.

A service is one unit of work: it checks, writes, audits and commits once, in the caller's session.
Some writes stand apart from the caller's work: the audit line of a read (a client shown, a list
exported, an access refused) and the record that a continuity page was shown. ``write_alone`` writes
those, and decides how from the state of the caller's own database connection, never from who the
caller is:

- the caller holds writes not yet committed (added, changed, deleted or flushed rows): refused with
  ``UnitOfWorkError``. Committing them here would end the caller's unit of work half-way; writing
  beside them would make a line for work that may still roll back.
- the caller's connection already holds SQLite's write lock with nothing written (a POST, a command):
  the line is written and committed there, since a second connection would wait for the lock its own
  caller holds.
- otherwise (a read transaction, no transaction, PostgreSQL): a short write transaction of its own, so
  a page that only reads never turns its read into a write (SQLite would refuse that under load).

Which requests only read is declared by the web layer (``declare_reads_only``: GET and HEAD), not
looked up by the database layer: a session begun while it holds takes no write lock (core/sqlite.py).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

from sqlalchemy import event
from sqlalchemy.orm import Session

from clinic_app.extensions import db

WRITE_LOCK = "clinic_write_lock"  # connection.info key: this connection began with BEGIN IMMEDIATE
_FLUSHED = "clinic_flushed_writes"  # session.info key: rows flushed, not yet committed

_reads_only: ContextVar[bool] = ContextVar("reads_only", default=False)


class UnitOfWorkError(RuntimeError):
    """A write outside the caller's unit of work was asked for while that unit was still open."""


def declare_reads_only() -> Token:
    """From here on (this request), sessions begin read transactions; returns the token to end it."""
    return _reads_only.set(True)


def end_declaration(token: Token) -> None:
    try:
        _reads_only.reset(token)
    except ValueError:  # ended in another context than it began in: end it here all the same
        _reads_only.set(False)


def only_reading() -> bool:
    """The current request was declared to only read (a GET or HEAD page)."""
    return _reads_only.get()


def pending_writes(session: Session) -> bool:
    """The session holds writes not yet committed: rows added, changed or deleted, or already flushed."""
    if session.new or session.deleted or session.info.get(_FLUSHED):
        return True
    return any(session.is_modified(row) for row in session.dirty)


@contextmanager
def write_alone() -> Iterator[Session]:
    """A session for a write that is its own unit of work, committed on leaving the block."""
    session = db.session()
    if pending_writes(session):
        raise UnitOfWorkError("the caller's own writes are not committed yet: commit them first")
    # The caller's transaction begins first, as it would for its next read: the rows the line names
    # (an expired target, the actor's account) reload there, never in a second transaction that would
    # wait for this one's lock.
    connection = session.connection()
    if connection.info.get(WRITE_LOCK):
        yield session
        session.commit()
        return
    with Session(db.engine, expire_on_commit=False) as own:
        own.connection(execution_options={"write": True})
        yield own
        own.commit()


def end_reads() -> None:
    """End the caller's transaction, which only read (before a slow step such as a password hash).

    A transaction with writes is refused rather than committed out of sight: its service commits it.
    """
    session = db.session()
    if pending_writes(session):
        raise UnitOfWorkError("the transaction holds writes: its service commits them")
    session.commit()


@event.listens_for(Session, "after_flush")
def _note_flushed(session, _flush_context) -> None:
    # Here the session still shows what this flush wrote.
    if session.new or session.deleted or any(session.is_modified(row) for row in session.dirty):
        session.info[_FLUSHED] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_flushed(session, transaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended: committed or rolled back
        session.info.pop(_FLUSHED, None)
