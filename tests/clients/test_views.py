"""Client pages through the browser: register, duplicates, search, open, edit, merge."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from clinic_app.clients.models import Client
from clinic_app.core.timeutil import local_today
from clinic_app.extensions import db
from clinic_app.visits.models import Visit
from tests.helpers import audit_events, audit_text, count, form_state, text


@pytest.fixture
def today():
    """The clinic's date (Beitbridge), which the pages use for 'today'."""
    return local_today("Africa/Harare")


@pytest.fixture
def as_nurse(sign_in_as, nurse):
    return sign_in_as(nurse)


def registration(today, **overrides):
    """The registration form as a nurse fills it in; None leaves a field out (an unticked box)."""
    data = {
        "mother_letters": "MA",
        "own_letters": "JO",
        "sex": "female",
        "date_of_birth": "1992-08-15",
        "estimated_age": "",
        "alias": "Star",
        "key_population": "fsw",
        "nationality": "ZW",
        "phone": "",
        "enrolled_on": today.isoformat(),
        "consent_given": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def only_client() -> Client:
    return db.session.scalars(select(Client)).one()


# --- registration ---------------------------------------------------------------------


def _session_cookie(app, client) -> str:
    """What the browser holds in the session cookie (signed, not encrypted: anyone can read it)."""
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return str(app.session_interface.get_signing_serializer(app).loads(cookie.value)) if cookie else ""


def test_registering_through_the_form_shows_the_new_number_and_uic(app, client, as_nurse, today):
    response = client.post("/clients/new", data=registration(today))
    assert response.status_code == 302
    record = only_client()
    assert response.headers["Location"] == f"/clients/{record.id}"
    assert re.fullmatch(r"\d{4}-\d{4}-\d", record.client_number)
    held = _session_cookie(app, client)
    assert "_flashes" in held  # the confirmation waits in the cookie...
    assert record.client_number not in held and record.client_number.replace("-", "") not in held  # ...without it

    page = text(client.get(response.headers["Location"]))
    assert "Client registered. Write the client number shown below on the health card." in page
    assert record.client_number in page
    assert "MAJO150892F" in page
    assert record.uic == "MAJO150892F"
    assert record.alias == "Star"
    assert record.enrolled_on == today


def test_registration_form_drops_accents_from_the_letters(client, as_nurse, today):
    response = client.post("/clients/new", data=registration(today, mother_letters="Ân", own_letters="Él"))
    assert response.status_code == 302
    assert only_client().uic == "ANEL150892F"


def test_registration_with_an_estimated_age_gives_0000_in_the_uic(client, as_nurse, today):
    response = client.post("/clients/new", data=registration(today, date_of_birth="", estimated_age="30"))
    assert response.status_code == 302
    record = only_client()
    year = today.year - 30
    assert record.uic == f"MAJO0000{year % 100:02d}F"
    assert f"about {year} (estimated)" in text(client.get(response.headers["Location"]))


def test_registration_accepts_9_for_an_unknown_mothers_name_as_the_form_says(client, as_nurse, today):
    form_page = text(client.get("/clients/new"))
    assert "Type 9 if unknown." in form_page
    response = client.post("/clients/new", data=registration(today, mother_letters="9"))
    assert response.status_code == 302, form_state(response).errors
    assert only_client().uic == "99JO150892F"


def test_registration_form_starts_with_todays_enrolment_date(client, as_nurse, today):
    assert form_state(client.get("/clients/new")).values["enrolled_on"] == today.isoformat()


INVALID = [
    pytest.param(
        lambda t: {"date_of_birth": (t + timedelta(days=30)).isoformat()},
        "date_of_birth",
        "The date of birth is in the future.",
        id="future-birth-date",
    ),
    pytest.param(
        lambda t: {"date_of_birth": date(t.year - 5, 1, 1).isoformat()},
        "date_of_birth",
        "This gives an age of 5; ages from 10 to 100 are accepted.",
        id="younger-than-10",
    ),
    pytest.param(
        lambda t: {"date_of_birth": "", "estimated_age": "8"},
        "estimated_age",
        "Give an age from 10 to 100.",
        id="estimated-age-under-10",
    ),
    pytest.param(
        lambda t: {"estimated_age": "33"},
        "estimated_age",
        "Give either the date of birth or an estimated age, not both.",
        id="birth-date-and-age",
    ),
    pytest.param(
        lambda t: {"date_of_birth": ""},
        "date_of_birth",
        "Give the date of birth, or an estimated age, or tick 'date of birth unknown' if the client cannot say.",
        id="no-birth-date-or-age",
    ),
    pytest.param(
        lambda t: {"consent_given": None},
        "consent_given",
        "A record can only be kept with the client's consent.",
        id="no-consent",
    ),
    pytest.param(
        lambda t: {"phone": "+263 77 123 4567"},
        "phone_consent",
        "Keep a phone number only if the client agrees to follow-up; tick the box or clear the number.",
        id="phone-without-consent",
    ),
    pytest.param(lambda t: {"mother_letters": "M1"}, "mother_letters", "Type one or two letters", id="digit"),
    pytest.param(lambda t: {"own_letters": "JOA"}, "own_letters", "Type one or two letters", id="three-letters"),
    pytest.param(
        lambda t: {"enrolled_on": (t + timedelta(days=2)).isoformat()},
        "enrolled_on",
        "The enrolment date is in the future.",
        id="future-enrolment",
    ),
]


@pytest.mark.parametrize(("change", "field", "message"), INVALID)
def test_invalid_registration_shows_the_message_beside_the_field_and_keeps_the_entries(
    client, as_nurse, today, change, field, message
):
    data = registration(today, **change(today))
    response = client.post("/clients/new", data=data)
    assert response.status_code == 422
    state = form_state(response)
    assert any(shown.startswith(message) for shown in state.errors.get(field, [])), state.errors
    # What the nurse typed elsewhere is still there.
    assert state.values["alias"] == "Star"
    assert state.values["key_population"] == "fsw"
    assert state.values["nationality"] == "ZW"
    assert state.values["sex"] == "female"
    for name in ("mother_letters", "own_letters", "date_of_birth", "estimated_age", "phone", "enrolled_on"):
        assert state.values[name] == data.get(name, ""), name
    assert count(Client) == 0
    assert audit_events("client.register") == []


def test_probable_duplicate_shows_the_match_and_saves_only_once_confirmed(client, as_nurse, make, nurse, today):
    existing = make.client(registered_by=nurse, date_of_birth=date(1992, 8, 15))
    response = client.post("/clients/new", data=registration(today))
    assert response.status_code == 422
    page = text(response)
    assert "This client may already be registered. Check the matches below." in page
    assert existing.client_number in page
    assert "I checked the possible matches: this is a different person" in page
    assert count(Client) == 1

    response = client.post("/clients/new", data=registration(today, confirm_new="y"))
    assert response.status_code == 302
    assert count(Client) == 2


# --- search ---------------------------------------------------------------------------


@pytest.fixture
def star(make, nurse):
    return make.client(registered_by=nurse, alias="Star Light", date_of_birth=date(1992, 8, 15))


def _search(client, term):
    return client.post("/clients/", data={"term": term})


def test_search_by_number_with_or_without_dashes_uic_or_alias_finds_the_client(client, as_nurse, star):
    digits = star.client_number.replace("-", "")
    for term in (star.client_number, digits, "majo150892f", "sta"):
        response = _search(client, term)
        assert response.status_code == 200
        page = text(response)
        assert "1 client found" in page, term
        assert f'href="/clients/{star.id}"' in page


def test_search_term_is_not_kept_in_the_audit_trail(client, as_nurse, star):
    for term in (star.client_number, "majo150892f", "Star Li"):
        _search(client, term)
    assert len(audit_events("client.search")) == 3
    trail = audit_text()
    for leaked in (star.client_number, star.client_number.replace("-", ""), "majo150892f", "star li"):
        assert leaked not in trail


def test_search_with_no_match_says_so(client, as_nurse, star):
    page = text(_search(client, "Nobody"))
    assert "0 clients found" in page
    assert "No client matches." in page


def test_search_is_not_run_from_the_address_bar(client, as_nurse, star):
    response = client.get("/clients/", query_string={"term": star.client_number})
    assert response.status_code == 200
    assert star.client_number not in text(response)
    assert audit_events("client.search") == []


def test_search_term_of_one_character_is_refused(client, as_nurse, star):
    response = _search(client, "s")
    assert response.status_code == 422
    assert form_state(response).errors["term"]


# --- opening a record -----------------------------------------------------------------


def test_client_page_shows_the_record_and_is_audited(client, as_nurse, nurse, star):
    response = client.get(f"/clients/{star.id}")
    assert response.status_code == 200
    page = text(response)
    assert star.client_number in page
    assert "MAJO150892F" in page
    assert "Female sex worker" in page
    [event] = audit_events("client.view")
    assert (event.object_id, event.actor_id) == (str(star.id), nurse.id)


def test_nurse_can_open_a_mobile_client_enrolled_at_another_clinic(client, as_nurse, make, other_clinic):
    mobile = make.client(clinic=other_clinic, is_mobile=True)
    response = client.get(f"/clients/{mobile.id}")
    assert response.status_code == 200
    page = text(response)
    assert mobile.client_number in page
    assert "Ngodwana" in page
    assert "mobile / migrant" in page


def test_client_page_shows_visits_of_other_clinics_without_a_link_into_them(
    client, as_nurse, make, nurse, other_clinic, star
):
    there = make.visit(client=star, clinic=other_clinic, service_date=date(2026, 3, 2))
    here = make.visit(client=star, recorded_by=nurse, service_date=date(2026, 4, 2))
    page = text(client.get(f"/clients/{star.id}"))
    assert "Visits (2)" in page
    assert "2026-03-02" in page
    assert f'href="/visits/{here.id}"' in page
    assert f'href="/visits/{there.id}"' not in page


# --- editing --------------------------------------------------------------------------


def _edit_form(client, record):
    """The edit form's own values, as the browser would send them back."""
    state = form_state(client.get(f"/clients/{record.id}/edit"))
    data = dict(state.values)
    for name, values in state.checked.items():
        data[name] = values[0]
    return data


def test_edit_saves_a_changed_alias(client, as_nurse, star):
    data = _edit_form(client, star)
    data["alias"] = "Starlet"
    response = client.post(f"/clients/{star.id}/edit", data=data)
    assert response.status_code == 302
    assert "Client details saved." in text(client.get(response.headers["Location"]))
    db.session.refresh(star)
    assert star.alias == "Starlet"
    assert star.uic == "MAJO150892F"
    [event] = audit_events("client.update")
    assert event.detail == "fields=alias,alias_key"


def test_edit_refuses_a_future_birth_date_beside_the_field(client, as_nurse, star, today):
    data = _edit_form(client, star)
    data["date_of_birth"] = (today + timedelta(days=10)).isoformat()
    response = client.post(f"/clients/{star.id}/edit", data=data)
    assert response.status_code == 422
    assert "The date of birth is in the future." in form_state(response).errors["date_of_birth"]
    db.session.refresh(star)
    assert star.date_of_birth == date(1992, 8, 15)


@pytest.mark.parametrize(("mother", "own"), [("9", "JO"), ("M", "JO"), ("MA", "J")])
def test_edit_form_saved_unchanged_works_for_unknown_or_one_letter_names(client, as_nurse, make, nurse, mother, own):
    record = make.client(registered_by=nurse, mother=mother, own=own, date_of_birth=date(1992, 8, 15))
    uic = record.uic
    response = client.post(f"/clients/{record.id}/edit", data=_edit_form(client, record))
    assert response.status_code == 302, form_state(response).errors
    db.session.refresh(record)
    assert record.uic == uic


def test_edit_form_saved_unchanged_keeps_the_uic_of_an_estimated_birth_date(client, as_nurse, make, nurse, today):
    # Registered as "about 30" on 31 December: the birthday is still to come this year
    # (except on 31 December itself, when this test cannot tell).
    born = date(today.year - 31, 12, 31)
    record = make.client(registered_by=nurse, date_of_birth=born, dob_estimated=True, enrolled_on=date(2026, 1, 10))
    uic, dob = record.uic, record.date_of_birth
    response = client.post(f"/clients/{record.id}/edit", data=_edit_form(client, record))
    assert response.status_code == 302, form_state(response).errors
    db.session.refresh(record)
    assert record.uic == uic
    assert record.date_of_birth == dob


def test_opening_the_edit_page_is_audited_as_a_view_of_the_record(client, as_nurse, nurse, star):
    response = client.get(f"/clients/{star.id}/edit")
    assert response.status_code == 200
    assert "Star Light" in text(response)
    assert [e.object_id for e in audit_events("client.view")] == [str(star.id)]


# --- merging --------------------------------------------------------------------------


@pytest.fixture
def as_data_admin(sign_in_as, make, clinic):
    return sign_in_as(make.user(role="data_admin", clinic=clinic, display_name="Data Admin"))


@pytest.fixture
def pair(make, nurse):
    keep = make.client(registered_by=nurse, alias="Kept", enrolled_on=date(2026, 3, 1))
    old = make.client(registered_by=nurse, mother="TE", own="NO", enrolled_on=date(2026, 1, 10))
    visit = make.visit(client=old, recorded_by=nurse, service_date=date(2026, 2, 1))
    return keep, old, visit


def test_merge_preview_shows_both_records_before_anything_changes(client, as_data_admin, pair):
    keep, old, _ = pair
    response = client.post(f"/clients/{keep.id}/merge/preview", data={"duplicate_number": old.client_number})
    assert response.status_code == 200
    page = text(response)
    assert f"Merge {old.client_number} into {keep.client_number}" in page
    assert old.uic in page and keep.uic in page
    db.session.refresh(old)
    assert old.merged_into_id is None


def test_merge_preview_is_audited_as_a_view_of_both_records(client, as_data_admin, pair):
    keep, old, _ = pair
    client.post(f"/clients/{keep.id}/merge/preview", data={"duplicate_number": old.client_number})
    assert sorted(e.object_id for e in audit_events("client.view")) == sorted([str(keep.id), str(old.id)])


def test_merge_moves_visits_and_the_old_number_still_finds_the_kept_record(app, client, as_data_admin, pair):
    keep, old, visit = pair
    response = client.post(f"/clients/{keep.id}/merge", data={"duplicate_number": old.client_number})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/clients/{keep.id}"
    held = _session_cookie(app, client)
    assert old.client_number not in held and keep.client_number not in held
    page = text(client.get(response.headers["Location"]))
    assert "The duplicate record was merged into this one. Its number still finds this record." in page
    assert "Visits (1)" in page
    assert "2026-02-01" in page
    assert db.session.get(Visit, visit.id).client_id == keep.id

    found = text(_search(client, old.client_number))
    assert "1 client found" in found
    assert f'href="/clients/{keep.id}"' in found
    assert f"found by merged record {old.client_number}" in found


def test_opening_a_merged_record_goes_to_the_kept_record(app, client, as_data_admin, pair):
    keep, old, _ = pair
    client.post(f"/clients/{keep.id}/merge", data={"duplicate_number": old.client_number})
    response = client.get(f"/clients/{old.id}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/clients/{keep.id}"
    assert old.client_number not in _session_cookie(app, client)
    page = text(client.get(response.headers["Location"]))
    assert "The record you opened was merged into this one; its number still finds it." in page
    assert client.get(f"/clients/{old.id}/edit").headers["Location"] == f"/clients/{keep.id}/edit"


def test_merging_a_record_into_itself_is_refused(client, as_data_admin, pair):
    keep, _, _ = pair
    response = client.post(f"/clients/{keep.id}/merge", data={"duplicate_number": keep.client_number})
    assert response.status_code == 302
    assert "A record cannot be merged into itself." in text(client.get(response.headers["Location"]))
    db.session.refresh(keep)
    assert keep.merged_into_id is None
    assert audit_events("client.merge") == []


def test_merge_with_an_unknown_number_says_so(client, as_data_admin, pair):
    keep, old, _ = pair
    digits = old.client_number.replace("-", "")
    mistyped = digits[:8] + str((int(digits[8]) + 1) % 10)
    response = client.post(f"/clients/{keep.id}/merge", data={"duplicate_number": mistyped})
    assert "No client has that number. Check the digits on the card." in text(client.get(response.headers["Location"]))
    db.session.refresh(old)
    assert old.merged_into_id is None


def test_nurse_cannot_merge(client, as_nurse, pair):
    keep, old, _ = pair
    response = client.post(f"/clients/{keep.id}/merge", data={"duplicate_number": old.client_number})
    assert response.status_code == 403
    db.session.refresh(old)
    assert old.merged_into_id is None
    assert "Compare records" not in text(client.get(f"/clients/{keep.id}"))


# --- safeguarding and follow-up consent ----------------------------------------------------


def test_a_child_registered_as_a_sex_worker_gets_the_safeguarding_prompt_before_any_save(client, as_nurse, today):
    sixteen = today.replace(year=today.year - 16) - timedelta(days=30)
    data = registration(today, date_of_birth=sixteen.isoformat())
    response = client.post("/clients/new", data=data)
    page = text(response)
    assert response.status_code == 422
    assert "This client is 16: a child under 18 who sells sex is a child in need of protection." in page
    assert "child helpline 116" in page
    assert 'name="safeguarding_done"' in page
    assert count(Client) == 0
    response = client.post("/clients/new", data={**data, "safeguarding_done": "y"})
    assert response.status_code == 302
    assert "safeguarding_referral" in audit_text()


def test_an_adult_or_a_child_not_in_sex_work_is_registered_without_the_prompt(client, as_nurse, today):
    sixteen = today.replace(year=today.year - 16) - timedelta(days=30)
    response = client.post(
        "/clients/new", data=registration(today, date_of_birth=sixteen.isoformat(), key_population="non_kp")
    )
    assert response.status_code == 302
    assert "safeguarding_done" not in text(client.get("/clients/new"))


def test_follow_up_by_phone_without_a_number_is_refused_beside_the_phone_field(client, as_nurse, today):
    response = client.post("/clients/new", data=registration(today, phone_consent="y", consent_given=None))
    page = text(response)
    assert response.status_code == 422
    assert "Type the number the client agrees to be called on, or untick follow-up by phone." in page
    assert "A record can only be kept with the client's consent." in page  # in the same round
    assert count(Client) == 0


def test_a_date_that_does_not_parse_and_a_missing_consent_are_named_in_one_round(client, as_nurse, today):
    response = client.post(
        "/clients/new", data=registration(today, enrolled_on="32/13/2026", consent_given=None, phone_consent="y")
    )
    page = text(response)
    assert response.status_code == 422
    assert 'id="enrolled_on-err"' in page
    assert "A record can only be kept with the client's consent." in page
    assert "Type the number the client agrees to be called on" in page
    assert count(Client) == 0


# --- health card --------------------------------------------------------------------


def test_the_health_card_carries_the_number_and_the_next_appointment_only_when_asked(
    client, as_nurse, make, nurse, today
):
    person = make.client(registered_by=nurse, alias="Sunny")
    make.visit(client=person, recorded_by=nurse, service_date=today, next_appointment_on=today + timedelta(days=30))
    plain = text(client.get(f"/clients/{person.id}/card"))
    assert person.client_number in plain and "Blue Box" in plain
    assert "Next visit" not in plain
    for private in (person.uic, "Sunny", "HIV", "PrEP"):
        assert private not in plain.split("<main>", 1)[1].split('<form method="get"', 1)[0] + plain.split("</form>")[-1]
    wanted = text(client.get(f"/clients/{person.id}/card?appointment=y"))
    assert f"Next visit: {(today + timedelta(days=30)).isoformat()}" in wanted
    assert "client.view" in [e.action for e in audit_events("client.view")]


@pytest.mark.parametrize("n_hits", [3, 50])
def test_alias_search_runs_the_same_statements_for_3_or_50_hits(
    client, as_nurse, make, clinic, nurse, count_queries, n_hits
):
    """The search page's statements do not grow with the hits (it ran 58 for 50: one reload per client)."""
    other = make.clinic(code="NGO", name="Ngodwana")
    kept = make.client(clinic=clinic, registered_by=nurse, alias="Kept")
    for i in range(n_hits - 1):
        make.client(clinic=other if i % 2 else clinic, registered_by=nurse, alias=f"Rosa {i:02d}")
    make.client(clinic=clinic, registered_by=nurse, alias="Rosa old", merged_into_id=kept.id)
    db.session.commit()
    db.session.expunge_all()
    with count_queries() as statements:
        page = text(client.post("/clients/", data={"term": "rosa"}))
    assert f"{n_hits} clients found" in page
    assert page.count("found by merged record") == 1  # "Rosa old" shows as the record kept, "Kept"
    assert page.count("· NGO") == (n_hits - 1) // 2
    # sign-in user, search (+ merge targets), audit head, audit line, reload of the hits, page: 10 on SQLite
    assert statements.count <= 10, statements.count
