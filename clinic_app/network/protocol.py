"""The sync protocol between clinic nodes and the hub: signing, framing and what crosses.

Roles
    One app, two roles (``NETWORK_ROLE``): a *clinic node* (SQLite + SQLCipher, offline first) and
    the *hub* (PostgreSQL, every clinic's records, network reports, the sync API under
    ``/network/api/``). A node talks to one hub; nodes never talk to each other.

Enrolment
    The hub administrator registers a clinic (``flask network register-clinic``) and reads out a
    one-time enrolment code (valid ``NETWORK_ENROLMENT_HOURS``; only its SHA-256 is stored). The
    clinic's data administrator runs ``flask network enrol --hub URL --code CODE``: the node makes an
    Ed25519 key pair (``cryptography``), sends the public key with its clinic's UUID and code, and
    receives the hub's id and the network key. The private key and network key stay in the node's
    encrypted database. A code works once. ``flask network revoke`` on the hub refuses the clinic
    from then on; it can be enrolled again with a new code (and so a new key).

Every request after enrolment
    Headers ``X-Bluebox-Clinic`` (the clinic's UUID), ``X-Bluebox-Counter`` and
    ``X-Bluebox-Signature``: the Ed25519 signature of ``canonical()``, i.e. protocol version, hub id,
    method, path, clinic, counter and the SHA-256 of the exact (gzip-compressed) body. The hub
    refuses a revoked or unknown clinic (403), a bad signature (401: a tampered body or forged
    sender) and a counter not above the last one it accepted from that clinic (409: a replay).
    The counter is a number the node increases and commits before each request; the hub moves its
    copy forward in the same transaction that does the request's work. No wall clock is trusted,
    so clocks hours apart change nothing; a replayed request is refused even years later. TLS
    protects the content on the way (the node refuses a plain ``http://`` hub except on loopback).

Push (node -> hub), ``POST /network/api/push``
    Every write at a node adds the changed record's (table, id) to the node's outbox in the same
    transaction (``tracking``), with a local sequence number. A batch is the oldest
    ``NETWORK_BATCH_SIZE`` outbox entries, sent as the records' current rows (a record deleted since
    is sent as a deletion). The hub applies a batch in one transaction, in table dependency order,
    as upserts by UUID: the same batch twice changes nothing, and a batch cut off mid-way is either
    applied whole or not at all. The node deletes the entries only after the hub's acknowledgement,
    so a killed sync resends them next time (no loss) and the upserts make that harmless (no
    duplicate). Failures back off (1, 2, 4 ... 60 minutes); a node with a backlog keeps sending
    batches until the outbox is empty.

Ownership (checked by the hub on each record)
    Every synced row carries its origin clinic (``clinic_id``): a visit and its services belong to
    the clinic where they happened, a client's registration to the home clinic. The hub refuses a
    batch holding any row whose origin is not the sender, or that would change a row owned by
    another clinic. A registration changed anywhere (home clinic included) travels as a
    ``ClientCorrection`` (field -> [before, after]); the hub numbers corrections as they arrive and
    applies them in that order, so every node ends with the same registration and every edit stays
    in the history. Merges travel as ``ClientMerge`` events and are applied at the hub and at every
    node holding the duplicate; the old numbers stay in the index pointing at the record kept.

Pull (hub -> node), ``POST /network/api/pull``
    From the node's cursor (a hub change number; rows are stamped under one lock so none is
    committed behind a cursor): reference data (clinics, hotspots), the network client index,
    merges, the canonical registrations and correction history of the clients the node holds,
    continuity summaries of consenting clients it holds, and the views other clinics made of its
    clients (audited on arrival). The node recomputes the derived rows of the clients it touched.

What crosses, and what never does
    Up: clients without alias, phone or notes; visits without notes; services; outreach records;
    staff as stubs (id, clinic, role: no name, username or password). Down: the index entry (client
    UUID, HMAC-SHA256 of the UIC with the network key, home clinic, client numbers including merged
    ones), and only with the client's recorded consent, the continuity minimum (HIV status and ART,
    PrEP status with last supply and next appointment, last test dates, cervical screening due).
    Never: aliases, names, phone numbers, notes, passwords, the audit trail, the database passphrase.
"""

import base64
import gzip
import hashlib
import json
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

VERSION = "bluebox-sync-1"
HEADER_CLINIC = "X-Bluebox-Clinic"
HEADER_COUNTER = "X-Bluebox-Counter"
HEADER_SIGNATURE = "X-Bluebox-Signature"
MAX_BODY_BYTES = 8 * 1024 * 1024  # compressed; a batch of 500 records is far below


def new_key_pair() -> tuple[str, str]:
    """A fresh Ed25519 key pair as (private, public), both base64 of the raw 32 bytes."""
    private = Ed25519PrivateKey.generate()
    raw_private = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    raw_public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw_private).decode(), base64.b64encode(raw_public).decode()


def canonical(*, hub_id: str, method: str, path: str, clinic_id: str, counter: int, body: bytes) -> bytes:
    """The exact bytes a request's signature covers."""
    digest = hashlib.sha256(body).hexdigest()
    return "\n".join((VERSION, hub_id, method.upper(), path, clinic_id, str(counter), digest)).encode()


def sign(private_key_b64: str, message: bytes) -> str:
    key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(private_key_b64))
    return base64.b64encode(key.sign(message)).decode()


def verify(public_key_b64: str, message: bytes, signature_b64: str) -> bool:
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64))
        key.verify(base64.b64decode(signature_b64, validate=True), message)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def _plain(value):
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "value"):  # a CodedEnum member
        return value.value
    raise TypeError(f"cannot send {type(value).__name__}")


def encode(payload: dict) -> bytes:
    """JSON, gzip-compressed: the body of every request and answer."""
    text = json.dumps(payload, default=_plain, separators=(",", ":"), sort_keys=True)
    return gzip.compress(text.encode(), compresslevel=6, mtime=0)


def decode(body: bytes) -> dict:
    """The payload of a body made by ``encode``; ValueError when it is not one."""
    try:
        data = json.loads(gzip.decompress(body))
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError("not a sync payload") from error
    if not isinstance(data, dict):
        raise ValueError("not a sync payload")
    return data
