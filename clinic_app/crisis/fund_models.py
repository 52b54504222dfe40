"""The emergency fund: funds, top-ups and applications tied to a case. Money in integer minor units.

The balance lives on the fund row under ``CHECK (balance >= 0)``: paying an application lowers it
with ``UPDATE ... SET balance = balance - amount`` in the paying transaction, so the database itself
refuses a payment the fund cannot cover, whatever the form said.
"""

import uuid
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clinic_app.auth.models import User
from clinic_app.core.coded import CodedEnum
from clinic_app.core.db import Base, Record, coded, utcnow
from clinic_app.crisis.models import CrisisCase


class EmergencyFund(Record, Base):
    """A fund the clinic pays crisis costs from (one currency)."""

    __tablename__ = "emergency_funds"
    __table_args__ = (
        CheckConstraint("balance >= 0", name="balance_not_negative"),
        CheckConstraint("opening_balance >= 0", name="opening_not_negative"),
    )

    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    donor: Mapped[str | None] = mapped_column(String(120))
    # ISO 4217 code (ZAR, USD, MZN, BWP, ...).
    currency: Mapped[str] = mapped_column(String(3))
    opening_balance: Mapped[int] = mapped_column(default=0)
    opened_on: Mapped[date]
    # Opening balance + top-ups - payments, kept in the same transaction as each of them.
    balance: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)

    top_ups: Mapped[list["FundTopUp"]] = relationship(back_populates="fund", order_by="FundTopUp.received_on")


class FundTopUp(Record, Base):
    """Money added to a fund."""

    __tablename__ = "fund_top_ups"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"))
    fund_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("emergency_funds.id"), index=True)
    amount: Mapped[int]
    received_on: Mapped[date]
    note: Mapped[str | None] = mapped_column(String(200))
    recorded_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    # The form's one-time key: a double tap never adds the money twice.
    submission_key: Mapped[uuid.UUID | None] = mapped_column(Uuid, unique=True)

    fund: Mapped[EmergencyFund] = relationship(back_populates="top_ups")


class FundPurpose(CodedEnum):
    MEDICAL = "medical", _l("Hospital or medical bill")
    RELOCATION = "relocation", _l("Relocation")
    TRANSPORT = "transport", _l("Transport")
    LEGAL = "legal", _l("Legal fees")
    SHELTER_FOOD = "shelter_food", _l("Shelter or food")
    OTHER = "other", _l("Other")


class ApplicationStatus(CodedEnum):
    REQUESTED = "requested", _l("Waiting for a decision")
    APPROVED = "approved", _l("Approved, not yet paid")
    REFUSED = "refused", _l("Refused")
    PAID = "paid", _l("Paid")
    CANCELLED = "cancelled", _l("Cancelled")


class PaymentMethod(CodedEnum):
    CASH = "cash", _l("Cash")
    MOBILE_MONEY = "mobile_money", _l("Mobile money")
    BANK = "bank", _l("Bank transfer")
    TO_PROVIDER = "to_provider", _l("Paid to the provider directly")


class FundApplication(Record, Base):
    """A request to pay a cost of a case from a fund; decided by another person (four eyes), then paid."""

    __tablename__ = "fund_applications"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        # Four eyes: whoever decides is not whoever asked.
        CheckConstraint("decided_by_id IS NULL OR decided_by_id <> requested_by_id", name="four_eyes"),
    )

    clinic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clinics.id"), index=True)
    fund_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("emergency_funds.id"), index=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("crisis_cases.id"), index=True)
    purpose: Mapped[FundPurpose] = mapped_column(coded(FundPurpose, 12))
    amount: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    note: Mapped[str | None] = mapped_column(String(200))
    requested_by_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[ApplicationStatus] = mapped_column(coded(ApplicationStatus, 10), default=ApplicationStatus.REQUESTED)
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(String(200))
    paid_at: Mapped[datetime | None]
    # The date the money went out (as on the receipt); paid_at is when it was recorded.
    paid_on: Mapped[date | None]
    paid_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    payment_method: Mapped[PaymentMethod | None] = mapped_column(coded(PaymentMethod, 12))
    receipt_ref: Mapped[str | None] = mapped_column(String(60))
    submission_key: Mapped[uuid.UUID | None] = mapped_column(Uuid, unique=True)

    fund: Mapped[EmergencyFund] = relationship()
    case: Mapped[CrisisCase] = relationship()
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
