"""Client registry services: register, duplicates, search, view, update and merge."""

import re
from datetime import date

import pytest

from clinic_app.clients.models import Client
from clinic_app.clients.services import (
    ClientDetails,
    ProbableDuplicate,
    age_now,
    merge_clients,
    register_client,
    search_clients,
    update_client,
    view_client,
)
from clinic_app.core.actor import Actor
from clinic_app.core.errors import Conflict, Invalid, NotAllowed, NotFound
from clinic_app.extensions import db
from clinic_app.visits.models import Visit
from tests.conftest import TODAY
from tests.helpers import audit_events, audit_text, count


def details(**overrides) -> ClientDetails:
    values = dict(
        mother_letters="Ma",
        own_letters="Jo",
        sex="female",
        key_population="fsw",
        nationality="ZW",
        enrolled_on=TODAY,
        date_of_birth=date(1992, 8, 15),
    )
    values.update(overrides)
    return ClientDetails(**values)


def register(actor, **overrides):
    consent = overrides.pop("consent_given", True)
    confirm = overrides.pop("confirm_new", False)
    return register_client(
        actor=actor, details=details(**overrides), consent_given=consent, confirm_new=confirm, today=TODAY
    )


# --- registration ---------------------------------------------------------------------


def test_registration_gives_a_checked_number_and_the_uic(nurse_actor, clinic):
    client = register(nurse_actor, alias="Star")
    assert re.fullmatch(r"\d{4}-\d{4}-\d", client.client_number)
    assert client.uic == "MAJO150892F"
    assert client.clinic_id == clinic.id
    assert client.consent_given is True
    assert client.alias == "Star"
    [event] = audit_events("client.register")
    assert event.object_id == str(client.id)
    assert event.actor_id == nurse_actor.id


def test_uic_holds_no_key_population_clinic_or_hiv_information(make, nurse_actor, other_clinic):
    other_nurse = Actor(make.user(role="nurse", clinic=other_clinic))
    here = register(nurse_actor, key_population="fsw")
    there = register(other_nurse, key_population="tgsw", sex="female", confirm_new=True)
    assert here.uic == there.uic == "MAJO150892F"
    for code in ("BBR", "NGO", "FSW", "TGSW", "ZW", "HIV"):
        assert code not in here.uic


def test_estimated_age_gives_an_estimated_birth_date_and_0000_in_the_uic(nurse_actor):
    client = register(nurse_actor, date_of_birth=None, estimated_age=30)
    assert client.dob_estimated is True
    assert client.date_of_birth.year == TODAY.year - 30
    assert client.uic == f"MAJO0000{(TODAY.year - 30) % 100:02d}F"


def test_date_of_birth_unknown_is_registered_without_an_invented_date(nurse_actor):
    client = register(nurse_actor, date_of_birth=None, dob_unknown=True)
    assert client.date_of_birth is None
    assert client.dob_estimated is False
    assert client.uic == "MAJO999999F"  # restated the same way at any Blue Box
    assert age_now(client) is None


def test_accented_letters_are_kept_without_accents(nurse_actor):
    assert register(nurse_actor, mother_letters="Ân", own_letters="Él").uic == "ANEL150892F"


def test_unknown_mother_name_typed_as_9_gives_99(nurse_actor):
    assert register(nurse_actor, mother_letters="9").uic == "99JO150892F"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"date_of_birth": date(2026, 11, 21)}, "date_of_birth", "The date of birth is in the future."),
        (
            {"date_of_birth": date(2017, 1, 1)},
            "date_of_birth",
            "This gives an age of 9; ages from 10 to 100 are accepted.",
        ),
        ({"date_of_birth": None, "estimated_age": 8}, "estimated_age", "Give an age from 10 to 100."),
        (
            {"estimated_age": 34},
            "estimated_age",
            "Give either the date of birth or an estimated age, not both.",
        ),
        (
            {"date_of_birth": None},
            "date_of_birth",
            "Give the date of birth, or an estimated age, or tick 'date of birth unknown' if the client cannot say.",
        ),
        (
            {"dob_unknown": True},
            "dob_unknown",
            "Untick 'date of birth unknown', or clear the date of birth and the estimated age.",
        ),
        ({"mother_letters": "M1"}, "mother_letters", "Type one or two letters (or 9 if unknown)."),
        ({"own_letters": "Joa"}, "own_letters", "Type one or two letters (or 9 if unknown)."),
        ({"sex": "x"}, "sex", "Choose one of the listed values."),
        ({"enrolled_on": date(2026, 11, 21)}, "enrolled_on", "The enrolment date is in the future."),
        ({"enrolled_on": None}, "enrolled_on", "Give the enrolment date."),
        (
            {"phone": "+263 77 123 4567", "phone_consent": False},
            "phone_consent",
            "Keep a phone number only if the client agrees to follow-up; tick the box or clear the number.",
        ),
        (
            {"phone": "12", "phone_consent": True},
            "phone",
            "Type a phone number of 7 to 15 digits, e.g. +263 77 123 4567.",
        ),
        ({"consent_given": False}, "consent_given", "A record can only be kept with the client's consent."),
    ],
)
def test_invalid_registration_is_refused_beside_the_field_and_nothing_is_saved(nurse_actor, overrides, field, message):
    with pytest.raises(Invalid) as error:
        register(nurse_actor, **overrides)
    assert error.value.field_errors[field] == message
    assert count(Client) == 0
    assert audit_events("client.register") == []


def test_age_is_the_age_on_the_day_of_registration(nurse_actor):
    born = date(2016, 11, 21)  # ten years old on 21 November 2026, nine the day before
    with pytest.raises(Invalid):
        register_client(actor=nurse_actor, details=details(date_of_birth=born), consent_given=True, today=TODAY)
    client = register_client(
        actor=nurse_actor,
        details=details(date_of_birth=born, enrolled_on=date(2026, 11, 21)),
        consent_given=True,
        safeguarding_done=True,  # a child registered as a sex worker: the child-protection referral is made
        today=date(2026, 11, 21),
    )
    assert client.date_of_birth == born


def test_phone_is_kept_in_digits_only_with_consent(nurse_actor):
    client = register(nurse_actor, phone="+263 (77) 123-4567", phone_consent=True)
    assert client.phone == "+263771234567"
    assert client.phone_consent is True


def test_consent_to_phone_follow_up_without_a_number_is_refused_beside_the_phone(nurse_actor):
    with pytest.raises(Invalid) as refused:
        register(nurse_actor, phone="", phone_consent=True)
    assert set(refused.value.field_errors) == {"phone"}


def test_peer_educator_cannot_register_a_client(make, clinic):
    peer = Actor(make.user(role="peer_educator", clinic=clinic))
    with pytest.raises(NotAllowed):
        register(peer)
    assert count(Client) == 0


# --- probable duplicates --------------------------------------------------------------


def test_same_uic_is_a_probable_duplicate_and_is_not_saved(make, nurse_actor, nurse):
    existing = make.client(registered_by=nurse, date_of_birth=date(1992, 8, 15))
    with pytest.raises(ProbableDuplicate) as duplicate:
        register(nurse_actor)
    assert [c.id for c in duplicate.value.matches] == [existing.id]
    assert count(Client) == 1


def test_same_birth_date_and_sex_with_one_pair_of_letters_in_common_is_a_probable_duplicate(make, nurse_actor, nurse):
    existing = make.client(registered_by=nurse, mother="MA", own="XO", date_of_birth=date(1992, 8, 15))
    with pytest.raises(ProbableDuplicate) as duplicate:
        register(nurse_actor)
    assert [c.id for c in duplicate.value.matches] == [existing.id]


def test_different_person_is_not_a_probable_duplicate(make, nurse_actor, nurse):
    make.client(registered_by=nurse, mother="TE", own="NO", date_of_birth=date(1992, 8, 15))
    make.client(registered_by=nurse, date_of_birth=date(1990, 1, 1))
    assert register(nurse_actor).uic == "MAJO150892F"


def test_confirmed_new_person_is_saved_despite_the_match_and_audited_as_such(make, nurse_actor, nurse):
    make.client(registered_by=nurse, date_of_birth=date(1992, 8, 15))
    client = register(nurse_actor, confirm_new=True)
    assert count(Client) == 2
    [event] = audit_events("client.register")
    assert event.object_id == str(client.id)
    assert event.detail == "confirmed_not_duplicate"


def test_merged_record_is_not_offered_as_a_duplicate(make, nurse, clinic):
    data_admin = Actor(make.user(role="data_admin", clinic=clinic))
    keep = make.client(registered_by=nurse, mother="TE", own="NO")
    old = make.client(registered_by=nurse, date_of_birth=date(1992, 8, 15))
    merge_clients(actor=data_admin, keep=keep, duplicate=old)
    assert register(Actor(nurse)).uic == "MAJO150892F"


# --- search ---------------------------------------------------------------------------


@pytest.fixture
def star(make, nurse):
    return make.client(registered_by=nurse, alias="Stàr Light", date_of_birth=date(1992, 8, 15))


def _found(actor, term):
    return [hit.client.id for hit in search_clients(actor=actor, term=term)]


def test_search_finds_by_number_with_or_without_dashes(nurse_actor, star):
    digits = star.client_number.replace("-", "")
    assert _found(nurse_actor, star.client_number) == [star.id]
    assert _found(nurse_actor, digits) == [star.id]
    assert _found(nurse_actor, f"{digits[:4]} {digits[4:]}") == [star.id]


def test_search_finds_by_uic_in_any_case(nurse_actor, star):
    assert _found(nurse_actor, "majo150892f") == [star.id]


def test_search_finds_by_the_start_of_an_alias_ignoring_case_and_accents(nurse_actor, star):
    assert _found(nurse_actor, "star") == [star.id]
    assert _found(nurse_actor, "ST") == [star.id]
    assert _found(nurse_actor, "light") == []


def test_alias_search_finds_exactly_the_aliases_that_start_with_the_term(make, nurse, nurse_actor):
    names = ["Rudo", "Rudolpha", "Rue", "Ruz", "Rv", "Zz9", "Zz"]
    made = {name: make.client(registered_by=nurse, alias=name, mother=name[:2]).id for name in names}
    assert set(_found(nurse_actor, "rud")) == {made["Rudo"], made["Rudolpha"]}
    assert set(_found(nurse_actor, "ru")) == {made[n] for n in ("Rudo", "Rudolpha", "Rue", "Ruz")}
    assert set(_found(nurse_actor, "zz")) == {made["Zz9"], made["Zz"]}
    assert _found(nurse_actor, "rudolphas") == []


def test_search_with_a_mistyped_number_finds_nobody(nurse_actor, star):
    digits = star.client_number.replace("-", "")
    wrong = digits[:8] + str((int(digits[8]) + 1) % 10)
    assert _found(nurse_actor, wrong) == []


def test_search_treats_like_wildcards_in_an_alias_as_text(make, nurse, nurse_actor):
    make.client(registered_by=nurse, alias="Bella")
    assert _found(nurse_actor, "b%") == []
    assert _found(nurse_actor, "__") == []


def test_search_term_is_never_written_to_the_audit_trail(nurse_actor, star):
    for term in (star.client_number, "majo150892f", "Star"):
        search_clients(actor=nurse_actor, term=term)
    events = audit_events("client.search")
    assert [e.detail for e in events] == ["by=number results=1", "by=uic results=1", "by=alias results=1"]
    trail = audit_text()
    for leaked in (star.client_number, star.client_number.replace("-", ""), "majo150892f", "star"):
        assert leaked not in trail


def test_search_finds_clients_of_every_clinic(make, nurse_actor, other_clinic):
    elsewhere = make.client(clinic=other_clinic, alias="Mobile Mary")
    assert _found(nurse_actor, "mobile") == [elsewhere.id]


def test_me_officer_cannot_search(make, clinic, star):
    with pytest.raises(NotAllowed):
        search_clients(actor=Actor(make.user(role="me_officer", clinic=clinic)), term=star.client_number)


# --- viewing and updating -------------------------------------------------------------


def test_nurse_can_open_a_client_enrolled_at_another_clinic_and_it_is_audited(make, nurse_actor, other_clinic):
    mobile = make.client(clinic=other_clinic, is_mobile=True)
    assert view_client(actor=nurse_actor, client_id=mobile.id).id == mobile.id
    [event] = audit_events("client.view")
    assert (event.object_id, event.actor_id) == (str(mobile.id), nurse_actor.id)


def test_opening_an_unknown_client_is_not_found(nurse_actor):
    import uuid

    with pytest.raises(NotFound):
        view_client(actor=nurse_actor, client_id=uuid.uuid4())


def test_update_rebuilds_the_uic_and_audits_only_field_names(make, nurse, nurse_actor):
    client = make.client(registered_by=nurse, date_of_birth=date(1992, 8, 15))
    update_client(
        actor=nurse_actor,
        client=client,
        details=details(own_letters="Lu", enrolled_on=client.enrolled_on, alias="Lulu"),
        today=TODAY,
    )
    assert client.uic == "MALU150892F"
    [event] = audit_events("client.update")
    assert event.detail == "fields=alias,alias_key,uic"
    assert "lulu" not in audit_text()


def test_update_refuses_an_enrolment_date_after_the_first_visit(make, nurse, nurse_actor):
    client = make.client(registered_by=nurse, enrolled_on=date(2026, 1, 10))
    make.visit(client=client, recorded_by=nurse, service_date=date(2026, 2, 1))
    with pytest.raises(Invalid) as error:
        update_client(actor=nurse_actor, client=client, details=details(enrolled_on=date(2026, 3, 1)), today=TODAY)
    assert error.value.field_errors == {
        "enrolled_on": "The client has a visit on 2026-02-01, before this enrolment date."
    }
    db.session.refresh(client)
    assert client.enrolled_on == date(2026, 1, 10)


# --- merging --------------------------------------------------------------------------


@pytest.fixture
def data_admin_actor(make, clinic):
    return Actor(make.user(role="data_admin", clinic=clinic))


def test_merge_moves_visits_and_keeps_the_old_number_findable(make, nurse, data_admin_actor, nurse_actor):
    keep = make.client(registered_by=nurse, enrolled_on=date(2026, 3, 1))
    old = make.client(registered_by=nurse, mother="TE", own="NO", enrolled_on=date(2026, 1, 10))
    moved = make.visit(client=old, recorded_by=nurse, service_date=date(2026, 2, 1))
    kept_visit = make.visit(client=keep, recorded_by=nurse, service_date=date(2026, 3, 5))

    merge_clients(actor=data_admin_actor, keep=keep, duplicate=old)

    assert {v.id for v in db.session.scalars(db.select(Visit).where(Visit.client_id == keep.id))} == {
        moved.id,
        kept_visit.id,
    }
    assert count(Visit, Visit.client_id == old.id) == 0
    assert old.merged_into_id == keep.id
    assert keep.enrolled_on == date(2026, 1, 10)  # the earlier enrolment is kept
    [hit] = search_clients(actor=nurse_actor, term=old.client_number)
    assert hit.client.id == keep.id
    assert hit.matched_via.id == old.id
    [event] = audit_events("client.merge")
    assert event.object_id == str(keep.id)
    assert event.detail == f"merged={old.id}"


def test_merge_follows_earlier_merges(make, nurse, data_admin_actor, nurse_actor):
    keep = make.client(registered_by=nurse)
    middle = make.client(registered_by=nurse, mother="XX")
    first = make.client(registered_by=nurse, mother="YY")
    merge_clients(actor=data_admin_actor, keep=middle, duplicate=first)
    merge_clients(actor=data_admin_actor, keep=keep, duplicate=middle)
    db.session.refresh(first)
    assert first.merged_into_id == keep.id
    assert [h.client.id for h in search_clients(actor=nurse_actor, term=first.client_number)] == [keep.id]


def test_record_cannot_be_merged_into_itself(make, nurse, data_admin_actor):
    client = make.client(registered_by=nurse)
    with pytest.raises(Invalid) as error:
        merge_clients(actor=data_admin_actor, keep=client, duplicate=client)
    assert error.value.message == "A record cannot be merged into itself."
    assert client.merged_into_id is None


def test_already_merged_record_cannot_be_merged_again(make, nurse, data_admin_actor):
    keep, old, other = (make.client(registered_by=nurse, mother=m) for m in ("AA", "BB", "CC"))
    merge_clients(actor=data_admin_actor, keep=keep, duplicate=old)
    with pytest.raises(Conflict):
        merge_clients(actor=data_admin_actor, keep=other, duplicate=old)
    with pytest.raises(Conflict):
        merge_clients(actor=data_admin_actor, keep=old, duplicate=other)
    assert db.session.get(Client, other.id).merged_into_id is None


def test_merge_keeps_one_visit_per_client_clinic_and_day(make, nurse, data_admin_actor):
    """Recording refuses a second visit for the same client, clinic and day; a merge must not create one."""
    keep = make.client(registered_by=nurse)
    old = make.client(registered_by=nurse, mother="TE", own="NO")
    make.visit(client=keep, recorded_by=nurse, service_date=date(2026, 2, 1), reasons=["hiv_testing"])
    make.visit(client=old, recorded_by=nurse, service_date=date(2026, 2, 1), reasons=["condoms"])
    try:
        merge_clients(actor=data_admin_actor, keep=keep, duplicate=old)
    except Conflict:
        pass  # refusing the merge also keeps the rule
    rows = db.session.execute(
        db.select(Visit.client_id, Visit.clinic_id, Visit.service_date, db.func.count())
        .group_by(Visit.client_id, Visit.clinic_id, Visit.service_date)
        .having(db.func.count() > 1)
    ).all()
    assert rows == []


def test_after_a_merge_only_the_earliest_visit_is_new(make, nurse, data_admin_actor):
    """Recording allows 'new' only for a client's first visit; a merge must keep it so."""
    keep = make.client(registered_by=nurse, enrolled_on=date(2026, 1, 10))
    old = make.client(registered_by=nurse, mother="TE", own="NO", enrolled_on=date(2026, 1, 10))
    make.visit(client=old, recorded_by=nurse, service_date=date(2026, 2, 1), visit_type="new")
    make.visit(client=keep, recorded_by=nurse, service_date=date(2026, 3, 1), visit_type="new")
    merge_clients(actor=data_admin_actor, keep=keep, duplicate=old)
    visits = db.session.scalars(db.select(Visit).where(Visit.client_id == keep.id).order_by(Visit.service_date))
    assert [(v.service_date, v.visit_type) for v in visits] == [
        (date(2026, 2, 1), "new"),
        (date(2026, 3, 1), "return"),
    ]


def test_only_a_data_administrator_merges(make, nurse, nurse_actor):
    keep, old = make.client(registered_by=nurse), make.client(registered_by=nurse, mother="TE")
    with pytest.raises(NotAllowed):
        merge_clients(actor=nurse_actor, keep=keep, duplicate=old)
    assert old.merged_into_id is None
