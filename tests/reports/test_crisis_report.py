"""The crisis report, counted by hand: cases recorded through the crisis and fund services, every cell
worked out below before the report was run, checked in JSON, Excel and PDF.

Quarter 2026Q4 (Oct-Dec 2026). Beitbridge (BBR) and Ngodwana (NGO), both UTC+2.

Cases (incident local; reported, first contact and PEP in UTC; advocacy = consent to use as evidence):
- A BBR, incident 10-05 21:00, sexual + physical, client; advocacy yes; reported 10-05 20:00, first contact
  10-05 20:30, PEP provided 10-06 08:00; medical provided, police report referred; closed resolved.
- B BBR, incident 10-20 time unknown, sexual, police; advocacy yes; reported 10-23 10:00, first contact
  10-23 14:00, PEP provided 10-24 09:00; legal aid provided; open.
- C BBR, incident 11-02 14:00, arrest, police; advocacy yes; reported 11-02 15:00, first contact 11-03 15:30;
  legal aid referred; fund paid legal 300.00 ZAR on 11-10; closed partly resolved.
- D NGO, incident 11-15 10:00, sexual, partner; advocacy yes; reported 11-15 12:00, no first contact, the PEP
  step still to do; fund paid transport 80.50 ZAR on 11-16; open.
- E BBR, incident 11-10, physical, client; advocacy NEVER given; first contact 11-10 09:10, medical provided;
  fund paid medical 150.00 ZAR on 11-11; open.
- F BBR, incident 11-12, emotional, community; advocacy given then revoked; open.

E (never consented) and F (consent revoked) count nowhere. By hand:
- Cases by site and month: Beitbridge 2026-10 = 2 (A, B), 2026-11 = 1 (C); Ngodwana 2026-11 = 1 (D); total 4.
- Violations by month: sexual Oct 2 (A, B) + Nov 1 (D) = 3; physical Oct 1 (A); arrest Nov 1 (C); total 5.
  By site: sexual Beitbridge 2, Ngodwana 1; physical Beitbridge 1; arrest Beitbridge 1.
- Perpetrators by month: client Oct 1 (A); police Oct 1 (B) + Nov 1 (C) = 2; partner Nov 1 (D); total 4.
- First contact: A 0.5 h -> within 1 hour; B 4 h -> 1 to 6 hours; C 24.5 h -> after 24 hours; D none recorded.
  Median over A, B, C: 0.5, 4, 24.5 -> 4 hours.
- PEP (sexual violence: A, B, D): A incident 10-05 19:00 UTC, PEP 10-06 08:00 UTC = 13 h -> within 72 h.
  B time unknown: counts from the end of 10-20 local = 10-20 21:59:59 UTC; +72 h = 10-23 21:59:59 UTC;
  PEP 10-24 09:00 UTC -> after 72 h. D: none -> no PEP recorded. Share within 72 h = 1 of 3.
- Services (the opening's PEP step still to do on D is no service): PEP provided 2 (A, B); medical provided 1
  (A); police report referred 1 (A); legal aid provided 1 (B), referred 1 (C); total 6.
- Outcomes: resolved 1 (A), partly resolved 1 (C), still open 2 (B, D); total 4.
- Fund: payments legal 1 (C), transport 1 (D) = 2; money ZAR legal 300, transport 81 (80.50 rounds up); E's
  150.00 not counted.
"""

import io
import json
import uuid
from datetime import UTC, date, datetime, time

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from clinic_app.core.actor import Actor, system_actor
from clinic_app.crisis import fund_applications, services
from clinic_app.crisis.fund_applications import ApplicationInput, PaymentInput
from clinic_app.crisis.services import ActionInput, CaseInput, CloseInput
from clinic_app.reports import disclosure
from clinic_app.reports import services as reports
from tests.crisis.fundkit import make_fund

QUARTER = "2026Q4"


def _at(month, day, hour, minute=0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def _case(actor, *, incident_on, incident_time, violations, perpetrators, reported_at, advocacy=True):
    case, _created = services.open_new_case(
        actor=actor,
        data=CaseInput(
            survivor_kind="anonymous",
            violations=violations,
            perpetrators=perpetrators,
            incident_on=incident_on,
            incident_time=incident_time,
            keep_record=True,
            narrative="Told at the truck stop behind the depot",
        ),
        submission_key=uuid.uuid4(),
        now=reported_at,
    )
    if advocacy:
        services.give_consent(actor=actor, case_id=case.id, purpose="advocacy", now=reported_at)
    return case


def _step(actor, case, kind, status, done_at):
    services.record_action(
        actor=actor, case_id=case.id, data=ActionInput(kind=kind, status=status, done_at=done_at), now=_at(11, 30, 12)
    )


def _paid(asker, decider, case, fund, purpose, amount, paid_on):
    application, _created = fund_applications.apply_for_funds(
        actor=asker,
        case_id=case.id,
        data=ApplicationInput(fund_id=str(fund.id), purpose=purpose, amount=amount),
        submission_key=uuid.uuid4(),
    )
    fund_applications.decide(actor=decider, application_id=application.id, approve=True, reason="agreed")
    fund_applications.pay(
        actor=decider,
        application_id=application.id,
        data=PaymentInput(paid_on=paid_on, method="cash", receipt_ref=f"R-{purpose}"),
        today=date(2026, 11, 30),
    )


@pytest.fixture
def crisis_quarter(make, clinic, other_clinic):
    bbr = Actor(make.user(role="crt_coordinator", clinic=clinic, username="crt.bbr"))
    bbr2 = Actor(make.user(role="crt_coordinator", clinic=clinic, username="crt2.bbr"))
    ngo = Actor(make.user(role="crt_coordinator", clinic=other_clinic, username="crt.ngo"))
    ngo2 = Actor(make.user(role="crt_coordinator", clinic=other_clinic, username="crt2.ngo"))
    a = _case(bbr, incident_on=date(2026, 10, 5), incident_time=time(21, 0), violations=["sexual", "physical"],
              perpetrators=["client"], reported_at=_at(10, 5, 20))  # fmt: skip
    services.give_consent(actor=bbr, case_id=a.id, purpose="refer_police", now=_at(10, 5, 20))
    _step(bbr, a, "first_contact", "provided", _at(10, 5, 20, 30))
    _step(bbr, a, "pep", "provided", _at(10, 6, 8))
    _step(bbr, a, "medical", "provided", _at(10, 6, 8))
    _step(bbr, a, "police_report", "referred", _at(10, 6, 10))
    services.close_case(actor=bbr, case_id=a.id, data=CloseInput(outcome="resolved"), now=_at(11, 1, 9))
    b = _case(bbr, incident_on=date(2026, 10, 20), incident_time=None, violations=["sexual"],
              perpetrators=["police"], reported_at=_at(10, 23, 10))  # fmt: skip
    _step(bbr, b, "first_contact", "provided", _at(10, 23, 14))
    _step(bbr, b, "pep", "provided", _at(10, 24, 9))
    _step(bbr, b, "legal_aid", "provided", _at(10, 25, 9))
    c = _case(bbr, incident_on=date(2026, 11, 2), incident_time=time(14, 0), violations=["arrest"],
              perpetrators=["police"], reported_at=_at(11, 2, 15))  # fmt: skip
    services.give_consent(actor=bbr, case_id=c.id, purpose="refer_legal", now=_at(11, 2, 15))
    _step(bbr, c, "first_contact", "provided", _at(11, 3, 15, 30))
    _step(bbr, c, "legal_aid", "referred", _at(11, 4, 9))
    d = _case(ngo, incident_on=date(2026, 11, 15), incident_time=time(10, 0), violations=["sexual"],
              perpetrators=["partner"], reported_at=_at(11, 15, 12))  # fmt: skip
    e = _case(bbr, incident_on=date(2026, 11, 10), incident_time=None, violations=["physical"],
              perpetrators=["client"], reported_at=_at(11, 10, 9), advocacy=False)  # fmt: skip
    _step(bbr, e, "first_contact", "provided", _at(11, 10, 9, 10))
    _step(bbr, e, "medical", "provided", _at(11, 10, 11))
    f = _case(bbr, incident_on=date(2026, 11, 12), incident_time=None, violations=["emotional"],
              perpetrators=["community"], reported_at=_at(11, 12, 9))  # fmt: skip
    services.revoke_consent(actor=bbr, case_id=f.id, purpose="advocacy", now=_at(11, 13, 9))
    bbr_fund = make_fund(clinic, balance=100_000, currency="ZAR", name="BBR fund")
    ngo_fund = make_fund(other_clinic, balance=100_000, currency="ZAR", name="NGO fund")
    _paid(bbr, bbr2, c, bbr_fund, "legal", 30_000, date(2026, 11, 10))
    _paid(ngo, ngo2, d, ngo_fund, "transport", 8_050, date(2026, 11, 16))
    _paid(bbr, bbr2, e, bbr_fund, "medical", 15_000, date(2026, 11, 11))
    services.close_case(actor=bbr, case_id=c.id, data=CloseInput(outcome="partly"), now=_at(11, 20, 9))
    return reports.build(actor=system_actor(), request=reports.ReportRequest("crisis", QUARTER, []))


def _grid(dataset, title) -> dict:
    [table] = [t for g in dataset.groups for t in g.tables if t.title == title]
    cells = {
        (" / ".join(row), " / ".join(col)): value
        for row, values in zip(table.rows, table.values, strict=True)
        for col, value in zip(table.columns, values, strict=True)
        if value
    }
    return {"cells": cells, "total": table.total}


EXPECTED = {
    "Cases by site and month": (
        {("Beitbridge", "2026-10"): 2, ("Beitbridge", "2026-11"): 1, ("Ngodwana", "2026-11"): 1},
        4,
    ),
    "Cases by violation type and month": (
        {
            ("Sexual violence", "2026-10"): 2,
            ("Sexual violence", "2026-11"): 1,
            ("Physical violence", "2026-10"): 1,
            ("Arrest or detention", "2026-11"): 1,
        },
        5,
    ),
    "Cases by violation type and site": (
        {
            ("Sexual violence", "Beitbridge"): 2,
            ("Sexual violence", "Ngodwana"): 1,
            ("Physical violence", "Beitbridge"): 1,
            ("Arrest or detention", "Beitbridge"): 1,
        },
        5,
    ),
    "Cases by perpetrator type and month": (
        {
            ("Client", "2026-10"): 1,
            ("Police", "2026-10"): 1,
            ("Police", "2026-11"): 1,
            ("Intimate partner", "2026-11"): 1,
        },
        4,
    ),
    "Median hours from report to first contact": ({("", ""): 4}, 4),
    "Time from report to first contact": (
        {
            ("Within 1 hour", ""): 1,
            ("1 to 6 hours", ""): 1,
            ("After 24 hours", ""): 1,
            ("No first contact recorded", ""): 1,
        },
        4,
    ),
    "Sexual-violence survivors: PEP within 72 hours": (
        {("PEP within 72 hours", ""): 1, ("PEP after 72 hours", ""): 1, ("No PEP recorded", ""): 1},
        3,
    ),
    "Services: on site and referred": (
        {
            ("PEP", "Provided by us"): 2,
            ("Medical care", "Provided by us"): 1,
            ("Police report", "Referred"): 1,
            ("Legal aid", "Provided by us"): 1,
            ("Legal aid", "Referred"): 1,
        },
        6,
    ),
    "Outcomes": ({("Resolved", ""): 1, ("Partly resolved", ""): 1, ("Still open", ""): 2}, 4),
    "Payments by purpose": ({("Legal fees", ""): 1, ("Transport", ""): 1}, 2),
    "Money paid by purpose (whole currency units)": ({("Legal fees", "ZAR"): 300, ("Transport", "ZAR"): 81}, 381),
}


def test_every_cell_of_the_crisis_report_is_the_hand_count(crisis_quarter):
    for title, (cells, total) in EXPECTED.items():
        assert _grid(crisis_quarter, title) == {"cells": cells, "total": total}, title


def test_every_month_of_the_quarter_has_its_column_even_without_cases(crisis_quarter):
    for title in (
        "Cases by site and month",
        "Cases by violation type and month",
        "Cases by perpetrator type and month",
    ):
        [table] = [t for g in crisis_quarter.groups for t in g.tables if t.title == title]
        assert table.columns == [["2026-10"], ["2026-11"], ["2026-12"]], title
        assert table.column_totals[2] == 0  # no case in December: a zero, not a missing month


def test_the_json_export_holds_the_hand_counts_and_no_case_detail(crisis_quarter):
    data = json.loads(reports.render(crisis_quarter, "json"))
    tables = {t["title"]: t for g in data["groups"] for t in g["tables"]}
    assert tables["Cases by site and month"]["total"] == 4
    assert tables["Median hours from report to first contact"]["total"] == 4
    assert tables["Sexual-violence survivors: PEP within 72 hours"]["values"] == [[1], [1], [1]]
    text = json.dumps(data)
    for leak in ("truck stop", "depot", "2026-10-05", "21:00", "R-legal"):
        assert leak not in text
    defined = {d["indicator"]: d["definition"] for d in data["definitions"]}
    assert "month of the incident" in defined["CRISIS_CASES"]
    assert "72 hours" in defined["CRISIS_PEP"]


def test_the_published_export_shows_the_small_counts_as_under_five(crisis_quarter):
    published = disclosure.published(crisis_quarter, 5)
    tables = {t.title: t for g in published.groups for t in g.tables}
    assert tables["Cases by site and month"].total == "<5"
    assert tables["Sexual-violence survivors: PEP within 72 hours"].values == [["<5"], ["<5"], ["<5"]]
    # Money is not a head count, but it passes the same rule: 300 and 81 are shown (purposes in their order).
    assert tables["Money paid by purpose (whole currency units)"].values == [[0], [0], [81], [300], [0], [0]]


def test_the_excel_file_holds_the_hand_counts(crisis_quarter):
    book = load_workbook(io.BytesIO(reports.render(crisis_quarter, "xlsx")))
    rows = [row for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)]
    labelled = {(row[0], row[1]) for row in rows if row and row[0]}
    assert ("Beitbridge", 2) in labelled  # 2026-10 column of Beitbridge
    assert ("PEP within 72 hours", 1) in labelled
    assert ("Still open", 2) in labelled
    assert ("Legal fees", 300) in labelled
    assert not any("truck stop" in str(value) for row in rows for value in row)


def test_the_pdf_holds_the_hand_counts(crisis_quarter):
    pdf = PdfReader(io.BytesIO(reports.render(crisis_quarter, "pdf")))
    words = " ".join(page.extract_text() for page in pdf.pages)
    for phrase in ("Median hours from report to first contact", "PEP within 72 hours", "Still open", "Legal fees"):
        assert phrase in words
    assert "truck stop" not in words
