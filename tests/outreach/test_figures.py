"""Loop figures: contacts, people reached once, referrals issued and completed, per peer educator and clinic."""

import uuid
from datetime import date, timedelta

import pytest

from clinic_app.core.actor import Actor
from clinic_app.outreach.figures import loop_figures
from clinic_app.outreach.services import ContactInput, issue_referral, record_contact
from clinic_app.visits.services import VisitInput, record_visit
from tests.helpers import text
from tests.outreach.pages import figures_shown

TODAY = date(2026, 11, 20)
START, END = TODAY - timedelta(days=20), TODAY


def contact(actor, *, day=TODAY, **kw):
    kw.setdefault("kind", "individual")
    kw.setdefault("hiv_info", True)
    row, created = record_contact(
        actor=actor, data=ContactInput(contact_date=day, **kw), submission_key=uuid.uuid4(), today=TODAY
    )
    assert created
    return row


def figures_of(actor, start=START, end=END, **kw):
    total, _per_peer = loop_figures(actor=actor, start=start, end=end, **kw)
    return total


def per_peer(actor, start=START, end=END) -> dict:
    _total, rows = loop_figures(actor=actor, start=start, end=end)
    return {peer.id: figures for peer, figures in rows}


# --------------------------------------------------------------------------- people reached
def test_known_client_counts_once_however_many_contacts(pe_actor, person):
    client = person()
    contact(pe_actor, client_number=client.client_number)
    contact(pe_actor, client_number=client.client_number.replace("-", ""), day=TODAY - timedelta(days=3))
    contact(pe_actor, client_number=client.client_number, contact_uic="MAJO150892F", day=TODAY - timedelta(days=9))
    mine = figures_of(pe_actor)
    assert (mine.contacts, mine.people_reached) == (3, 1)


def test_new_contact_counts_once_by_the_uic_they_gave(pe_actor):
    contact(pe_actor, contact_uic="NOMA010190F")
    contact(pe_actor, contact_uic="noma-010190f", day=TODAY - timedelta(days=2))
    contact(pe_actor, contact_uic="ZAZU020291M")
    mine = figures_of(pe_actor)
    assert (mine.contacts, mine.people_reached) == (3, 2)


def test_anonymous_individual_contacts_count_one_person_each(pe_actor):
    for days_ago in (0, 1, 2):
        contact(pe_actor, day=TODAY - timedelta(days=days_ago))
    mine = figures_of(pe_actor)
    assert (mine.contacts, mine.people_reached) == (3, 3)


def test_small_group_counts_its_head_count(pe_actor):
    contact(pe_actor, kind="group", group_size=5)
    contact(pe_actor, kind="group", group_size=7, day=TODAY - timedelta(days=1))
    mine = figures_of(pe_actor)
    assert (mine.contacts, mine.people_reached) == (2, 12)


def test_people_reached_adds_clients_uics_anonymous_contacts_and_groups(pe_actor, person):
    client = person()
    contact(pe_actor, client_number=client.client_number)
    contact(pe_actor, client_number=client.client_number)
    contact(pe_actor, contact_uic="NOMA010190F")
    contact(pe_actor)
    contact(pe_actor)
    contact(pe_actor, kind="group", group_size=6)
    mine = figures_of(pe_actor)
    assert (mine.contacts, mine.people_reached) == (6, 1 + 1 + 2 + 6)


def test_clinic_counts_a_client_reached_by_two_peer_educators_once(pe_actor, other_pe_actor, nurse_actor, person):
    client = person()
    contact(pe_actor, client_number=client.client_number)
    contact(other_pe_actor, client_number=client.client_number)
    contact(pe_actor, contact_uic="NOMA010190F")
    contact(other_pe_actor, contact_uic="NOMA010190F")
    contact(other_pe_actor, kind="group", group_size=3)
    peers = per_peer(nurse_actor)
    assert (peers[pe_actor.id].contacts, peers[pe_actor.id].people_reached) == (2, 2)
    assert (peers[other_pe_actor.id].contacts, peers[other_pe_actor.id].people_reached) == (3, 5)
    clinic = figures_of(nurse_actor)
    assert (clinic.contacts, clinic.people_reached) == (5, 1 + 1 + 3)


def test_contacts_outside_the_period_are_not_counted(pe_actor, nurse_actor):
    start, end = TODAY - timedelta(days=20), TODAY - timedelta(days=5)
    for day in (start - timedelta(days=1), start, end, end + timedelta(days=1)):
        contact(pe_actor, day=day)
    contact(pe_actor, kind="group", group_size=9, day=end + timedelta(days=1))
    assert (figures_of(pe_actor, start, end).contacts, figures_of(pe_actor, start, end).people_reached) == (2, 2)
    clinic = figures_of(nurse_actor, start, end)
    assert (clinic.contacts, clinic.people_reached) == (2, 2)


def test_another_clinics_contacts_are_not_counted(make, other_clinic, nurse_actor, pe_actor):
    theirs = Actor(make.user(role="peer_educator", clinic=other_clinic), "test")
    contact(theirs, kind="group", group_size=10)
    contact(pe_actor)
    clinic = figures_of(nurse_actor)
    assert (clinic.contacts, clinic.people_reached) == (1, 1)
    assert theirs.id not in per_peer(nurse_actor)


# --------------------------------------------------------------------------- referrals
def _issue(actor, day):
    referral, _created = issue_referral(
        actor=actor, service="hiv_test", client_number=None, submission_key=uuid.uuid4(), today=day
    )
    return referral


def _redeem(actor, client, referral, day):
    data = VisitInput(service_date=day, visit_type="new", reasons=["hiv_testing"], referral_code=referral.code)
    return record_visit(actor=actor, client=client, data=data, today=TODAY)


def test_referrals_are_those_issued_in_the_period_completed_at_any_time_since(pe_actor, nurse_actor, person):
    start, end = TODAY - timedelta(days=20), TODAY - timedelta(days=10)
    before = _issue(pe_actor, start - timedelta(days=1))
    inside_done_later = _issue(pe_actor, end - timedelta(days=1))
    _issue(pe_actor, start)  # open
    after = _issue(pe_actor, end + timedelta(days=1))
    _redeem(nurse_actor, person(mother="BE"), before, start + timedelta(days=1))
    _redeem(nurse_actor, person(mother="IN"), inside_done_later, TODAY)
    _redeem(nurse_actor, person(mother="AF"), after, TODAY)
    mine = figures_of(pe_actor, start, end)
    assert (mine.referrals_issued, mine.referrals_completed) == (2, 1)
    assert mine.completion_rate == 0.5
    assert (mine.mean_days, mine.median_days) == (11, 11)  # issued on day -11, visit today


def test_days_from_referral_to_visit_give_mean_and_median(pe_actor, nurse_actor, person):
    for n, days in enumerate((1, 2, 9)):
        referral = _issue(pe_actor, TODAY - timedelta(days=days))
        _redeem(nurse_actor, person(mother=f"M{n}"), referral, TODAY)
    mine = figures_of(pe_actor)
    assert (mine.referrals_issued, mine.referrals_completed, mine.new_clients) == (3, 3, 3)
    assert mine.mean_days == 4.0
    assert mine.median_days == 2


def test_no_referrals_leaves_rate_and_days_empty(pe_actor):
    mine = figures_of(pe_actor)
    assert (mine.referrals_issued, mine.completion_rate, mine.mean_days, mine.median_days) == (0, None, None, None)


# --------------------------------------------------------------------------- who sees what
def test_peer_educator_gets_only_their_own_figures_whatever_they_ask(pe_actor, other_pe_actor, person):
    contact(pe_actor)
    for _ in range(4):
        contact(other_pe_actor)
    _issue(other_pe_actor, TODAY)
    total, rows = loop_figures(actor=pe_actor, start=START, end=END, peer_id=other_pe_actor.id)
    assert (total.contacts, total.people_reached, total.referrals_issued) == (1, 1, 0)
    assert [peer.id for peer, _f in rows] == [pe_actor.id]


def test_figures_page_of_a_peer_educator_ignores_another_peer_asked_for(browser, pe, other_pe, today):
    actor, other = Actor(pe, "test"), Actor(other_pe, "test")
    for kw in ({}, {"kind": "group", "group_size": 8}):
        kw.setdefault("kind", "individual")
        record_contact(
            actor=other,
            data=ContactInput(contact_date=today, hiv_info=True, **kw),
            submission_key=uuid.uuid4(),
            today=today,
        )
    record_contact(
        actor=actor,
        data=ContactInput(contact_date=today, kind="individual", hiv_info=True),
        submission_key=uuid.uuid4(),
        today=today,
    )
    response = browser(pe).get(
        "/outreach/figures",
        query_string={"start": today.isoformat(), "end": today.isoformat(), "peer": str(other_pe.id)},
    )
    assert response.status_code == 200
    page = text(response)
    assert "My figures" in page
    shown = figures_shown(response)
    assert (shown["contacts"], shown["people reached"]) == ("1", "1")
    assert "By peer educator" not in page
    assert other_pe.display_name not in page


def test_clinic_figures_list_each_peer_educator_of_the_clinic(browser, nurse, pe, other_pe, make, other_clinic, today):
    theirs = make.user(role="peer_educator", clinic=other_clinic, display_name="Elsewhere Peer")
    page = text(browser(nurse).get("/outreach/figures"))
    assert pe.display_name in page and other_pe.display_name in page
    assert theirs.display_name not in page


@pytest.mark.parametrize("role", ["nurse", "data_admin", "me_officer"])
def test_programme_staff_see_the_clinic_wide_figures(make, clinic, role, pe_actor):
    contact(pe_actor, kind="group", group_size=4)
    staff = Actor(make.user(role=role, clinic=clinic), "test")
    assert (figures_of(staff).contacts, figures_of(staff).people_reached) == (1, 4)
