"""Pages that show identified clients with a health meaning leave one audit line per view, naming the
records shown: due lists (the unlinked positives too), data-quality lists, visit lists, tracing lists,
outreach contacts, referral slips, and client search."""

import uuid
from datetime import date, timedelta

import pytest

from clinic_app.extensions import db
from clinic_app.outreach.models import ContactKind, Hotspot, HotspotKind, OutreachContact, ReferralService
from clinic_app.outreach.services import issue_referral
from clinic_app.outreach.tracing import assign_tracing
from tests.helpers import audit_events


def make_hotspot(clinic) -> Hotspot:
    hotspot = Hotspot(clinic_id=clinic.id, name="Truck stop 3", kind=list(HotspotKind)[0])
    db.session.add(hotspot)
    db.session.commit()
    return hotspot


@pytest.fixture
def positive(person, hiv_tested, today):
    client = person(alias="Lulu")
    visit = hiv_tested(client, today - timedelta(days=40), "positive")
    return client, visit


def test_a_due_list_page_is_audited_with_the_clients_it_shows(browser, nurse, positive):
    client, _visit = positive
    as_nurse = browser(nurse)
    assert as_nurse.get("/duelists/unlinked_positive").status_code == 200
    as_nurse.get("/duelists/unlinked_positive")
    events = audit_events("duelist.view")
    assert len(events) == 2  # one line per page view
    assert all(e.actor_id == nurse.id and e.object_ids == str(client.id) for e in events)
    assert events[0].detail.startswith("list=unlinked_positive page=1 total=1")


def test_the_visit_list_is_audited_with_the_visits_it_shows(browser, nurse, positive):
    _client, visit = positive
    assert browser(nurse).get("/visits/").status_code == 200
    [event] = audit_events("visit.list")
    assert event.object_ids == str(visit.id)


def test_a_data_quality_list_is_audited_with_the_visits_it_shows(browser, nurse, positive):
    _client, visit = positive
    response = browser(nurse).get(
        "/reports/quality/positive_without_linkage", query_string={"period_code": f"{visit.service_date:%Y-%m}"}
    )
    assert response.status_code == 200
    [event] = audit_events("quality.view")
    assert (event.object_type, event.object_ids) == ("visits", str(visit.id))


def test_tracing_lists_are_audited_with_the_clients_they_show(browser, nurse, nurse_actor, pe, positive, today):
    client, _visit = positive
    assign_tracing(actor=nurse_actor, peer_id=pe.id, client_ids=[client.id], reason="unlinked_positive")
    browser(pe).get("/outreach/tracing")
    browser(nurse).get("/outreach/tracing")
    events = audit_events("tracing.list")
    assert [(e.actor_id, e.detail, e.object_ids) for e in events] == [
        (pe.id, "list=mine", str(client.id)),
        (nurse.id, "list=clinic", str(client.id)),
    ]


def test_the_outreach_home_page_counts_without_an_audit_line_of_a_list(browser, pe):
    assert browser(pe).get("/outreach/").status_code == 200
    assert audit_events("tracing.list") == []


def test_outreach_contact_list_is_audited(browser, pe, make, clinic):
    hotspot = make_hotspot(clinic)
    for day in (1, 2):
        db.session.add(
            OutreachContact(
                clinic_id=clinic.id,
                peer_educator_id=pe.id,
                hotspot_id=hotspot.id,
                contact_date=date(2026, 11, day),
                kind=ContactKind.INDIVIDUAL,
                submission_key=uuid.uuid4(),
            )
        )
    db.session.commit()
    browser(pe).get("/outreach/contacts")
    [event] = audit_events("outreach.contacts_view")
    assert event.actor_id == pe.id
    ids = {str(c.id) for c in db.session.scalars(db.select(OutreachContact))}
    assert set(event.object_ids.split()) == ids


def test_search_records_which_clients_were_shown(browser, nurse, person):
    first = person(alias="Zanele")
    second = person(alias="Zandi")
    browser(nurse).post("/clients/", data={"term": "Zan"})
    [event] = audit_events("client.search")
    assert sorted(event.object_ids.split()) == sorted([str(first.id), str(second.id)])
    assert "zan" not in (event.detail or "").lower()


def test_the_referral_slip_list_and_a_slip_are_audited_with_the_slips_shown(browser, pe, pe_actor, nurse):
    slips = [
        issue_referral(
            actor=pe_actor, service=ReferralService.PREP.value, client_number=None, submission_key=uuid.uuid4()
        )[0]
        for _ in range(2)
    ]
    as_pe = browser(pe)
    assert as_pe.get("/outreach/referrals", query_string={"status": "open"}).status_code == 200
    [listed] = audit_events("referral.list_view")
    assert listed.actor_id == pe.id
    assert set(listed.object_ids.split()) == {str(slip.id) for slip in slips}
    assert listed.detail == "status=open page=1"
    # A status typed into the address is never written to the trail as typed.
    browser(nurse).get("/outreach/referrals", query_string={"status": "Lulu"})
    assert audit_events("referral.list_view")[-1].detail == "status=all page=1"
    assert as_pe.get(f"/outreach/referrals/{slips[0].id}").status_code == 200
    [opened] = audit_events("referral.view")
    assert (opened.actor_id, opened.object_type, opened.object_id) == (pe.id, "referrals", str(slips[0].id))
