"""Signing in and out through the real forms, own password change, account administration."""

import pytest
from sqlalchemy import select

from clinic_app.auth.models import User
from clinic_app.auth.passwords import verify_password
from clinic_app.core.permissions import Role
from clinic_app.extensions import db
from clinic_app.network import node
from tests.factories import PASSWORD
from tests.helpers import audit_events, count, form_state, text

GENERIC = "The username or password is not correct."
COOKIE = "bluebox_session"
TOO_EASY = (
    "This password is too easy to guess: it is a common password or close to one. "
    "A short sentence of your own is better."
)


@pytest.mark.parametrize("role", list(Role))
def test_each_role_signs_in_through_the_form_and_lands_on_the_home_page(client, login, make, clinic, role):
    user = make.user(role=role, clinic=clinic, display_name="Thandi M")
    response = login(user)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert "Thandi M" in text(home)
    assert "Sign out" in text(home)


def test_sign_in_accepts_the_username_in_any_case(client, nurse):
    response = client.post("/auth/login", data={"username": " NURSE ", "password": PASSWORD})
    assert response.status_code == 302


def test_wrong_password_and_unknown_user_get_the_same_generic_message(client, nurse):
    wrong = client.post("/auth/login", data={"username": "nurse", "password": "not the password"})
    unknown = client.post("/auth/login", data={"username": "nobody", "password": "not the password"})
    for response in (wrong, unknown):
        assert response.status_code == 422
        assert form_state(response).errors == {"password": [GENERIC]}
    assert client.get("/").status_code == 302


def test_disabled_user_cannot_sign_in(client, make, clinic):
    user = make.user(clinic=clinic, username="gone", active=False)
    response = client.post("/auth/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 422
    assert form_state(response).errors == {"password": [GENERIC]}
    assert client.get("/").headers["Location"].startswith("/auth/login")


def test_empty_sign_in_form_is_refused(client):
    response = client.post("/auth/login", data={})
    assert response.status_code == 422
    assert set(form_state(response).errors) == {"username", "password"}


def test_sign_in_returns_to_the_page_asked_for(client, nurse):
    response = client.post("/auth/login?next=/visits/", data={"username": "nurse", "password": PASSWORD})
    assert response.headers["Location"] == "/visits/"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "evil.example", "/\\evil.example"])
def test_sign_in_never_redirects_off_the_site(client, nurse, target):
    response = client.post(
        "/auth/login", query_string={"next": target}, data={"username": "nurse", "password": PASSWORD}
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/")
    assert not location.startswith("//")
    assert "\\" not in location


def test_signed_in_user_opening_the_sign_in_page_goes_home(client, login, nurse):
    login(nurse)
    response = client.get("/auth/login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_sign_out_ends_the_session_even_for_a_copied_cookie(client, login, nurse):
    login(nurse)
    assert client.get("/").status_code == 200
    copied = client.get_cookie(COOKIE).value

    response = client.post("/auth/logout")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    assert "You are signed out." in text(client.get("/auth/login"))

    client.set_cookie(COOKIE, copied)
    replay = client.get("/")
    assert replay.status_code == 302
    assert replay.headers["Location"].startswith("/auth/login")


def test_sign_out_needs_a_post(client, login, nurse):
    login(nurse)
    assert client.get("/auth/logout").status_code == 405
    assert client.get("/").status_code == 200


def _change_password(browser, current, new):
    return browser.post("/auth/account", data={"current_password": current, "new_password": new})


def test_password_change_signs_other_sessions_out(app, client, login, nurse):
    login(nurse)
    other = app.test_client()
    assert other.post("/auth/login", data={"username": "nurse", "password": PASSWORD}).status_code == 302
    assert other.get("/").status_code == 200

    response = _change_password(client, PASSWORD, "a brand new passphrase")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login"
    assert "Your password was changed. Sign in with the new password." in text(client.get("/auth/login"))

    assert other.get("/").headers["Location"].startswith("/auth/login")
    assert client.get("/").headers["Location"].startswith("/auth/login")
    assert login(nurse).status_code == 422
    assert login(nurse, "a brand new passphrase").status_code == 302


@pytest.mark.parametrize(
    ("current", "new", "field", "message"),
    [
        (PASSWORD, "too short", "new_password", "Use at least 10 characters."),
        (PASSWORD, "password123", "new_password", TOO_EASY),
        ("not my password", "a brand new passphrase", "current_password", "This is not your current password."),
    ],
)
def test_password_change_refusals_are_shown_beside_the_field(client, login, nurse, current, new, field, message):
    login(nurse)
    old_hash = nurse.password_hash
    response = _change_password(client, current, new)
    assert response.status_code == 422
    assert form_state(response).errors == {field: [message]}
    db.session.refresh(nurse)
    assert nurse.password_hash == old_hash
    assert client.get("/").status_code == 200  # still signed in


def test_language_choice_is_saved(client, login, nurse):
    login(nurse)
    response = client.post("/auth/account/language", data={"language": "pt"})
    assert response.status_code == 302
    db.session.refresh(nurse)
    assert nurse.language == "pt"


def test_language_post_without_a_choice_changes_nothing(client, sign_in_as, nurse):
    sign_in_as(nurse)
    response = client.post("/auth/account/language", data={})
    assert response.status_code in (302, 422)
    db.session.refresh(nurse)
    assert nurse.language == "en"


# --- administrator's account pages ----------------------------------------------------


@pytest.fixture
def admin(make, clinic):
    return make.user(role="admin", clinic=clinic, username="admin")


def _new_user_form(clinic, **overrides):
    data = {
        "username": "sipho",
        "display_name": "Sipho",
        "role": "nurse",
        "clinic_id": str(clinic.id),
        "language": "en",
        "password": "a long passphrase",
    }
    data.update(overrides)
    return data


def test_administrator_creates_an_account_through_the_form(client, sign_in_as, admin, clinic):
    sign_in_as(admin)
    response = client.post("/auth/users/new", data=_new_user_form(clinic))
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/users"
    assert "Account sipho created." in text(client.get("/auth/users"))
    user = db.session.scalar(select(User).where(User.username == "sipho"))
    assert user.password_hash.startswith("$argon2id$")
    assert verify_password(user.password_hash, "a long passphrase")


def test_administrator_form_refuses_a_common_password_and_keeps_the_entries(client, sign_in_as, admin, clinic):
    sign_in_as(admin)
    response = client.post("/auth/users/new", data=_new_user_form(clinic, password="iloveyou12"))
    assert response.status_code == 422
    state = form_state(response)
    assert state.errors == {"password": [TOO_EASY]}
    assert state.values["username"] == "sipho"
    assert state.values["role"] == "nurse"
    assert count(User, User.username == "sipho") == 0


def test_new_account_form_without_a_language_is_refused_or_defaults_not_a_server_error(
    client, sign_in_as, admin, clinic
):
    sign_in_as(admin)
    data = _new_user_form(clinic)
    del data["language"]
    response = client.post("/auth/users/new", data=data)
    assert response.status_code in (302, 422)
    if response.status_code == 302:
        assert db.session.scalar(select(User).where(User.username == "sipho")).language == "en"


def test_administrator_changes_an_accounts_language(client, sign_in_as, admin, nurse, clinic):
    sign_in_as(admin)
    response = client.post(
        f"/auth/users/{nurse.id}",
        data={
            "display_name": nurse.display_name,
            "role": "nurse",
            "clinic_id": str(clinic.id),
            "language": "pt",
            "active": "y",
        },
    )
    assert response.status_code == 302
    db.session.refresh(nurse)
    assert nurse.language == "pt"
    assert nurse.active is True


def test_disabling_an_account_signs_that_user_out(app, client, sign_in_as, admin, nurse, clinic):
    nurse_browser = sign_in_as(nurse, on=app.test_client())
    assert nurse_browser.get("/").status_code == 200
    sign_in_as(admin)
    response = client.post(
        f"/auth/users/{nurse.id}",
        data={"display_name": nurse.display_name, "role": "nurse", "clinic_id": str(clinic.id), "language": "en"},
    )
    assert response.status_code == 302
    assert nurse_browser.get("/").headers["Location"].startswith("/auth/login")
    assert nurse_browser.post("/auth/login", data={"username": "nurse", "password": PASSWORD}).status_code == 422


def test_wrong_current_passwords_on_the_account_page_are_audited_and_throttled(client, login, nurse):
    login(nurse)
    for _ in range(5):
        response = _change_password(client, "not my password", "a brand new passphrase")
        assert form_state(response).errors["current_password"] == ["This is not your current password."]
    events = audit_events("auth.password_check_failed")
    assert len(events) == 5 and all(e.actor_id == nurse.id and e.detail == "account_page" for e in events)
    # Now even the right password is refused for a while, with a notice that says why.
    response = _change_password(client, PASSWORD, "a brand new passphrase")
    assert response.status_code == 422
    assert "Too many wrong passwords" in form_state(response).errors["current_password"][0]


def test_a_form_sent_after_the_idle_time_out_leads_to_sign_in_and_back_to_the_form(client, login, nurse, make):
    from clinic_app.visits.models import Visit

    person = make.client(registered_by=nurse)
    login(nurse)
    with client.session_transaction() as session:
        session["_seen"] -= 16 * 60  # 16 minutes without use
    form_url = f"/visits/for/{person.id}/new"
    response = client.post(form_url, data={"service_date": "2026-11-20", "visit_type": "return"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/auth/login?next={form_url}"
    assert count(Visit) == 0
    page = text(client.get(response.headers["Location"]))
    assert 'name="password"' in page  # a sign-in form, not a bare error page
    assert "You were signed out after a time without use." in page
    assert "your entries are kept on this screen" in page
    response = client.post(f"/auth/login?next={form_url}", data={"username": nurse.username, "password": PASSWORD})
    assert response.headers["Location"] == form_url
    form = text(client.get(form_url))
    assert f'data-draft="visit-new-{person.id}" data-fresh="1"' in form  # the browser restores the entries


def test_a_script_request_after_the_time_out_still_answers_401(client, login, nurse):
    login(nurse)
    with client.session_transaction() as session:
        session["_seen"] -= 16 * 60
    response = client.post("/auth/account/language", json={"language": "pt"})
    assert response.status_code == 401


def test_sign_out_tells_the_browser_to_forget_every_draft(client, login, nurse):
    login(nurse)
    assert "data-clear-draft" not in text(client.get("/"))
    client.post("/auth/logout")
    page = text(client.get("/auth/login"))
    assert 'data-clear-draft="*"' in page
    assert 'data-clear-draft="*"' not in text(client.get("/auth/login"))  # said once


def test_the_network_sync_account_is_neither_listed_nor_editable(client, sign_in_as, admin, clinic):
    sync = node.system_user(clinic.id)
    db.session.commit()
    sign_in_as(admin)
    listing = text(client.get("/auth/users"))
    assert "Clinic network" not in listing
    assert node.SYSTEM_USERNAME not in listing
    assert admin.username in listing
    assert client.get(f"/auth/users/{sync.id}").status_code == 404
    opened = client.post(f"/auth/users/{sync.id}", data={"display_name": "x", "role": "data_admin", "active": "y"})
    assert opened.status_code == 404
    assert db.session.get(User, sync.id).active is False
