"""A fund's statement for a period: money in and out with a running balance, as plain rows.

No survivor identity: a payment is named by its purpose and the case reference only.
The renderers (fund_render.py) never touch the database.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import select

from clinic_app.audit.services import record_alone
from clinic_app.core.actor import Actor
from clinic_app.core.db import utcnow
from clinic_app.core.errors import Invalid
from clinic_app.crisis.fund import clinic_fund
from clinic_app.crisis.fund_models import ApplicationStatus, EmergencyFund, FundApplication, FundPurpose, FundTopUp
from clinic_app.crisis.models import CrisisCase
from clinic_app.extensions import db


@dataclass
class StatementLine:
    day: date
    kind: str  # "opening", "top_up" or "payment"
    description: str
    reference: str = ""  # the case reference of a payment
    receipt: str = ""
    money_in: int = 0
    money_out: int = 0
    balance: int = 0
    purpose: FundPurpose | None = None


@dataclass
class Statement:
    clinic: str
    fund: str
    donor: str
    currency: str
    start: date
    end: date
    brought_forward: int
    lines: list[StatementLine]
    total_in: int
    total_out: int
    closing: int
    by_purpose: list[tuple[str, int, int]] = field(default_factory=list)  # label, payments, amount
    generated_at: datetime | None = None
    generated_by: str = ""


def _movements(fund: EmergencyFund) -> list[StatementLine]:
    """Every movement of the fund, oldest first (one query for top-ups, one for payments)."""
    lines = [StatementLine(fund.opened_on, "opening", _("Opening balance"), money_in=fund.opening_balance)]
    for top_up in db.session.scalars(select(FundTopUp).where(FundTopUp.fund_id == fund.id)):
        lines.append(StatementLine(top_up.received_on, "top_up", top_up.note or _("Top-up"), money_in=top_up.amount))
    payments = db.session.execute(
        select(FundApplication, CrisisCase.reference)
        .join(CrisisCase, CrisisCase.id == FundApplication.case_id)
        .where(FundApplication.fund_id == fund.id, FundApplication.status == ApplicationStatus.PAID)
    )
    for application, reference in payments:
        lines.append(
            StatementLine(
                application.paid_on,
                "payment",
                str(application.purpose.label),
                reference=reference,
                receipt=application.receipt_ref or "",
                money_out=application.amount,
                purpose=application.purpose,
            )
        )
    order = {"opening": 0, "top_up": 1, "payment": 2}
    return sorted(lines, key=lambda line: (line.day, order[line.kind], line.reference))


def fund_statement(*, actor: Actor, fund_id, start: date | None, end: date | None) -> Statement:
    """The statement of one fund from ``start`` to ``end`` (both included)."""
    actor.require("crisis.fund_statement")
    if start is None or end is None or end < start:
        raise Invalid(_("No statement was made."), {"end": _("Give a period whose end is not before its start.")})
    fund = clinic_fund(actor=actor, fund_id=fund_id)
    brought_forward, lines, purposes = 0, [], {p: [0, 0] for p in FundPurpose}
    for line in _movements(fund):
        if line.day < start:
            brought_forward += line.money_in - line.money_out
        elif line.day <= end:
            lines.append(line)
            if line.kind == "payment":
                purposes[line.purpose][0] += 1
                purposes[line.purpose][1] += line.money_out
    balance = brought_forward
    for line in lines:
        balance += line.money_in - line.money_out
        line.balance = balance
    return Statement(
        clinic=actor.user.clinic.name,
        fund=fund.name,
        donor=fund.donor or "",
        currency=fund.currency,
        start=start,
        end=end,
        brought_forward=brought_forward,
        lines=lines,
        total_in=sum(line.money_in for line in lines),
        total_out=sum(line.money_out for line in lines),
        closing=balance,
        by_purpose=[(str(p.label), n, amount) for p, (n, amount) in purposes.items() if n],
        generated_at=utcnow(),
        generated_by=actor.user.display_name,
    )


def record_statement_export(*, actor: Actor, fund_id, output: str, start: date, end: date) -> None:
    """Every statement file that leaves the app is audited (which fund, period and format)."""
    record_alone(
        actor=actor,
        action="fund.statement",
        object_type="emergency_funds",
        object_id=fund_id,
        detail=f"{output} {start.isoformat()}..{end.isoformat()}",
    )
