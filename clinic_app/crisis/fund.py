"""Emergency fund services: funds and top-ups, applications on a case, four-eyes decisions, payments.

Every step is one unit of work with its audit line. A payment lowers the fund's balance with
``UPDATE ... SET balance = balance - amount`` in the paying transaction: the database's
CHECK (balance >= 0) refuses what the fund cannot cover, even when two payments race.
"""

import re
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update

from clinic_app.audit.services import record_event
from clinic_app.core.actor import Actor
from clinic_app.core.errors import Invalid, NotFound
from clinic_app.core.once import already_submitted, commit_once
from clinic_app.core.timeutil import local_today
from clinic_app.crisis.fund_models import (
    EmergencyFund,
    FundTopUp,
)
from clinic_app.crisis.money import MAX_AMOUNT
from clinic_app.extensions import db

CURRENCY = re.compile(r"^[A-Z]{3}$")
BACKDATE_DAYS = 366


def actor_today(actor: Actor) -> date:
    return local_today(actor.user.clinic.timezone)


def _amount_error(amount: int | None) -> str | None:
    if amount is None:
        return _("Give the amount as a number, for example 250 or 250.50.")
    if amount <= 0:
        return _("The amount must be more than zero.")
    if amount > MAX_AMOUNT:
        return _("This amount is too large; check it.")
    return None


def _date_error(day: date | None, today: date) -> str | None:
    if day is None:
        return _("Give the date.")
    if day > today:
        return _("This date is in the future.")
    if day < today - timedelta(days=BACKDATE_DAYS):
        return _("Dates older than a year cannot be entered.")
    return None


# --- funds ---------------------------------------------------------------------------


@dataclass
class FundInput:
    name: str
    donor: str | None
    currency: str
    opening_balance: int | None
    opened_on: date | None


def clinic_funds(*, actor: Actor, active_only: bool = False) -> list[EmergencyFund]:
    """The clinic's funds, active first then by name."""
    query = select(EmergencyFund).where(EmergencyFund.clinic_id == actor.clinic_id)
    if active_only:
        query = query.where(EmergencyFund.is_active.is_(True))
    return list(db.session.scalars(query.order_by(EmergencyFund.is_active.desc(), EmergencyFund.name)))


def clinic_fund(*, actor: Actor, fund_id) -> EmergencyFund:
    fund = db.session.get(EmergencyFund, fund_id)
    if fund is None or fund.clinic_id != actor.clinic_id:
        raise NotFound(_("No such fund."))
    return fund


def fund_errors(*, actor: Actor, data: FundInput, today: date) -> dict[str, str]:
    """What is wrong with a new fund, by field (empty when it can be saved)."""
    errors = {}
    name = (data.name or "").strip()
    if not name:
        errors["name"] = _("Give the fund a name.")
    elif db.session.scalar(
        select(EmergencyFund.id).where(EmergencyFund.clinic_id == actor.clinic_id, EmergencyFund.name == name[:80])
    ):
        errors["name"] = _("The clinic already has a fund with this name.")
    if not CURRENCY.match((data.currency or "").strip().upper()):
        errors["currency"] = _("Give the three-letter currency code, for example ZAR, USD or MZN.")
    if data.opening_balance is None or data.opening_balance < 0:
        errors["opening_balance"] = _("Give the opening balance (0 or more).")
    elif data.opening_balance > MAX_AMOUNT:
        errors["opening_balance"] = _("This amount is too large; check it.")
    if message := _date_error(data.opened_on, today):
        errors["opened_on"] = message
    return errors


def create_fund(*, actor: Actor, data: FundInput, today: date | None = None) -> EmergencyFund:
    """Open a fund with its opening balance (the balance starts there)."""
    actor.require("crisis.fund_manage")
    errors = fund_errors(actor=actor, data=data, today=today or actor_today(actor))
    if errors:
        raise Invalid(_("The fund was not saved."), errors)
    name, currency = data.name.strip(), data.currency.strip().upper()
    fund = EmergencyFund(
        id=uuid.uuid4(),
        clinic_id=actor.clinic_id,
        name=name[:80],
        donor=(data.donor or "").strip()[:120] or None,
        currency=currency,
        opening_balance=data.opening_balance,
        balance=data.opening_balance,
        opened_on=data.opened_on,
    )
    db.session.add(fund)
    record_event(actor=actor, action="fund.create", target=fund, detail=currency)
    db.session.commit()
    return fund


def top_up_errors(*, amount: int | None, received_on: date | None, today: date) -> dict[str, str]:
    errors = {}
    if message := _amount_error(amount):
        errors["amount"] = message
    if message := _date_error(received_on, today):
        errors["received_on"] = message
    return errors


def top_up(
    *,
    actor: Actor,
    fund_id,
    amount: int | None,
    received_on: date | None,
    note: str | None,
    submission_key: uuid.UUID,
    today: date | None = None,
) -> tuple[FundTopUp, bool]:
    """Add money to a fund; the balance rises in the same transaction."""
    actor.require("crisis.fund_manage")
    fund = clinic_fund(actor=actor, fund_id=fund_id)
    existing = already_submitted(FundTopUp, submission_key)
    if existing is not None:
        return existing, False
    errors = top_up_errors(amount=amount, received_on=received_on, today=today or actor_today(actor))
    if errors:
        raise Invalid(_("The top-up was not saved."), errors)
    row = FundTopUp(
        id=uuid.uuid4(),
        clinic_id=fund.clinic_id,
        fund_id=fund.id,
        amount=amount,
        received_on=received_on,
        note=(note or "").strip()[:200] or None,
        recorded_by_id=actor.id,
        submission_key=submission_key,
    )
    db.session.execute(
        update(EmergencyFund).where(EmergencyFund.id == fund.id).values(balance=EmergencyFund.balance + amount)
    )
    record_event(actor=actor, action="fund.top_up", target=fund)
    return commit_once(FundTopUp, row, submission_key)


def set_fund_active(*, actor: Actor, fund_id, active: bool) -> EmergencyFund:
    """Close a fund to new applications (or open it again); its history stays."""
    actor.require("crisis.fund_manage")
    fund = clinic_fund(actor=actor, fund_id=fund_id)
    fund.is_active = active
    record_event(actor=actor, action="fund.reopen" if active else "fund.close", target=fund)
    db.session.commit()
    return fund
