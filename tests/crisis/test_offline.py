"""The crisis case form sent from the phone's outbox: stored once with the phone's UUID, reported when the
phone saved it, with the page's messages and the page's consent and anonymity rules."""

import uuid
from datetime import timedelta

from sqlalchemy import select

from clinic_app.core.db import utcnow
from clinic_app.core.timeutil import local_today
from clinic_app.crisis.models import ConsentPurpose, CrisisCase, SurvivorKind
from clinic_app.extensions import db
from tests.helpers import audit_events, count


def _fields(**changes):
    yesterday = (local_today("Africa/Harare") - timedelta(days=1)).isoformat()
    fields = {
        "survivor_kind": ["unregistered"],
        "alias": ["Lulu"],
        "violations": ["sexual", "physical"],
        "perpetrators": ["client"],
        "incident_on": [yesterday],
        "incident_time": ["23:30"],
        "channel": ["peer"],
        "safe_now": ["yes"],
        "injured": ["no"],
        "place_text": ["behind the truck stop"],
        "narrative": ["He would not pay and hit me. " * 20],  # longer than any other form's field
        "keep_record": ["y"],
    }
    fields.update(changes)
    return fields


def _send(client, key, fields, **extra):
    return client.post("/crisis/offline/case", json={"uuid": key, "fields": fields, **extra})


def test_a_case_sent_twice_with_its_uuid_is_stored_once_reported_when_the_phone_saved_it(client, sign_in_as, peer):
    sign_in_as(peer)
    key, saved_at = str(uuid.uuid4()), utcnow() - timedelta(hours=3)
    first = _send(client, key, _fields(), created=saved_at.isoformat())
    again = _send(client, key, _fields(), created=saved_at.isoformat())
    assert first.status_code == again.status_code == 200
    assert (first.json["status"], again.json["status"]) == ("saved", "already")
    assert first.json["reference"] == again.json["reference"]
    (case,) = db.session.scalars(select(CrisisCase)).all()
    assert case.submission_key == uuid.UUID(key) and case.reported_by_id == peer.id
    assert case.survivor_alias == "Lulu" and case.narrative.startswith("He would not pay")
    assert abs(case.reported_at - saved_at) < timedelta(seconds=1)
    assert len(audit_events("crisis.create")) == 1


def test_a_phone_clock_ahead_or_an_entry_too_old_is_reported_when_it_arrives(client, sign_in_as, peer):
    sign_in_as(peer)
    for created in ((utcnow() + timedelta(days=1)).isoformat(), (utcnow() - timedelta(days=90)).isoformat(), "x"):
        assert _send(client, str(uuid.uuid4()), _fields(), created=created).status_code == 200
    for case in db.session.scalars(select(CrisisCase)):
        assert abs(case.reported_at - utcnow()) < timedelta(minutes=1)


def test_a_rejected_case_gets_every_message_of_the_page_and_nothing_is_stored(client, sign_in_as, peer):
    sign_in_as(peer)
    tomorrow = (local_today("Africa/Harare") + timedelta(days=1)).isoformat()
    response = _send(client, str(uuid.uuid4()), _fields(violations=[], alias=[], incident_on=[tomorrow]))
    assert response.status_code == 422
    assert response.json["message"] == "The case was not saved. Please correct the fields marked below."
    assert {(e["field"], e["label"], e["message"]) for e in response.json["errors"]} == {
        ("violations", "What happened", "Tick what happened (one or more)."),
        ("alias", "Alias (not the legal name)", "Give an alias or the UIC, or choose 'anonymous'."),
        ("incident_on", "Date it happened", "The date is in the future."),
    }
    assert count(CrisisCase) == 0


def test_without_consent_to_keep_the_record_a_case_sent_later_keeps_nothing_that_points_to_her(
    client, sign_in_as, peer
):
    sign_in_as(peer)
    assert _send(client, str(uuid.uuid4()), _fields(keep_record=[])).status_code == 200
    case = db.session.scalar(select(CrisisCase))
    assert case.survivor_kind == SurvivorKind.ANONYMOUS
    assert (case.survivor_alias, case.narrative, case.place_text) == (None, None, None)
    assert not case.has_consent(ConsentPurpose.KEEP_RECORD)


def test_another_persons_uuid_does_not_return_her_case(make, clinic, client, app, sign_in_as, peer):
    key = str(uuid.uuid4())
    assert _send(sign_in_as(peer), key, _fields()).status_code == 200
    colleague = make.user(role="peer_educator", clinic=clinic)
    response = _send(sign_in_as(colleague, on=app.test_client()), key, _fields())
    assert response.status_code == 422
    assert "reference" not in response.json and response.json["errors"][0]["field"] == "survivor_kind"
    assert count(CrisisCase) == 1


def test_an_unreadable_case_entry_is_refused_without_a_500(client, sign_in_as, peer):
    sign_in_as(peer)
    for body in ({"uuid": "nope", "fields": {}}, {"fields": "x"}, [], {"uuid": str(uuid.uuid4())}):
        assert client.post("/crisis/offline/case", json=body).status_code == 400
    too_long = _fields(narrative=["x" * 9000])
    assert _send(client, str(uuid.uuid4()), too_long).status_code == 400
    assert client.post("/crisis/offline/case", data="not json").status_code == 400
    assert count(CrisisCase) == 0


def test_the_peer_educators_worker_keeps_the_case_form_for_the_whole_site(client, sign_in_as, peer):
    sign_in_as(peer)
    worker = client.get("/outreach/sw.js")
    assert worker.status_code == 200 and worker.headers["Service-Worker-Allowed"] == "/"
    assert '"/crisis/new"' in worker.text and '"/outreach/contacts/new"' in worker.text
    page = client.get("/crisis/new").text
    assert 'data-offline="case"' in page and 'data-case-url="/crisis/offline/case"' in page


def test_the_coordinators_case_form_has_no_outbox(client, sign_in_as, coordinator):
    sign_in_as(coordinator)
    page = client.get("/crisis/new").text
    assert "data-offline" not in page and "data-outbox" not in page
