"""Free text has no control or bidi override characters: forms refuse them beside the field, anything
written another way is cleaned before it is stored, and the Excel export never fails on old rows."""

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update
from wtforms import Form as BareForm

from clinic_app.auth.models import User
from clinic_app.clinics.models import Clinic
from clinic_app.core.forms import Form, Section
from clinic_app.extensions import db
from clinic_app.outreach.models import Hotspot
from tests.helpers import count, form_state

REFUSED = "Remove the invisible control characters from this text (they may come from copying and pasting)."


def _all_subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def test_every_form_of_the_app_takes_its_text_fields_through_the_plain_text_base(app):
    forms = [c for c in _all_subclasses(BareForm) if c.__module__.startswith("clinic_app.")]
    assert len(forms) > 30
    outside = [f"{c.__module__}.{c.__name__}" for c in forms if not issubclass(c, (Form, Section))]
    assert outside == []


@pytest.mark.parametrize(
    "name",
    [
        "Truck\x1b[31mstop",  # a terminal escape
        "Truck\x07stop",  # a bell
        "Truck\x0bstop",  # a vertical tab (breaks Excel files)
        "\u202epots kcurT",  # right-to-left override: shows reversed
        "Truck \u2066stop\u2069",  # an isolate
    ],
)
def test_a_hotspot_name_with_control_or_bidi_characters_is_refused_beside_the_field(
    app, client, sign_in_as, nurse, name
):
    sign_in_as(nurse)
    response = client.post("/outreach/hotspots/new", data={"name": name, "kind": "truck_stop", "is_active": "y"})
    assert response.status_code == 422
    assert form_state(response).errors["name"] == [REFUSED]
    assert count(Hotspot) == 0


def test_tabs_line_breaks_and_composed_letters_are_normalised_not_refused(app, client, sign_in_as, nurse):
    sign_in_as(nurse)
    response = client.post(
        "/outreach/hotspots/new", data={"name": "Cafe\u0301\tdo\r\nPorto", "kind": "bar", "is_active": "y"}
    )
    assert response.status_code == 302
    assert db.session.scalar(select(Hotspot.name)) == "Café do Porto"


def test_a_clinic_name_and_a_display_name_are_refused_the_same_way(app, client, sign_in_as, make, clinic):
    sign_in_as(make.user(role="admin", clinic=clinic, username="boss"))
    response = client.post(
        "/clinics/new", data={"code": "INC", "name": "Inchope\x00", "country": "MZ", "timezone": "Africa/Maputo"}
    )
    assert response.status_code == 400  # a NUL byte is refused whole (core.guard)
    response = client.post(
        "/clinics/new", data={"code": "INC", "name": "Inch\u202dope", "country": "MZ", "timezone": "Africa/Maputo"}
    )
    assert form_state(response).errors["name"] == [REFUSED]
    response = client.post(
        "/auth/users/new",
        data={
            "username": "thandi",
            "display_name": "Thandi\x1b",
            "password": "a long passphrase here",
            "role": "me_officer",
            "clinic_id": str(clinic.id),
            "language": "en",
        },
    )
    assert form_state(response).errors["display_name"] == [REFUSED]
    assert count(User, User.username == "thandi") == 0


def test_text_written_without_a_form_loses_control_and_bidi_characters_before_it_is_stored(make, clinic):
    hotspot = Hotspot(clinic_id=clinic.id, name="Port\x07 gate\u202e", kind="port")
    db.session.add(hotspot)
    db.session.commit()
    db.session.expire_all()
    assert db.session.scalar(select(Hotspot.name)) == "Port gate"
    other = make.clinic(code="CTO", name="Cato\x0b Ridge")
    db.session.expire_all()
    assert other.name == "Cato Ridge"


def test_the_excel_export_never_fails_on_control_characters_stored_before(app, client, sign_in_as, make, clinic):
    me = make.user(role="me_officer", clinic=clinic, username="mande")
    # Rows written before the cleaning existed (straight SQL, as an older version stored them).
    db.session.execute(update(Clinic).where(Clinic.id == clinic.id).values(name="Beit\x0bbridge\u202e"))
    db.session.execute(update(User).where(User.id == me.id).values(display_name="M&E\x1b officer\x07"))
    db.session.commit()
    sign_in_as(me)
    response = client.get(
        "/reports/download",
        query_string={"format_code": "clinic_monthly", "period_code": "2026-10", "clinics": "BBR", "as": "xlsx"},
    )
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    cells = [str(c.value) for sheet in book for row in sheet.iter_rows() for c in row if c.value is not None]
    assert any("Beitbridge" in c for c in cells)
    assert any("M&E officer" in c for c in cells)
    assert not any("\x0b" in c or "\x1b" in c or "\u202e" in c for c in cells)
