"""The fund pages as their users see them: the application form, the decision, the payment, the statement."""

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from clinic_app.crisis.fund_models import ApplicationStatus, EmergencyFund, FundApplication, FundPurpose, FundTopUp
from clinic_app.extensions import db
from tests.crisis.fundkit import make_application, make_case, make_fund
from tests.helpers import audit_events, count, text


@pytest.fixture
def peer(make, clinic):
    return make.user(role="peer_educator", clinic=clinic, username="peer", display_name="Peer Thandi")


@pytest.fixture
def crt(make, clinic):
    return make.user(role="crt_coordinator", clinic=clinic, username="crt", display_name="Coordinator Rudo")


def test_an_empty_application_shows_every_error_beside_its_field_and_saves_nothing(client, clinic, peer, sign_in_as):
    case = make_case(clinic, peer)
    make_fund(clinic, name="CRT fund")
    make_fund(clinic, name="Second fund")
    sign_in_as(peer)
    response = client.post(f"/crisis/fund/apply/{case.id}", data={"amount": "abc"})
    assert response.status_code == 422
    page = text(response)
    assert "Choose the fund." in page
    assert "Choose what the money is for." in page
    assert "Give the amount as a number, for example 250 or 250.50." in page
    assert count(FundApplication) == 0


def test_the_application_form_takes_amounts_as_typed_in_portuguese(client, clinic, peer, sign_in_as):
    peer.language = "pt"
    db.session.commit()
    case = make_case(clinic, peer)
    fund_row = make_fund(clinic, currency="MZN")
    sign_in_as(peer)
    response = client.post(
        f"/crisis/fund/apply/{case.id}",
        data={"fund_id": str(fund_row.id), "purpose": "transport", "amount": "1 250,50"},
    )
    assert response.status_code == 302
    [application] = db.session.query(FundApplication).all()
    assert (application.amount, application.currency, application.purpose) == (125_050, "MZN", FundPurpose.TRANSPORT)
    page = text(client.get(response.headers["Location"]))
    assert "1.250,50" in page
    assert "À espera de decisão" in page


def test_the_coordinator_decides_and_pays_from_the_application_page(client, clinic, peer, crt, sign_in_as):
    fund_row = make_fund(clinic, balance=10_000, currency="ZAR")
    application = make_application(fund_row, make_case(clinic, peer), peer, amount=4_000)
    sign_in_as(crt)
    url = f"/crisis/fund/applications/{application.id}"
    assert "ZAR 40.00" in text(client.get(url))
    missing = client.post(f"{url}/decide", data={"decision": "approve"})
    assert missing.status_code == 422
    assert "Give the reason for the decision." in text(missing)
    assert client.post(f"{url}/decide", data={"decision": "approve", "reason": "Hospital bill"}).status_code == 302
    bad = client.post(f"{url}/pay", data={"paid_on": "", "method": "", "receipt_ref": ""})
    assert bad.status_code == 422
    for message in ("Give the date.", "Choose how it was paid.", "Give the receipt or transaction reference."):
        assert message in text(bad)
    paid = client.post(f"{url}/pay", data={"paid_on": "2026-11-20", "method": "cash", "receipt_ref": "RC-88"})
    assert paid.status_code == 302
    page = text(client.get(url))
    assert "Paid" in page and "RC-88" in page
    db.session.expire_all()
    assert db.session.get(EmergencyFund, fund_row.id).balance == 6_000
    assert len(audit_events("fund.view")) == 2


def test_the_requester_sees_no_decision_form_on_her_own_application(client, clinic, peer, crt, make, sign_in_as):
    application = make_application(make_fund(clinic), make_case(clinic, crt), crt)
    sign_in_as(crt)
    page = text(client.get(f"/crisis/fund/applications/{application.id}"))
    assert "another coordinator decides on it" in page
    assert (
        client.post(
            f"/crisis/fund/applications/{application.id}/decide", data={"decision": "approve", "reason": "mine"}
        ).status_code
        == 302
    )
    db.session.expire_all()
    assert db.session.get(FundApplication, application.id).status == ApplicationStatus.REQUESTED


def test_a_peer_educator_cannot_open_another_persons_application(client, clinic, peer, make, sign_in_as):
    other = make.user(role="peer_educator", clinic=clinic)
    application = make_application(make_fund(clinic), make_case(clinic, other), other)
    sign_in_as(peer)
    assert client.get(f"/crisis/fund/applications/{application.id}").status_code == 404
    assert client.get(f"/crisis/fund/apply/{application.case_id}").status_code == 404


def _statement_fund(clinic, peer, crt):
    fund_row = make_fund(clinic, balance=50_000, currency="ZAR", name="Beitbridge CRT fund", opened_on=date(2026, 9, 1))
    db.session.add(
        FundTopUp(clinic_id=clinic.id, fund_id=fund_row.id, amount=20_000, received_on=date(2026, 11, 3),
                  note="Aidsfonds Q4", recorded_by_id=crt.id)
    )  # fmt: skip
    case_a = make_case(clinic, peer, reference="K7Q2MX", survivor_alias="Lindiwe")
    case_b = make_case(clinic, peer, reference="P4T9WB")
    paid = dict(status=ApplicationStatus.PAID, decided_by_id=crt.id, paid_by_id=crt.id)
    make_application(fund_row, case_a, peer, amount=12_000, paid_on=date(2026, 10, 28), receipt_ref="OLD-1", **paid)
    make_application(fund_row, case_a, peer, amount=15_000, paid_on=date(2026, 11, 5), receipt_ref="HOSP-12", **paid)
    make_application(
        fund_row, case_b, peer, amount=8_050, paid_on=date(2026, 11, 12), receipt_ref="BUS-3",
        purpose=FundPurpose.TRANSPORT, **paid,
    )  # fmt: skip
    make_application(fund_row, case_b, peer, amount=99_999)  # waiting: not on the statement
    return fund_row


# November 2026 by hand: brought forward 500.00 opening - 120.00 (28 Oct) = 380.00;
# in 200.00 (3 Nov); out 150.00 (5 Nov) + 80.50 (12 Nov) = 230.50; closing 380 + 200 - 230.50 = 349.50.
NOVEMBER = "?start=2026-11-01&end=2026-11-30"


def test_statement_for_a_month_brings_forward_adds_and_subtracts_by_hand(client, clinic, peer, crt, sign_in_as):
    fund_row = _statement_fund(clinic, peer, crt)
    sign_in_as(crt)
    page = text(client.get(f"/crisis/fund/statement{NOVEMBER}&fund={fund_row.id}"))
    for figure in ("ZAR 380.00", "ZAR 200.00", "ZAR 230.50", "ZAR 349.50", "HOSP-12", "BUS-3", "P4T9WB"):
        assert figure in page
    assert "OLD-1" not in page and "999.99" not in page
    assert "Lindiwe" not in page


def test_statement_files_hold_the_same_figures_without_the_survivor(client, clinic, peer, make, crt, sign_in_as):
    fund_row = _statement_fund(clinic, peer, crt)
    sign_in_as(make.user(role="data_admin", clinic=clinic))
    pdf = client.get(f"/crisis/fund/statement{NOVEMBER}&fund={fund_row.id}&as=pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    words = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.data)).pages)
    for figure in ("ZAR 380.00", "ZAR 349.50", "ZAR 230.50", "K7Q2MX", "HOSP-12", "Transport"):
        assert figure in words
    assert "Lindiwe" not in words
    xlsx = client.get(f"/crisis/fund/statement{NOVEMBER}&fund={fund_row.id}&as=xlsx")
    book = load_workbook(io.BytesIO(xlsx.data))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[5][1:] == ("Brought forward", None, None, None, None, 380)
    assert [row[2:] for row in rows[6:9]] == [
        (None, None, 200, None, 580),
        ("K7Q2MX", "HOSP-12", None, 150, 430),
        ("P4T9WB", "BUS-3", None, 80.5, 349.5),
    ]
    assert rows[-1][1:] == ("Total and closing balance", None, None, 200, 230.5, 349.5)
    assert not any("Lindiwe" in str(value) for row in rows for value in row)
    purposes = list(book.worksheets[1].iter_rows(values_only=True))[1:]
    assert sorted(purposes) == [("Hospital or medical bill", 1, 150.0), ("Transport", 1, 80.5)]
    assert [e.detail for e in audit_events("fund.statement")] == [
        "pdf 2026-11-01..2026-11-30",
        "xlsx 2026-11-01..2026-11-30",
    ]


def test_a_statement_period_ending_before_it_starts_is_refused_beside_the_field(client, clinic, crt, sign_in_as):
    fund_row = make_fund(clinic)
    sign_in_as(crt)
    response = client.get(f"/crisis/fund/statement?fund={fund_row.id}&start=2026-11-30&end=2026-11-01")
    assert response.status_code == 422
    assert "Give a period whose end is not before its start." in text(response)


def test_a_top_up_with_errors_keeps_the_balance(client, clinic, crt, sign_in_as):
    fund_row = make_fund(clinic, balance=1_000)
    sign_in_as(crt)
    response = client.post(f"/crisis/fund/{fund_row.id}", data={"amount": "0", "received_on": "2030-01-01"})
    assert response.status_code == 422
    assert "The amount must be more than zero." in text(response)
    assert "This date is in the future." in text(response)
    db.session.expire_all()
    assert db.session.get(EmergencyFund, fund_row.id).balance == 1_000


def test_the_coordinators_home_page_counts_applications_waiting_for_her(client, clinic, peer, crt, make, sign_in_as):
    fund_row = make_fund(clinic)
    case = make_case(clinic, peer)
    for status in (ApplicationStatus.REQUESTED, ApplicationStatus.REQUESTED, ApplicationStatus.APPROVED):
        make_application(fund_row, case, peer, status=status)
    make_application(fund_row, case, peer, status=ApplicationStatus.PAID)
    elsewhere = make.clinic(code="CTR")
    make_application(make_fund(elsewhere), make_case(elsewhere, peer), peer)
    sign_in_as(crt)
    page = text(client.get("/"))
    assert "<b>2</b>fund applications waiting for your decision" in page
    assert "<b>1</b>fund applications approved, not yet paid" in page
    sign_in_as(peer)
    assert "fund applications" not in text(client.get("/"))
