"""Crisis cases: violence and arrest cases from the first call to the outcome.

A case never leaves the clinic (it is not synced to the hub); only de-identified aggregates do.
Nothing here holds an HIV result: clinical care is a linked visit, read only by clinical roles.
"""

import uuid
from datetime import date, datetime, time

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic_app.auth.models import User
from clinic_app.clients.models import Client
from clinic_app.clinics.models import Clinic
from clinic_app.core.coded import CodedEnum
from clinic_app.core.db import Base, Record, coded, utcnow
from clinic_app.core.places import Country
from clinic_app.outreach.models import Hotspot


class SurvivorKind(CodedEnum):
    REGISTERED = "registered", _l("Registered client")
    UNREGISTERED = "unregistered", _l("Not yet registered (alias and UIC)")
    ANONYMOUS = "anonymous", _l("Anonymous")


class ReportChannel(CodedEnum):
    HOTLINE = "hotline", _l("Hotline or phone call")
    WALK_IN = "walk_in", _l("Walk-in at the clinic")
    PEER_EDUCATOR = "peer", _l("Through a peer educator")
    WHATSAPP = "whatsapp", _l("WhatsApp or text message")
    OTHER = "other", _l("Other")


class Violation(CodedEnum):
    PHYSICAL = "physical", _l("Physical violence")
    SEXUAL = "sexual", _l("Sexual violence")
    EMOTIONAL = "emotional", _l("Emotional or verbal abuse")
    EXTORTION = "extortion", _l("Extortion or robbery")
    ARREST = "arrest", _l("Arrest or detention")
    POLICE_HARASSMENT = "police_harass", _l("Police harassment")
    DISCRIMINATION = "discrimination", _l("Denial of service or discrimination")
    EVICTION = "eviction", _l("Eviction")
    OTHER = "other", _l("Other")


class Perpetrator(CodedEnum):
    POLICE = "police", _l("Police")
    OTHER_AUTHORITY = "authority", _l("Other authority (army, immigration, officials)")
    CLIENT = "client", _l("Client")
    PARTNER = "partner", _l("Intimate partner")
    FAMILY = "family", _l("Family")
    COMMUNITY = "community", _l("Community member")
    HEALTH_WORKER = "health_worker", _l("Health worker")
    SEX_WORKER = "sex_worker", _l("Other sex worker")
    BAR_OWNER = "bar_owner", _l("Bar owner or pimp")
    UNKNOWN = "unknown", _l("Unknown")


# A case with any of these perpetrators is restricted: only the coordinator and assigned responders open it.
AUTHORITY_PERPETRATORS = frozenset({Perpetrator.POLICE, Perpetrator.OTHER_AUTHORITY})


class CaseStatus(CodedEnum):
    OPEN = "open", _l("Open")
    CLOSED = "closed", _l("Closed")


class CaseOutcome(CodedEnum):
    RESOLVED = "resolved", _l("Resolved")
    PARTLY_RESOLVED = "partly", _l("Partly resolved")
    UNRESOLVED = "unresolved", _l("Unresolved")
    WITHDREW = "withdrew", _l("Survivor withdrew")
    LOST = "lost", _l("Lost to follow-up")


class PerpetratorOutcome(CodedEnum):
    NONE = "none", _l("No action against the perpetrator")
    ARRESTED = "arrested", _l("Perpetrator arrested")
    CHARGED = "charged", _l("Perpetrator charged")
    CONVICTED = "convicted", _l("Perpetrator convicted")
    UNKNOWN = "unknown", _l("Not known")


class CrisisCase(Record, Base):
    """One crisis: who (if known), what happened, when and where, and how it ended."""

    __tablename__ = "crisis_cases"
    __table_args__ = (Index("ix_crisis_cases_clinic_status", "clinic_id", "status"),)

    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"))
    # A short reference people can say on the phone (random, says nothing about the survivor).
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    # The survivor: a registered client, someone not yet registered (alias + UIC, linked later), or anonymous.
    survivor_kind: Mapped[SurvivorKind] = mapped_column(coded(SurvivorKind, 14))
    client_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("clients.id"), index=True)
    survivor_alias: Mapped[str | None] = mapped_column(String(60))
    survivor_uic: Mapped[str | None] = mapped_column(String(16))
    # The report.
    reported_at: Mapped[datetime] = mapped_column(default=utcnow)
    reported_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    channel: Mapped[ReportChannel] = mapped_column(coded(ReportChannel, 10))
    # The incident, in the clinic's local time; the time may be unknown.
    incident_on: Mapped[date] = mapped_column(index=True)
    incident_time: Mapped[time | None]
    hotspot_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("hotspots.id"))
    place_text: Mapped[str | None] = mapped_column(String(120))
    town: Mapped[str | None] = mapped_column(String(80))
    country: Mapped[Country | None] = mapped_column(coded(Country, 2))
    perpetrator_count: Mapped[int | None]
    injured: Mapped[bool | None]
    safe_now: Mapped[bool | None]
    # Derived from the perpetrators (``refresh_restricted``), kept as a column so lists can filter on it.
    restricted: Mapped[bool] = mapped_column(default=False)
    narrative: Mapped[str | None] = mapped_column(Text)
    # How it ended.
    status: Mapped[CaseStatus] = mapped_column(coded(CaseStatus, 8), default=CaseStatus.OPEN)
    outcome: Mapped[CaseOutcome | None] = mapped_column(coded(CaseOutcome, 12))
    perpetrator_outcome: Mapped[PerpetratorOutcome | None] = mapped_column(coded(PerpetratorOutcome, 10))
    court_case: Mapped[bool] = mapped_column(default=False)
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # The form's one-time key: a second submit of the same form finds this row.
    submission_key: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)

    clinic: Mapped[Clinic] = relationship(lazy="joined")
    client: Mapped[Client | None] = relationship()
    hotspot: Mapped[Hotspot | None] = relationship()
    reported_by: Mapped[User] = relationship(foreign_keys=[reported_by_id])
    violation_rows: Mapped[list["CaseViolation"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="CaseViolation.violation"
    )
    perpetrator_rows: Mapped[list["CasePerpetrator"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="CasePerpetrator.perpetrator"
    )
    consents: Mapped[list["CaseConsent"]] = relationship(
        cascade="all, delete-orphan", order_by="CaseConsent.given_at", back_populates="case"
    )
    actions: Mapped[list["ResponseAction"]] = relationship(
        cascade="all, delete-orphan", order_by="ResponseAction.created_at", back_populates="case"
    )
    follow_ups: Mapped[list["FollowUp"]] = relationship(
        cascade="all, delete-orphan", order_by="FollowUp.due_on", back_populates="case"
    )
    assignments: Mapped[list["CaseAssignment"]] = relationship(cascade="all, delete-orphan", back_populates="case")

    @property
    def violations(self) -> list[Violation]:
        return [row.violation for row in self.violation_rows]

    @property
    def perpetrators(self) -> list[Perpetrator]:
        return [row.perpetrator for row in self.perpetrator_rows]

    def set_violations(self, violations) -> None:
        wanted = {Violation(v) for v in violations}
        self.violation_rows = [row for row in self.violation_rows if row.violation in wanted]
        have = set(self.violations)
        self.violation_rows.extend(CaseViolation(violation=v) for v in sorted(wanted - have))

    def set_perpetrators(self, perpetrators) -> None:
        wanted = {Perpetrator(p) for p in perpetrators}
        self.perpetrator_rows = [row for row in self.perpetrator_rows if row.perpetrator in wanted]
        have = set(self.perpetrators)
        self.perpetrator_rows.extend(CasePerpetrator(perpetrator=p) for p in sorted(wanted - have))
        self.refresh_restricted()

    def refresh_restricted(self) -> None:
        """Police or another authority among the perpetrators makes the case restricted."""
        self.restricted = bool(AUTHORITY_PERPETRATORS & set(self.perpetrators))

    @property
    def sexual_violence(self) -> bool:
        return Violation.SEXUAL in self.violations

    @property
    def is_open(self) -> bool:
        return self.status == CaseStatus.OPEN

    @property
    def responder_ids(self) -> set[uuid.UUID]:
        return {a.responder_id for a in self.assignments if a.ended_at is None}

    def consent_for(self, purpose: "ConsentPurpose") -> "CaseConsent | None":
        """The consent in force for ``purpose`` (given and not revoked), if any."""
        for consent in reversed(self.consents):
            if consent.purpose == purpose and consent.revoked_at is None:
                return consent
        return None

    def has_consent(self, purpose: "ConsentPurpose") -> bool:
        return self.consent_for(purpose) is not None

    def __repr__(self) -> str:
        return f"<CrisisCase {self.reference}>"


class CaseViolation(Base):
    """One violation type of a case (a case may have several)."""

    __tablename__ = "crisis_case_violations"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("crisis_cases.id", ondelete="CASCADE"), primary_key=True)
    violation: Mapped[Violation] = mapped_column(coded(Violation, 16), primary_key=True)


class CasePerpetrator(Base):
    """One perpetrator type of a case (a case may have several)."""

    __tablename__ = "crisis_case_perpetrators"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("crisis_cases.id", ondelete="CASCADE"), primary_key=True)
    perpetrator: Mapped[Perpetrator] = mapped_column(coded(Perpetrator, 16), primary_key=True)


class ConsentPurpose(CodedEnum):
    KEEP_RECORD = "keep_record", _l("Keep a record of the case")
    REFER_POLICE = "refer_police", _l("Referral to the police")
    REFER_LEGAL = "refer_legal", _l("Referral to legal aid")
    REFER_HEALTH = "refer_health", _l("Referral to health care")
    REFER_SHELTER = "refer_shelter", _l("Referral to a shelter")
    REFER_PSYCHOSOCIAL = "refer_psych", _l("Referral to psychosocial support")
    ADVOCACY = "advocacy", _l("Use of the de-identified case as advocacy or litigation evidence")


REFERRAL_PURPOSES = (
    ConsentPurpose.REFER_POLICE,
    ConsentPurpose.REFER_LEGAL,
    ConsentPurpose.REFER_HEALTH,
    ConsentPurpose.REFER_SHELTER,
    ConsentPurpose.REFER_PSYCHOSOCIAL,
)


class CaseConsent(Record, Base):
    """Consent for one purpose, given at a time and perhaps revoked later (a new consent is a new row)."""

    __tablename__ = "crisis_consents"

    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"))
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("crisis_cases.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[ConsentPurpose] = mapped_column(coded(ConsentPurpose, 16))
    given_at: Mapped[datetime] = mapped_column(default=utcnow)
    given_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    case: Mapped[CrisisCase] = relationship(back_populates="consents")

    @property
    def in_force(self) -> bool:
        return self.revoked_at is None


class ActionKind(CodedEnum):
    CRT_NOTIFIED = "crt_notified", _l("CRT notified")
    FIRST_CONTACT = "first_contact", _l("First contact with the survivor")
    SCENE_VISIT = "scene_visit", _l("Visit to the scene")
    POLICE_REPORT = "police_report", _l("Police report")
    LEGAL_AID = "legal_aid", _l("Legal aid")
    MEDICAL_CARE = "medical", _l("Medical care")
    PEP = "pep", _l("PEP")
    SHELTER = "shelter", _l("Shelter or relocation")
    PSYCHOSOCIAL = "psychosocial", _l("Psychosocial support")
    EMERGENCY_FUND = "fund", _l("Emergency fund")
    OTHER = "other", _l("Other")


class ActionStatus(CodedEnum):
    """The one list of what became of a service (REAct / GBVIMS practice)."""

    REFERRED = "referred", _l("Referred")
    PROVIDED = "provided", _l("Provided by us")
    ELSEWHERE = "elsewhere", _l("Already received elsewhere")
    DECLINED = "declined", _l("Declined by survivor")
    UNAVAILABLE = "unavailable", _l("Service unavailable")


class ResponseAction(Record, Base):
    """One step of the response. Without a status it is still to do (e.g. the PEP step of a new case)."""

    __tablename__ = "crisis_actions"

    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"))
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("crisis_cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ActionKind] = mapped_column(coded(ActionKind, 16))
    status: Mapped[ActionStatus | None] = mapped_column(coded(ActionStatus, 12))
    # When it was done (None while still to do), and who recorded it.
    done_at: Mapped[datetime | None]
    recorded_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    police_case_number: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(String(200))
    # The clinic visit that did it (PEP or medical care given at the clinic).
    visit_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("visits.id", ondelete="SET NULL"))

    case: Mapped[CrisisCase] = relationship(back_populates="actions")
    recorded_by: Mapped[User] = relationship()

    @property
    def done(self) -> bool:
        return self.status is not None


class FollowUp(Record, Base):
    """A follow-up due on a date, on the assigned responder's and the coordinator's lists until done."""

    __tablename__ = "crisis_follow_ups"
    __table_args__ = (Index("ix_crisis_follow_ups_assigned_due", "assigned_to_id", "done_at", "due_on"),)

    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"))
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("crisis_cases.id", ondelete="CASCADE"), index=True)
    due_on: Mapped[date]
    assigned_to_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(String(200))
    created_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    done_at: Mapped[datetime | None]
    done_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))

    case: Mapped[CrisisCase] = relationship(back_populates="follow_ups")
    assigned_to: Mapped[User] = relationship(foreign_keys=[assigned_to_id])

    def overdue(self, on: date) -> bool:
        return self.done_at is None and on > self.due_on


class CaseAssignment(Record, Base):
    """A member of staff assigned to respond to a case (ended, not deleted, when taken off it)."""

    __tablename__ = "crisis_assignments"
    __table_args__ = (UniqueConstraint("case_id", "responder_id", name="uq_crisis_assignments_case_responder"),)

    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"))
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("crisis_cases.id", ondelete="CASCADE"))
    responder_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    assigned_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]

    case: Mapped[CrisisCase] = relationship(back_populates="assignments")
    responder: Mapped[User] = relationship(foreign_keys=[responder_id])


class CaseVisit(Record, Base):
    """A clinic visit linked to a case: the survivor's clinical care (read only by clinical roles)."""

    __tablename__ = "crisis_case_visits"

    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"))
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("crisis_cases.id", ondelete="CASCADE"), index=True)
    # A visit belongs to at most one case.
    visit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), unique=True)
    linked_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
