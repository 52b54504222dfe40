"""Tracing: clients handed from a due list to a peer educator, what the peer educator sees, and the outcome."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from clinic_app.core.actor import Actor
from clinic_app.extensions import db
from clinic_app.outreach.models import TracingAssignment, TracingOutcome
from clinic_app.outreach.tracing import assign_tracing, record_outcome
from tests.helpers import count, text


@pytest.fixture
def as_nurse(browser, nurse):
    return browser(nurse)


@pytest.fixture
def as_pe(browser, pe):
    return browser(pe)


@pytest.fixture
def missed(make, nurse, person, today):
    """missed(**client fields): a client whose appointment passed a month ago (on the missed-appointment list)."""

    def new(**kw):
        client = person(**kw)
        make.visit(
            client=client,
            recorded_by=nurse,
            service_date=today - timedelta(days=60),
            next_appointment_on=today - timedelta(days=30),
        )
        return client

    return new


def _assign_from_list(as_nurse, list_name, peer, *, tick=None):
    """Open the due list, tick clients (all by default) and hand them to ``peer``, as the page's form does."""
    page = text(as_nurse.get(f"/duelists/{list_name}"))
    assert 'action="/outreach/tracing/assign"' in page
    assert f'<option value="{peer.id}">{peer.display_name}</option>' in page
    offered = re.findall(r'name="client_ids" value="([^"]+)"', page)
    reason = re.search(r'name="reason" value="([^"]*)"', page).group(1)
    back = re.search(r'name="back" value="([^"]*)"', page).group(1)
    ticked = [str(c.id) for c in tick] if tick is not None else offered
    assert set(ticked) <= set(offered)
    return as_nurse.post(
        "/outreach/tracing/assign",
        data={"peer_id": str(peer.id), "client_ids": ticked, "reason": reason, "back": back},
    )


# --------------------------------------------------------------------------- the whole round
def test_client_handed_from_a_due_list_is_followed_up_and_the_nurse_sees_the_outcome(
    as_nurse, as_pe, pe, person, hiv_tested, today
):
    client = person(alias="Lulu", phone="+263771234567", phone_consent=True)
    hiv_tested(client, today - timedelta(days=40), "positive")  # on the 'unlinked positive' list

    response = _assign_from_list(as_nurse, "unlinked_positive", pe)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/duelists/unlinked_positive")
    assert "1 client(s) added to the peer educator's tracing list." in text(as_nurse.get(response.headers["Location"]))
    assignment = db.session.scalars(select(TracingAssignment)).one()
    assert (assignment.client_id, assignment.peer_educator_id, assignment.reason) == (
        client.id,
        pe.id,
        "unlinked_positive",
    )

    mine = text(as_pe.get("/outreach/tracing"))
    assert client.client_number in mine
    assert client.uic in mine
    assert "Lulu" in mine
    assert "+263771234567" in mine
    for word in ("unlinked_positive", "unlinked", "Positive", "positive", "ART"):
        assert word not in mine, word

    saved = as_pe.post(f"/outreach/tracing/{assignment.id}/outcome", data={"outcome": "returned"})
    assert saved.status_code == 302
    mine = text(as_pe.get(saved.headers["Location"]))
    assert "Follow-up outcome saved." in mine
    assert f"Returned to the clinic ({today.isoformat()})" in mine
    db.session.expire_all()
    assert (assignment.outcome, assignment.outcome_on) == (TracingOutcome.RETURNED, today)

    theirs = text(as_nurse.get("/outreach/tracing"))
    assert client.client_number in theirs
    assert pe.display_name in theirs
    assert "Positive, ART start not confirmed" in theirs  # staff see which list the client came from, by its title
    assert "unlinked_positive" not in theirs
    assert f"Returned to the clinic ({today.isoformat()})" in theirs


def test_peer_educator_sees_a_phone_number_only_when_the_client_agreed(as_nurse, as_pe, pe, missed):
    agreed = missed(mother="AG", phone="+263771111111", phone_consent=True)
    refused = missed(mother="RE", phone="+263772222222", phone_consent=False, alias="Nana")
    assert _assign_from_list(as_nurse, "missed_appointment", pe).status_code == 302
    mine = text(as_pe.get("/outreach/tracing"))
    assert agreed.client_number in mine and refused.client_number in mine
    assert "+263771111111" in mine
    assert "+263772222222" not in mine
    assert "Nana" in mine


def test_list_name_of_a_prep_client_is_not_shown_to_the_peer_educator(as_nurse, as_pe, pe, nurse, person, make, today):
    from clinic_app.visits.models import PrepEvent, PrepEventType, PrepRegimen

    client = person()
    visit = make.visit(client=client, recorded_by=nurse, service_date=today - timedelta(days=100))
    db.session.add(
        PrepEvent(
            clinic_id=visit.clinic_id,
            visit_id=visit.id,
            event=PrepEventType.INITIATION,
            regimen=PrepRegimen.TDF_FTC,
            months_dispensed=1,
            next_appointment_on=today - timedelta(days=70),
        )
    )
    db.session.commit()
    assert _assign_from_list(as_nurse, "prep_refill", pe).status_code == 302
    assert count(TracingAssignment, TracingAssignment.reason == "prep_refill") == 1
    mine = text(as_pe.get("/outreach/tracing"))
    assert client.client_number in mine
    assert "prep_refill" not in mine
    assert "PrEP" not in mine
    assert "prep" not in mine.lower()


def test_peer_educators_start_page_counts_clients_to_follow_up(as_nurse, as_pe, pe, missed):
    missed(mother="AA")
    missed(mother="BB")
    _assign_from_list(as_nurse, "missed_appointment", pe)
    page = text(as_pe.get("/outreach/"))
    assert re.search(r"Clients to follow up <b>2</b>", page)


# --------------------------------------------------------------------------- rules
def test_client_assigned_twice_to_the_same_peer_educator_while_open_is_listed_once(as_nurse, pe, missed):
    client = missed()
    assert _assign_from_list(as_nurse, "missed_appointment", pe).status_code == 302
    again = _assign_from_list(as_nurse, "missed_appointment", pe)
    assert "0 client(s) added to the peer educator's tracing list." in text(as_nurse.get(again.headers["Location"]))
    assert count(TracingAssignment, TracingAssignment.client_id == client.id) == 1


def test_client_can_be_assigned_again_once_the_follow_up_is_closed(nurse_actor, pe, pe_actor, missed):
    client = missed()
    assert assign_tracing(actor=nurse_actor, client_ids=[client.id], peer_id=pe.id, reason="missed_appointment") == 1
    first = db.session.scalars(select(TracingAssignment)).one()
    record_outcome(actor=pe_actor, assignment_id=first.id, outcome="not_found")
    assert assign_tracing(actor=nurse_actor, client_ids=[client.id], peer_id=pe.id, reason="missed_appointment") == 1
    assert count(TracingAssignment, TracingAssignment.client_id == client.id) == 2


def test_peer_educator_cannot_record_the_outcome_of_another_peer_educators_client(
    nurse_actor, pe, browser, other_pe, missed
):
    client = missed()
    assign_tracing(actor=nurse_actor, client_ids=[client.id], peer_id=pe.id, reason="missed_appointment")
    assignment = db.session.scalars(select(TracingAssignment)).one()
    as_other = browser(other_pe)
    assert client.client_number not in text(as_other.get("/outreach/tracing"))
    response = as_other.post(f"/outreach/tracing/{assignment.id}/outcome", data={"outcome": "reached"})
    assert response.status_code == 404
    assert "There is no such page or record." in text(response)
    db.session.expire_all()
    assert assignment.outcome is None


def test_peer_educator_of_another_clinic_cannot_be_chosen(as_nurse, make, other_clinic, missed):
    client = missed()
    theirs = make.user(role="peer_educator", clinic=other_clinic, display_name="Far Away")
    page = text(as_nurse.get("/duelists/missed_appointment"))
    assert "Far Away" not in page
    response = as_nurse.post(
        "/outreach/tracing/assign",
        data={"peer_id": str(theirs.id), "client_ids": [str(client.id)], "back": "/duelists/missed_appointment"},
    )
    assert response.status_code == 302
    assert "Choose a peer educator of this clinic." in text(as_nurse.get(response.headers["Location"]))
    assert count(TracingAssignment) == 0


def test_inactive_peer_educator_cannot_be_chosen(nurse_actor, make, clinic, missed):
    from clinic_app.core.errors import Invalid

    client = missed()
    gone = make.user(role="peer_educator", clinic=clinic, active=False)
    with pytest.raises(Invalid):
        assign_tracing(actor=nurse_actor, client_ids=[client.id], peer_id=gone.id, reason="missed_appointment")
    assert count(TracingAssignment) == 0


def test_assigning_without_ticking_a_client_says_so(as_nurse, pe, missed):
    missed()
    response = as_nurse.post(
        "/outreach/tracing/assign", data={"peer_id": str(pe.id), "back": "/duelists/missed_appointment"}
    )
    assert "Tick at least one client to assign." in text(as_nurse.get(response.headers["Location"]))
    assert count(TracingAssignment) == 0


def test_peer_educator_cannot_hand_out_tracing(browser, pe, missed):
    client = missed()
    response = browser(pe).post(
        "/outreach/tracing/assign", data={"peer_id": str(pe.id), "client_ids": [str(client.id)]}
    )
    assert response.status_code == 403
    assert count(TracingAssignment) == 0


def test_outcome_must_be_chosen_from_the_list(nurse_actor, pe, as_pe, missed):
    client = missed()
    assign_tracing(actor=nurse_actor, client_ids=[client.id], peer_id=pe.id, reason="missed_appointment")
    assignment = db.session.scalars(select(TracingAssignment)).one()
    response = as_pe.post(f"/outreach/tracing/{assignment.id}/outcome", data={"outcome": "dead"})
    assert "Choose what came of the follow-up." in text(as_pe.get(response.headers["Location"]))
    db.session.expire_all()
    assert assignment.outcome is None


def test_follow_ups_closed_more_than_thirty_days_ago_leave_the_peer_educators_list(
    nurse_actor, pe, pe_actor, as_pe, missed, today
):
    """own_tracing: 'the open list, then what they closed in the last 30 days'."""
    old, recent, still_open = missed(mother="OL"), missed(mother="RC"), missed(mother="OP")
    for client in (old, recent, still_open):
        assign_tracing(
            actor=nurse_actor,
            client_ids=[client.id],
            peer_id=pe.id,
            reason="missed_appointment",
            today=today - timedelta(days=60),
        )
    rows = {a.client_id: a for a in db.session.scalars(select(TracingAssignment))}
    record_outcome(actor=pe_actor, assignment_id=rows[old.id].id, outcome="moved", today=today - timedelta(days=45))
    record_outcome(
        actor=pe_actor, assignment_id=rows[recent.id].id, outcome="reached", today=today - timedelta(days=10)
    )
    mine = text(as_pe.get("/outreach/tracing"))
    assert still_open.client_number in mine
    assert recent.client_number in mine
    assert old.client_number not in mine


def test_another_clinics_due_list_offers_no_tracing(as_nurse, make, other_clinic, today):
    theirs_nurse = make.user(role="nurse", clinic=other_clinic)
    client = make.client(registered_by=theirs_nurse, enrolled_on=today - timedelta(days=365))
    make.visit(
        client=client,
        recorded_by=theirs_nurse,
        service_date=today - timedelta(days=60),
        next_appointment_on=today - timedelta(days=30),
    )
    page = text(as_nurse.get("/duelists/missed_appointment", query_string={"clinic": str(other_clinic.id)}))
    assert client.client_number in page
    assert "/outreach/tracing/assign" not in page


def _their_client(make, other_clinic, today):
    """A client registered and seen at another clinic, with a phone number."""
    theirs_nurse = make.user(role="nurse", clinic=other_clinic)
    client = make.client(registered_by=theirs_nurse, phone="+263779999999", phone_consent=True)
    make.visit(client=client, recorded_by=theirs_nurse, service_date=today - timedelta(days=60))
    return client


def test_another_clinics_client_cannot_be_handed_to_this_clinics_peer_educator(
    as_nurse, as_pe, make, other_clinic, pe, missed, today
):
    theirs, ours = _their_client(make, other_clinic, today), missed()
    response = as_nurse.post(
        "/outreach/tracing/assign",
        data={
            "peer_id": str(pe.id),
            "client_ids": [str(theirs.id), str(ours.id)],
            "back": "/duelists/missed_appointment",
        },
    )
    page = text(as_nurse.get(response.headers["Location"]))
    assert "1 ticked client is not a client of this clinic (registered and seen elsewhere)" in page
    assert "Nothing was assigned." in page
    assert count(TracingAssignment) == 0  # nothing half-saved
    assert "+263779999999" not in text(as_pe.get("/outreach/tracing"))


def test_a_client_registered_elsewhere_but_seen_here_can_be_traced_from_here(
    nurse_actor, nurse, make, other_clinic, pe, today
):
    client = _their_client(make, other_clinic, today)
    make.visit(client=client, clinic=nurse.clinic, recorded_by=nurse, service_date=today - timedelta(days=20))
    assert assign_tracing(actor=nurse_actor, client_ids=[client.id], peer_id=pe.id, reason="other") == 1


def test_assignment_service_records_who_handed_out_the_client(nurse_actor, nurse, pe, missed, today):
    client = missed()
    assign_tracing(actor=nurse_actor, client_ids=[client.id], peer_id=pe.id, reason="no-such-list", today=today)
    assignment = db.session.scalars(select(TracingAssignment)).one()
    assert (assignment.assigned_by_id, assignment.assigned_on, assignment.reason) == (nurse.id, today, "other")
    assert assignment.clinic_id == nurse.clinic_id


def test_only_clinical_staff_hand_out_tracing(make, clinic, pe, missed):
    from clinic_app.core.errors import NotAllowed

    client = missed()
    me = Actor(make.user(role="me_officer", clinic=clinic), "test")
    with pytest.raises(NotAllowed):
        assign_tracing(actor=me, client_ids=[client.id], peer_id=pe.id, reason="other")
