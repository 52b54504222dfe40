"""Clinic pages: the list for managers and M&E, create and edit for administrators."""

import pytest
from sqlalchemy import select

from clinic_app.clinics.models import Clinic
from clinic_app.extensions import db
from tests.helpers import audit_events, count, form_state, text


@pytest.fixture
def as_admin(sign_in_as, make, clinic):
    return sign_in_as(make.user(role="admin", clinic=clinic))


def clinic_form(**overrides):
    data = {"code": "NGO", "name": "Ngodwana", "country": "ZA", "timezone": "Africa/Johannesburg", "is_active": "y"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_administrator_adds_a_clinic_and_sees_it_listed(client, as_admin):
    response = client.post("/clinics/new", data=clinic_form(code="ngo"))
    assert response.status_code == 302
    assert response.headers["Location"] == "/clinics/"
    page = text(client.get("/clinics/"))
    assert "Clinic NGO added." in page
    assert "Ngodwana" in page
    assert "South Africa" in page
    added = db.session.scalar(select(Clinic).where(Clinic.code == "NGO"))
    assert added.timezone == "Africa/Johannesburg"
    assert [e.object_id for e in audit_events("clinic.create")] == [str(added.id)]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"code": "N"}, "code", "Use 2 to 12 capital letters or digits."),
        ({"code": "NG-O"}, "code", "Use 2 to 12 capital letters or digits."),
        ({"code": "BBR"}, "code", "Another clinic has this code."),
        ({"name": "   "}, "name", "Enter the clinic's name."),
    ],
)
def test_refused_clinic_shows_why_beside_the_field_and_keeps_the_entries(client, as_admin, overrides, field, message):
    before = count(Clinic)
    response = client.post("/clinics/new", data=clinic_form(**overrides))
    assert response.status_code == 422
    state = form_state(response)
    assert state.errors[field] == [message]
    assert state.values["country"] == "ZA"
    assert state.values["timezone"] == "Africa/Johannesburg"
    assert count(Clinic) == before


def test_administrator_renames_and_closes_a_clinic(client, as_admin, other_clinic):
    form = form_state(client.get(f"/clinics/{other_clinic.id}"))
    assert form.values["name"] == "Ngodwana"
    assert form.values["country"] == "ZA"
    response = client.post(
        f"/clinics/{other_clinic.id}",
        data=clinic_form(code=None, name="Ngodwana truck stop", is_active=None),
    )
    assert response.status_code == 302
    page = text(client.get("/clinics/"))
    assert "Clinic NGO saved." in page
    assert "Ngodwana truck stop" in page
    assert "inactive" in page
    db.session.refresh(other_clinic)
    assert other_clinic.is_active is False
    assert other_clinic.code == "NGO"


def test_me_officer_sees_the_clinic_list_but_cannot_change_it(client, sign_in_as, make, clinic, other_clinic):
    sign_in_as(make.user(role="me_officer", clinic=clinic))
    page = text(client.get("/clinics/"))
    assert "Beitbridge" in page and "Ngodwana" in page
    assert "Add a clinic" not in page
    assert f'href="/clinics/{other_clinic.id}"' not in page
    assert client.get("/clinics/new").status_code == 403
    assert client.post("/clinics/new", data=clinic_form(code="XYZ")).status_code == 403
    assert count(Clinic, Clinic.code == "XYZ") == 0


def test_nurse_does_not_see_the_clinic_pages(client, sign_in_as, nurse):
    sign_in_as(nurse)
    assert client.get("/clinics/").status_code == 403


def test_unknown_clinic_is_not_found(client, as_admin):
    response = client.get("/clinics/00000000-0000-4000-8000-000000000000")
    assert response.status_code == 404
    assert "There is no such page or record." in text(response)
