"""Synthetic emergency-fund activity: a fund per site, top-ups, and applications on crisis cases asked by
the staff who respond and decided and paid by the coordinator (four eyes), through the fund's services."""

import random
import uuid
from datetime import UTC, date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from clinic_app.auth.models import User
from clinic_app.clinics.models import Clinic
from clinic_app.core.actor import Actor
from clinic_app.core.db import utcnow
from clinic_app.core.errors import DomainError
from clinic_app.core.permissions import Role
from clinic_app.core.timeutil import local_today
from clinic_app.crisis import fund, fund_applications
from clinic_app.crisis.fund_models import FundApplication
from clinic_app.crisis.models import CrisisCase
from clinic_app.extensions import db

CURRENCY = {"ZA": "ZAR", "ZW": "USD", "MZ": "MZN", "BW": "BWP"}
# (purpose, typical amount in the currency's major units)
COSTS = [("medical", 400), ("transport", 60), ("relocation", 900), ("legal", 700), ("shelter_food", 250)]


def _apply(rng, case: CrisisCase, asker: User, fund_id) -> uuid.UUID | None:
    purpose, typical = rng.choice(COSTS)
    data = fund_applications.ApplicationInput(
        fund_id=str(fund_id), purpose=purpose, amount=int(typical * rng.uniform(0.5, 1.5)) * 100, note=None
    )
    try:
        application, _created = fund_applications.apply_for_funds(
            actor=Actor(asker), case_id=case.id, data=data, submission_key=uuid.uuid4()
        )
    except DomainError:
        return None
    return application.id


def _decide_and_pay(rng, coordinator: User, application_id, today: date) -> None:
    actor = Actor(coordinator)
    if rng.random() < 0.15:
        fund_applications.decide(actor=actor, application_id=application_id, approve=False, reason="Paid by the NGO")
        return
    fund_applications.decide(actor=actor, application_id=application_id, approve=True, reason="Within the rules")
    if rng.random() < 0.8:
        payment = fund_applications.PaymentInput(
            paid_on=today,
            method=rng.choice(["cash", "mobile_money", "to_provider"]),
            receipt_ref=f"R-{rng.randint(1000, 9999)}",
        )
        try:
            fund_applications.pay(actor=actor, application_id=application_id, data=payment, today=today)
        except DomainError:
            pass  # the fund could not cover it: it stays approved, as at a real clinic


def add_fund_activity(rng: random.Random, clinics: dict[str, Clinic]) -> None:
    for clinic in clinics.values():
        staff = list(db.session.scalars(select(User).where(User.clinic_id == clinic.id, User.active.is_(True))))
        coordinator = next((u for u in staff if u.role == Role.CRT_COORDINATOR), None)
        if coordinator is None:
            continue
        today = local_today(clinic.timezone)
        currency = CURRENCY.get(str(clinic.country), "USD")
        opened = fund.create_fund(
            actor=Actor(coordinator),
            data=fund.FundInput(
                name="CRT emergency fund",
                donor="Aidsfonds (synthetic)",
                currency=currency,
                opening_balance=5_000_00,
                opened_on=today - timedelta(days=200),
            ),
            today=today,
        )
        fund.top_up(
            actor=Actor(coordinator),
            fund_id=opened.id,
            amount=2_500_00,
            received_on=today - timedelta(days=90),
            note="Quarterly transfer",
            submission_key=uuid.uuid4(),
            today=today,
        )
        # Applications go on cases still open (a closed case takes none).
        cases = db.session.scalars(
            select(CrisisCase).where(CrisisCase.clinic_id == clinic.id).order_by(CrisisCase.reported_at)
        ).all()
        askers = [u for u in staff if u.role in (Role.PEER_EDUCATOR, Role.NURSE)]
        asked = set()
        for case in cases:
            asker = next((u for u in askers if u.id == case.reported_by_id), None)
            if asker is None or not case.is_open or (asker.id in asked and rng.random() > 0.5):
                continue
            application_id = _apply(rng, case, asker, opened.id)
            asked.add(asker.id)
            if application_id is not None and rng.random() < 0.8:
                _decide_and_pay(rng, coordinator, application_id, today)
            if application_id is not None:
                _at_the_time_of_the_case(rng, db.session.get(FundApplication, application_id), clinic)


def _at_the_time_of_the_case(rng, application: FundApplication, clinic: Clinic) -> None:
    """The services stamp the moment of seeding: move the application, its decision and its payment to
    the days after the case was reported, as they happened at a real clinic (never in the future)."""
    now = utcnow()
    asked = min(application.case.reported_at + timedelta(hours=rng.randint(2, 48)), now)
    application.requested_at = asked
    if application.decided_at is not None:
        application.decided_at = min(asked + timedelta(hours=rng.randint(1, 30)), now)
    if application.paid_at is not None:
        application.paid_at = min(application.decided_at + timedelta(hours=rng.randint(1, 72)), now)
        application.paid_on = application.paid_at.replace(tzinfo=UTC).astimezone(ZoneInfo(clinic.timezone)).date()
