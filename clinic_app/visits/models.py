"""The Visit model: one attendance of a client at a clinic on a date of service."""

import uuid
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic_app.auth.models import User
from clinic_app.clients.models import Client
from clinic_app.clinics.models import Clinic
from clinic_app.core.coded import CodedEnum
from clinic_app.core.db import Base, Record, coded, utcnow
from clinic_app.screening.models import CervicalScreening, CervicalTreatment, HivResult, HivTest, StiScreening


class VisitType(CodedEnum):
    NEW = "new", _l("New")
    RETURN = "return", _l("Return")


class VisitReason(CodedEnum):
    HIV_TESTING = "hiv_testing", _l("HIV testing")
    PREP = "prep", _l("PrEP")
    PEP = "pep", _l("PEP")
    STI = "sti", _l("STI screening or treatment")
    CERVICAL = "cervical", _l("Cervical screening")
    ART = "art", _l("ART / adherence support")
    CONDOMS = "condoms", _l("Condoms and lubricant")
    FAMILY_PLANNING = "family_planning", _l("Family planning")
    VIOLENCE = "violence", _l("Violence support")
    GENERAL = "general", _l("General health")
    COUNSELLING = "counselling", _l("Counselling")
    OTHER = "other", _l("Other")


class Visit(Record, Base):
    __tablename__ = "visits"
    __table_args__ = (
        Index("ix_visits_clinic_date", "clinic_id", "service_date"),
        Index("ix_visits_service_date", "service_date"),
        # One visit per client, clinic and day: a double submit cannot store two.
        UniqueConstraint("client_id", "clinic_id", "service_date", name="uq_visits_client_clinic_day"),
    )

    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"))
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    service_date: Mapped[date]
    visit_type: Mapped[VisitType] = mapped_column(coded(VisitType, 10))
    referral_code: Mapped[str | None] = mapped_column(String(16))
    recorded_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    notes: Mapped[str | None] = mapped_column(Text)
    next_appointment_on: Mapped[date | None]

    clinic: Mapped[Clinic] = relationship(lazy="joined")
    client: Mapped[Client] = relationship()
    recorded_by: Mapped[User] = relationship()
    reason_rows: Mapped[list["VisitReasonRow"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="VisitReasonRow.reason"
    )
    # What was done at the visit (each at most once; absent when not done).
    hiv_test: Mapped[HivTest | None] = relationship(cascade="all, delete-orphan", passive_deletes=True)
    sti_screening: Mapped[StiScreening | None] = relationship(cascade="all, delete-orphan", passive_deletes=True)
    cervical_screening: Mapped[CervicalScreening | None] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )
    prep_event: Mapped["PrepEvent | None"] = relationship(cascade="all, delete-orphan", passive_deletes=True)
    pep_course: Mapped["PepCourse | None"] = relationship(cascade="all, delete-orphan", passive_deletes=True)
    self_test_kit: Mapped["SelfTestKit | None"] = relationship(cascade="all, delete-orphan", passive_deletes=True)
    violence_care: Mapped["ViolenceCare | None"] = relationship(cascade="all, delete-orphan", passive_deletes=True)
    later_treatment: Mapped["LaterCervicalTreatment | None"] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )
    dispensed: Mapped[list["Dispensed"]] = relationship(cascade="all, delete-orphan", passive_deletes=True)

    @property
    def reasons(self) -> list[VisitReason]:
        return [row.reason for row in self.reason_rows]

    def __repr__(self) -> str:
        return f"<Visit {self.service_date} {self.visit_type}>"


class VisitReasonRow(Base):
    """One reason for a visit (a visit may have several)."""

    __tablename__ = "visit_reasons"

    visit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), primary_key=True)
    reason: Mapped[VisitReason] = mapped_column(coded(VisitReason, 20), primary_key=True)


class PrepEventType(CodedEnum):
    INITIATION = "initiation", _l("Initiation (first ever)")
    FOLLOW_UP = "follow_up", _l("Follow-up / refill")
    RESTART = "restart", _l("Restart after a stop")
    STOP = "stop", _l("Stop")


class PrepRegimen(CodedEnum):
    TDF_FTC = "tdf_ftc", _l("Oral TDF/FTC")
    TDF_3TC = "tdf_3tc", _l("Oral TDF/3TC")
    CAB_LA = "cab_la", _l("Injectable CAB-LA")
    RING = "ring", _l("Dapivirine ring")


class PrepDistribution(CodedEnum):
    """Where PrEP was handed over (MER 2.7 PrEP distribution)."""

    FACILITY = "facility", _l("At the clinic")
    COMMUNITY = "community", _l("In the community (outreach, mobile)")


class PrepStopReason(CodedEnum):
    NO_LONGER_AT_RISK = "no_risk", _l("No longer at substantial risk")
    SIDE_EFFECTS = "side_effects", _l("Side effects")
    CLIENT_CHOICE = "client_choice", _l("Client's choice")
    HIV_POSITIVE = "hiv_positive", _l("Tested HIV positive (seroconversion)")
    MOVED = "moved", _l("Moved away")
    OTHER = "other", _l("Other")


class PrepEvent(Record, Base):
    """What happened with PrEP at a visit: initiation, refill, restart or stop."""

    __tablename__ = "prep_events"

    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"))
    visit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), unique=True)
    event: Mapped[PrepEventType] = mapped_column(coded(PrepEventType, 12))
    regimen: Mapped[PrepRegimen | None] = mapped_column(coded(PrepRegimen, 8))
    months_dispensed: Mapped[int | None]
    next_appointment_on: Mapped[date | None]
    stop_reason: Mapped[PrepStopReason | None] = mapped_column(coded(PrepStopReason, 14))
    distribution: Mapped[PrepDistribution] = mapped_column(
        coded(PrepDistribution, 10), default=PrepDistribution.FACILITY, server_default=PrepDistribution.FACILITY.value
    )
    # A refill given without an HIV test in the retest interval: why (the rules ask for it).
    no_test_reason: Mapped[str | None] = mapped_column(String(200))


class PepExposure(CodedEnum):
    SEXUAL_VIOLENCE = "sexual_violence", _l("Sexual violence")
    CONDOM_FAILURE = "condom_failure", _l("Condom burst or slipped")
    UNPROTECTED_SEX = "unprotected", _l("Sex without a condom")
    OCCUPATIONAL = "occupational", _l("Needle-stick or occupational")
    OTHER = "other", _l("Other")


class PepRegimen(CodedEnum):
    TDF_3TC_DTG = "tdf_3tc_dtg", _l("TDF/3TC/DTG")
    TDF_FTC_DTG = "tdf_ftc_dtg", _l("TDF/FTC + DTG")
    OTHER = "other", _l("Other regimen")


class PepOutcome(CodedEnum):
    COMPLETED = "completed", _l("Completed 28 days")
    NOT_COMPLETED = "not_completed", _l("Did not complete")
    UNKNOWN = "unknown", _l("Lost to follow-up")


class PepCourse(Record, Base):
    __tablename__ = "pep_courses"

    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"))
    visit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), unique=True)
    exposure: Mapped[PepExposure] = mapped_column(coded(PepExposure, 16))
    hours_since_exposure: Mapped[int]
    regimen: Mapped[PepRegimen] = mapped_column(coded(PepRegimen, 12))
    outcome: Mapped[PepOutcome | None] = mapped_column(coded(PepOutcome, 14))
    outcome_on: Mapped[date | None]


class Commodity(CodedEnum):
    MALE_CONDOMS = "male_condoms", _l("Male condoms")
    FEMALE_CONDOMS = "female_condoms", _l("Female condoms")
    LUBRICANT = "lubricant", _l("Lubricant sachets")


class Dispensed(Record, Base):
    """Commodities handed out at a visit (pieces)."""

    __tablename__ = "dispensed_items"
    __table_args__ = (UniqueConstraint("visit_id", "item", name="uq_dispensed_items_visit_item"),)

    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"))
    visit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"))
    item: Mapped[Commodity] = mapped_column(coded(Commodity, 16))
    quantity: Mapped[int]


class SelfTestDistribution(CodedEnum):
    ASSISTED = "assisted", _l("Assisted")
    UNASSISTED = "unassisted", _l("Unassisted")


class SelfTestKit(Record, Base):
    """HIV self-test kits distributed at a visit."""

    __tablename__ = "self_test_kits"

    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"))
    visit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), unique=True)
    distribution: Mapped[SelfTestDistribution] = mapped_column(coded(SelfTestDistribution, 12))
    for_self: Mapped[int] = mapped_column(default=0)
    for_partner: Mapped[int] = mapped_column(default=0)
    for_other: Mapped[int] = mapped_column(default=0)


class ViolenceType(CodedEnum):
    """The kinds of violence a client received post-violence care for (several may apply)."""

    SEXUAL = "sexual", _l("Sexual violence")
    PHYSICAL = "physical", _l("Physical violence")
    EMOTIONAL = "emotional", _l("Emotional or verbal violence")


class ViolenceCare(Record, Base):
    """Post-violence clinical care given at a visit, with the violence types the client reported."""

    __tablename__ = "violence_care"

    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"))
    visit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), unique=True)
    sexual: Mapped[bool] = mapped_column(default=False)
    physical: Mapped[bool] = mapped_column(default=False)
    emotional: Mapped[bool] = mapped_column(default=False)

    @property
    def types(self) -> list[ViolenceType]:
        return [t for t in ViolenceType if getattr(self, t.value)]


class LaterCervicalTreatment(Record, Base):
    """Treatment of a positive cervical screen given at a later visit than the screen (referred, then
    treated). The screen's own treatment columns are filled from it, so CXCA_TX reads one place."""

    __tablename__ = "later_cervical_treatments"

    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"))
    visit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), unique=True)
    screen_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cervical_screenings.id"), unique=True)
    treatment: Mapped[CervicalTreatment] = mapped_column(coded(CervicalTreatment, 18))

    screening: Mapped[CervicalScreening] = relationship()


class VisitRevision(Base):
    """The history of a visit's services: each correction keeps what it replaced.

    Holds clinical values, so it is part of the record (never of the audit trail or logs).
    """

    __tablename__ = "visit_revisions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"))
    visit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    section: Mapped[str] = mapped_column(String(32))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)


class ClientStatus(Base):
    """Where each client stands now, derived from their whole history and kept beside it.

    One row per client with any visit: the latest HIV result, positive test, PrEP event,
    complete cervical screen and visit, each with the clinic that gave it. The due lists
    read these rows through indexes instead of ranking every client's history on each
    page. ``visits.status`` rewrites a client's row whenever one of their visits or
    services is written, in the same transaction, so it never disagrees with the history;
    ``flask visits rebuild-status`` recomputes every row (after an import or a sync).
    Derived at each site from the synced records, so it is never synced itself.
    """

    __tablename__ = "client_status"
    __table_args__ = (
        # Each list's index holds every column the list's count tests, so a count reads the index alone.
        Index("ix_client_status_prep", "prep_clinic_id", "prep_next_on", "prep_event", "known_positive"),
        Index("ix_client_status_hiv", "hiv_clinic_id", "hiv_on", "hiv_result", "known_positive"),
        Index("ix_client_status_positive", "positive_clinic_id", "positive_on", "art_started"),
        Index("ix_client_status_cervical", "cervical_clinic_id", "cervical_next_on"),
        Index("ix_client_status_appointment", "visit_clinic_id", "appointment_on"),
        {"info": {"derived": True}},
    )

    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), primary_key=True)
    # Ever confirmed positive, or said to be known positive; ever started on ART.
    known_positive: Mapped[bool] = mapped_column(default=False)
    art_started: Mapped[bool] = mapped_column(default=False)
    # The latest HIV test with a final result.
    hiv_clinic_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("clinics.id"))
    hiv_on: Mapped[date | None]
    hiv_result: Mapped[HivResult | None] = mapped_column(coded(HivResult, 14))
    # The latest confirmed positive result.
    positive_clinic_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("clinics.id"))
    positive_on: Mapped[date | None]
    # The latest PrEP event.
    prep_clinic_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("clinics.id"))
    prep_on: Mapped[date | None]
    prep_event: Mapped[PrepEventType | None] = mapped_column(coded(PrepEventType, 12))
    prep_next_on: Mapped[date | None]
    prep_months: Mapped[int | None]
    # The latest complete cervical screen.
    cervical_clinic_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("clinics.id"))
    cervical_on: Mapped[date | None]
    cervical_next_on: Mapped[date | None]
    # The latest visit and the appointment given at it (the visit's, else its PrEP one).
    visit_clinic_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("clinics.id"))
    visit_on: Mapped[date | None]
    appointment_on: Mapped[date | None]
    refreshed_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
