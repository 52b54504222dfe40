"""Tables of the clinic network: the node's link to the hub, the hub's members, and what both share.

See ``network.protocol`` for the protocol these tables serve.
"""

import uuid
from datetime import date, datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from clinic_app.core.db import Base, Record, coded, utcnow
from clinic_app.screening.models import HivResult
from clinic_app.visits.models import PrepEventType, PrepRegimen

# ---- at a clinic node ----------------------------------------------------------------------------


class NodeLink(Base):
    """This clinic's enrolment at the hub and the state of its sync (one row, id 1)."""

    __tablename__ = "network_node"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hub_url: Mapped[str] = mapped_column(String(255))
    hub_id: Mapped[str] = mapped_column(String(36))
    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"))
    private_key: Mapped[str] = mapped_column(String(64))
    network_key: Mapped[str] = mapped_column(String(64))
    counter: Mapped[int] = mapped_column(BigInteger, default=0)
    pull_cursor: Mapped[int] = mapped_column(BigInteger, default=0)
    # Where the last page of an unfinished pull ended (the hub's token); None when the pull finished.
    pull_after: Mapped[str | None] = mapped_column(String(80))
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_attempt_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    failures: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    pushed_total: Mapped[int] = mapped_column(BigInteger, default=0)


class OutboxEntry(Base):
    """A record changed at this clinic that the hub has not yet acknowledged."""

    __tablename__ = "network_outbox"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    table_name: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[str] = mapped_column(String(36))


class Continuity(Base):
    """What another clinic recorded at one visit of a consenting client: the continuity minimum only.

    Received from the hub, replaced whole for a client at each pull, removed when consent is revoked.
    """

    __tablename__ = "network_continuity"

    visit_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    clinic_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    service_date: Mapped[date]
    hiv_result: Mapped[HivResult | None] = mapped_column(coded(HivResult, 14))
    known_positive: Mapped[bool] = mapped_column(default=False)
    art_started_on: Mapped[date | None]
    prep_event: Mapped[PrepEventType | None] = mapped_column(coded(PrepEventType, 12))
    prep_regimen: Mapped[PrepRegimen | None] = mapped_column(coded(PrepRegimen, 8))
    prep_months: Mapped[int | None]
    prep_next_on: Mapped[date | None]
    cervical_next_on: Mapped[date | None]
    next_appointment_on: Mapped[date | None]


# ---- at the hub ----------------------------------------------------------------------------------


class HubState(Base):
    """The hub's identity, the network key and the change counter (one row, id 1)."""

    __tablename__ = "network_hub"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hub_id: Mapped[str] = mapped_column(String(36))
    network_key: Mapped[str] = mapped_column(String(64))
    change_seq: Mapped[int] = mapped_column(BigInteger, default=0)


class Member(Record, Base):
    """A clinic registered at the hub: its enrolment code, then its public key."""

    __tablename__ = "network_members"

    code: Mapped[str] = mapped_column(String(12), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    country: Mapped[str] = mapped_column(String(2))
    timezone: Mapped[str] = mapped_column(String(64))
    enrolment_code_hash: Mapped[str | None] = mapped_column(String(64))
    enrolment_expires_at: Mapped[datetime | None]
    clinic_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("clinics.id"), unique=True)
    public_key: Mapped[str | None] = mapped_column(String(64))
    enrolled_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_counter: Mapped[int] = mapped_column(BigInteger, default=0)
    last_push_at: Mapped[datetime | None]
    last_pull_at: Mapped[datetime | None]
    records_received: Mapped[int] = mapped_column(BigInteger, default=0)
    last_refusal: Mapped[str | None] = mapped_column(Text)


class Holding(Base):
    """A clinic holds a client: registered there, seen there, or taken on from the network index."""

    __tablename__ = "network_holdings"

    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    clinic_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, index=True)


class PendingFacts(Base):
    """Records a clinic pushed in a backlog whose derived rows (status, report facts) wait.

    A first sync sends a clinic's whole history in hundreds of batches; recomputing the derived
    rows of each batch's clients again and again would cost more than applying the records. A
    batch that says more follow leaves its clients, contacts and slips here instead, and the
    clinic's pull that follows the push recomputes them, a slice per request.
    """

    __tablename__ = "network_pending_facts"

    clinic_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # client, contact, slip
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)


# ---- at both ------------------------------------------------------------------------------------


class IndexEntry(Base):
    """The network client index: enough to find a client anywhere, nothing about them.

    At the hub the ``*_seq`` columns stamp when the entry, the registration or the continuity
    data last changed (the pull cursor compares them); a node's copy leaves them empty.
    """

    __tablename__ = "network_index"
    __table_args__ = (
        Index("ix_network_index_seq", "seq"),
        Index("ix_network_index_registration_seq", "registration_seq"),
        Index("ix_network_index_continuity_seq", "continuity_seq"),
    )

    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    uic_hash: Mapped[str] = mapped_column(String(64), index=True)
    home_clinic_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    seq: Mapped[int | None] = mapped_column(BigInteger)
    registration_seq: Mapped[int | None] = mapped_column(BigInteger)
    continuity_seq: Mapped[int | None] = mapped_column(BigInteger)


class IndexNumber(Base):
    """One client number in the index (merged records' numbers point at the record kept)."""

    __tablename__ = "network_index_numbers"

    number: Mapped[str] = mapped_column(String(16), primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, index=True)


class ClientCorrection(Base):
    """A change to a client's registration, made at any clinic, kept as history.

    The hub numbers corrections as they arrive (``hub_seq``) and every node applies them in that
    order, so a registration edited at two offline clinics ends the same everywhere, both edits kept.
    """

    __tablename__ = "client_corrections"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"))
    made_at: Mapped[datetime] = mapped_column(default=utcnow)
    changes: Mapped[dict] = mapped_column(JSON)
    hub_seq: Mapped[int | None] = mapped_column(BigInteger)


class ClientMerge(Base):
    """A merge made at one clinic, to be made at the hub and at every node holding the duplicate."""

    __tablename__ = "client_merges"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"))
    # Plain ids, not foreign keys: a later merge must not rewrite this one's history.
    keep_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    duplicate_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    merged_at: Mapped[datetime] = mapped_column(default=utcnow)
    hub_seq: Mapped[int | None] = mapped_column(BigInteger)


class ShareConsent(Base):
    """The client's answer to sharing the continuity minimum with other Blue Boxes (latest wins)."""

    __tablename__ = "share_consents"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"))
    given: Mapped[bool]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    hub_seq: Mapped[int | None] = mapped_column(BigInteger)


class CrossClinicView(Base):
    """A clinic showed another clinic's continuity data for a client: audited at both ends."""

    __tablename__ = "network_views"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"))
    viewed_at: Mapped[datetime] = mapped_column(default=utcnow)
    hub_seq: Mapped[int | None] = mapped_column(BigInteger, index=True)
