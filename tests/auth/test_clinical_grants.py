"""An administrator cannot quietly give themselves clinical access: a second administrator confirms
it on the form, or a flagged line stays at the top of the audit page until another one confirms it."""

import pytest

from clinic_app.auth.models import User
from clinic_app.extensions import db
from tests.factories import PASSWORD
from tests.helpers import audit_events, form_state, text

NEW = {
    "username": "ana.da",
    "display_name": "Ana",
    "password": "a long passphrase here",
    "language": "en",
}


@pytest.fixture
def admin(make, clinic):
    return make.user(role="admin", clinic=clinic, username="admin")


@pytest.fixture
def second(make, clinic):
    return make.user(role="admin", clinic=clinic, username="second")


def _new_account(client, clinic, role, **extra):
    return client.post("/auth/users/new", data={**NEW, "role": role, "clinic_id": str(clinic.id), **extra})


def _flagged_block(response) -> str:
    page = text(response)
    start = page.find("Clinical access given by one administrator alone")
    return page[start : page.find("</div>", start)] if start >= 0 else ""


def test_a_data_administrator_account_made_alone_is_flagged_at_the_top_of_the_audit_page(
    app, client, sign_in_as, admin, second, clinic
):
    sign_in_as(admin)
    assert _new_account(client, clinic, "data_admin").status_code == 302
    [flag] = audit_events("user.clinical_grant_unconfirmed")
    assert flag.actor_id == admin.id and flag.detail == "created role=data_admin"

    block = _flagged_block(client.get("/audit/"))
    assert f"#{flag.seq}" in block
    assert "another administrator must confirm" in block  # not by the one who gave it

    other = sign_in_as(second, on=app.test_client())
    assert "Confirm" in _flagged_block(other.get("/audit/"))
    assert other.post(f"/auth/users/grants/{flag.seq}/confirm").status_code == 302
    [confirmed] = audit_events("user.clinical_grant_confirmed")
    assert (confirmed.actor_id, confirmed.detail) == (second.id, f"line={flag.seq}")
    assert _flagged_block(other.get("/audit/")) == ""


def test_the_administrator_who_gave_the_access_cannot_confirm_it(client, sign_in_as, admin, clinic):
    sign_in_as(admin)
    _new_account(client, clinic, "nurse")
    [flag] = audit_events("user.clinical_grant_unconfirmed")
    client.post(f"/auth/users/grants/{flag.seq}/confirm")
    assert audit_events("user.clinical_grant_confirmed") == []


def test_a_second_administrator_on_the_form_confirms_at_once(client, sign_in_as, admin, second, clinic):
    sign_in_as(admin)
    response = _new_account(client, clinic, "nurse", second_username="second", second_password=PASSWORD)
    assert response.status_code == 302
    assert audit_events("user.clinical_grant_unconfirmed") == []
    [created] = audit_events("user.create")
    assert created.detail == f"role=nurse confirmed_by={second.id}"


@pytest.mark.parametrize(
    "username, password, field",
    [("second", "wrong password!", "second_password"), ("admin", PASSWORD, "second_username")],
)
def test_a_wrong_or_same_second_administrator_saves_nothing(
    client, sign_in_as, admin, second, clinic, username, password, field
):
    sign_in_as(admin)
    response = _new_account(client, clinic, "data_admin", second_username=username, second_password=password)
    assert response.status_code == 422
    state = form_state(response)
    assert state.errors[field]
    assert state.values["username"] == "ana.da"  # nothing typed is lost
    assert db.session.scalar(db.select(User).where(User.username == "ana.da")) is None


def test_raising_an_account_or_resetting_a_nurses_password_is_flagged(client, sign_in_as, admin, make, clinic):
    officer = make.user(role="me_officer", clinic=clinic, username="officer")
    nurse = make.user(role="nurse", clinic=clinic, username="nurse2")
    sign_in_as(admin)
    common = {"clinic_id": str(clinic.id), "language": "en", "active": "y"}
    client.post(f"/auth/users/{officer.id}", data={"display_name": "O", "role": "data_admin", **common})
    client.post(
        f"/auth/users/{nurse.id}",
        data={"display_name": "N", "role": "nurse", "new_password": "another long one 77", **common},
    )
    details = sorted(e.detail for e in audit_events("user.clinical_grant_unconfirmed"))
    assert details == ["password_reset role=nurse", "raised role=me_officer->data_admin"]


def test_accounts_without_clinical_access_need_no_second_administrator(client, sign_in_as, admin, clinic):
    sign_in_as(admin)
    assert _new_account(client, clinic, "me_officer").status_code == 302
    assert _new_account(client, clinic, "peer_educator", username="peer.one").status_code == 302
    assert audit_events("user.clinical_grant_unconfirmed") == []
