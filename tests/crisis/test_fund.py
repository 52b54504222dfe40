"""The emergency fund's rules: who may ask, four eyes, payments the balance can cover, every step audited."""

import threading
import uuid
from datetime import date

import pytest

from clinic_app.auth.models import User
from clinic_app.core.actor import Actor
from clinic_app.core.errors import Conflict, Invalid, NotAllowed
from clinic_app.crisis import fund, fund_applications
from clinic_app.crisis.fund_applications import ApplicationInput, PaymentInput
from clinic_app.crisis.fund_models import ApplicationStatus, EmergencyFund, FundApplication
from clinic_app.extensions import db
from tests.crisis.fundkit import make_application, make_case, make_fund
from tests.helpers import audit_events

TODAY = date(2026, 11, 20)


@pytest.fixture
def peer(make, clinic):
    return make.user(role="peer_educator", clinic=clinic, username="peer")


@pytest.fixture
def crt(make, clinic):
    return make.user(role="crt_coordinator", clinic=clinic, username="crt")


@pytest.fixture
def crt2(make, clinic):
    return make.user(role="crt_coordinator", clinic=clinic, username="crt2")


def _apply(actor_user, case, fund_row, amount=2_500, purpose="medical"):
    application, _created = fund_applications.apply_for_funds(
        actor=Actor(actor_user),
        case_id=case.id,
        data=ApplicationInput(fund_id=str(fund_row.id), purpose=purpose, amount=amount),
        submission_key=uuid.uuid4(),
    )
    return application


def _payment(**kw):
    return PaymentInput(**{"paid_on": TODAY, "method": "cash", "receipt_ref": "R-001", **kw})


def _balance(fund_id) -> int:
    db.session.expire_all()
    return db.session.get(EmergencyFund, fund_id).balance


def test_a_new_fund_starts_at_its_opening_balance_and_top_ups_add_to_it(clinic, crt):
    actor = Actor(crt)
    data = fund.FundInput(name="CRT fund", donor="Aidsfonds", currency="zar", opening_balance=50_000, opened_on=TODAY)
    created = fund.create_fund(actor=actor, data=data, today=TODAY)
    assert (created.currency, created.balance) == ("ZAR", 50_000)
    key = uuid.uuid4()
    for _ in range(2):  # a double tap adds the money once
        fund.top_up(
            actor=actor,
            fund_id=created.id,
            amount=20_000,
            received_on=TODAY,
            note="Q4",
            submission_key=key,
            today=TODAY,
        )
    assert _balance(created.id) == 70_000
    assert [e.action for e in audit_events() if e.action.startswith("fund.")] == ["fund.create", "fund.top_up"]


def test_a_fund_needs_a_name_a_currency_code_and_a_balance_all_reported_at_once(clinic, crt):
    data = fund.FundInput(name=" ", donor=None, currency="rand", opening_balance=None, opened_on=date(2027, 1, 1))
    with pytest.raises(Invalid) as error:
        fund.create_fund(actor=Actor(crt), data=data, today=TODAY)
    assert set(error.value.field_errors) == {"name", "currency", "opening_balance", "opened_on"}


def test_a_peer_educator_asks_on_a_case_she_reported_in_the_funds_currency(clinic, peer):
    case = make_case(clinic, peer)
    fund_row = make_fund(clinic, currency="ZAR")
    application = _apply(peer, case, fund_row)
    assert (application.status, application.currency, application.amount) == (ApplicationStatus.REQUESTED, "ZAR", 2_500)
    [event] = audit_events("fund.apply")
    assert event.actor_id == peer.id and event.detail == "medical"


def test_nobody_may_ask_on_a_case_they_may_not_read(clinic, make, peer, nurse):
    other_peer = make.user(role="peer_educator", clinic=clinic)
    case = make_case(clinic, other_peer)
    fund_row = make_fund(clinic)
    for user in (peer, nurse):
        with pytest.raises(NotAllowed):
            _apply(user, case, fund_row)
    assert db.session.query(FundApplication).count() == 0


def test_a_restricted_case_is_asked_on_only_by_the_coordinator_or_an_assigned_responder(clinic, peer, crt):
    case = make_case(clinic, peer, perpetrators=["police"])
    assert case.restricted
    fund_row = make_fund(clinic)
    with pytest.raises(NotAllowed):  # she reported it, but police cases are for the coordinator and assignees
        _apply(peer, case, fund_row)
    assert _apply(crt, case, fund_row).status == ApplicationStatus.REQUESTED


def test_amount_purpose_and_fund_errors_come_together(clinic, peer):
    case = make_case(clinic, peer)
    with pytest.raises(Invalid) as error:
        fund_applications.apply_for_funds(
            actor=Actor(peer),
            case_id=case.id,
            data=ApplicationInput(fund_id="nonsense", purpose="", amount=-100),
            submission_key=uuid.uuid4(),
        )
    assert set(error.value.field_errors) == {"fund_id", "purpose", "amount"}


def test_four_eyes_the_person_who_asked_cannot_decide(clinic, crt, crt2):
    case = make_case(clinic, crt)
    application = _apply(crt, case, make_fund(clinic))
    with pytest.raises(NotAllowed):
        fund_applications.decide(actor=Actor(crt), application_id=application.id, approve=True, reason="urgent")
    decided = fund_applications.decide(actor=Actor(crt2), application_id=application.id, approve=True, reason="ok")
    assert (decided.status, decided.decided_by_id) == (ApplicationStatus.APPROVED, crt2.id)


def test_a_decision_needs_a_reason_and_a_refusal_keeps_it(clinic, peer, crt):
    application = _apply(peer, make_case(clinic, peer), make_fund(clinic))
    with pytest.raises(Invalid):
        fund_applications.decide(actor=Actor(crt), application_id=application.id, approve=False, reason="  ")
    refused = fund_applications.decide(
        actor=Actor(crt), application_id=application.id, approve=False, reason="Covered by the hospital"
    )
    assert (refused.status, refused.decision_reason) == (ApplicationStatus.REFUSED, "Covered by the hospital")
    with pytest.raises(Conflict):  # a refused application is not paid
        fund_applications.pay(actor=Actor(crt), application_id=application.id, data=_payment(), today=TODAY)
    assert [e.action for e in audit_events("fund.refuse")] == ["fund.refuse"]


def test_payment_lowers_the_balance_with_date_method_and_receipt(clinic, peer, crt):
    fund_row = make_fund(clinic, balance=10_000)
    application = _apply(peer, make_case(clinic, peer), fund_row, amount=4_000)
    fund_applications.decide(actor=Actor(crt), application_id=application.id, approve=True, reason="ok")
    paid = fund_applications.pay(
        actor=Actor(crt), application_id=application.id, data=_payment(method="mobile_money"), today=TODAY
    )
    assert (paid.status, paid.paid_on, paid.receipt_ref, paid.paid_by_id) == (
        ApplicationStatus.PAID,
        TODAY,
        "R-001",
        crt.id,
    )
    assert _balance(fund_row.id) == 6_000
    with pytest.raises(Conflict):  # paid once only
        fund_applications.pay(actor=Actor(crt), application_id=application.id, data=_payment(), today=TODAY)
    assert _balance(fund_row.id) == 6_000
    assert [e.action for e in audit_events() if e.action.startswith("fund.")] == [
        "fund.apply",
        "fund.approve",
        "fund.pay",
    ]


def test_the_database_refuses_a_payment_the_fund_cannot_cover_and_nothing_changes(clinic, peer, crt):
    fund_row = make_fund(clinic, balance=3_000)
    case = make_case(clinic, peer)
    application = make_application(fund_row, case, peer, amount=3_001, status=ApplicationStatus.APPROVED)
    with pytest.raises(Conflict) as error:
        fund_applications.pay(actor=Actor(crt), application_id=application.id, data=_payment(), today=TODAY)
    assert "Nothing was paid" in error.value.message
    db.session.expire_all()
    assert db.session.get(FundApplication, application.id).status == ApplicationStatus.APPROVED
    assert _balance(fund_row.id) == 3_000
    assert audit_events("fund.pay") == []


def test_a_payment_needs_its_date_method_and_receipt(clinic, peer, crt):
    application = make_application(make_fund(clinic), make_case(clinic, peer), peer, status=ApplicationStatus.APPROVED)
    with pytest.raises(Invalid) as error:
        fund_applications.pay(
            actor=Actor(crt),
            application_id=application.id,
            data=PaymentInput(paid_on=date(2026, 12, 1), method="cheque", receipt_ref=""),
            today=TODAY,
        )
    assert set(error.value.field_errors) == {"paid_on", "method", "receipt_ref"}


@pytest.mark.serial  # two threads race for one fund
def test_two_payments_at_once_never_take_the_balance_below_zero(app, clinic, peer, crt, crt2):
    """Both applications are approved and each alone fits; together they do not. The database decides."""
    fund_row = make_fund(clinic, balance=10_000)
    case = make_case(clinic, peer)
    ids = [make_application(fund_row, case, peer, amount=6_000, status=ApplicationStatus.APPROVED).id for _ in range(2)]
    payer_ids = [crt.id, crt2.id]
    db.session.rollback()
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def pay(application_id, user_id):
        with app.app_context():
            try:
                actor = Actor(db.session.get(User, user_id))
                db.session.rollback()
                start.wait(timeout=30)
                fund_applications.pay(actor=actor, application_id=application_id, data=_payment(), today=TODAY)
                outcomes.append("paid")
            except Conflict:
                outcomes.append("refused")
            except Exception as error:  # noqa: BLE001 (reported by the assertion below)
                outcomes.append(f"{type(error).__name__}: {error}")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=pay, args=pair) for pair in zip(ids, payer_ids, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["paid", "refused"]
    assert _balance(fund_row.id) == 4_000
    statuses = sorted(db.session.get(FundApplication, i).status.value for i in ids)
    assert statuses == ["approved", "paid"]


def test_the_requester_may_cancel_before_payment(clinic, peer, crt):
    application = _apply(peer, make_case(clinic, peer), make_fund(clinic))
    assert fund_applications.cancel(actor=Actor(peer), application_id=application.id).status == (
        ApplicationStatus.CANCELLED
    )
    with pytest.raises(Conflict):
        fund_applications.decide(actor=Actor(crt), application_id=application.id, approve=True, reason="ok")


def test_a_closed_fund_takes_no_new_application(clinic, peer, crt):
    fund_row = make_fund(clinic)
    fund.set_fund_active(actor=Actor(crt), fund_id=fund_row.id, active=False)
    with pytest.raises(Invalid) as error:
        _apply(peer, make_case(clinic, peer), fund_row)
    assert "fund_id" in error.value.field_errors
