"""Visit services: record, refuse bad dates and duplicates, correct, list and filter."""

import uuid
from datetime import date

import pytest

from clinic_app.clients.services import merge_clients
from clinic_app.core.actor import Actor
from clinic_app.core.errors import Conflict, Invalid, NotAllowed, NotFound
from clinic_app.visits.models import Visit, VisitType
from clinic_app.visits.services import (
    DuplicateVisit,
    VisitFilters,
    VisitInput,
    client_timeline,
    list_visits,
    record_visit,
    suggested_visit_type,
    update_visit,
    view_visit,
)
from tests.conftest import TODAY
from tests.helpers import audit_events, count


@pytest.fixture
def person(make, nurse):
    return make.client(registered_by=nurse, date_of_birth=date(1995, 8, 15), enrolled_on=date(2026, 1, 10))


def visit_input(**overrides) -> VisitInput:
    values = dict(service_date=date(2026, 11, 2), visit_type="new", reasons=["hiv_testing", "condoms"])
    values.update(overrides)
    return VisitInput(**values)


def record(actor, client, **overrides):
    return record_visit(actor=actor, client=client, data=visit_input(**overrides), today=TODAY)


def test_visit_is_recorded_at_the_actors_clinic_and_audited(nurse_actor, person, clinic):
    visit = record(nurse_actor, person, notes="  came with a friend  ")
    assert visit.clinic_id == clinic.id
    assert visit.recorded_by_id == nurse_actor.id
    assert visit.service_date == date(2026, 11, 2)
    assert visit.visit_type == VisitType.NEW
    assert sorted(visit.reasons) == ["condoms", "hiv_testing"]
    assert visit.notes == "came with a friend"
    [event] = audit_events("visit.create")
    assert event.object_id == str(visit.id)
    assert "friend" not in str(event.detail)


def test_visit_dated_today_is_accepted(nurse_actor, person):
    assert record(nurse_actor, person, service_date=TODAY).service_date == TODAY


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"service_date": date(2026, 11, 21)}, "service_date", "The date of service is in the future."),
        ({"service_date": None}, "service_date", "Give the date the client was seen."),
        (
            {"service_date": date(2026, 1, 9)},
            "service_date",
            "The client was enrolled on 2026-01-10; correct the enrolment date first if this visit was earlier.",
        ),
        ({"service_date": date(1990, 1, 1)}, "service_date", "The date of service is before the client was born."),
        ({"reasons": []}, "reasons", "Tick at least one reason for the visit"),
        ({"reasons": ["astrology"]}, "reasons", "Choose reasons from the list."),
        ({"visit_type": "maybe"}, "visit_type", "Choose new or return."),
        ({"referral_code": "a!"}, "referral_code", "A referral code has"),
    ],
)
def test_invalid_visit_is_refused_beside_the_field_and_not_stored(nurse_actor, person, overrides, field, message):
    with pytest.raises(Invalid) as error:
        record(nurse_actor, person, **overrides)
    assert list(error.value.field_errors) == [field]
    assert error.value.field_errors[field].startswith(message)
    assert count(Visit) == 0
    assert audit_events("visit.create") == []


def test_new_visit_is_refused_when_the_client_has_an_earlier_visit_anywhere(make, nurse_actor, person, other_clinic):
    make.visit(client=person, clinic=other_clinic, service_date=date(2026, 5, 1))
    with pytest.raises(Invalid) as error:
        record(nurse_actor, person, visit_type="new")
    assert error.value.field_errors == {"visit_type": "This client has an earlier visit, so this is a return visit."}
    assert record(nurse_actor, person, visit_type="return").visit_type == VisitType.RETURN


def test_suggested_visit_type_is_new_only_without_an_earlier_visit(make, person):
    assert suggested_visit_type(person, date(2026, 11, 2)) == VisitType.NEW
    make.visit(client=person, service_date=date(2026, 5, 1))
    assert suggested_visit_type(person, date(2026, 11, 2)) == VisitType.RETURN
    assert suggested_visit_type(person, date(2026, 5, 1)) == VisitType.NEW


def test_second_visit_same_client_clinic_and_day_is_refused_and_stored_once(nurse_actor, person):
    first = record(nurse_actor, person)
    with pytest.raises(DuplicateVisit) as error:
        record(nurse_actor, person, visit_type="return")
    assert error.value.visit.id == first.id
    assert count(Visit, Visit.client_id == person.id) == 1


def test_same_day_visit_at_another_clinic_is_a_separate_visit(make, nurse_actor, person, other_clinic):
    record(nurse_actor, person)
    elsewhere = Actor(make.user(role="nurse", clinic=other_clinic))
    record(elsewhere, person, visit_type="return")
    assert count(Visit, Visit.client_id == person.id) == 2


def test_visit_for_a_merged_record_is_refused(make, nurse, nurse_actor, person, clinic):
    keep = make.client(registered_by=nurse, mother="TE")
    merge_clients(actor=Actor(make.user(role="data_admin", clinic=clinic)), keep=keep, duplicate=person)
    with pytest.raises(Conflict):
        record(nurse_actor, person)
    assert count(Visit) == 0


def test_peer_educator_cannot_record_a_visit(make, clinic, person):
    with pytest.raises(NotAllowed):
        record(Actor(make.user(role="peer_educator", clinic=clinic)), person)
    assert count(Visit) == 0


def test_visit_of_another_clinic_cannot_be_opened_or_corrected_here(make, nurse_actor, person, other_clinic):
    theirs = make.visit(client=person, clinic=other_clinic, service_date=date(2026, 5, 1))
    with pytest.raises(NotFound):
        view_visit(actor=nurse_actor, visit_id=theirs.id)
    with pytest.raises(NotFound):
        update_visit(actor=nurse_actor, visit=theirs, data=visit_input(visit_type="return"), today=TODAY)
    assert audit_events("visit.view") == []


def test_unknown_visit_is_not_found(nurse_actor):
    with pytest.raises(NotFound):
        view_visit(actor=nurse_actor, visit_id=uuid.uuid4())


def test_opening_a_visit_is_audited(nurse_actor, person):
    visit = record(nurse_actor, person)
    assert view_visit(actor=nurse_actor, visit_id=visit.id).id == visit.id
    [event] = audit_events("visit.view")
    assert event.object_id == str(visit.id)


def test_correcting_a_visit_audits_which_fields_changed(nurse_actor, person):
    visit = record(nurse_actor, person)
    update_visit(
        actor=nurse_actor,
        visit=visit,
        data=visit_input(reasons=["prep"], notes="secret note"),
        today=TODAY,
    )
    assert visit.reasons == ["prep"]
    [event] = audit_events("visit.update")
    assert event.detail == "fields=notes,reasons"


def test_correction_onto_a_day_already_recorded_is_refused(nurse_actor, person):
    record(nurse_actor, person, service_date=date(2026, 11, 2))
    second = record(nurse_actor, person, service_date=date(2026, 11, 9), visit_type="return")
    with pytest.raises(DuplicateVisit):
        update_visit(
            actor=nurse_actor,
            visit=second,
            data=visit_input(service_date=date(2026, 11, 2), visit_type="return"),
            today=TODAY,
        )
    assert second.service_date == date(2026, 11, 9)


def test_timeline_lists_every_clinics_visits_newest_first(make, nurse, person, other_clinic):
    older = make.visit(client=person, clinic=other_clinic, service_date=date(2026, 2, 1))
    newer = make.visit(client=person, recorded_by=nurse, service_date=date(2026, 6, 1))
    assert [v.id for v in client_timeline(person)] == [newer.id, older.id]


# --- the clinic's visit list ----------------------------------------------------------


@pytest.fixture
def month_of_visits(make, nurse, clinic, other_clinic):
    """Visits at this clinic on 1, 10 and 20 March (one for PrEP), and one elsewhere."""
    people = [make.client(registered_by=nurse, mother=m) for m in ("AA", "BB", "CC")]
    visits = {
        day: make.visit(
            client=p, recorded_by=nurse, service_date=date(2026, 3, day), reasons=reasons, visit_type=visit_type
        )
        for p, day, reasons, visit_type in (
            (people[0], 1, ["hiv_testing"], "new"),
            (people[1], 10, ["prep", "condoms"], "return"),
            (people[2], 20, ["sti"], "return"),
        )
    }
    make.visit(client=people[0], clinic=other_clinic, service_date=date(2026, 3, 15))
    return visits


def _listed(actor, page=1, per_page=50, **filters):
    result = list_visits(actor=actor, filters=VisitFilters(**filters), page=page, per_page=per_page)
    return [v.service_date.day for v in result.items], result.total


def test_visit_list_shows_only_this_clinics_visits_newest_first(nurse_actor, month_of_visits):
    assert _listed(nurse_actor) == ([20, 10, 1], 3)


def test_visit_list_filters_by_date_range(nurse_actor, month_of_visits):
    assert _listed(nurse_actor, date_from=date(2026, 3, 5), date_to=date(2026, 3, 20)) == ([20, 10], 2)
    assert _listed(nurse_actor, date_to=date(2026, 3, 9)) == ([1], 1)


def test_visit_list_filters_by_reason_and_type(nurse_actor, month_of_visits):
    assert _listed(nurse_actor, reason="prep") == ([10], 1)
    assert _listed(nurse_actor, visit_type="new") == ([1], 1)
    assert _listed(nurse_actor, reason="nonsense") == ([20, 10, 1], 3)


def test_visit_list_pages(nurse_actor, month_of_visits):
    assert _listed(nurse_actor, page=1, per_page=2) == ([20, 10], 3)
    assert _listed(nurse_actor, page=2, per_page=2) == ([1], 3)
    assert _listed(nurse_actor, page=3, per_page=2) == ([], 3)
