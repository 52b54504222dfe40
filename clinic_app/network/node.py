"""A clinic node's side of the network: enrol, push the outbox, pull and apply what the hub sends."""

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import String, cast, delete, func, insert, literal, or_, select, update

from clinic_app.audit.services import record_event
from clinic_app.auth.models import NO_PASSWORD, User
from clinic_app.clients import identifiers
from clinic_app.clients.models import Client
from clinic_app.clients.services import fold_records, new_unique_number
from clinic_app.clinics.models import Clinic
from clinic_app.core.actor import Actor
from clinic_app.core.db import utcnow
from clinic_app.core.errors import Conflict, Invalid, NotFound
from clinic_app.core.permissions import Role
from clinic_app.extensions import db
from clinic_app.network import derived, protocol, tracking, transport
from clinic_app.network.models import (
    ClientCorrection,
    ClientMerge,
    Continuity,
    IndexEntry,
    IndexNumber,
    NodeLink,
    OutboxEntry,
    ShareConsent,
)
from clinic_app.network.tables import BY_NAME, ORDER, REGISTRATION_FIELDS, SYNCED, from_json, row_payload
from clinic_app.outreach.models import Hotspot

SYSTEM_USERNAME = "network-sync"


def link() -> NodeLink | None:
    return db.session.get(NodeLink, 1)


def _timeout() -> float:
    return float(current_app.config["NETWORK_TIMEOUT_SECONDS"])


def _post(node: NodeLink | None, endpoint: str, payload: dict, *, hub_url: str | None = None, timeout=None) -> dict:
    try:
        return _post_once(node, endpoint, payload, hub_url=hub_url, timeout=timeout)
    except transport.HubUnavailable as error:
        last = error.answer.get("last_counter")
        if node is None or error.status != 409 or not isinstance(last, int):
            raise
        # Our counter fell behind the hub's (e.g. the database was restored from a backup): move past it, once.
        db.session.execute(update(NodeLink).where(NodeLink.id == 1, NodeLink.counter < last).values(counter=last))
        db.session.commit()
        return _post_once(node, endpoint, payload, hub_url=hub_url, timeout=timeout)


def _post_once(node, endpoint: str, payload: dict, *, hub_url=None, timeout=None) -> dict:
    signer = _signer(node) if node is not None else None
    return transport.post(
        hub_url or node.hub_url,
        endpoint,
        payload,
        timeout=timeout or _timeout(),
        ca_file=current_app.config.get("NETWORK_HUB_CA_FILE"),
        signer=signer,
    )


def _signer(node: NodeLink):
    """Headers for one request: the counter is raised and committed before the request leaves."""

    def sign(path: str, body: bytes) -> dict:
        counter = db.session.execute(
            update(NodeLink).where(NodeLink.id == 1).values(counter=NodeLink.counter + 1).returning(NodeLink.counter)
        ).scalar_one()
        db.session.commit()
        message = protocol.canonical(
            hub_id=node.hub_id, method="POST", path=path, clinic_id=str(node.clinic_id), counter=counter, body=body
        )
        return {
            protocol.HEADER_CLINIC: str(node.clinic_id),
            protocol.HEADER_COUNTER: str(counter),
            protocol.HEADER_SIGNATURE: protocol.sign(node.private_key, message),
        }

    return sign


# ---- enrolment -----------------------------------------------------------------------------------


def enrol(*, actor: Actor, hub_url: str, code: str) -> NodeLink:
    """Join the hub with a one-time code: make this clinic's key pair and queue every record it owns."""
    actor.require("network.enrol")
    if current_app.config.get("NETWORK_ROLE") == "hub":
        raise Invalid("This installation is the hub; only clinics enrol.")
    clinic_code = current_app.config.get("CLINIC_CODE")
    clinic = db.session.scalar(select(Clinic).where(Clinic.code == clinic_code)) if clinic_code else None
    if clinic is None:
        raise Invalid("Set CLINIC_CODE in instance/config.py to this clinic's code (and create the clinic) first.")
    if link() is not None:
        raise Conflict("This clinic is enrolled already. Run 'flask network leave' first to enrol again.")
    try:
        hub_url = transport.check_hub_url(hub_url)
    except ValueError as error:
        raise Invalid(str(error)) from None
    private_key, public_key = protocol.new_key_pair()
    answer = _post(
        None,
        "enrol",
        {"clinic_code": clinic.code, "clinic_id": str(clinic.id), "enrolment_code": code, "public_key": public_key},
        hub_url=hub_url,
    )
    node = NodeLink(
        id=1,
        hub_url=hub_url,
        hub_id=answer["hub_id"],
        clinic_id=clinic.id,
        private_key=private_key,
        network_key=answer["network_key"],
    )
    db.session.add(node)
    db.session.flush()
    queue_everything(clinic.id)
    record_event(actor=actor, action="network.enrol", object_type="clinics", object_id=clinic.id)
    db.session.commit()
    return node


def queue_everything(clinic_id) -> int:
    """Put every record this clinic owns in the outbox (the initial sync), in dependency order."""
    db.session.execute(delete(OutboxEntry))
    for spec in SYNCED:
        table = spec.table
        rows = select(literal(spec.name), cast(table.c.id, String)).where(table.c.clinic_id == clinic_id)
        db.session.execute(insert(OutboxEntry).from_select(["table_name", "record_id"], rows))
    return db.session.scalar(select(func.count()).select_from(OutboxEntry))


def leave(*, actor: Actor) -> None:
    """Forget the enrolment (after a revocation, before enrolling again). Records stay."""
    actor.require("network.enrol")
    db.session.execute(delete(OutboxEntry))
    db.session.execute(delete(NodeLink))
    tracking.forget_enrolment()
    record_event(actor=actor, action="network.leave")
    db.session.commit()


def renumber_unsent(number: str, *, actor: Actor) -> tuple[Client, str]:
    """A new number for a client registered here whose number the hub refused (issued already elsewhere).

    Only for a client the hub has not taken (still waiting to be sent), so no other node knows the old
    number for this client. Returns the client and the old number; the client needs a new card.
    """
    actor.require("network.renumber")
    node = link()
    wanted = identifiers.normalise_client_number(number)
    client = db.session.scalar(select(Client).where(Client.client_number == wanted)) if wanted else None
    if client is None:
        raise NotFound(f"No client here has the number {number}.")
    if node is None or client.clinic_id != node.clinic_id:
        raise Invalid("Only a client registered at this clinic can be given a new number here.")
    waiting = db.session.scalar(
        select(OutboxEntry.seq).where(OutboxEntry.table_name == "clients", OutboxEntry.record_id == str(client.id))
    )
    if waiting is None or db.session.get(IndexEntry, client.id) is not None:
        raise Conflict(f"The hub holds client {client.client_number} under this number already; it stays.")
    old = client.client_number
    client.client_number = new_unique_number()
    record_event(actor=actor, action="network.renumber", target=client)
    db.session.commit()
    return client, old


# ---- sync ----------------------------------------------------------------------------------------


@dataclass
class SyncResult:
    pushed: int = 0
    pulled: int = 0
    error: str | None = None


def backoff(failures: int, interval_minutes: float) -> timedelta:
    """After a failure wait 1, 2, 4 ... minutes, never more than an hour; after success the interval."""
    if failures <= 0:
        return timedelta(minutes=interval_minutes)
    return timedelta(minutes=min(60, 2 ** (failures - 1)))


def sync(*, actor: Actor, now: datetime | None = None) -> SyncResult:
    """Push everything waiting, then pull; failures are kept in words and retried with back-off.

    ``actor`` is who asked: the scheduler's or a command's system actor, or the data administrator
    who pressed "sync now". Records pulled are owned by the network's account (system_user); the
    audit lines they bring name the actor. Every attempt, whoever made it, leaves its own line
    (``network.sync``: how many records went and came, and whether it succeeded).
    """
    actor.require("network.sync")
    node = link()
    if node is None:
        raise Invalid("This clinic is not enrolled in a network (see 'flask network enrol').")
    now = now or utcnow()
    node.last_attempt_at = now
    db.session.commit()
    result = SyncResult()
    try:
        result.pushed = push_all(node)
        result.pulled = pull(node, actor=actor)
    except transport.HubUnavailable as error:
        db.session.rollback()
        node = link()
        node.failures += 1
        node.last_error = error.words
        result.error = error.words
    else:
        node = link()
        node.failures = 0
        node.last_error = None
        node.last_success_at = utcnow()
    node.next_attempt_at = now + backoff(node.failures, current_app.config["NETWORK_SYNC_MINUTES"])
    record_event(actor=actor, action="network.sync", detail=sync_detail(result.pushed, result.pulled, result.error))
    db.session.commit()
    return result


def sync_detail(pushed: int | None, pulled: int | None, error: str | None) -> str:
    """The audit line's detail of a sync: the counts known and success, never the hub's words (they may
    name a host)."""
    counts = [f"{name}={count}" for name, count in (("pushed", pushed), ("pulled", pulled)) if count is not None]
    return " ".join([*counts, f"ok={int(not error)}"])


def backlog() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxEntry)) or 0


def _batch(entries: list[OutboxEntry]) -> list[dict]:
    wanted = defaultdict(dict)
    for entry in entries:
        wanted[entry.table_name][uuid.UUID(entry.record_id)] = None
    records = []
    for name in sorted(wanted, key=ORDER.get):
        spec = BY_NAME[name]
        ids = list(wanted[name])
        found = {row.id: row._mapping for row in db.session.execute(select(spec.table).where(spec.table.c.id.in_(ids)))}
        kids = defaultdict(lambda: defaultdict(list))
        for child, key, column in spec.children:
            table = child.__table__
            for row in db.session.execute(select(table.c[key], table.c[column]).where(table.c[key].in_(ids))):
                kids[row[0]][column].append(row[1].value if hasattr(row[1], "value") else str(row[1]))
        for record_id in ids:
            row = found.get(record_id)
            record = {"t": name, "id": str(record_id), "row": row_payload(spec, row) if row is not None else None}
            for _child, _key, column in spec.children:
                record[column] = sorted(kids[record_id][column])
            records.append(record)
    return records


def push_all(node: NodeLink, *, limit_batches: int | None = None) -> int:
    """Send the outbox in batches until it is empty; each batch is removed only once acknowledged."""
    size = current_app.config["NETWORK_BATCH_SIZE"]
    sent = batches = 0
    while limit_batches is None or batches < limit_batches:
        entries = db.session.scalars(select(OutboxEntry).order_by(OutboxEntry.seq).limit(size + 1)).all()
        if not entries:
            break
        entries, more = entries[:size], len(entries) > size
        seqs = [entry.seq for entry in entries]
        records = _batch(entries)
        db.session.commit()
        # ``more``: the hub leaves the derived rows of a backlog's batches to the pull that follows.
        _post(node, "push", {"records": records, "first_seq": seqs[0], "last_seq": seqs[-1], "more": more})
        db.session.execute(delete(OutboxEntry).where(OutboxEntry.seq.in_(seqs)))
        db.session.execute(
            update(NodeLink).where(NodeLink.id == 1).values(pushed_total=NodeLink.pushed_total + len(seqs))
        )
        db.session.commit()
        sent += len(records)
        batches += 1
    return sent


def pull(node: NodeLink, *, actor: Actor, limit_pages: int | None = None) -> int:
    """Fetch what the hub has for this clinic, page by page until none remain.

    Each page is applied and its position kept in one transaction, so a pull cut off (the link
    drops, the computer stops) carries on from the last page applied, without a gap or a repeat
    that matters (applying an item twice changes nothing).
    """
    count = pages = 0
    while limit_pages is None or pages < limit_pages:
        state = link()
        request = {"cursor": state.pull_cursor, "after": state.pull_after, "reference": pages == 0}
        db.session.commit()
        answer = _post(node, "pull", request)
        count += apply_pull(answer, actor=actor)
        db.session.execute(
            update(NodeLink)
            .where(NodeLink.id == 1)
            .values(pull_cursor=int(answer["cursor"]), pull_after=answer.get("after"))
        )
        db.session.commit()
        pages += 1
        if not answer.get("more"):
            break
    return count


# ---- applying what the hub sent -------------------------------------------------------------------


def system_user(clinic_id) -> User:
    """The account that stands for the network on this node (never signs in)."""
    user = db.session.scalar(select(User).where(User.username == SYSTEM_USERNAME))
    if user is None:
        user = User(
            username=SYSTEM_USERNAME,
            display_name="Clinic network",
            password_hash=NO_PASSWORD,
            role=Role.DATA_ADMIN,
            clinic_id=clinic_id,
            active=False,
        )
        db.session.add(user)
        db.session.flush()
    return user


def apply_pull(data: dict, *, actor: Actor) -> int:
    """Apply a pull (or a take-on) answer in the current transaction; returns how many items it held."""
    session = db.session
    session.info["network_replaying"] = True
    try:
        node = link()
        touched: set = set()
        _clinics(data.get("clinics", []))
        _hotspots(node, data.get("hotspots", []))
        _index(data.get("index", []))
        touched |= _registrations(node, data.get("registrations", []))
        touched |= _merges(data.get("merges", []))
        _continuity(data.get("continuity", []))
        _views(data.get("views", []), actor=actor)
        session.flush()
        local = set(session.scalars(select(Client.id).where(Client.id.in_(list(touched)))).all()) if touched else set()
        if local:
            derived.refresh(session.connection(), local)
    finally:
        session.info.pop("network_replaying", None)
    return sum(len(data.get(key, [])) for key in ("index", "registrations", "merges", "continuity", "views"))


def _upsert(table, rows: list[dict]) -> None:
    if not rows:
        return
    existing = set(db.session.scalars(select(table.c.id).where(table.c.id.in_([r["id"] for r in rows]))).all())
    new = [r for r in rows if r["id"] not in existing]
    if new:
        db.session.execute(insert(table), new)
    for row in rows:
        if row["id"] in existing:
            db.session.execute(update(table).where(table.c.id == row["id"]).values(row))


def _typed(table, payload: dict, names=None) -> dict:
    return {name: from_json(table.c[name], payload[name]) for name in (names or payload) if name in table.c}


def _clinics(rows: list[dict]) -> None:
    table = Clinic.__table__
    typed = [_typed(table, row) for row in rows]
    by_code = dict(db.session.execute(select(Clinic.code, Clinic.id)).all())
    _upsert(table, [row for row in typed if by_code.get(row["code"], row["id"]) == row["id"]])


def _hotspots(node: NodeLink, rows: list[dict]) -> None:
    table = Hotspot.__table__
    _upsert(table, [_typed(table, row) for row in rows if row["clinic_id"] != str(node.clinic_id)])


def _index(rows: list[dict]) -> None:
    """The hub's index entries replace ours, with their numbers (a number names one client: the last given)."""
    if not rows:
        return
    ids = [uuid.UUID(row["client_id"]) for row in rows]
    entries = {e.client_id: e for e in db.session.scalars(select(IndexEntry).where(IndexEntry.client_id.in_(ids)))}
    numbers = {}
    for client_id, row in zip(ids, rows, strict=True):
        entry = entries.get(client_id) or IndexEntry(client_id=client_id)
        entry.uic_hash = row["uic_hash"]
        entry.home_clinic_id = uuid.UUID(row["home_clinic_id"])
        entry.merged_into_id = uuid.UUID(row["merged_into_id"]) if row["merged_into_id"] else None
        db.session.add(entry)
        for number in [n for n, owner in numbers.items() if owner == client_id]:
            del numbers[number]
        numbers.update(dict.fromkeys(row["numbers"], client_id))
    db.session.flush()
    gone = or_(IndexNumber.client_id.in_(ids), IndexNumber.number.in_(sorted(numbers)))
    db.session.execute(delete(IndexNumber).where(gone))
    if numbers:
        db.session.execute(insert(IndexNumber), [{"number": n, "client_id": c} for n, c in numbers.items()])


def _pending_corrections() -> set:
    rows = db.session.scalars(select(OutboxEntry.record_id).where(OutboxEntry.table_name == "client_corrections"))
    ids = [uuid.UUID(r) for r in rows]
    if not ids:
        return set()
    return set(db.session.scalars(select(ClientCorrection.client_id).where(ClientCorrection.id.in_(ids))).all())


def _registrations(node: NodeLink, rows: list[dict]) -> set:
    """Take the hub's registration of each client (the hub applied every correction in its order)."""
    if not rows:
        return set()
    table = Client.__table__
    waiting = _pending_corrections()
    touched = set()
    for row in rows:
        client_id = uuid.UUID(row["id"])
        values = _typed(table, row, ("clinic_id", "client_number", *REGISTRATION_FIELDS))
        current = db.session.get(Client, client_id)
        if current is None:
            if db.session.scalar(select(Client.id).where(Client.client_number == values["client_number"])):
                continue  # the number is taken here by another record; the index still finds this client
            db.session.execute(
                insert(table).values(
                    id=client_id,
                    consent_given=bool(row["consent_given"]),
                    consent_recorded_at=from_json(table.c.consent_recorded_at, row["consent_recorded_at"]),
                    registered_by_id=system_user(node.clinic_id).id,
                    **values,
                )
            )
        elif client_id not in waiting:
            values.pop("client_number")
            db.session.execute(update(table).where(table.c.id == client_id).values(values))
        _history(ClientCorrection, row["corrections"])
        _history(ShareConsent, row["consents"], users=node.clinic_id)
        touched.add(client_id)
    db.session.expire_all()
    return touched


def _history(model, rows: list[dict], users=None) -> None:
    table = model.__table__
    for row in rows:
        values = _typed(table, row)
        if users is not None and db.session.get(User, values["recorded_by_id"]) is None:
            values["recorded_by_id"] = system_user(users).id
        if db.session.get(model, values["id"]) is None:
            db.session.execute(insert(table).values(values))
        else:
            db.session.execute(update(table).where(table.c.id == values["id"]).values(hub_seq=values["hub_seq"]))


def _merges(rows: list[dict]) -> set:
    """Make each merge here too, when this node holds the duplicate (and so, from the hub, the record kept)."""
    touched = set()
    table = ClientMerge.__table__
    for row in rows:
        values = _typed(table, row)
        if db.session.get(ClientMerge, values["id"]) is None:
            db.session.execute(insert(table).values(values))
        duplicate = db.session.get(Client, values["duplicate_id"])
        keep = db.session.get(Client, values["keep_id"])
        if duplicate is None or keep is None or duplicate.merged_into_id is not None:
            continue
        while keep.merged_into is not None:
            keep = keep.merged_into
        try:
            fold_records(keep, duplicate, merged_at=values["merged_at"])
        except Conflict:
            continue  # both records have a visit here on one day: the data administrator merges by hand
        db.session.flush()
        touched |= {keep.id, duplicate.id}
    return touched


def _continuity(rows: list[dict]) -> None:
    table = Continuity.__table__
    for item in rows:
        client_id = uuid.UUID(item["client_id"])
        db.session.execute(delete(table).where(table.c.client_id == client_id))
        visits = [_typed(table, visit) for visit in item["visits"]] if item["shared"] else []
        for visit in visits:
            visit["known_positive"] = bool(visit.get("known_positive"))
        if visits:
            db.session.execute(insert(table), visits)


def _views(rows: list[dict], *, actor: Actor) -> None:
    """Another clinic saw the shared data of a client of ours: it goes into our audit trail too."""
    codes = dict(db.session.execute(select(Clinic.id, Clinic.code)).all())
    for row in rows:
        viewer = codes.get(uuid.UUID(row["clinic_id"]), "?")
        record_event(
            actor=actor,
            action="network.viewed_elsewhere",
            object_type="clients",
            object_id=row["client_id"],
            detail=f"clinic={viewer} view={row['id']}",
        )
