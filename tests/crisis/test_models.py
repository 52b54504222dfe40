"""What the crisis tables hold on their own: the fund's balance and four eyes, restricted cases."""

import uuid
from datetime import date

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from clinic_app.crisis.fund_models import EmergencyFund, FundApplication, FundPurpose
from clinic_app.crisis.models import CrisisCase, Perpetrator, ReportChannel, SurvivorKind, Violation
from clinic_app.extensions import db


def _case(clinic, user, **kw) -> CrisisCase:
    case = CrisisCase(
        clinic_id=clinic.id,
        reference=kw.pop("reference", uuid.uuid4().hex[:8]),
        survivor_kind=SurvivorKind.ANONYMOUS,
        reported_by_id=user.id,
        channel=ReportChannel.HOTLINE,
        incident_on=date(2026, 11, 19),
        submission_key=uuid.uuid4(),
        **kw,
    )
    db.session.add(case)
    return case


def _fund(clinic, balance=10_000) -> EmergencyFund:
    fund = EmergencyFund(
        clinic_id=clinic.id,
        name="CRT fund",
        donor="Aidsfonds",
        currency="USD",
        opening_balance=balance,
        balance=balance,
        opened_on=date(2026, 1, 1),
    )
    db.session.add(fund)
    db.session.flush()
    return fund


def test_police_or_another_authority_among_perpetrators_makes_the_case_restricted(clinic, nurse):
    case = _case(clinic, nurse)
    case.set_perpetrators([Perpetrator.CLIENT])
    assert not case.restricted
    case.set_perpetrators([Perpetrator.CLIENT, Perpetrator.POLICE])
    assert case.restricted
    case.set_perpetrators([Perpetrator.OTHER_AUTHORITY])
    assert case.restricted
    case.set_perpetrators([Perpetrator.UNKNOWN])
    assert not case.restricted


def test_violation_types_are_a_set_of_coded_rows(clinic, nurse):
    case = _case(clinic, nurse)
    case.set_violations(["sexual", Violation.PHYSICAL, "sexual"])
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(CrisisCase, case.id)
    assert stored.violations == [Violation.PHYSICAL, Violation.SEXUAL]
    assert stored.sexual_violence


def test_the_database_refuses_a_payment_that_takes_the_balance_below_zero(clinic, nurse):
    fund = _fund(clinic, balance=5_000)
    db.session.commit()
    pay = update(EmergencyFund).where(EmergencyFund.id == fund.id).values(balance=EmergencyFund.balance - 5_001)
    with pytest.raises(IntegrityError):
        db.session.execute(pay)
    db.session.rollback()
    db.session.execute(pay.values(balance=EmergencyFund.balance - 5_000))
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(EmergencyFund, fund.id).balance == 0


def test_the_database_refuses_a_decision_by_the_person_who_asked(clinic, make):
    peer = make.user(role="peer_educator", clinic=clinic, username="peer")
    coordinator = make.user(role="crt_coordinator", clinic=clinic, username="crt")
    case = _case(clinic, peer)
    fund = _fund(clinic)
    application = FundApplication(
        clinic_id=clinic.id,
        fund_id=fund.id,
        case_id=case.id,
        purpose=FundPurpose.MEDICAL,
        amount=2_500,
        currency="USD",
        requested_by_id=coordinator.id,
        decided_by_id=coordinator.id,
    )
    db.session.add(application)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
