"""The Visit model: one attendance of a client at a clinic on a date of service."""

import uuid
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic_app.auth.models import User
from clinic_app.clients.models import Client
from clinic_app.clinics.models import Clinic
from clinic_app.core.coded import CodedEnum
from clinic_app.core.db import Base, Record, coded


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
    __table_args__ = (Index("ix_visits_clinic_date", "clinic_id", "service_date"),)

    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"))
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    service_date: Mapped[date]
    visit_type: Mapped[VisitType] = mapped_column(coded(VisitType, 10))
    referral_code: Mapped[str | None] = mapped_column(String(16))
    recorded_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    notes: Mapped[str | None] = mapped_column(Text)

    clinic: Mapped[Clinic] = relationship(lazy="joined")
    client: Mapped[Client] = relationship()
    recorded_by: Mapped[User] = relationship()
    reason_rows: Mapped[list["VisitReasonRow"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="VisitReasonRow.reason"
    )

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
