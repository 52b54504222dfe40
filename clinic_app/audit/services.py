"""Writing and checking the audit trail. Callers commit new lines with their own unit of work."""

import hashlib
import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic_app.audit.models import GENESIS, AuditEvent, AuditHead
from clinic_app.core.actor import Actor
from clinic_app.core.db import utcnow
from clinic_app.core.sqlite import reading_request
from clinic_app.extensions import db


def _digest(event: AuditEvent) -> str:
    return hashlib.sha256(event.content().encode()).hexdigest()


def _head(session) -> AuditHead:
    """The chain's end, locked for this transaction (PostgreSQL; SQLite writers are serialised anyway)."""
    head = session.get(AuditHead, 1, with_for_update=True)
    if head is None:
        head = AuditHead(id=1, seq=0, hash=GENESIS)
        session.add(head)
    return head


def record_event(
    *,
    actor: Actor | None,
    action: str,
    target=None,
    object_type: str | None = None,
    object_id=None,
    detail: str | None = None,
    source: str | None = None,
    session=None,
) -> AuditEvent:
    """Add an audit line to the session (the caller's commit makes it durable).

    ``target`` is a model instance whose table name and id identify the record.
    ``detail`` must be free of health values and names: field names, codes, counts.
    """
    if target is not None:
        object_type = target.__tablename__
        object_id = target.id
    session = session or db.session
    head = _head(session)
    event = AuditEvent(
        id=uuid.uuid4(),
        seq=head.seq + 1,
        occurred_at=utcnow(),
        actor_id=actor.id if actor else None,
        actor_role=str(actor.role) if actor else None,
        clinic_id=actor.clinic_id if actor else None,
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else None,
        source=(source if source is not None else (actor.source if actor else None)),
        detail=detail,
        prev_hash=head.hash,
    )
    event.hash = _digest(event)
    head.seq, head.hash = event.seq, event.hash
    session.add(event)
    return event


def record_and_commit(**kwargs) -> None:
    """Record an event that is not part of another unit of work (a view, a denial, an export).

    It is written at once in its own short write transaction, so a page that only reads
    never has to turn its read into a write (SQLite would refuse that under load).
    """
    if not reading_request():  # the caller's session already writes: add to it
        record_event(**kwargs)
        db.session.commit()
        return
    with Session(db.engine, expire_on_commit=False) as session:
        session.connection(execution_options={"write": True})
        record_event(session=session, **kwargs)
        session.commit()


@dataclass
class ChainReport:
    checked: int
    problems: list[str]

    @property
    def intact(self) -> bool:
        return not self.problems


def verify_chain(batch: int = 5000) -> ChainReport:
    """Walk the whole trail: sequence without gaps, each hash recomputed, each link to the previous."""
    problems: list[str] = []
    expected_seq, previous = 1, GENESIS
    rows = db.session.execute(select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=batch))
    checked = 0
    for (event,) in rows:
        checked += 1
        if event.seq != expected_seq:
            problems.append(f"row {event.seq}: expected sequence number {expected_seq} (rows missing)")
        if event.prev_hash != previous:
            problems.append(f"row {event.seq}: does not follow the row before it")
        if _digest(event) != event.hash:
            problems.append(f"row {event.seq}: content changed after it was written")
        expected_seq, previous = event.seq + 1, event.hash
        if len(problems) > 50:
            problems.append("... more problems not listed")
            break
    head = db.session.get(AuditHead, 1)
    if head is not None and (head.seq != expected_seq - 1 or head.hash != previous) and len(problems) <= 50:
        problems.append(f"the trail ends at row {expected_seq - 1} but {head.seq} rows were written (rows removed)")
    return ChainReport(checked=checked, problems=problems)
