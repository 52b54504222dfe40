"""The audit trail: append-only and chained with a keyed hash.

Each row carries a sequence number and an HMAC-SHA256 of its content plus the
previous row's hash, under a key that is not in the database (see audit/keys.py),
so an edit, insertion or deletion made outside the app breaks the chain and cannot
be hidden by recomputing it (``flask --app clinic_app audit verify`` finds it).
Database triggers refuse UPDATE and DELETE. Rows hold identifiers and action names
only: never health values, names, passwords or search terms.
"""

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, LargeBinary, String, Text, Uuid, column, table
from sqlalchemy.orm import Mapped, mapped_column

from clinic_app.core.db import Base, utcnow

GENESIS = "0" * 64
# The users table the trail's actor_id points at, named as its foreign key names it: the trail pages
# show each actor's username without importing auth, which writes into the trail (no import cycle).
USERS = table("users", column("id", Uuid), column("username", String))


class AuditEvent(Base):
    __tablename__ = "audit_events"
    keep_text_as_given = True  # hashed as written: never rewritten on the way in

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)
    actor_role: Mapped[str | None] = mapped_column(String(20))
    clinic_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("clinics.id"))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(36))
    source: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(String(255))
    # The records a list page showed (space-separated ids), when one line covers a whole page.
    object_ids: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    def content(self, *, keyed: bool = True) -> str:
        """The exact text the hash covers (rows from before the keyed chain did not cover object_ids)."""
        fields = (
            self.seq,
            self.id,
            self.occurred_at.isoformat(),
            self.actor_id,
            self.actor_role,
            self.clinic_id,
            self.action,
            self.object_type,
            self.object_id,
            self.source,
            self.detail,
            self.prev_hash,
        )
        if keyed:
            fields += (self.object_ids,)
        return "|".join("" if value is None else str(value) for value in fields)


class AuditHead(Base):
    """The end of the chain (one row): the last sequence number and hash, locked while a row is added."""

    __tablename__ = "audit_head"
    keep_text_as_given = True  # hashed as written: never rewritten on the way in

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    hash: Mapped[str] = mapped_column(String(64), default=GENESIS)
    # Rows from this sequence number on carry the keyed hash; older rows (written before the
    # chain was keyed) a plain SHA-256, and verify says so.
    keyed_from: Mapped[int] = mapped_column(BigInteger, default=1)


class AuditKeySeal(Base):
    """The chain's key, sealed (AES-GCM) under a key derived from the database passphrase.

    Only the sealed form is stored: it opens with the passphrase, which is never stored.
    While a passphrase change is under way there are two seals, one per passphrase, so a
    power cut at any moment leaves one that opens with whichever passphrase the file has.
    """

    __tablename__ = "audit_key_seals"
    keep_text_as_given = True  # hashed as written: never rewritten on the way in

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    salt: Mapped[bytes] = mapped_column(LargeBinary(16))
    nonce: Mapped[bytes] = mapped_column(LargeBinary(12))
    sealed: Mapped[bytes] = mapped_column(LargeBinary(64))
