"""Applications to the emergency fund: asked on a case, decided by another person, then paid."""

import uuid
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from clinic_app.audit.services import record_alone, record_event
from clinic_app.core.actor import Actor
from clinic_app.core.db import utcnow
from clinic_app.core.errors import Conflict, Invalid, NotAllowed, NotFound
from clinic_app.core.once import already_submitted, commit_once
from clinic_app.crisis import access
from clinic_app.crisis.fund import _amount_error, _date_error, actor_today, clinic_fund
from clinic_app.crisis.fund_models import ApplicationStatus, EmergencyFund, FundApplication, FundPurpose, PaymentMethod
from clinic_app.crisis.models import CrisisCase
from clinic_app.crisis.money import format_money
from clinic_app.extensions import db

OPEN_STATUSES = (ApplicationStatus.REQUESTED, ApplicationStatus.APPROVED)


def case_readable(actor: Actor, case: CrisisCase) -> bool:
    """Who may read the case may apply on it (the one rule, in crisis/access.py)."""
    return access.readable(actor, case)


def readable_case(*, actor: Actor, case_id) -> CrisisCase:
    case = db.session.get(CrisisCase, case_id)
    if case is None or case.clinic_id != actor.clinic_id:
        raise NotFound(_("No such case."))
    if not case_readable(actor, case):
        raise NotAllowed(_("You may not open this case."))
    return case


@dataclass
class ApplicationInput:
    fund_id: str | None
    purpose: str | None
    amount: int | None
    note: str | None = None


def application_errors(*, actor: Actor, case: CrisisCase, data: ApplicationInput) -> dict[str, str]:
    """What is wrong with an application, by field (empty when it can be saved)."""
    errors = {}
    if _active_fund(actor, data.fund_id) is None:
        errors["fund_id"] = _("Choose the fund.")
    if not case.is_open:
        errors["fund_id"] = _("The case is closed: reopen it before asking the fund.")
    if data.purpose not in {p.value for p in FundPurpose}:
        errors["purpose"] = _("Choose what the money is for.")
    if message := _amount_error(data.amount):
        errors["amount"] = message
    return errors


def apply_for_funds(
    *, actor: Actor, case_id, data: ApplicationInput, submission_key: uuid.UUID
) -> tuple[FundApplication, bool]:
    """Ask the fund to pay a cost of a case, in the fund's currency; a coordinator decides."""
    actor.require("crisis.fund_request")
    case = readable_case(actor=actor, case_id=case_id)
    existing = already_submitted(FundApplication, submission_key)
    if existing is not None:
        return existing, False
    errors = application_errors(actor=actor, case=case, data=data)
    if errors:
        raise Invalid(_("The application was not saved."), errors)
    fund = _active_fund(actor, data.fund_id)
    application = FundApplication(
        id=uuid.uuid4(),
        clinic_id=case.clinic_id,
        fund_id=fund.id,
        case_id=case.id,
        purpose=FundPurpose(data.purpose),
        amount=data.amount,
        currency=fund.currency,
        note=(data.note or "").strip()[:200] or None,
        requested_by_id=actor.id,
        submission_key=submission_key,
    )
    record_event(actor=actor, action="fund.apply", target=application, detail=data.purpose)
    return commit_once(FundApplication, application, submission_key)


def _active_fund(actor: Actor, fund_id) -> EmergencyFund | None:
    try:
        fund = clinic_fund(actor=actor, fund_id=uuid.UUID(str(fund_id)))
    except (NotFound, ValueError):
        return None
    return fund if fund.is_active else None


def visible_application(*, actor: Actor, application_id) -> FundApplication:
    """An application of the clinic that the actor may see: the coordinator any, others their own
    (and only while they may still read its case)."""
    application = db.session.get(FundApplication, application_id)
    if application is None or application.clinic_id != actor.clinic_id:
        raise NotFound(_("No such application."))
    if actor.can("crisis.fund_decide"):
        return application
    if application.requested_by_id != actor.id or not case_readable(actor, application.case):
        raise NotFound(_("No such application."))
    return application


def open_application(*, actor: Actor, application_id) -> FundApplication:
    """An application shown on its page; the opening is audited."""
    actor.require("crisis.fund_request")
    application = visible_application(actor=actor, application_id=application_id)
    record_alone(actor=actor, action="fund.view", object_type="fund_applications", object_id=application.id)
    return application


def listed_applications(*, actor: Actor, statuses=None) -> list[FundApplication]:
    """The fund page's list; one audit line names the applications shown."""
    rows = applications(actor=actor, statuses=statuses)
    if rows:
        record_event(actor=actor, action="fund.list", object_type="fund_applications", object_ids=[a.id for a in rows])
        db.session.commit()
        rows = applications(actor=actor, statuses=statuses)  # read back at once: the commit expired them
    return rows


def applications(*, actor: Actor, statuses=None, case_id=None) -> list[FundApplication]:
    """Applications the actor may see, newest first: all of the clinic for the coordinator, else their own."""
    query = (
        select(FundApplication)
        .where(FundApplication.clinic_id == actor.clinic_id)
        .options(
            selectinload(FundApplication.fund),
            selectinload(FundApplication.case),
            selectinload(FundApplication.requested_by),  # the lists name who asked
        )
        .order_by(FundApplication.requested_at.desc())
    )
    if not actor.can("crisis.fund_decide"):
        query = query.where(FundApplication.requested_by_id == actor.id)
    if statuses:
        query = query.where(FundApplication.status.in_(statuses))
    if case_id is not None:
        query = query.where(FundApplication.case_id == case_id)
    return list(db.session.scalars(query.limit(200)))


def _for_decision(actor: Actor, application_id, status: ApplicationStatus) -> FundApplication:
    application = db.session.get(FundApplication, application_id)
    if application is None or application.clinic_id != actor.clinic_id:
        raise NotFound(_("No such application."))
    if application.status != status:
        raise Conflict(_("This application is already %(status)s.", status=application.status.label.lower()))
    return application


def decide(*, actor: Actor, application_id, approve: bool, reason: str | None) -> FundApplication:
    """Approve or refuse an application; never by the person who asked (four eyes)."""
    actor.require("crisis.fund_decide")
    application = _for_decision(actor, application_id, ApplicationStatus.REQUESTED)
    reason = (reason or "").strip()[:200]
    if application.requested_by_id == actor.id:
        raise NotAllowed(_("Someone else must decide on an application you made."))
    if not reason:
        raise Invalid(_("Nothing was decided."), {"reason": _("Give the reason for the decision.")})
    now = utcnow()
    status = ApplicationStatus.APPROVED if approve else ApplicationStatus.REFUSED
    # Only a still-waiting application changes: two coordinators deciding at once cannot both win.
    changed = db.session.execute(
        update(FundApplication)
        .where(FundApplication.id == application.id, FundApplication.status == ApplicationStatus.REQUESTED)
        .values(status=status, decided_by_id=actor.id, decided_at=now, decision_reason=reason, updated_at=now)
    ).rowcount
    if changed != 1:
        db.session.rollback()
        raise Conflict(_("Someone else decided on this application just now."))
    record_event(actor=actor, action="fund.approve" if approve else "fund.refuse", target=application)
    db.session.commit()
    db.session.refresh(application)
    return application


@dataclass
class PaymentInput:
    paid_on: date | None
    method: str | None
    receipt_ref: str | None


def payment_errors(*, data: PaymentInput, today: date) -> dict[str, str]:
    errors = {}
    if message := _date_error(data.paid_on, today):
        errors["paid_on"] = message
    if data.method not in {m.value for m in PaymentMethod}:
        errors["method"] = _("Choose how it was paid.")
    if not (data.receipt_ref or "").strip():
        errors["receipt_ref"] = _("Give the receipt or transaction reference.")
    return errors


def pay(*, actor: Actor, application_id, data: PaymentInput, today: date | None = None) -> FundApplication:
    """Record that an approved application was paid; the fund's balance falls in the same transaction."""
    actor.require("crisis.fund_manage")
    application = _for_decision(actor, application_id, ApplicationStatus.APPROVED)
    errors = payment_errors(data=data, today=today or actor_today(actor))
    if errors:
        raise Invalid(_("The payment was not saved."), errors)
    receipt = data.receipt_ref.strip()[:60]
    now = utcnow()
    try:
        changed = db.session.execute(
            update(FundApplication)
            .where(FundApplication.id == application.id, FundApplication.status == ApplicationStatus.APPROVED)
            .values(
                status=ApplicationStatus.PAID,
                paid_at=now,
                paid_on=data.paid_on,
                paid_by_id=actor.id,
                payment_method=PaymentMethod(data.method),
                receipt_ref=receipt,
                updated_at=now,
            )
        ).rowcount
        if changed != 1:
            raise Conflict(_("This application was paid just now by someone else."))
        db.session.execute(
            update(EmergencyFund)
            .where(EmergencyFund.id == application.fund_id)
            .values(balance=EmergencyFund.balance - application.amount, updated_at=now)
        )
        record_event(actor=actor, action="fund.pay", target=application, detail=data.method)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        fund = db.session.get(EmergencyFund, application.fund_id)
        raise Conflict(
            _(
                "The fund cannot pay this: %(balance)s left, %(amount)s asked. Nothing was paid.",
                balance=format_money(fund.balance, fund.currency),
                amount=format_money(application.amount, application.currency),
            )
        ) from None
    except Conflict:
        db.session.rollback()
        raise
    db.session.refresh(application)
    return application


def cancel(*, actor: Actor, application_id) -> FundApplication:
    """Withdraw an application not yet paid: the person who asked, or the coordinator."""
    actor.require("crisis.fund_request")
    application = visible_application(actor=actor, application_id=application_id)
    if application.status not in OPEN_STATUSES:
        raise Conflict(_("Only an application not yet paid or refused can be cancelled."))
    now = utcnow()
    changed = db.session.execute(
        update(FundApplication)
        .where(FundApplication.id == application.id, FundApplication.status.in_(OPEN_STATUSES))
        .values(status=ApplicationStatus.CANCELLED, updated_at=now)
    ).rowcount
    if changed != 1:
        db.session.rollback()
        raise Conflict(_("This application changed just now; look at it again."))
    record_event(actor=actor, action="fund.cancel", target=application)
    db.session.commit()
    db.session.refresh(application)
    return application


def waiting_count(*, actor: Actor) -> int:
    """Applications waiting for the coordinator (for the home page and the fund page)."""
    if not actor.can("crisis.fund_decide"):
        return 0
    return len(applications(actor=actor, statuses=[ApplicationStatus.REQUESTED]))
