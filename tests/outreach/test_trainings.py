"""Trainings and education sessions: attendees by client number and/or a head count, recorded once."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from clinic_app.clients.services import merge_clients
from clinic_app.core.actor import Actor
from clinic_app.core.errors import Invalid, NotAllowed
from clinic_app.extensions import db
from clinic_app.outreach.models import Training, TrainingAttendee, TrainingTopic
from clinic_app.outreach.trainings import TrainingInput, record_training
from tests.helpers import count, form_state, text
from tests.outreach.pages import new_key


@pytest.fixture
def as_pe(browser, pe):
    return browser(pe)


def training_form(day, **overrides) -> dict:
    data = {
        "held_on": day.isoformat(),
        "topic": "rights_safety",
        "facilitator": "Thandi Moyo",
        "client_numbers": "",
        "other_attendees": "",
        "submission_key": new_key(),
    }
    data.update(overrides)
    return data


def _saved() -> Training:
    db.session.expire_all()
    return db.session.scalars(select(Training)).one()


def test_session_with_attendees_by_client_number_is_saved(as_pe, pe, person, today):
    first, second = person(mother="FI"), person(mother="SE")
    numbers = f"{first.client_number}, {second.client_number.replace('-', '')}\n{first.client_number}"
    response = as_pe.post("/outreach/trainings/new", data=training_form(today, client_numbers=numbers))
    assert response.status_code == 302
    assert response.headers["Location"] == "/outreach/trainings"
    page = text(as_pe.get(response.headers["Location"]))
    assert "Session saved." in page
    assert "Rights and safety" in page
    training = _saved()
    assert {a.client_id for a in training.attendee_rows} == {first.id, second.id}
    assert count(TrainingAttendee) == 2  # a number typed twice is one attendee
    assert (training.held_on, training.topic, training.recorded_by_id) == (today, TrainingTopic.RIGHTS_SAFETY, pe.id)
    assert training.other_attendees == 0


def test_session_with_a_head_count_only_is_saved(as_pe, today):
    response = as_pe.post("/outreach/trainings/new", data=training_form(today, other_attendees="18"))
    assert response.status_code == 302
    training = _saved()
    assert (training.other_attendees, training.attendee_rows) == (18, [])


def test_session_with_clients_and_a_head_count_keeps_both(as_pe, person, today):
    client = person()
    data = training_form(today, client_numbers=client.client_number, other_attendees="4")
    assert as_pe.post("/outreach/trainings/new", data=data).status_code == 302
    training = _saved()
    assert ([a.client_id for a in training.attendee_rows], training.other_attendees) == ([client.id], 4)


def test_session_attended_by_peer_educators_and_staff_keeps_them_as_trainees(as_pe, pe_actor, make, today):
    nurse = make.user(role="nurse", clinic=pe_actor.user.clinic, username="trainee-nurse")
    page = as_pe.get("/outreach/trainings/new").get_data(as_text=True)
    assert f'value="{nurse.id}"' in page and "trainee-nurse" not in page  # offered by name, not username
    data = training_form(today, staff_ids=[str(pe_actor.id), str(nurse.id)])
    assert as_pe.post("/outreach/trainings/new", data=data).status_code == 302
    training = _saved()
    assert sorted(str(s.user_id) for s in training.staff_rows) == sorted([str(pe_actor.id), str(nurse.id)])


def test_staff_of_another_clinic_cannot_be_recorded_as_trainees(as_pe, make, other_clinic, today):
    stranger = make.user(role="nurse", clinic=other_clinic, username="far-nurse")
    response = as_pe.post("/outreach/trainings/new", data=training_form(today, staff_ids=[str(stranger.id)]))
    assert response.status_code == 422
    assert form_state(response).errors["staff_ids"] == ["Choose staff of this clinic from the list."]
    assert count(Training) == 0


def test_unknown_client_numbers_are_listed_and_nothing_is_saved(as_pe, person, today):
    known = person()
    typed = f"{known.client_number}, 1234-5678-0, 99"
    response = as_pe.post("/outreach/trainings/new", data=training_form(today, client_numbers=typed))
    assert response.status_code == 422
    state = form_state(response)
    assert state.errors["client_numbers"] == ["No client has these numbers: 1234-5678-0, 99"]
    assert state.values["client_numbers"].strip() == typed
    assert state.values["facilitator"] == "Thandi Moyo"
    assert count(Training) == 0


def test_session_without_attendees_or_head_count_is_refused(as_pe, today):
    response = as_pe.post("/outreach/trainings/new", data=training_form(today, facilitator="Sister Ruth"))
    assert response.status_code == 422
    state = form_state(response)
    assert state.errors["other_attendees"] == [
        "Give the attendees' client numbers, the staff who attended, or a head count."
    ]
    assert state.values["facilitator"] == "Sister Ruth"
    assert count(Training) == 0


def test_session_in_the_future_is_refused(as_pe, today):
    data = training_form(today + timedelta(days=1), other_attendees="3")
    response = as_pe.post("/outreach/trainings/new", data=data)
    assert response.status_code == 422
    assert form_state(response).errors["held_on"] == ["Give the date of the session (not in the future)."]
    assert count(Training) == 0


def test_same_training_form_sent_twice_is_stored_once(as_pe, today):
    data = training_form(today, other_attendees="9")
    first = as_pe.post("/outreach/trainings/new", data=data)
    assert "Session saved." in text(as_pe.get(first.headers["Location"]))
    second = as_pe.post("/outreach/trainings/new", data=data)
    assert second.status_code == 302
    assert "This was already saved; it was not stored twice." in text(as_pe.get(second.headers["Location"]))
    assert count(Training) == 1


def test_training_form_proposes_today_and_the_signed_in_facilitator(as_pe, today):
    state = form_state(as_pe.get("/outreach/trainings/new"))
    assert state.values["held_on"] == today.isoformat()
    assert state.values["facilitator"] == "Thandi Moyo"


def test_training_service_returns_the_row_already_saved_for_a_resubmission(pe_actor, today):
    key = uuid.uuid4()
    data = TrainingInput(held_on=today, topic="srh", facilitator="Rudo", other_attendees=5)
    first, created = record_training(actor=pe_actor, data=data, submission_key=key, today=today)
    again, created_again = record_training(actor=pe_actor, data=data, submission_key=key, today=today)
    assert (created, created_again, again.id) == (True, False, first.id)
    assert count(Training) == 1


def test_training_service_needs_a_topic_and_a_facilitator(pe_actor, today):
    data = TrainingInput(held_on=today, topic="cooking", facilitator="  ", other_attendees=5)
    with pytest.raises(Invalid) as refused:
        record_training(actor=pe_actor, data=data, submission_key=uuid.uuid4(), today=today)
    assert set(refused.value.field_errors) == {"topic", "facilitator"}


def test_me_officer_does_not_record_trainings(make, clinic, today):
    me = Actor(make.user(role="me_officer", clinic=clinic), "test")
    data = TrainingInput(held_on=today, topic="srh", facilitator="Rudo", other_attendees=5)
    with pytest.raises(NotAllowed):
        record_training(actor=me, data=data, submission_key=uuid.uuid4(), today=today)


def test_merging_two_records_that_both_attended_a_session_keeps_one_attendee(make, clinic, pe_actor, person, today):
    """The same person entered twice (two numbers) and both numbers typed at one session, then merged."""
    keep, duplicate = person(mother="KE"), person(mother="DU")
    data = TrainingInput(
        held_on=today, topic="srh", facilitator="Rudo", client_numbers=f"{keep.client_number} {duplicate.client_number}"
    )
    training, _created = record_training(actor=pe_actor, data=data, submission_key=uuid.uuid4(), today=today)
    data_admin = Actor(make.user(role="data_admin", clinic=clinic), "test")
    merge_clients(actor=data_admin, keep=keep, duplicate=duplicate)
    assert [row.client_id for row in db.session.scalars(select(TrainingAttendee))] == [keep.id]
