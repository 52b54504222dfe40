"""The hub's side of a sync: apply a clinic's batch (ownership checked), and answer pulls and look-ups."""

import hashlib
import hmac
import uuid
from collections import defaultdict

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from clinic_app.clients.models import Client
from clinic_app.clients.services import fold_records
from clinic_app.clinics.models import Clinic
from clinic_app.core.db import utcnow
from clinic_app.core.errors import Conflict
from clinic_app.extensions import db
from clinic_app.network import continuity
from clinic_app.network.hub import Refused, hub_state
from clinic_app.network.models import (
    ClientCorrection,
    ClientMerge,
    CrossClinicView,
    Holding,
    HubState,
    IndexEntry,
    IndexNumber,
    Member,
    ShareConsent,
)
from clinic_app.network.tables import BY_NAME, ORDER, REGISTRATION_FIELDS, from_json, row_values, to_json
from clinic_app.outreach.models import Hotspot
from clinic_app.visits import status
from clinic_app.visits.models import Visit

SEQUENCED = (ClientCorrection, ClientMerge, ShareConsent, CrossClinicView)
REGISTRATION_COLUMNS = ("id", "clinic_id", "client_number", "consent_given", "consent_recorded_at", "merged_into_id")


def uic_hash(network_key: str, uic: str) -> str:
    """The keyed hash of a UIC that the index holds (HMAC-SHA256 with the network key)."""
    return hmac.new(network_key.encode(), uic.encode(), hashlib.sha256).hexdigest()


class _Touched:
    def __init__(self):
        self.index, self.registration, self.continuity = set(), set(), set()
        self.sequenced: dict[type, list] = defaultdict(list)
        self.visits: set = set()


# ---- push ----------------------------------------------------------------------------------------


def apply_push(member: Member, payload: dict) -> dict:
    """Apply one batch in one transaction (the caller commits); Refused when any record is not allowed."""
    records = payload.get("records")
    if not isinstance(records, list):
        raise Refused(400, "The batch holds no records.")
    grouped = defaultdict(list)
    for record in records:
        spec = BY_NAME.get(record.get("t")) if isinstance(record, dict) else None
        if spec is None:
            raise Refused(400, "The batch holds a record of a kind the hub does not take.")
        grouped[spec.name].append(record)
    touched = _Touched()
    try:
        for name in sorted(grouped, key=ORDER.get):
            _apply_table(member, BY_NAME[name], grouped[name], touched)
        _stamp(member, touched)
        db.session.flush()
    except (ValueError, TypeError, KeyError) as error:
        raise Refused(400, f"The batch is malformed ({error}).") from None
    except Conflict as error:
        raise Refused(409, error.message) from None
    except IntegrityError as error:
        first = str(error.orig).strip().splitlines()[0][:200]
        raise Refused(409, f"The batch does not fit the hub's records ({first}).") from None
    member.last_push_at = utcnow()
    member.records_received += len(records)
    member.last_refusal = None
    return {"received": len(records), "last_seq": payload.get("last_seq")}


def _owners(table, ids) -> dict:
    rows = db.session.execute(select(table.c.id, table.c.clinic_id).where(table.c.id.in_(ids)))
    return {row.id: row.clinic_id for row in rows}


def _apply_table(member: Member, spec, records: list, touched: _Touched) -> None:
    table = spec.table
    ids = [uuid.UUID(str(record["id"])) for record in records]
    owners = _owners(table, ids)
    merged = _merged_clients(records) if "client_id" in table.c and spec.name != "client_merges" else {}
    inserts, updates = [], []
    for record_id, record in zip(ids, records, strict=True):
        row = record.get("row")
        if record_id in owners and owners[record_id] != member.clinic_id:
            raise Refused(403, f"A {spec.name} record belongs to another clinic; this clinic cannot change it.")
        if row is None:
            if spec.insert_only:
                raise Refused(403, f"{spec.name} records cannot be deleted through the network.")
            if record_id in owners:
                db.session.execute(delete(table).where(table.c.id == record_id))
            continue
        values = row_values(spec, row)
        if values.get("client_id") in merged:
            values["client_id"] = merged[values["client_id"]]  # as every node does when the merge reaches it
        if values.get("id") != record_id:
            raise Refused(400, "A record's id does not match its row.")
        if values.get("clinic_id") != member.clinic_id:
            raise Refused(403, f"A {spec.name} record gives another clinic as its origin; the batch is refused.")
        if spec.name == "users":
            values.update(username=f"net-{record_id}", active=False)
        if record_id in owners:
            if not spec.insert_only:
                updates.append(values)
        else:
            inserts.append(values)
    if spec.name == "clients":
        _check_numbers(inserts)
    if inserts:
        db.session.execute(insert(table), inserts)
    for values in updates:
        db.session.execute(update(table).where(table.c.id == values["id"]).values(values))
    for child, key, column in spec.children:
        kept = [(record_id, record) for record_id, record in zip(ids, records, strict=True) if record.get("row")]
        db.session.execute(delete(child.__table__).where(child.__table__.c[key].in_([i for i, _r in kept])))
        kids = [
            {key: record_id, column: from_json(child.__table__.c[column], value)}
            for record_id, record in kept
            for value in record.get(column, [])
        ]
        if kids:
            db.session.execute(insert(child.__table__), kids)
    _after_table(member, spec, inserts, updates, touched)


def _merged_clients(records: list) -> dict:
    ids = {uuid.UUID(str(r["row"]["client_id"])) for r in records if r.get("row") and r["row"].get("client_id")}
    if not ids:
        return {}
    rows = db.session.execute(
        select(Client.id, Client.merged_into_id).where(Client.id.in_(ids), Client.merged_into_id.is_not(None))
    )
    return dict(rows.all())


def _check_numbers(inserts: list) -> None:
    numbers = [values["client_number"] for values in inserts]
    taken = db.session.scalars(select(Client.client_number).where(Client.client_number.in_(numbers))).all()
    if taken:
        raise Refused(409, f"Client number {taken[0]} is already used by another clinic's client.")


def _after_table(member: Member, spec, inserts: list, updates: list, touched: _Touched) -> None:
    rows = inserts + updates
    if spec.name == "clients":
        for values in inserts:
            _hold(values["id"], member.clinic_id)
            touched.index.add(values["id"])
            touched.registration.add(values["id"])
    elif spec.model in SEQUENCED:
        touched.sequenced[spec.model].extend(values["id"] for values in inserts)
        for values in inserts:
            _apply_sequenced(member, spec.model, values, touched)
    elif "visit_id" in spec.table.columns:
        touched.visits.update(values["visit_id"] for values in rows)
    elif spec.name == "visits":
        touched.visits.update(values["id"] for values in rows)


def _hold(client_id, clinic_id) -> None:
    exists = db.session.get(Holding, (client_id, clinic_id))
    if exists is None:
        db.session.add(Holding(client_id=client_id, clinic_id=clinic_id))
        db.session.flush()


def _holds(client_id, clinic_id) -> bool:
    return db.session.get(Holding, (client_id, clinic_id)) is not None


def _apply_sequenced(member: Member, model, values: dict, touched: _Touched) -> None:
    if model is ClientMerge:
        _apply_merge(member, values, touched)
        return
    client_id = values["client_id"]
    if not _holds(client_id, member.clinic_id):
        raise Refused(403, "The batch changes a client this clinic does not hold.")
    if model is ClientCorrection:
        _apply_correction(values, touched)
    elif model is ShareConsent:
        touched.continuity.add(client_id)
        touched.registration.add(client_id)


def _apply_correction(values: dict, touched: _Touched) -> None:
    client = db.session.get(Client, values["client_id"])
    for field, (_before, after) in values["changes"].items():
        if field not in REGISTRATION_FIELDS:
            raise Refused(400, f"A correction changes {field}, which is not part of a registration.")
        setattr(client, field, from_json(Client.__table__.c[field], after))
    db.session.flush()
    touched.registration.add(client.id)
    touched.index.add(client.id)


def _apply_merge(member: Member, values: dict, touched: _Touched) -> None:
    keep = db.session.get(Client, values["keep_id"])
    duplicate = db.session.get(Client, values["duplicate_id"])
    if keep is None or duplicate is None:
        raise Refused(409, "A merge names a client the hub does not have.")
    if not (_holds(keep.id, member.clinic_id) and _holds(duplicate.id, member.clinic_id)):
        raise Refused(403, "The batch merges a client this clinic does not hold.")
    if duplicate.merged_into_id is None:
        while keep.merged_into is not None:
            keep = keep.merged_into
        fold_records(keep, duplicate, merged_at=values["merged_at"])
        db.session.flush()
    holders = db.session.scalars(select(Holding.clinic_id).where(Holding.client_id == duplicate.id)).all()
    for clinic_id in holders:
        _hold(keep.id, clinic_id)
    touched.index.update({keep.id, duplicate.id})
    touched.registration.update({keep.id, duplicate.id})
    touched.continuity.update({keep.id, duplicate.id})


def _next_seq() -> int:
    """The next change number, under the hub row's lock until commit, so commits follow the numbers."""
    return db.session.execute(
        update(HubState)
        .where(HubState.id == 1)
        .values(change_seq=HubState.change_seq + 1)
        .returning(HubState.change_seq)
    ).scalar_one()


def _stamp(member: Member, touched: _Touched) -> None:
    if touched.visits:
        ids = list(touched.visits)
        clients = set(db.session.scalars(select(Visit.client_id).where(Visit.id.in_(ids))).all())
        for client_id in clients:
            _hold(client_id, member.clinic_id)
        touched.continuity.update(clients)
        db.session.flush()
        status.refresh(db.session.connection(), clients)
    if touched.registration:
        db.session.flush()
        status.refresh(db.session.connection(), touched.registration)
    if not (touched.index or touched.registration or touched.continuity or touched.sequenced):
        return
    seq = _next_seq()
    key = hub_state().network_key
    for client_id in touched.index:
        index_client(client_id, key, seq)
    for column, ids in (("registration_seq", touched.registration), ("continuity_seq", touched.continuity)):
        if ids:
            db.session.execute(update(IndexEntry).where(IndexEntry.client_id.in_(ids)).values({column: seq}))
    for model, ids in touched.sequenced.items():
        db.session.execute(update(model).where(model.id.in_(ids)).values(hub_seq=seq))


def index_client(client_id, network_key: str, seq: int) -> None:
    """Rewrite one client's index entry and numbers from the hub's records."""
    client = db.session.get(Client, client_id)
    kept = client
    while kept.merged_into is not None:
        kept = kept.merged_into
    entry = db.session.get(IndexEntry, client.id)
    values = dict(
        uic_hash=uic_hash(network_key, client.uic),
        home_clinic_id=client.clinic_id,
        merged_into_id=kept.id if kept is not client else None,
        seq=seq,
    )
    if entry is None:
        db.session.add(IndexEntry(client_id=client.id, registration_seq=seq, continuity_seq=seq, **values))
    else:
        for name, value in values.items():
            setattr(entry, name, value)
    db.session.execute(
        delete(IndexNumber).where(IndexNumber.client_id == client.id, IndexNumber.number == client.client_number)
    )
    db.session.add(IndexNumber(number=client.client_number, client_id=kept.id))
    if kept is not client:
        db.session.execute(update(IndexNumber).where(IndexNumber.client_id == client.id).values(client_id=kept.id))
        db.session.execute(update(IndexEntry).where(IndexEntry.client_id == kept.id).values(seq=seq))
    db.session.flush()


# ---- pull ----------------------------------------------------------------------------------------


def _index_rows(where) -> list[dict]:
    entries = db.session.scalars(select(IndexEntry).where(where)).all()
    numbers = defaultdict(list)
    if entries:
        ids = [entry.client_id for entry in entries]
        for number in db.session.scalars(select(IndexNumber).where(IndexNumber.client_id.in_(ids))):
            numbers[number.client_id].append(number.number)
    return [
        {
            "client_id": str(e.client_id),
            "uic_hash": e.uic_hash,
            "home_clinic_id": str(e.home_clinic_id),
            "merged_into_id": to_json(e.merged_into_id),
            "numbers": sorted(numbers[e.client_id]),
        }
        for e in entries
    ]


def registrations(client_ids) -> list[dict]:
    """Canonical registrations of these clients, each with its corrections and consent answers."""
    ids = list(client_ids)
    if not ids:
        return []
    corrections, consents = defaultdict(list), defaultdict(list)
    for row in db.session.scalars(select(ClientCorrection).where(ClientCorrection.client_id.in_(ids))):
        corrections[row.client_id].append(_sequenced_payload(ClientCorrection, row))
    for row in db.session.scalars(select(ShareConsent).where(ShareConsent.client_id.in_(ids))):
        consents[row.client_id].append(_sequenced_payload(ShareConsent, row))
    out = []
    for client in db.session.scalars(select(Client).where(Client.id.in_(ids))):
        row = {name: to_json(getattr(client, name)) for name in (*REGISTRATION_COLUMNS, *REGISTRATION_FIELDS)}
        row["corrections"] = sorted(corrections[client.id], key=lambda c: (c["hub_seq"] or 0, c["made_at"], c["id"]))
        row["consents"] = consents[client.id]
        out.append(row)
    return out


def _sequenced_payload(model, row) -> dict:
    return {column.name: to_json(getattr(row, column.name)) for column in model.__table__.columns}


def build_pull(member: Member, cursor: int) -> dict:
    """Everything that changed since ``cursor`` that this clinic may have."""
    new_cursor = db.session.execute(select(HubState.change_seq).where(HubState.id == 1)).scalar_one()
    held = select(Holding.client_id).where(Holding.clinic_id == member.clinic_id)
    registered = db.session.scalars(
        select(IndexEntry.client_id).where(IndexEntry.registration_seq > cursor, IndexEntry.client_id.in_(held))
    ).all()
    shared = db.session.scalars(
        select(IndexEntry.client_id).where(IndexEntry.continuity_seq > cursor, IndexEntry.client_id.in_(held))
    ).all()
    merges = db.session.scalars(select(ClientMerge).where(ClientMerge.hub_seq > cursor).order_by(ClientMerge.hub_seq))
    views = db.session.scalars(
        select(CrossClinicView).where(
            CrossClinicView.hub_seq > cursor,
            CrossClinicView.client_id.in_(held),
            CrossClinicView.clinic_id != member.clinic_id,
        )
    )
    member.last_pull_at = utcnow()
    return {
        "cursor": new_cursor,
        "clinics": [_clinic_payload(c) for c in db.session.scalars(select(Clinic))],
        "hotspots": [_sequenced_payload(Hotspot, h) for h in db.session.scalars(select(Hotspot))],
        "index": _index_rows(IndexEntry.seq > cursor),
        "registrations": registrations(registered),
        "merges": [_sequenced_payload(ClientMerge, m) for m in merges],
        "continuity": continuity.for_clinic(member.clinic_id, shared),
        "views": [_sequenced_payload(CrossClinicView, v) for v in views],
    }


def _clinic_payload(clinic: Clinic) -> dict:
    return {name: to_json(getattr(clinic, name)) for name in ("id", "code", "name", "country", "timezone", "is_active")}


# ---- look-up and taking on a client --------------------------------------------------------------


def lookup(payload: dict) -> dict:
    """Index entries for a UIC hash or a client number (the hub's current index)."""
    if payload.get("uic_hash"):
        where = IndexEntry.uic_hash == str(payload["uic_hash"])
    elif payload.get("number"):
        ids = select(IndexNumber.client_id).where(IndexNumber.number == str(payload["number"]))
        where = IndexEntry.client_id.in_(ids)
    else:
        raise Refused(400, "A look-up needs a UIC hash or a client number.")
    return {"index": _index_rows(where)}


def adopt(member: Member, payload: dict) -> dict:
    """A clinic takes on a client it found in the index: it holds the client from now on."""
    try:
        client_id = uuid.UUID(str(payload["client_id"]))
    except (KeyError, ValueError):
        raise Refused(400, "Which client?") from None
    client = db.session.get(Client, client_id)
    if client is None:
        raise Refused(404, "The hub has no such client.")
    while client.merged_into is not None:
        client = client.merged_into
    _hold(client.id, member.clinic_id)
    return {
        "registrations": registrations([client.id]),
        "continuity": continuity.for_clinic(member.clinic_id, [client.id]),
        "index": _index_rows(IndexEntry.client_id == client.id),
    }
