"""Writing audit lines. Callers commit them with their own unit of work."""

from clinic_app.audit.models import AuditEvent
from clinic_app.core.actor import Actor
from clinic_app.extensions import db


def record_event(
    *,
    actor: Actor | None,
    action: str,
    target=None,
    object_type: str | None = None,
    object_id=None,
    detail: str | None = None,
    source: str | None = None,
) -> AuditEvent:
    """Add an audit line to the session (the caller's commit makes it durable).

    ``target`` is a model instance whose table name and id identify the record.
    ``detail`` must be free of health values and names: field names, codes, counts.
    """
    if target is not None:
        object_type = target.__tablename__
        object_id = target.id
    event = AuditEvent(
        actor_id=actor.id if actor else None,
        actor_role=str(actor.role) if actor else None,
        clinic_id=actor.clinic_id if actor else None,
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else None,
        source=source if source is not None else (actor.source if actor else None),
        detail=detail,
    )
    db.session.add(event)
    return event


def record_and_commit(**kwargs) -> AuditEvent:
    """Record an event that is not part of another unit of work (a view, a denial)."""
    event = record_event(**kwargs)
    db.session.commit()
    return event
