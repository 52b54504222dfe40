"""Outreach contacts: what a peer educator records, what is refused and why, and double submits."""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from clinic_app.clients.services import merge_clients
from clinic_app.core.actor import Actor
from clinic_app.core.once import commit_once
from clinic_app.extensions import db
from clinic_app.outreach.models import ContactKind, OutreachContact
from clinic_app.outreach.services import ContactInput, record_contact
from tests.helpers import count, form_state, text
from tests.outreach.pages import contact_form


@pytest.fixture
def as_pe(browser, pe):
    return browser(pe)


def _post(as_pe, data):
    return as_pe.post("/outreach/contacts/new", data=data)


def _saved() -> OutreachContact:
    db.session.expire_all()
    return db.session.scalars(select(OutreachContact)).one()


# --------------------------------------------------------------------------- saved
def test_individual_contact_is_saved_with_what_was_given(as_pe, pe, today):
    data = contact_form(today, male_condoms="12", lubricant="3", rights_info="y", contact_uic="majo150892f")
    response = _post(as_pe, data)
    assert response.status_code == 302
    assert response.headers["Location"] == "/outreach/contacts/new"
    assert "Contact saved." in text(as_pe.get(response.headers["Location"]))
    contact = _saved()
    assert contact.kind == ContactKind.INDIVIDUAL
    assert (contact.contact_date, contact.peer_educator_id, contact.clinic_id) == (today, pe.id, pe.clinic_id)
    assert (contact.male_condoms, contact.lubricant, contact.self_test_kits) == (12, 3, 0)
    assert (contact.hiv_info, contact.rights_info, contact.violence_info) == (True, True, False)
    assert contact.contact_uic == "MAJO150892F"
    assert contact.client_id is None
    assert contact.submission_key == uuid.UUID(data["submission_key"])


def test_small_group_is_saved_with_its_head_count(as_pe, today):
    response = _post(as_pe, contact_form(today, kind="group", group_size="7", male_condoms="40"))
    assert response.status_code == 302
    contact = _saved()
    assert (contact.kind, contact.group_size, contact.people) == (ContactKind.GROUP, 7, 7)


@pytest.mark.parametrize("size", ["2", "25"])
def test_group_of_two_to_twenty_five_is_accepted(as_pe, today, size):
    assert _post(as_pe, contact_form(today, kind="group", group_size=size)).status_code == 302
    assert _saved().group_size == int(size)


def test_contact_entered_the_full_backdate_window_late_is_accepted(app, as_pe, today):
    day = today - timedelta(days=app.config["OUTREACH_BACKDATE_DAYS"])
    assert _post(as_pe, contact_form(day)).status_code == 302
    assert _saved().contact_date == day


@pytest.mark.parametrize("spelling", ["with-dashes", "digits-only", "with-spaces"])
def test_known_client_is_found_by_health_card_number_however_typed(as_pe, person, today, spelling):
    client = person()
    number = client.client_number  # 1234-5678-9
    typed = {
        "with-dashes": number,
        "digits-only": number.replace("-", ""),
        "with-spaces": number.replace("-", " "),
    }[spelling]
    assert _post(as_pe, contact_form(today, client_number=typed)).status_code == 302
    assert _saved().client_id == client.id


def test_merged_clients_old_number_links_the_contact_to_the_record_kept(make, clinic, as_pe, person, today):
    keep, duplicate = person(mother="KE"), person(mother="DU")
    data_admin = make.user(role="data_admin", clinic=clinic)
    merge_clients(actor=Actor(data_admin, "test"), keep=keep, duplicate=duplicate)
    assert _post(as_pe, contact_form(today, client_number=duplicate.client_number)).status_code == 302
    assert _saved().client_id == keep.id


def test_contact_at_a_hotspot_keeps_the_hotspot(make, clinic, nurse, pe, as_pe, today):
    from clinic_app.outreach.services import save_hotspot

    spot = save_hotspot(actor=Actor(nurse, "test"), name="Truck stop N1", kind="truck_stop", peer_ids=[str(pe.id)])
    assert _post(as_pe, contact_form(today, hotspot_id=str(spot.id))).status_code == 302
    assert _saved().hotspot_id == spot.id
    assert "Truck stop N1" in text(as_pe.get("/outreach/contacts"))


# --------------------------------------------------------------------------- refused
def _refusals(app, today):
    days = app.config["OUTREACH_BACKDATE_DAYS"]
    return {
        "future-date": (
            {"contact_date": (today + timedelta(days=1)).isoformat()},
            "contact_date",
            "The date is in the future.",
        ),
        "too-old": (
            {"contact_date": (today - timedelta(days=days + 1)).isoformat()},
            "contact_date",
            f"Contacts older than {days} days cannot be entered here; ask the data administrator.",
        ),
        "group-of-one": ({"kind": "group", "group_size": "1"}, "group_size", "A small group has 2 to 25 people."),
        "group-of-26": ({"kind": "group", "group_size": "26"}, "group_size", "A small group has 2 to 25 people."),
        "group-without-size": ({"kind": "group"}, "group_size", "A small group has 2 to 25 people."),
        "unknown-client-number": (
            {"client_number": "1234-5678-0"},
            "client_number",
            "No client has this number. Check the health card, or leave it empty.",
        ),
        "bad-uic": (
            {"contact_uic": "MAJO15F"},
            "contact_uic",
            "A UIC looks like MAJO150892F. Leave it empty if unsure.",
        ),
        "nothing-given": ({"hiv_info": None}, "hiv_info", "Tick what was given or done at this contact."),
    }


CASES = [
    "future-date",
    "too-old",
    "group-of-one",
    "group-of-26",
    "group-without-size",
    "unknown-client-number",
    "bad-uic",
    "nothing-given",
]


@pytest.mark.parametrize("case", CASES)
def test_refused_contact_says_why_beside_the_field_and_keeps_the_other_entries(app, as_pe, today, case):
    change, field, message = _refusals(app, today)[case]
    given = {"rights_info": "y", "male_condoms": "9", "self_test_distribution": "assisted", "kits_for_self": "2"}
    if case == "nothing-given":
        given = {"contact_uic": "MAJO150892F"}
    data = contact_form(today, **{**given, **change})
    response = _post(as_pe, data)
    assert response.status_code == 422
    state = form_state(response)
    assert state.errors.get(field) == [message], state.errors
    # The top says nothing was stored: the form's own check, or the service's message for the contact.
    assert any(
        alert in state.alerts
        for alert in (
            "Nothing was saved. Please correct the fields marked below.",
            "The contact was not saved. Please correct the fields marked below.",
        )
    ), state.alerts
    # the other entries are kept
    assert state.values["contact_date"] == data["contact_date"]
    assert state.values["submission_key"] == data["submission_key"]
    assert state.checked["kind"] == [data["kind"]]
    if case == "nothing-given":
        assert state.values["contact_uic"] == "MAJO150892F"
    else:
        assert state.values["male_condoms"] == "9"
        assert state.values["kits_for_self"] == "2"
        assert state.checked.get("rights_info") == ["y"]
    for name in ("client_number", "contact_uic", "group_size"):
        if name in data:
            assert state.values[name] == data[name], name
    assert count(OutreachContact) == 0


def test_refused_contact_corrected_and_sent_again_is_saved_once(as_pe, today):
    data = contact_form(today, kind="group", group_size="1")
    assert _post(as_pe, data).status_code == 422
    data["group_size"] = "4"
    assert _post(as_pe, data).status_code == 302
    assert _post(as_pe, data).status_code == 302
    assert count(OutreachContact) == 1


# --------------------------------------------------------------------------- double submits
def test_same_contact_form_sent_twice_is_stored_once_and_the_second_answer_says_so(as_pe, today):
    data = contact_form(today, male_condoms="5")
    first = _post(as_pe, data)
    assert "Contact saved." in text(as_pe.get(first.headers["Location"]))
    second = _post(as_pe, data)
    assert second.status_code == 302
    page = text(as_pe.get(second.headers["Location"]))
    assert "This was already saved; it was not stored twice." in page
    assert "Contact saved." not in page
    assert count(OutreachContact) == 1


def test_two_forms_with_different_keys_are_two_contacts(as_pe, today):
    assert _post(as_pe, contact_form(today)).status_code == 302
    assert _post(as_pe, contact_form(today)).status_code == 302
    assert count(OutreachContact) == 2


def test_resubmitted_contact_returns_the_row_already_saved(pe_actor, today):
    key = uuid.uuid4()
    data = ContactInput(contact_date=today, kind="individual", hiv_info=True)
    first, created = record_contact(actor=pe_actor, data=data, submission_key=key, today=today)
    again, created_again = record_contact(actor=pe_actor, data=data, submission_key=key, today=today)
    assert (created, created_again) == (True, False)
    assert again.id == first.id
    assert count(OutreachContact) == 1


def _contact_row(actor, key, today) -> OutreachContact:
    return OutreachContact(
        id=uuid.uuid4(),
        clinic_id=actor.clinic_id,
        peer_educator_id=actor.id,
        contact_date=today,
        kind=ContactKind.INDIVIDUAL,
        hiv_info=True,
        submission_key=key,
    )


def test_commit_once_returns_the_row_saved_meanwhile_when_the_key_is_taken(pe_actor, today):
    """The race: another request saved this key between the check and this save."""
    key = uuid.uuid4()
    saved_first, created = commit_once(OutreachContact, _contact_row(pe_actor, key, today), key)
    assert created
    late = _contact_row(pe_actor, key, today)
    row, created_again = commit_once(OutreachContact, late, key)
    assert created_again is False
    assert row.id == saved_first.id != late.id
    assert count(OutreachContact) == 1


def test_commit_once_does_not_hide_a_clash_that_is_not_a_resubmission(pe_actor, today):
    from sqlalchemy.exc import IntegrityError

    from clinic_app.outreach.models import Referral, ReferralService

    def slip(key, code):
        return Referral(
            id=uuid.uuid4(),
            clinic_id=pe_actor.clinic_id,
            peer_educator_id=pe_actor.id,
            code=code,
            service=ReferralService.HIV_TEST,
            issued_on=today,
            expires_on=today + timedelta(days=30),
            submission_key=key,
        )

    first_key, second_key = uuid.uuid4(), uuid.uuid4()
    commit_once(Referral, slip(first_key, "ABCDEFGH"), first_key)
    with pytest.raises(IntegrityError):
        commit_once(Referral, slip(second_key, "ABCDEFGH"), second_key)
    assert count(Referral) == 1


# --------------------------------------------------------------------------- service rules
def test_contact_service_refuses_a_hotspot_of_another_clinic(make, other_clinic, pe_actor, today):
    from clinic_app.core.errors import Invalid
    from clinic_app.outreach.models import Hotspot, HotspotKind

    theirs = Hotspot(clinic_id=other_clinic.id, name="Their bar", kind=HotspotKind.BAR)
    db.session.add(theirs)
    db.session.commit()
    data = ContactInput(contact_date=today, kind="individual", hiv_info=True, hotspot_id=str(theirs.id))
    with pytest.raises(Invalid) as refused:
        record_contact(actor=pe_actor, data=data, submission_key=uuid.uuid4(), today=today)
    assert refused.value.field_errors == {"hotspot_id": "Choose a hotspot from the list."}
    assert count(OutreachContact) == 0


def test_only_peer_educators_record_contacts(nurse_actor, today):
    from clinic_app.core.errors import NotAllowed

    data = ContactInput(contact_date=today, kind="individual", hiv_info=True)
    with pytest.raises(NotAllowed):
        record_contact(actor=nurse_actor, data=data, submission_key=uuid.uuid4(), today=today)


def test_contact_form_proposes_today(as_pe, today):
    response = as_pe.get("/outreach/contacts/new")
    assert response.status_code == 200
    state = form_state(response)
    assert state.values["contact_date"] == today.isoformat()
    assert state.checked["kind"] == ["individual"]
    assert state.values["submission_key"]


def test_each_contact_form_gets_its_own_key(as_pe):
    first = form_state(as_pe.get("/outreach/contacts/new")).values["submission_key"]
    second = form_state(as_pe.get("/outreach/contacts/new")).values["submission_key"]
    assert first != second
