"""Every write at an enrolled clinic leaves its trace for the hub, in the same transaction.

``before_flush`` turns a change to a client's registration into a ``ClientCorrection`` and a merge
into a ``ClientMerge`` (the hub and other nodes replay those, never the raw row); ``after_flush``
adds each created, changed or deleted synced record to the outbox. Writes through Core statements
(applying what the hub sent, bulk moves of a merge) are not traced: the hub makes them itself.
"""

from flask import current_app, has_app_context
from sqlalchemy import event, insert, inspect, select
from sqlalchemy.orm import Session

from clinic_app.clients.models import Client
from clinic_app.network.models import ClientCorrection, ClientMerge, NodeLink, OutboxEntry
from clinic_app.network.tables import BY_MODEL, CHILD_PARENTS, REGISTRATION_FIELDS, to_json

_ENROLLED = "network.enrolled_clinic"


def enrolled_clinic_id(session: Session):
    """The clinic this node pushes for, or None when it is not enrolled (or is the hub)."""
    if not has_app_context() or current_app.config.get("NETWORK_ROLE") == "hub":
        return None
    cached = current_app.extensions.get(_ENROLLED)
    if cached is not None:
        return cached
    clinic_id = session.execute(select(NodeLink.clinic_id).where(NodeLink.id == 1)).scalar()
    if clinic_id is not None:
        current_app.extensions[_ENROLLED] = clinic_id
    return clinic_id


def forget_enrolment() -> None:
    current_app.extensions.pop(_ENROLLED, None)


def _changed(obj, names) -> dict:
    state = inspect(obj)
    changes = {}
    for name in names:
        history = state.attrs[name].history
        if history.has_changes() and history.deleted:
            before, after = history.deleted[0], getattr(obj, name)
            if before != after:
                changes[name] = [to_json(before), to_json(after)]
    return changes


@event.listens_for(Session, "before_flush")
def _corrections_and_merges(session: Session, _context, _instances) -> None:
    dirty = [obj for obj in session.dirty if isinstance(obj, Client)]
    if not dirty or session.info.get("network_replaying"):
        return
    clinic_id = enrolled_clinic_id(session)
    if clinic_id is None:
        return
    merging = {c.merged_into_id for c in dirty if _changed(c, ("merged_into_id",))}
    for client in dirty:
        changes = _changed(client, REGISTRATION_FIELDS)
        if client.id in merging:
            changes.pop("enrolled_on", None)  # a merge keeps the earlier enrolment: every node does that itself
        if changes:
            session.add(ClientCorrection(client_id=client.id, clinic_id=clinic_id, changes=changes))
        merged = _changed(client, ("merged_into_id",))
        if merged and merged["merged_into_id"][0] is None:
            session.add(ClientMerge(clinic_id=clinic_id, keep_id=client.merged_into_id, duplicate_id=client.id))


def _synced_columns_changed(obj, spec) -> bool:
    state = inspect(obj)
    for column in spec.table.columns:
        if column.name in spec.withheld or column.name == "updated_at":
            continue
        attr = state.mapper.get_property_by_column(column)
        if state.attrs[attr.key].history.has_changes():
            return True
    return False


@event.listens_for(Session, "after_flush")
def _queue_for_hub(session: Session, _context) -> None:
    if session.info.get("network_replaying"):
        return
    touched = []
    for obj in (*session.new, *session.dirty, *session.deleted):
        spec = BY_MODEL.get(type(obj))
        if spec is not None:
            if obj in session.dirty and (spec.insert_only or not _synced_columns_changed(obj, spec)):
                continue
            touched.append((spec.name, str(obj.id)))
            continue
        parent = CHILD_PARENTS.get(type(obj))
        if parent is not None:
            key = next(k for child, k, _v in parent.children if child is type(obj))
            touched.append((parent.name, str(getattr(obj, key))))
    if not touched:
        return
    if enrolled_clinic_id(session) is None:
        return
    rows = [{"table_name": name, "record_id": record_id} for name, record_id in dict.fromkeys(touched)]
    session.connection().execute(insert(OutboxEntry), rows)
