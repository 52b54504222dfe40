"""Minimum necessary, enforced by the server: what peer educators, M&E officers and staff may open."""

import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from clinic_app.core.actor import Actor
from clinic_app.extensions import db
from clinic_app.outreach import referrals
from clinic_app.outreach.models import TracingAssignment
from clinic_app.outreach.services import ContactInput, issue_referral, record_contact
from clinic_app.outreach.tracing import assign_tracing
from clinic_app.outreach.trainings import TrainingInput, record_training
from clinic_app.visits.services import VisitInput, record_visit
from tests.helpers import text

FORBIDDEN = "Your role does not give access to this page."
NOT_FOUND = "There is no such page or record."


def _slip(actor, today, client=None):
    referral, _created = issue_referral(
        actor=actor,
        service="hiv_test",
        client_number=client.client_number if client else None,
        submission_key=uuid.uuid4(),
        today=today,
    )
    return referral


def _contact(actor, today, **kw):
    kw.setdefault("kind", "individual")
    row, _created = record_contact(
        actor=actor,
        data=ContactInput(contact_date=today, hiv_info=True, **kw),
        submission_key=uuid.uuid4(),
        today=today,
    )
    return row


# --------------------------------------------------------------------------- clinical pages
@pytest.fixture
def clinical_urls(make, nurse, person):
    client = person()
    visit = make.visit(client=client, recorded_by=nurse)
    return [
        "/clients/",
        "/clients/new",
        f"/clients/{client.id}",
        f"/clients/{client.id}/edit",
        "/visits/",
        f"/visits/{visit.id}",
        f"/visits/{visit.id}/edit",
        f"/visits/for/{client.id}/new",
        "/duelists/",
        "/duelists/missed_appointment",
        "/duelists/unlinked_positive",
    ]


def test_peer_educator_is_refused_every_clinical_page(browser, pe, clinical_urls):
    as_pe = browser(pe)
    for url in clinical_urls:
        response = as_pe.get(url)
        assert response.status_code == 403, url
        assert FORBIDDEN in text(response), url


def test_peer_educator_cannot_search_clients_or_record_visits(browser, pe, person, today):
    client = person()
    as_pe = browser(pe)
    assert as_pe.post("/clients/", data={"term": client.client_number}).status_code == 403
    response = as_pe.post(
        f"/visits/for/{client.id}/new",
        data={"service_date": today.isoformat(), "visit_type": "new", "reasons": ["condoms"]},
    )
    assert response.status_code == 403


# --------------------------------------------------------------------------- slips and contacts
def test_peer_educator_cannot_open_another_peer_educators_slip(browser, pe, other_pe_actor, today):
    theirs = _slip(other_pe_actor, today)
    response = browser(pe).get(f"/outreach/referrals/{theirs.id}")
    assert response.status_code == 404
    page = text(response)
    assert NOT_FOUND in page
    assert referrals.display_code(theirs.code) not in page


def test_peer_educators_referral_list_shows_only_their_slips(browser, pe, pe_actor, other_pe_actor, today):
    mine = [_slip(pe_actor, today) for _ in range(2)]
    theirs = [_slip(other_pe_actor, today) for _ in range(3)]
    for status in ("", "open"):
        page = text(browser(pe).get("/outreach/referrals", query_string={"status": status} if status else {}))
        assert "My referrals" in page
        for referral in mine:
            assert referrals.display_code(referral.code) in page
        for referral in theirs:
            assert referrals.display_code(referral.code) not in page
            assert str(referral.id) not in page


def test_clinic_staff_see_every_slip_of_their_clinic_only(
    browser, nurse, pe_actor, other_pe_actor, make, other_clinic, today
):
    ours = [_slip(pe_actor, today), _slip(other_pe_actor, today)]
    elsewhere = _slip(Actor(make.user(role="peer_educator", clinic=other_clinic), "test"), today)
    as_nurse = browser(nurse)
    page = text(as_nurse.get("/outreach/referrals"))
    assert "Referral slips of Beitbridge" in page
    for referral in ours:
        assert referrals.display_code(referral.code) in page
    assert referrals.display_code(elsewhere.code) not in page
    assert as_nurse.get(f"/outreach/referrals/{ours[0].id}").status_code == 200
    assert as_nurse.get(f"/outreach/referrals/{elsewhere.id}").status_code == 404


def test_peer_educators_contact_list_shows_only_their_contacts(browser, pe, pe_actor, other_pe_actor, today):
    _contact(pe_actor, today, contact_uic="MINE010190F")
    _contact(other_pe_actor, today, contact_uic="THEI020291F")
    _contact(other_pe_actor, today, kind="group", group_size=13)
    page = text(browser(pe).get("/outreach/contacts"))
    assert "MINE010190F" in page
    assert "THEI020291F" not in page
    assert "group of 13" not in page


def test_staff_have_no_contact_list_of_a_peer_educator(browser, nurse):
    assert browser(nurse).get("/outreach/contacts").status_code == 403


# --------------------------------------------------------------------------- no HIV result on a peer educator's pages
@pytest.fixture
def tested_client_in_outreach(person, hiv_tested, nurse_actor, pe, pe_actor, today):
    """A client with a negative then a positive HIV test, met, referred, traced and trained by the peer educator."""
    client = person(alias="Zodwa")
    hiv_tested(client, today - timedelta(days=200), "negative")
    hiv_tested(client, today - timedelta(days=50), "positive")
    _contact(pe_actor, today, client_number=client.client_number)
    referral = _slip(pe_actor, today - timedelta(days=2), client=client)
    record_visit(
        actor=nurse_actor,
        client=client,
        data=VisitInput(service_date=today, visit_type="return", reasons=["art"], referral_code=referral.code),
        today=today,
    )
    assign_tracing(actor=nurse_actor, client_ids=[client.id], peer_id=pe.id, reason="unlinked_positive")
    record_training(
        actor=pe_actor,
        data=TrainingInput(held_on=today, topic="hct", facilitator="Thandi", client_numbers=client.client_number),
        submission_key=uuid.uuid4(),
        today=today,
    )
    return client, referral


RESULT_WORD = re.compile(r"\b(positive|negative|reactive)\b", re.I)


def test_no_page_a_peer_educator_reaches_shows_an_hiv_result(browser, nurse, pe, tested_client_in_outreach):
    client, referral = tested_client_in_outreach
    clinical = text(browser(nurse).get(f"/clients/{client.id}"))
    assert "Positive" in clinical  # the record holds a result a nurse sees

    as_pe = browser(pe)
    assignment = db.session.scalars(select(TracingAssignment)).one()
    urls = [
        "/",
        "/auth/account",
        "/outreach/",
        "/outreach/contacts",
        "/outreach/contacts/new",
        "/outreach/referrals",
        "/outreach/referrals?status=completed",
        "/outreach/referrals/new",
        f"/outreach/referrals/{referral.id}",
        "/outreach/figures",
        "/outreach/tracing",
        "/outreach/trainings",
        "/outreach/trainings/new",
    ]
    for url in urls:
        response = as_pe.get(url)
        assert response.status_code == 200, url
        page = text(response)
        found = RESULT_WORD.search(page)
        assert found is None, (url, found and page[max(0, found.start() - 80) : found.end() + 80])
    traced = text(as_pe.get("/outreach/tracing"))
    assert client.client_number in traced and "Zodwa" in traced  # the client is on the pages checked
    assert str(assignment.id) in traced
    assert "unlinked_positive" not in traced


# --------------------------------------------------------------------------- hotspots
@pytest.mark.parametrize("role", ["nurse", "data_admin", "admin"])
def test_clinic_staff_and_administrators_manage_hotspots(browser, make, clinic, role):
    as_staff = browser(make.user(role=role, clinic=clinic))
    assert as_staff.get("/outreach/hotspots").status_code == 200
    assert as_staff.get("/outreach/hotspots/new").status_code == 200
    response = as_staff.post("/outreach/hotspots/new", data={"name": "Border bar", "kind": "bar", "is_active": "y"})
    assert response.status_code == 302
    page = text(as_staff.get(response.headers["Location"]))
    assert "Hotspot saved." in page and "Border bar" in page


@pytest.mark.parametrize("role", ["peer_educator", "me_officer"])
def test_peer_educators_and_me_officers_cannot_open_hotspots(browser, make, clinic, nurse, role):
    from clinic_app.outreach.services import save_hotspot

    spot = save_hotspot(actor=Actor(nurse, "test"), name="Lodge 7", kind="lodge")
    as_user = browser(make.user(role=role, clinic=clinic))
    for url in ("/outreach/hotspots", "/outreach/hotspots/new", f"/outreach/hotspots/{spot.id}"):
        response = as_user.get(url)
        assert response.status_code == 403, url
        assert FORBIDDEN in text(response)
    assert as_user.post("/outreach/hotspots/new", data={"name": "X", "kind": "bar"}).status_code == 403


def test_another_clinics_hotspot_is_not_found(browser, nurse, make, other_clinic):
    from clinic_app.outreach.services import save_hotspot

    theirs = save_hotspot(actor=Actor(make.user(role="nurse", clinic=other_clinic), "test"), name="Far", kind="port")
    assert browser(nurse).get(f"/outreach/hotspots/{theirs.id}").status_code == 404


# --------------------------------------------------------------------------- M&E
def test_me_officer_sees_clinic_figures_but_not_slips_or_tracing(browser, make, clinic, pe_actor, nurse_actor, today):
    referral = _slip(pe_actor, today)
    _contact(pe_actor, today, kind="group", group_size=6)
    me = browser(make.user(role="me_officer", clinic=clinic))
    response = me.get("/outreach/figures", query_string={"start": today.isoformat(), "end": today.isoformat()})
    assert response.status_code == 200
    page = text(response)
    assert "Outreach and referrals at Beitbridge" in page
    assert "By peer educator" in page
    assert referrals.display_code(referral.code) not in page
    for url in ("/outreach/referrals", f"/outreach/referrals/{referral.id}", "/outreach/tracing", "/outreach/contacts"):
        blocked = me.get(url)
        assert blocked.status_code == 403, url
        assert FORBIDDEN in text(blocked)
    assert me.post("/outreach/referrals/new", data={"service": "prep"}).status_code == 403
