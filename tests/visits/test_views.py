"""Visit pages through the browser: record, refusals, open, correct, the clinic's list."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from clinic_app.core.timeutil import local_today
from clinic_app.extensions import db
from clinic_app.visits.models import Visit
from tests.helpers import count, form_state, text


@pytest.fixture
def today():
    """The clinic's date (Beitbridge), which the pages use for 'today'."""
    return local_today("Africa/Harare")


@pytest.fixture
def as_nurse(sign_in_as, nurse):
    return sign_in_as(nurse)


@pytest.fixture
def person(make, nurse):
    return make.client(registered_by=nurse, date_of_birth=date(1995, 8, 15), enrolled_on=date(2026, 1, 10))


def visit_form(day, **overrides):
    data = {"service_date": day.isoformat(), "visit_type": "new", "reasons": ["hiv_testing", "condoms"]}
    data.update(overrides)
    return data


def _record(client, person, data):
    return client.post(f"/visits/for/{person.id}/new", data=data)


def test_recorded_visit_appears_on_the_clients_timeline(client, as_nurse, person, today):
    day = today - timedelta(days=1)
    response = _record(client, person, visit_form(day))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/clients/{person.id}"
    visit = db.session.scalars(select(Visit)).one()
    assert visit.service_date == day

    page = text(client.get(response.headers["Location"]))
    assert f"Visit of {day.isoformat()} recorded." in page
    assert "Visits (1)" in page
    assert f'href="/visits/{visit.id}"' in page
    assert "HIV testing" in page
    assert "Condoms and lubricant" in page


def test_visit_form_proposes_today_and_new_for_a_first_visit(client, as_nurse, person, today):
    state = form_state(client.get(f"/visits/for/{person.id}/new"))
    assert state.values["service_date"] == today.isoformat()
    assert state.checked["visit_type"] == ["new"]


def test_visit_form_proposes_return_after_an_earlier_visit(client, as_nurse, make, person):
    make.visit(client=person, service_date=date(2026, 2, 1))
    assert form_state(client.get(f"/visits/for/{person.id}/new")).checked["visit_type"] == ["return"]


REFUSALS = [
    pytest.param(
        lambda t: {"service_date": (t + timedelta(days=1)).isoformat()},
        "service_date",
        "The date of service is in the future.",
        id="future-date",
    ),
    pytest.param(
        lambda t: {"service_date": "2026-01-09"},
        "service_date",
        "The client was enrolled on 2026-01-10; correct the enrolment date first if this visit was earlier.",
        id="before-enrolment",
    ),
    pytest.param(lambda t: {"reasons": []}, "reasons", "Tick at least one reason for the visit", id="no-reason"),
    pytest.param(
        lambda t: {"referral_code": "??"},
        "referral_code",
        "A referral code has",
        id="bad-referral-code",
    ),
]


@pytest.mark.parametrize(("change", "field", "message"), REFUSALS)
def test_refused_visit_shows_why_beside_the_field_and_saves_nothing(
    client, as_nurse, person, today, change, field, message
):
    data = visit_form(today, notes="kept text", **change(today))
    response = _record(client, person, data)
    assert response.status_code == 422
    state = form_state(response)
    assert any(m.startswith(message) for m in state.errors.get(field, [])), state.errors
    assert state.values["notes"].strip() == "kept text"
    assert state.values["service_date"] == data["service_date"]
    assert count(Visit) == 0


def test_new_visit_is_refused_when_an_earlier_visit_exists(client, as_nurse, make, person, today):
    make.visit(client=person, service_date=date(2026, 2, 1))
    response = _record(client, person, visit_form(today, visit_type="new"))
    assert response.status_code == 422
    assert form_state(response).errors["visit_type"] == ["This client has an earlier visit, so this is a return visit."]
    assert count(Visit, Visit.client_id == person.id) == 1


def test_second_identical_submit_is_refused_and_stored_once(client, as_nurse, person, today):
    data = visit_form(today)
    assert _record(client, person, data).status_code == 302
    again = _record(client, person, data)
    assert again.status_code == 422
    page = text(again)
    assert "A visit for this client on this date is already recorded here; add to that visit instead." in page
    visit = db.session.scalars(select(Visit)).one()
    assert re.search(rf'href="/visits/{visit.id}(/edit)?"', page)  # "Open the visit already recorded"
    assert count(Visit, Visit.client_id == person.id) == 1


def test_visit_of_this_clinic_opens(client, as_nurse, make, nurse, person):
    visit = make.visit(client=person, recorded_by=nurse, service_date=date(2026, 2, 1))
    response = client.get(f"/visits/{visit.id}")
    assert response.status_code == 200
    page = text(response)
    assert "Visit of 2026-02-01" in page
    assert person.client_number in page


def test_visit_of_another_clinic_is_not_found_here(client, as_nurse, make, person, other_clinic):
    theirs = make.visit(client=person, clinic=other_clinic, service_date=date(2026, 2, 1))
    for url in (f"/visits/{theirs.id}", f"/visits/{theirs.id}/edit"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "There is no such page or record." in text(response)
    assert client.post(f"/visits/{theirs.id}/edit", data=visit_form(date(2026, 2, 1))).status_code == 404


def test_correcting_a_visit_through_the_form_saves_the_change(client, as_nurse, make, nurse, person):
    visit = make.visit(client=person, recorded_by=nurse, service_date=date(2026, 2, 1), reasons=["hiv_testing"])
    state = form_state(client.get(f"/visits/{visit.id}/edit"))
    assert state.values["service_date"] == "2026-02-01"
    assert state.checked["reasons"] == ["hiv_testing"]
    response = client.post(
        f"/visits/{visit.id}/edit", data=visit_form(date(2026, 2, 1), visit_type="return", reasons=["prep"])
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/visits/{visit.id}"
    assert "Visit saved." in text(client.get(response.headers["Location"]))
    db.session.refresh(visit)
    assert visit.reasons == ["prep"]


# --- the clinic's visit list ----------------------------------------------------------


@pytest.fixture
def march(make, nurse, other_clinic):
    """Five visits at this clinic in March 2026 (PrEP on the 10th), one at another clinic."""
    people = [make.client(registered_by=nurse, mother=m) for m in ("AA", "BB", "CC", "DD", "EE")]
    days = [1, 5, 10, 20, 25]
    visits = {}
    for p, day in zip(people, days, strict=True):
        reasons = ["prep"] if day == 10 else ["sti"]
        visits[day] = make.visit(client=p, recorded_by=nurse, service_date=date(2026, 3, day), reasons=reasons)
    theirs = make.visit(client=people[0], clinic=other_clinic, service_date=date(2026, 3, 15))
    return visits, theirs


def _dates(page: str) -> list[str]:
    """The service dates in the visit table, top to bottom."""
    return re.findall(r'href="/visits/[0-9a-f-]{36}">(\d{4}-\d{2}-\d{2})<', page)


def test_visit_list_shows_this_clinics_visits_only(client, as_nurse, march):
    visits, theirs = march
    response = client.get("/visits/")
    assert response.status_code == 200
    page = text(response)
    assert "5 visits" in page
    assert _dates(page) == ["2026-03-25", "2026-03-20", "2026-03-10", "2026-03-05", "2026-03-01"]
    assert str(theirs.id) not in page


def test_visit_list_filters_by_date_range_and_reason(client, as_nurse, march):
    page = text(client.get("/visits/", query_string={"date_from": "2026-03-05", "date_to": "2026-03-20"}))
    assert "3 visits" in page
    assert _dates(page) == ["2026-03-20", "2026-03-10", "2026-03-05"]

    page = text(client.get("/visits/", query_string={"reason": "prep"}))
    assert "1 visit" in page
    assert _dates(page) == ["2026-03-10"]


def test_visit_list_pages_and_keeps_the_filters_in_the_page_links(app, client, as_nurse, march):
    app.config["PAGE_SIZE"] = 2
    first = text(client.get("/visits/", query_string={"reason": "sti"}))
    assert "4 visits" in first
    assert "Page 1 of 2" in first
    assert _dates(first) == ["2026-03-25", "2026-03-20"]
    assert 'href="/visits/?page=2&reason=sti"' in first

    second = text(client.get("/visits/", query_string={"reason": "sti", "page": 2}))
    assert "Page 2 of 2" in second
    assert _dates(second) == ["2026-03-05", "2026-03-01"]

    beyond = client.get("/visits/", query_string={"page": 9})
    assert beyond.status_code == 200
    assert _dates(text(beyond)) == []


def test_visit_list_runs_a_fixed_number_of_queries_whatever_the_number_of_visits(
    app, client, as_nurse, make, nurse, clinic, count_queries
):
    def add_visits(n):
        for _ in range(n):
            person = make.client(clinic=clinic, registered_by=make.user(clinic=clinic))
            make.visit(client=person, recorded_by=make.user(clinic=clinic), reasons=["sti", "condoms"])

    client.get("/visits/")  # warm up: connections and caches
    add_visits(3)
    with count_queries() as few:
        assert "3 visits" in text(client.get("/visits/"))
    add_visits(27)
    with count_queries() as many:
        assert "30 visits" in text(client.get("/visits/"))
    assert many.count == few.count


def test_client_page_runs_a_fixed_number_of_queries_whatever_the_number_of_visits(
    client, as_nurse, make, nurse, clinic, other_clinic, count_queries
):
    person = make.client(registered_by=nurse, enrolled_on=date(2025, 1, 1))

    def add_visits(start, n):
        for i in range(n):
            where = other_clinic if i % 2 else clinic
            make.visit(
                client=person,
                clinic=where,
                recorded_by=make.user(clinic=where),
                service_date=date(2025, 1, 1) + timedelta(days=start + i),
            )

    client.get(f"/clients/{person.id}")
    add_visits(0, 3)
    with count_queries() as few:
        assert "Visits (3)" in text(client.get(f"/clients/{person.id}"))
    add_visits(3, 27)
    with count_queries() as many:
        assert "Visits (30)" in text(client.get(f"/clients/{person.id}"))
    assert many.count == few.count


def test_treatment_of_an_earlier_positive_screen_is_offered_and_recorded_at_a_later_visit(
    client, as_nurse, make, nurse, person, today
):
    from clinic_app.core.actor import Actor
    from clinic_app.screening.models import CervicalMethod, CervicalResult, CervicalVisitType
    from clinic_app.visits.sections import CervicalInput, ServicesInput
    from clinic_app.visits.services import VisitInput, record_visit

    screened_on = today - timedelta(days=20)
    positive = CervicalInput(CervicalVisitType.FIRST, method=CervicalMethod.VIA, result=CervicalResult.POSITIVE)
    data = VisitInput(service_date=screened_on, visit_type="new", reasons=["cervical"])
    screen = record_visit(actor=Actor(nurse), client=person, data=data, services=ServicesInput(cervical=positive))
    page = client.get(f"/visits/for/{person.id}/new").get_data(as_text=True)
    assert "Treatment of an earlier positive cervical screen" in page
    assert f"{screened_on.isoformat()} · VIA · Positive" in page
    # Chosen without the treatment: the error is beside the field, nothing saved.
    later = {"visit_type": "return", "cervical_tx-screen_id": str(screen.cervical_screening.id)}
    response = _record(client, person, visit_form(today, **later))
    assert response.status_code == 422
    assert form_state(response).errors["cervical_tx-treatment"][0].startswith("Choose the treatment given")
    response = _record(client, person, visit_form(today, **later, **{"cervical_tx-treatment": "cryotherapy"}))
    assert response.status_code == 302
    db.session.expire_all()
    treated = db.session.get(type(screen.cervical_screening), screen.cervical_screening.id)
    assert (treated.treatment.value, treated.treated_on) == ("cryotherapy", today)
