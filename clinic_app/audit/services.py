"""Writing and checking the audit trail. Callers commit new lines with their own unit of work."""

import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic_app.audit import keys
from clinic_app.audit.actions import FLAGGED
from clinic_app.audit.models import GENESIS, USERS, AuditEvent, AuditHead
from clinic_app.core.actor import Actor
from clinic_app.core.db import utcnow
from clinic_app.core.work import write_alone
from clinic_app.extensions import db


def _digest(event: AuditEvent, key: bytes | None, *, keyed: bool = True) -> str:
    """The row's hash: HMAC-SHA256 under the chain's key (plain SHA-256 for rows from before the key)."""
    if not keyed:
        return hashlib.sha256(event.content(keyed=False).encode()).hexdigest()
    if key is None:
        return ""
    return hmac.new(key, event.content().encode(), hashlib.sha256).hexdigest()


def _head(session) -> AuditHead:
    """The chain's end, locked for this transaction (PostgreSQL; SQLite writers are serialised anyway)."""
    head = session.get(AuditHead, 1, with_for_update=True)
    if head is None:
        head = AuditHead(id=1, seq=0, hash=GENESIS, keyed_from=1)
        session.add(head)
    return head


def _source(actor: Actor, source: str | None) -> str:
    """Where the line came from: a person's address, or a system actor's ``cli:osuser``."""
    if actor.is_system:
        return actor.description[:64]
    return (source if source is not None else actor.source)[:64]


def record_event(
    *,
    actor: Actor,
    action: str,
    target=None,
    object_type: str | None = None,
    object_id=None,
    object_ids=None,
    detail: str | None = None,
    source: str | None = None,
    session=None,
) -> AuditEvent:
    """Add an audit line to the session (the caller's commit makes it durable).

    ``target`` is a model instance whose table name and id identify the record.
    ``object_ids`` are the records a list page showed (one line for the whole page).
    ``detail`` must be free of health values and names: field names, codes, counts.
    """
    if not isinstance(actor, Actor):
        raise TypeError("record_event needs an actor (a person, a Visitor or a system actor)")
    if target is not None:
        object_type = target.__tablename__
        object_id = target.id
    session = session or db.session
    head = _head(session)
    event = AuditEvent(
        id=uuid.uuid4(),
        seq=head.seq + 1,
        occurred_at=utcnow(),
        actor_id=actor.id,
        actor_role=str(actor.role) if actor.role is not None else None,
        clinic_id=actor.clinic_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else None,
        source=_source(actor, source),
        detail=detail,
        object_ids=" ".join(str(i) for i in object_ids) if object_ids else None,
        prev_hash=head.hash,
    )
    event.hash = _digest(event, keys.chain_key(session))
    head.seq, head.hash = event.seq, event.hash
    session.add(event)
    return event


def record_alone(**kwargs) -> None:
    """Record an event that is its own unit of work (a read's line: a view, a denial, an export).

    Committed at once, the same way for every caller (core/work.write_alone): refused while the
    caller holds uncommitted writes (their service records its lines with ``record_event``), and
    never turning a page's read transaction into a write.
    """
    with write_alone() as session:
        record_event(session=session, **kwargs)


def record_list_page(*, actor: Actor, action: str, object_type: str, pagination, detail: str | None = None) -> None:
    """The audit line of one page of a paged list: the rows it showed (each item's ``id``) and the page
    number, after ``detail`` when given (the filter: ``status=open page=2``). Its own unit of work."""
    page = f"page={pagination.page}"
    record_alone(
        actor=actor,
        action=action,
        object_type=object_type,
        object_ids=[row.id for row in pagination.items],
        detail=f"{detail} {page}" if detail else page,
    )


@dataclass
class TrailPage:
    rows: list  # (AuditEvent, username or None), newest first
    has_next: bool


def trail_page(*, actor: Actor, action: str = "", page: int = 1, per_page: int = 50) -> TrailPage:
    """One page of the trail, newest first, optionally of one action, with each actor's username."""
    actor.require("audit.view")
    query = select(AuditEvent, USERS.c.username).outerjoin(USERS, USERS.c.id == AuditEvent.actor_id)
    if action:
        query = query.where(AuditEvent.action == action[:64])
    query = query.order_by(AuditEvent.seq.desc()).limit(per_page + 1).offset((page - 1) * per_page)
    rows = db.session.execute(query).all()
    return TrailPage(rows=rows[:per_page], has_next=len(rows) > per_page)


def trail_actions(*, actor: Actor) -> list[str]:
    """Every action the trail holds, to filter by."""
    actor.require("audit.view")
    return list(db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


def export_trail(*, actor: Actor, batch: int = 2000) -> Iterator[tuple[AuditEvent, str | None]]:
    """The whole trail in order, (line, username), read in batches; the export is recorded first.

    The audit line is written when this is called, before the first row is read, so an export
    that is cut off half-way is still in the trail.
    """
    actor.require("audit.view")
    record_alone(actor=actor, action="audit.export")
    query = (
        select(AuditEvent, USERS.c.username)
        .outerjoin(USERS, USERS.c.id == AuditEvent.actor_id)
        .order_by(AuditEvent.seq)
        .execution_options(yield_per=batch)
    )

    def rows():
        result = db.session.execute(query)
        try:
            yield from result
        finally:
            result.close()  # a download cut off half-way closes its (PostgreSQL server-side) cursor too

    return rows()


def _uuid_or_none(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def flagged_events(*, actor: Actor) -> list[tuple[AuditEvent, str | None, uuid.UUID | None]]:
    """Flagged lines (clinical access given by one administrator alone) that nobody has confirmed yet."""
    actor.require("audit.view")
    confirmed = set(
        db.session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "user.clinical_grant_confirmed"))
    )
    query = (
        select(AuditEvent, USERS.c.username)
        .outerjoin(USERS, USERS.c.id == AuditEvent.actor_id)
        .where(AuditEvent.action.in_(FLAGGED))
        .order_by(AuditEvent.seq.desc())
    )
    return [
        (event, name, _uuid_or_none(event.object_id))
        for event, name in db.session.execute(query)
        if f"line={event.seq}" not in confirmed
    ]


@dataclass
class ChainReport:
    checked: int
    problems: list[str]
    notes: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


MAX_PROBLEMS = 50


def verify_chain(batch: int = 5000, checkpoints: list[dict] | None = None) -> ChainReport:
    """Walk the whole trail: sequence without gaps, each keyed hash recomputed, each link to the previous.

    Each checkpoint (see ``make_checkpoint``) must carry this installation's signature, and the row it
    names must still have the hash it had then: a trail rewritten by someone who holds the key is
    caught by a checkpoint kept away from the computer.
    """
    problems: list[str] = []
    notes: list[str] = []
    head = db.session.get(AuditHead, 1)
    keyed_from = head.keyed_from if head is not None else 1
    try:
        key = keys.chain_key(db.session, create=False)
    except keys.KeyUnavailable as error:
        return ChainReport(checked=0, problems=[str(error)])
    wanted = {}
    for checkpoint in checkpoints or []:
        problem = _checkpoint_problem(checkpoint, key, keyed_from)
        if problem:
            problems.append(problem)
        else:
            wanted[int(checkpoint["seq"])] = checkpoint["hash"]
    expected_seq, previous = 1, GENESIS
    rows = db.session.execute(select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=batch))
    checked = 0
    for (event,) in rows:
        checked += 1
        if event.seq != expected_seq:
            problems.append(f"row {event.seq}: expected sequence number {expected_seq} (rows missing)")
        if event.prev_hash != previous:
            problems.append(f"row {event.seq}: does not follow the row before it")
        if not hmac.compare_digest(_digest(event, key, keyed=event.seq >= keyed_from), event.hash):
            problems.append(f"row {event.seq}: content changed after it was written")
        if event.seq in wanted and wanted.pop(event.seq) != event.hash:
            problems.append(f"row {event.seq}: differs from the checkpoint taken then (the trail was rewritten)")
        expected_seq, previous = event.seq + 1, event.hash
        if len(problems) > MAX_PROBLEMS:
            problems.append("... more problems not listed")
            break
    for seq in sorted(wanted):
        problems.append(f"row {seq} of a checkpoint is no longer in the trail (rows removed)")
    if head is not None and (head.seq != expected_seq - 1 or head.hash != previous) and len(problems) <= MAX_PROBLEMS:
        problems.append(f"the trail ends at row {expected_seq - 1} but {head.seq} rows were written (rows removed)")
    if keyed_from > 1:
        notes.append(f"rows 1 to {keyed_from - 1} were written before the chain was keyed (plain SHA-256)")
    return ChainReport(checked=checked, problems=problems, notes=notes)


CHECKPOINT_KIND = "bluebox-audit-checkpoint"
_SIGNED_FIELDS = ("kind", "clinic", "seq", "hash", "keyed_from", "made_at")


def _signature(checkpoint: dict, key: bytes) -> str:
    text = json.dumps({name: checkpoint.get(name) for name in _SIGNED_FIELDS}, sort_keys=True)
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def _checkpoint_problem(checkpoint: dict, key: bytes | None, keyed_from: int) -> str | None:
    try:
        seq, signature = int(checkpoint["seq"]), str(checkpoint["signature"])
        str(checkpoint["hash"])
    except (KeyError, TypeError, ValueError):
        return "a checkpoint file is not a checkpoint of this trail"
    if checkpoint.get("kind") != CHECKPOINT_KIND:
        return "a checkpoint file is not a checkpoint of this trail"
    if key is None or not hmac.compare_digest(_signature(checkpoint, key), signature):
        return f"the checkpoint at row {seq} is not signed with this installation's key (forged or foreign)"
    if checkpoint.get("keyed_from") != keyed_from:
        return f"the checkpoint at row {seq} was taken when the keyed chain started at row {checkpoint['keyed_from']}"
    return None


def make_checkpoint(*, actor: Actor, clinic_code: str | None = None) -> dict:
    """Record the checkpoint in the trail, then sign the chain's head (which now includes that line)."""
    actor.require("audit.checkpoint")
    record_alone(actor=actor, action="audit.checkpoint")
    with Session(db.engine, expire_on_commit=False) as session:
        head = session.get(AuditHead, 1)
        checkpoint = {
            "kind": CHECKPOINT_KIND,
            "clinic": clinic_code,
            "seq": head.seq,
            "hash": head.hash,
            "keyed_from": head.keyed_from,
            "made_at": utcnow().isoformat(timespec="seconds"),
        }
        checkpoint["signature"] = _signature(checkpoint, keys.chain_key(session, create=False))
    return checkpoint
