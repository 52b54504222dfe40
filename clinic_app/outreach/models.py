"""Models for peer mobilisation. Nothing here holds an HIV result or a clinical note."""

import uuid
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Uuid, text
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic_app.auth.models import User
from clinic_app.clients.models import Client
from clinic_app.core.coded import CodedEnum
from clinic_app.core.db import Base, Record, coded
from clinic_app.visits.models import SelfTestDistribution


class HotspotKind(CodedEnum):
    TRUCK_STOP = "truck_stop", _l("Truck stop")
    BORDER_POST = "border_post", _l("Border post")
    PORT = "port", _l("Port")
    BAR = "bar", _l("Bar or tavern")
    LODGE = "lodge", _l("Lodge or guesthouse")
    STREET = "street", _l("Street")
    OTHER = "other", _l("Other")


class Hotspot(Record, Base):
    """A place where peer educators meet sex workers."""

    __tablename__ = "hotspots"

    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    kind: Mapped[HotspotKind] = mapped_column(coded(HotspotKind, 12))
    is_active: Mapped[bool] = mapped_column(default=True)


class PeerHotspot(Base):
    """A hotspot a peer educator covers."""

    __tablename__ = "peer_hotspots"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    hotspot_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("hotspots.id", ondelete="CASCADE"), primary_key=True)


class ContactKind(CodedEnum):
    INDIVIDUAL = "individual", _l("One person")
    GROUP = "group", _l("Small group")


class OutreachContact(Record, Base):
    """One outreach contact by a peer educator: one person, or a small group with a head count."""

    __tablename__ = "outreach_contacts"
    # A client registered, edited or merged re-resolves the contacts that named her UIC only: this keeps
    # that lookup off the whole table (it made recording a visit on 1M visits take 0.35 s, 1.5 s encrypted).
    __table_args__ = (
        Index(
            "ix_outreach_contacts_uic_unresolved",
            "contact_uic",
            sqlite_where=text("client_id IS NULL"),
            postgresql_where=text("client_id IS NULL"),
        ),
    )

    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"), index=True)
    peer_educator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    contact_date: Mapped[date] = mapped_column(index=True)
    hotspot_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("hotspots.id"))
    kind: Mapped[ContactKind] = mapped_column(coded(ContactKind, 10))
    # For one person: a known client, or the UIC of a new contact if they gave it.
    client_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("clients.id"), index=True)
    contact_uic: Mapped[str | None] = mapped_column(String(16))
    group_size: Mapped[int | None]
    male_condoms: Mapped[int] = mapped_column(default=0)
    lubricant: Mapped[int] = mapped_column(default=0)
    self_test_kits: Mapped[int] = mapped_column(default=0)  # all kits handed out at the contact
    # HTS_SELF's disaggregation of those kits (community distribution); contacts recorded before it
    # was asked hold only the total, counted as "recipient not recorded".
    self_test_distribution: Mapped[SelfTestDistribution | None] = mapped_column(coded(SelfTestDistribution, 12))
    kits_for_self: Mapped[int] = mapped_column(default=0, server_default="0")
    kits_for_partner: Mapped[int] = mapped_column(default=0, server_default="0")
    kits_for_other: Mapped[int] = mapped_column(default=0, server_default="0")
    hiv_info: Mapped[bool] = mapped_column(default=False)
    rights_info: Mapped[bool] = mapped_column(default=False)
    violence_info: Mapped[bool] = mapped_column(default=False)
    referral_offered: Mapped[bool] = mapped_column(default=False)
    # Offered an HIV test (or a referral for one) and the person declined (KP_PREV "declined testing").
    test_declined: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    # The form's one-time key: a second submit of the same form finds this row.
    submission_key: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)

    hotspot: Mapped[Hotspot | None] = relationship()
    client: Mapped[Client | None] = relationship()

    @property
    def people(self) -> int:
        return (self.group_size or 0) if self.kind == ContactKind.GROUP else 1


class ReferralService(CodedEnum):
    HIV_TEST = "hiv_test", _l("HIV test")
    PREP = "prep", _l("PrEP")
    STI = "sti", _l("STI check")
    CERVICAL = "cervical", _l("Cervical screening")
    VIOLENCE = "violence", _l("Violence support")
    OTHER = "other", _l("Other")


class Referral(Record, Base):
    """A referral slip: a short random code the client brings to the clinic."""

    __tablename__ = "referrals"

    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"), index=True)
    peer_educator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    service: Mapped[ReferralService] = mapped_column(coded(ReferralService, 10))
    issued_on: Mapped[date] = mapped_column(index=True)
    expires_on: Mapped[date]
    # The client the slip was issued for, if known; the client who came is the visit's.
    client_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("clients.id"), index=True)
    contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("outreach_contacts.id"))
    visit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("visits.id", ondelete="SET NULL"), unique=True)
    completed_on: Mapped[date | None]
    submission_key: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)

    client: Mapped[Client | None] = relationship()
    peer_educator: Mapped[User] = relationship()
    visit: Mapped["Visit | None"] = relationship("Visit")  # noqa: F821 (visits.models, by name)

    @property
    def completed(self) -> bool:
        return self.visit_id is not None

    def expired(self, on: date) -> bool:
        return not self.completed and on > self.expires_on

    @property
    def completed_late(self) -> bool:
        """Redeemed after the slip's validity: the loop is closed all the same, and marked late."""
        return self.completed_on is not None and self.completed_on > self.expires_on


class ReservedCode(Record, Base):
    """A referral code a peer educator's phone holds for slips issued without signal.

    Reserved while online in a small block per peer educator (unique among slips and other reservations),
    used by the slip that carries it once the phone sends it, released when it expires unused or when she
    signs out (the phone forgets its codes then).
    """

    __tablename__ = "reserved_codes"

    code: Mapped[str] = mapped_column(String(12), unique=True)
    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"), index=True)
    peer_educator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    expires_on: Mapped[date]
    referral_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("referrals.id"), unique=True)


class TrainingTopic(CodedEnum):
    HIV_PREVENTION = "hiv_prevention", _l("HIV prevention")
    HEALTH_SEEKING = "health_seeking", _l("Health-seeking behaviour")
    COUNSELLING_TESTING = "hct", _l("Counselling and testing")
    SRH = "srh", _l("Sexual and reproductive health")
    RIGHTS_SAFETY = "rights_safety", _l("Rights and safety")
    TRAINING_OF_TRAINERS = "tot", _l("Training of trainers")


class Training(Record, Base):
    """A training or education session and who attended (clients and/or a head count)."""

    __tablename__ = "trainings"

    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"), index=True)
    held_on: Mapped[date] = mapped_column(index=True)
    topic: Mapped[TrainingTopic] = mapped_column(coded(TrainingTopic, 16))
    facilitator: Mapped[str] = mapped_column(String(120))
    other_attendees: Mapped[int] = mapped_column(default=0)
    recorded_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    submission_key: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)

    attendee_rows: Mapped[list["TrainingAttendee"]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    staff_rows: Mapped[list["TrainingStaff"]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class TrainingAttendee(Base):
    __tablename__ = "training_attendees"

    training_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("trainings.id", ondelete="CASCADE"), primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), primary_key=True)


class TrainingStaff(Base):
    """A peer educator or other staff member (by account) who attended a session as a trainee."""

    __tablename__ = "training_staff"

    training_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("trainings.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)


class TracingOutcome(CodedEnum):
    REACHED = "reached", _l("Reached")
    RETURNED = "returned", _l("Returned to the clinic")
    MOVED = "moved", _l("Moved away")
    DECLINED = "declined", _l("Declined")
    NOT_FOUND = "not_found", _l("Not found")


class TracingAssignment(Record, Base):
    """A client a peer educator is asked to follow up, and what came of it."""

    __tablename__ = "tracing_assignments"

    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"), index=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    peer_educator_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    assigned_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    assigned_on: Mapped[date]
    reason: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[TracingOutcome | None] = mapped_column(coded(TracingOutcome, 10))
    outcome_on: Mapped[date | None]

    client: Mapped[Client] = relationship()
    peer_educator: Mapped[User] = relationship(foreign_keys=[peer_educator_id])
