"""The audit trail: what is written when, by whom, and what is never written."""

from datetime import date

import pytest

from clinic_app.clients.models import Client
from clinic_app.core.timeutil import local_today
from clinic_app.extensions import db
from clinic_app.visits.models import Visit
from tests.factories import PASSWORD
from tests.helpers import audit_events, audit_text, text


@pytest.fixture
def as_nurse(sign_in_as, nurse):
    return sign_in_as(nurse)


def test_sign_in_through_the_form_is_audited_with_user_and_source(client, login, nurse, clinic):
    login(nurse)
    [event] = audit_events("auth.sign_in")
    assert event.actor_id == nurse.id
    assert event.actor_role == "nurse"
    assert event.clinic_id == clinic.id
    assert event.object_id == str(nurse.id)
    assert event.source == "127.0.0.1"
    assert event.occurred_at.tzinfo is not None


def test_failed_sign_ins_are_audited_without_the_typed_password_or_name(client, nurse):
    client.post("/auth/login", data={"username": "nurse", "password": "Guess-Number-1"})
    client.post("/auth/login", data={"username": "no.such.person", "password": "Guess-Number-2"})
    events = audit_events("auth.sign_in_failed")
    assert [e.object_id for e in events] == [str(nurse.id), None]
    assert all(e.actor_id is None for e in events)
    trail = audit_text()
    assert "guess-number" not in trail
    assert "no.such.person" not in trail
    assert audit_events("auth.sign_in") == []


def test_sign_out_is_audited(client, login, nurse):
    login(nurse)
    client.post("/auth/logout")
    [event] = audit_events("auth.sign_out")
    assert event.actor_id == nurse.id


def test_registering_through_the_form_is_audited(client, as_nurse, nurse):
    today = local_today("Africa/Harare")
    response = client.post(
        "/clients/new",
        data={
            "mother_letters": "MA",
            "own_letters": "JO",
            "sex": "female",
            "date_of_birth": "1992-08-15",
            "alias": "Rosa",
            "key_population": "fsw",
            "nationality": "MZ",
            "enrolled_on": today.isoformat(),
            "consent_given": "y",
        },
    )
    assert response.status_code == 302
    record = db.session.scalars(db.select(Client)).one()
    [event] = audit_events("client.register")
    assert (event.actor_id, event.object_type, event.object_id) == (nurse.id, "clients", str(record.id))
    trail = audit_text()
    for private in ("rosa", "majo150892f", "fsw", record.client_number):
        assert private not in trail


def test_opening_a_client_page_is_audited_every_time(client, as_nurse, make, nurse):
    record = make.client(registered_by=nurse)
    client.get(f"/clients/{record.id}")
    client.get(f"/clients/{record.id}")
    events = audit_events("client.view")
    assert [e.object_id for e in events] == [str(record.id)] * 2
    assert all(e.actor_id == nurse.id for e in events)


def test_recording_a_visit_through_the_form_is_audited(client, as_nurse, make, nurse):
    record = make.client(registered_by=nurse, enrolled_on=date(2026, 1, 10))
    today = local_today("Africa/Harare")
    client.post(
        f"/visits/for/{record.id}/new",
        data={"service_date": today.isoformat(), "visit_type": "new", "reasons": ["sti"], "notes": "private words"},
    )
    visit = db.session.scalars(db.select(Visit)).one()
    [event] = audit_events("visit.create")
    assert (event.actor_id, event.object_type, event.object_id) == (nurse.id, "visits", str(visit.id))
    assert "private words" not in audit_text()


def test_refused_page_is_audited_as_access_denied(client, sign_in_as, make, clinic):
    me = make.user(role="me_officer", clinic=clinic)
    sign_in_as(me)
    client.get("/visits/")
    client.get("/audit/")
    events = audit_events("access.denied")
    assert [(e.actor_id, e.detail) for e in events] == [(me.id, "visits.index"), (me.id, "audit.index")]


def test_administrator_reads_the_trail_and_filters_it_by_action(app, client, sign_in_as, make, clinic, nurse):
    client.post("/auth/login", data={"username": "nurse", "password": "wrong password"})
    client.post("/auth/login", data={"username": "nurse", "password": PASSWORD})
    admin_browser = sign_in_as(make.user(role="admin", clinic=clinic), on=app.test_client())

    everything = text(admin_browser.get("/audit/"))
    assert 'data-label="Action">auth.sign_in<' in everything
    assert 'data-label="Action">auth.sign_in_failed<' in everything

    filtered = text(admin_browser.get("/audit/", query_string={"action": "auth.sign_in"}))
    assert filtered.count('data-label="Action">auth.sign_in<') == 1
    assert 'data-label="Action">auth.sign_in_failed<' not in filtered
    assert 'nurse <span class="muted">(Nurse)</span>' in filtered  # the role by its name, not its code


def test_only_the_administrator_reads_the_trail(client, as_nurse):
    assert client.get("/audit/").status_code == 403
