"""The peer educator's phone pages: each answers, fits a phone, and leads to the next step."""

import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from clinic_app.core.actor import Actor
from clinic_app.extensions import db
from clinic_app.outreach import referrals
from clinic_app.outreach.models import Referral, TracingAssignment
from clinic_app.outreach.services import ContactInput, issue_referral, record_contact, save_hotspot
from clinic_app.outreach.tracing import assign_tracing
from tests.helpers import form_state, text

VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1">'


@pytest.fixture
def pe_at_work(pe, pe_actor, nurse_actor, person, today):
    """A peer educator with a contact, a slip and a client to follow up."""
    client = person()
    record_contact(
        actor=pe_actor,
        data=ContactInput(contact_date=today, kind="individual", hiv_info=True),
        submission_key=uuid.uuid4(),
        today=today,
    )
    referral, _created = issue_referral(
        actor=pe_actor, service="sti", client_number=None, submission_key=uuid.uuid4(), today=today
    )
    assign_tracing(actor=nurse_actor, client_ids=[client.id], peer_id=pe.id, reason="missed_appointment")
    return referral


def _pe_pages(referral):
    return [
        "/outreach/",
        "/outreach/contacts",
        "/outreach/contacts/new",
        "/outreach/referrals",
        "/outreach/referrals?status=open",
        "/outreach/referrals?status=completed",
        "/outreach/referrals?status=expired",
        "/outreach/referrals/new",
        f"/outreach/referrals/{referral.id}",
        "/outreach/figures",
        "/outreach/tracing",
        "/outreach/trainings",
        "/outreach/trainings/new",
    ]


def test_every_outreach_page_of_a_peer_educator_opens_and_fits_a_phone(browser, pe, pe_at_work):
    as_pe = browser(pe)
    for url in _pe_pages(pe_at_work):
        response = as_pe.get(url)
        assert response.status_code == 200, url
        assert VIEWPORT in response.get_data(as_text=True), url


def test_peer_educators_start_page_leads_to_their_work(browser, pe, pe_at_work):
    page = text(browser(pe).get("/outreach/"))
    for label, href in [
        ("Record a contact", "/outreach/contacts/new"),
        ("Issue a referral", "/outreach/referrals/new"),
        ("My figures", "/outreach/figures"),
        ("My contacts", "/outreach/contacts"),
        ("Trainings", "/outreach/trainings"),
    ]:
        assert re.search(rf'href="{re.escape(href)}">{label}<', page), label
    assert re.search(r"My referrals <b>1</b>", page)
    assert re.search(r"Clients to follow up <b>1</b>", page)


def test_peer_educators_menu_offers_outreach_and_no_clinical_pages(browser, pe):
    page = text(browser(pe).get("/outreach/"))
    menu = re.search(r'<nav class="menu".*?</nav>', page, re.S).group(0)
    assert 'href="/outreach/contacts/new"' in menu and 'href="/outreach/referrals/new"' in menu
    for clinical in ("/clients/", "/visits/", "/duelists/"):
        assert f'href="{clinical}"' not in menu


def test_slip_shows_the_code_in_two_groups_a_qr_code_and_the_expiry(browser, pe, pe_at_work):
    page = text(browser(pe).get(f"/outreach/referrals/{pe_at_work.id}"))
    code = referrals.display_code(pe_at_work.code)
    assert re.search(rf'<p class="slip-code mono">{code}</p>', page)
    assert f'alt="QR code of {code}"' in page
    assert 'src="data:image/svg+xml' in page
    assert f"Valid until {pe_at_work.expires_on.isoformat()}" in page
    assert "STI check" in page


def test_expired_slip_says_so(browser, pe, pe_actor, today):
    old, _created = issue_referral(
        actor=pe_actor,
        service="prep",
        client_number=None,
        submission_key=uuid.uuid4(),
        valid_days=30,
        today=today - timedelta(days=45),
    )
    as_pe = browser(pe)
    assert "Expired" in text(as_pe.get(f"/outreach/referrals/{old.id}"))
    expired = text(as_pe.get("/outreach/referrals", query_string={"status": "expired"}))
    assert referrals.display_code(old.code) in expired
    open_list = text(as_pe.get("/outreach/referrals", query_string={"status": "open"}))
    assert referrals.display_code(old.code) not in open_list


def test_referral_list_filters_open_and_completed_slips(browser, pe, pe_actor, nurse_actor, person, today):
    from clinic_app.visits.services import VisitInput, record_visit

    def slip():
        referral, _c = issue_referral(
            actor=pe_actor, service="hiv_test", client_number=None, submission_key=uuid.uuid4(), today=today
        )
        return referral

    waiting, used = slip(), slip()
    record_visit(
        actor=nurse_actor,
        client=person(),
        data=VisitInput(service_date=today, visit_type="new", reasons=["hiv_testing"], referral_code=used.code),
        today=today,
    )
    as_pe = browser(pe)
    completed = text(as_pe.get("/outreach/referrals", query_string={"status": "completed"}))
    assert referrals.display_code(used.code) in completed
    assert referrals.display_code(waiting.code) not in completed
    assert f"completed {today.isoformat()}" in completed
    still_open = text(as_pe.get("/outreach/referrals", query_string={"status": "open"}))
    assert referrals.display_code(waiting.code) in still_open
    assert referrals.display_code(used.code) not in still_open


def test_hotspots_a_peer_educator_covers_come_first_in_the_contact_form(browser, nurse, pe):
    staff = Actor(nurse, "test")
    save_hotspot(actor=staff, name="Aardvark bar", kind="bar")
    save_hotspot(actor=staff, name="Zebra lodge", kind="lodge", peer_ids=[str(pe.id)])
    save_hotspot(actor=staff, name="Closed stop", kind="truck_stop", is_active=False)
    page = text(browser(pe).get("/outreach/contacts/new"))
    options = re.findall(r'<option value="[0-9a-f-]{36}">([^<]+)</option>', page)
    assert options == ["Zebra lodge", "Aardvark bar"]


def test_hotspot_cannot_be_covered_by_a_peer_educator_of_another_clinic(browser, nurse, make, other_clinic):
    theirs = make.user(role="peer_educator", clinic=other_clinic)
    response = browser(nurse).post(
        "/outreach/hotspots/new", data={"name": "Port gate", "kind": "port", "peer_ids": [str(theirs.id)]}
    )
    assert response.status_code == 422
    assert form_state(response).errors["peer_ids"] == ["Choose peer educators from the list."]


def test_peer_educator_sees_their_tracing_list_with_an_outcome_form(browser, pe, pe_at_work):
    assignment = db.session.scalars(select(TracingAssignment)).one()
    page = text(browser(pe).get("/outreach/tracing"))
    assert f'action="/outreach/tracing/{assignment.id}/outcome"' in page
    for label in ("Reached", "Returned to the clinic", "Moved away", "Declined", "Not found"):
        assert f">{label}</option>" in page


def test_staff_outreach_page_shows_their_tiles(browser, nurse):
    page = text(browser(nurse).get("/outreach/"))
    for href in ("/outreach/figures", "/outreach/referrals", "/outreach/tracing", "/outreach/trainings"):
        assert f'href="{href}"' in page
    assert 'href="/outreach/contacts/new"' not in page


def test_issuing_a_slip_from_the_form_shows_it_on_the_list(browser, pe):
    as_pe = browser(pe)
    key = form_state(as_pe.get("/outreach/referrals/new")).values["submission_key"]
    response = as_pe.post("/outreach/referrals/new", data={"service": "cervical", "submission_key": key})
    referral = db.session.scalars(select(Referral)).one()
    assert referral.submission_key == uuid.UUID(key)
    listed = text(as_pe.get("/outreach/referrals"))
    assert referrals.display_code(referral.code) in listed
    assert "Cervical screening" in listed
    assert response.headers["Location"] == f"/outreach/referrals/{referral.id}"


def test_the_peer_educators_home_page_shows_her_work_as_large_buttons_and_this_months_figures(
    client, make, clinic, sign_in_as
):
    peer = make.user(role="peer_educator", clinic=clinic)
    sign_in_as(peer)
    page = client.get("/").get_data(as_text=True)
    for link in ("/outreach/contacts/new", "/outreach/referrals/new", "/outreach/tracing", "/outreach/referrals"):
        assert f'href="{link}"' in page
    assert 'class="tiles big"' in page
    assert "This month" in page and "people reached" in page and "referrals completed" in page
    assert "Welcome" not in page
