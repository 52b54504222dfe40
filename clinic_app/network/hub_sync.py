"""The hub's side of a sync: apply a clinic's batch (ownership checked), and answer pulls and look-ups."""

import hashlib
import hmac
import uuid
from collections import defaultdict

from flask import current_app
from sqlalchemy import String, and_, cast, delete, func, insert, or_, select, tuple_, update
from sqlalchemy.exc import IntegrityError

from clinic_app.clients.models import Client
from clinic_app.clients.services import fold_records
from clinic_app.clinics.models import Clinic
from clinic_app.core.db import utcnow
from clinic_app.core.errors import Conflict
from clinic_app.extensions import db
from clinic_app.network import continuity, derived
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
    PendingFacts,
    ShareConsent,
)
from clinic_app.network.tables import BY_NAME, ORDER, REGISTRATION_FIELDS, from_json, row_values, to_json
from clinic_app.outreach.models import Hotspot
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
        self.contacts: set = set()
        self.slips: set = set()


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
        _stamp(member, touched, defer=payload.get("more") is True)
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
    """Two clinics cannot issue one client number: the second to reach the hub is refused, in words."""
    numbers = [values["client_number"] for values in inserts]
    if not numbers:
        return
    taken = db.session.execute(
        select(Client.client_number, Clinic.name, Clinic.code)
        .join(Clinic, Clinic.id == Client.clinic_id)
        .where(Client.client_number.in_(numbers))
        .order_by(Client.client_number)
        .limit(1)
    ).first()
    if taken is not None:
        number, name, code = taken
        raise Refused(
            409,
            f"Client number {number} was issued already to another client, registered at {name} ({code}). "
            f"Give the client registered here a new number ('flask network renumber --number {number}') "
            "and a new card; the sync carries on after that.",
            clash=number,
        )


def _after_table(member: Member, spec, inserts: list, updates: list, touched: _Touched) -> None:
    rows = inserts + updates
    if spec.name == "clients":
        new = [values["id"] for values in inserts]
        _hold_all(new, member.clinic_id)
        touched.index.update(new)
        touched.registration.update(new)
    elif spec.model in SEQUENCED:
        touched.sequenced[spec.model].extend(values["id"] for values in inserts)
        for values in inserts:
            _apply_sequenced(member, spec.model, values, touched)
    elif spec.name == "outreach_contacts":
        touched.contacts.update(values["id"] for values in rows)
    elif spec.name == "referrals":
        touched.slips.update(values["id"] for values in rows)
    elif "visit_id" in spec.table.columns:
        touched.visits.update(values["visit_id"] for values in rows)
    elif spec.name == "visits":
        touched.visits.update(values["id"] for values in rows)


def _hold(client_id, clinic_id) -> None:
    _hold_all([client_id], clinic_id)


def _hold_all(client_ids, clinic_id) -> None:
    """The clinic holds these clients from now on (two statements, however many clients)."""
    ids = set(client_ids)
    if not ids:
        return
    db.session.flush()
    held = select(Holding.client_id).where(Holding.clinic_id == clinic_id, Holding.client_id.in_(ids))
    new = ids - set(db.session.scalars(held))
    if new:
        db.session.execute(insert(Holding), [{"client_id": i, "clinic_id": clinic_id} for i in sorted(new)])


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


def _stamp(member: Member, touched: _Touched, *, defer: bool) -> None:
    if touched.visits:
        ids = list(touched.visits)
        clients = set(db.session.scalars(select(Visit.client_id).where(Visit.id.in_(ids))).all())
        _hold_all(clients, member.clinic_id)
        touched.continuity.update(clients)
    else:
        clients = set()
    db.session.flush()
    facts = {"client": clients | touched.registration, "contact": touched.contacts, "slip": touched.slips}
    if defer:  # more batches follow: the pull after the push recomputes them once (refresh_pending)
        _pend(member.clinic_id, facts)
    else:
        derived.refresh(
            db.session.connection(),
            facts["client"],
            contact_ids=sorted(facts["contact"]),
            referral_ids=sorted(facts["slip"]),
        )
    if not (touched.index or touched.registration or touched.continuity or touched.sequenced):
        return
    seq = _next_seq()
    key = hub_state().network_key
    index_clients(touched.index, key, seq)
    for column, ids in (("registration_seq", touched.registration), ("continuity_seq", touched.continuity)):
        if ids:
            db.session.execute(update(IndexEntry).where(IndexEntry.client_id.in_(ids)).values({column: seq}))
    for model, ids in touched.sequenced.items():
        db.session.execute(update(model).where(model.id.in_(ids)).values(hub_seq=seq))


def _pend(clinic_id, facts: dict) -> None:
    wanted = {(kind, record_id) for kind, ids in facts.items() for record_id in ids}
    if not wanted:
        return
    ids = sorted({record_id for _kind, record_id in wanted})
    waiting = select(PendingFacts.kind, PendingFacts.record_id).where(
        PendingFacts.clinic_id == clinic_id, PendingFacts.record_id.in_(ids)
    )
    new = wanted - {(kind, record_id) for kind, record_id in db.session.execute(waiting)}
    if new:
        rows = [{"clinic_id": clinic_id, "kind": kind, "record_id": record_id} for kind, record_id in sorted(new)]
        db.session.execute(insert(PendingFacts), rows)


def refresh_pending(clinic_id, limit: int) -> int:
    """Recompute the derived rows of up to ``limit`` records this clinic's backlog left waiting;
    returns how many still wait."""
    waiting = db.session.execute(
        select(PendingFacts.kind, PendingFacts.record_id)
        .where(PendingFacts.clinic_id == clinic_id)
        .order_by(PendingFacts.kind, PendingFacts.record_id)
        .limit(limit + 1)
    ).all()
    now, left = waiting[:limit], len(waiting) > limit
    if not now:
        return 0
    ids = defaultdict(list)
    for kind, record_id in now:
        ids[kind].append(record_id)
    derived.refresh(db.session.connection(), ids["client"], contact_ids=ids["contact"], referral_ids=ids["slip"])
    for kind, chosen in ids.items():
        db.session.execute(
            delete(PendingFacts).where(
                PendingFacts.clinic_id == clinic_id, PendingFacts.kind == kind, PendingFacts.record_id.in_(chosen)
            )
        )
    if not left:
        return 0
    return db.session.scalar(select(func.count()).where(PendingFacts.clinic_id == clinic_id))


def index_clients(client_ids, network_key: str, seq: int) -> None:
    """Rewrite these clients' index entries and numbers from the hub's records.

    A fixed number of statements for any number of clients (a first sync brings thousands in a
    batch), plus a few for each client merged into another (rare).
    """
    ids = sorted(set(client_ids))
    if not ids:
        return
    db.session.flush()
    clients = list(db.session.scalars(select(Client).where(Client.id.in_(ids))))
    entries = {e.client_id: e for e in db.session.scalars(select(IndexEntry).where(IndexEntry.client_id.in_(ids)))}
    kept = {}
    for client in clients:
        kept[client.id] = client
        while kept[client.id].merged_into is not None:
            kept[client.id] = kept[client.id].merged_into
    for client in clients:
        merged_into = kept[client.id].id if kept[client.id] is not client else None
        values = dict(
            uic_hash=uic_hash(network_key, client.uic), home_clinic_id=client.clinic_id, merged_into_id=merged_into
        )
        entry = entries.get(client.id)
        if entry is None:
            db.session.add(IndexEntry(client_id=client.id, seq=seq, registration_seq=seq, continuity_seq=seq, **values))
        else:
            for name, value in values.items():
                setattr(entry, name, value)
            entry.seq = seq
    db.session.flush()
    # Each client's own number points at the record kept (the client itself unless merged).
    pairs = {(client.client_number, owner) for client in clients for owner in (client.id, kept[client.id].id)}
    db.session.execute(delete(IndexNumber).where(tuple_(IndexNumber.number, IndexNumber.client_id).in_(sorted(pairs))))
    db.session.execute(insert(IndexNumber), [{"number": c.client_number, "client_id": kept[c.id].id} for c in clients])
    for client in clients:
        if kept[client.id] is not client:
            db.session.execute(
                update(IndexNumber).where(IndexNumber.client_id == client.id).values(client_id=kept[client.id].id)
            )
            db.session.execute(update(IndexEntry).where(IndexEntry.client_id == kept[client.id].id).values(seq=seq))
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


# A pull is a stream of items, each stamped with the change that made it, read in pages in the order
# (change number, kind, id). A page ends at an item; its position is the token the node sends back for
# the next page, so a pull cut off after any page carries on where it stopped.
KINDS = ("index", "registrations", "merges", "continuity", "views")


def _position(payload: dict) -> tuple[int, int, str]:
    """Where the node's last page ended: (change number, kind, id). A bare cursor: after that change."""
    after = payload.get("after")
    if after:
        seq, kind, last = str(after).split(":", 2)
        if not (seq.isdigit() and kind.isdigit() and int(kind) < len(KINDS)):
            raise ValueError("not a pull position")
        return int(seq), int(kind), last
    return int(payload.get("cursor", 0)), len(KINDS), ""


def _after(seq_column, id_column, kind: int, position, upto: int):
    """Rows of one kind after the position and at most change ``upto``."""
    seq, at_kind, last = position
    if kind < at_kind:
        later = seq_column > seq
    elif kind > at_kind:
        later = seq_column >= seq
    else:
        later = or_(seq_column > seq, and_(seq_column == seq, cast(id_column, String) > last))
    return and_(later, seq_column <= upto)


def _page_keys(member: Member, position, upto: int, limit: int) -> tuple[list, bool]:
    """The next ``limit`` items (seq, kind, id) of the stream, and whether more follow."""
    held = select(Holding.client_id).where(Holding.clinic_id == member.clinic_id)
    sources = (
        (IndexEntry.seq, IndexEntry.client_id, ()),
        (IndexEntry.registration_seq, IndexEntry.client_id, (IndexEntry.client_id.in_(held),)),
        (ClientMerge.hub_seq, ClientMerge.id, ()),
        (IndexEntry.continuity_seq, IndexEntry.client_id, (IndexEntry.client_id.in_(held),)),
        (
            CrossClinicView.hub_seq,
            CrossClinicView.id,
            (CrossClinicView.client_id.in_(held), CrossClinicView.clinic_id != member.clinic_id),
        ),
    )
    found = []
    for kind, (seq_column, id_column, where) in enumerate(sources):
        query = (
            select(seq_column, cast(id_column, String))
            .where(_after(seq_column, id_column, kind, position, upto), *where)
            .order_by(seq_column, cast(id_column, String))
            .limit(limit + 1)
        )
        found.extend((seq, kind, key) for seq, key in db.session.execute(query))
    found.sort()
    return found[:limit], len(found) > limit


def build_pull(member: Member, payload: dict) -> dict:
    """The next page of what changed since the node's position that this clinic may have.

    ``cursor`` is the change number the node has everything up to; ``after`` (when a pull was cut
    short) the token of the last item it received. The answer says ``more`` while items remain.
    """
    # What the clinic's last push left waiting is recomputed first, a slice per page.
    pending = refresh_pending(member.clinic_id, current_app.config["NETWORK_PENDING_FACTS_SLICE"])
    upto = db.session.execute(select(HubState.change_seq).where(HubState.id == 1)).scalar_one()
    largest = current_app.config["NETWORK_PULL_PAGE_SIZE"]
    limit = max(1, min(largest, int(payload.get("limit") or largest)))
    keys, more = _page_keys(member, _position(payload), upto, limit)
    wanted = defaultdict(list)
    for _seq, kind, key in keys:
        wanted[KINDS[kind]].append(uuid.UUID(key))
    member.last_pull_at = utcnow()
    answer = {
        "cursor": keys[-1][0] if more else upto,
        "after": f"{keys[-1][0]}:{keys[-1][1]}:{keys[-1][2]}" if more else None,
        "more": more or pending > 0,
        "index": _index_rows(IndexEntry.client_id.in_(wanted["index"])) if wanted["index"] else [],
        "registrations": registrations(wanted["registrations"]),
        "merges": _merge_rows(wanted["merges"]),
        "continuity": continuity.for_clinic(member.clinic_id, wanted["continuity"]),
        "views": [
            _sequenced_payload(CrossClinicView, v)
            for v in db.session.scalars(select(CrossClinicView).where(CrossClinicView.id.in_(wanted["views"])))
        ],
    }
    if payload.get("reference", True):  # reference data (small) with the first page of each pull
        answer["clinics"] = [_clinic_payload(c) for c in db.session.scalars(select(Clinic))]
        answer["hotspots"] = [_sequenced_payload(Hotspot, h) for h in db.session.scalars(select(Hotspot))]
    return answer


def _merge_rows(ids: list) -> list[dict]:
    if not ids:
        return []
    rows = db.session.scalars(select(ClientMerge).where(ClientMerge.id.in_(ids)).order_by(ClientMerge.hub_seq))
    return [_sequenced_payload(ClientMerge, m) for m in rows]


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
