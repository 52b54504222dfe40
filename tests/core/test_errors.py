"""Error pages, CSRF refusals and the security headers on every answer."""

import uuid

import pytest

from clinic_app.auth.models import User
from clinic_app.clients.models import Client
from clinic_app.clinics.models import Clinic
from clinic_app.core.permissions import public
from clinic_app.extensions import db
from tests.factories import PASSWORD
from tests.helpers import audit_events, count, csrf_token, text

NOT_FOUND = "There is no such page or record."
EXPIRED = (
    "This form had expired (or was sent twice). Your entries were not saved; please go back, reload and submit again."
)


@pytest.fixture
def as_nurse(sign_in_as, nurse):
    return sign_in_as(nurse)


@pytest.mark.parametrize(
    "path", ["/clients/{id}", "/clients/{id}/edit", "/visits/{id}", "/visits/{id}/edit", "/visits/for/{id}/new"]
)
def test_unknown_record_id_gives_the_not_found_page(client, as_nurse, path):
    response = client.get(path.format(id=uuid.uuid4()))
    assert response.status_code == 404
    assert NOT_FOUND in text(response)
    assert "Traceback" not in text(response)


@pytest.mark.parametrize("path", ["/clients/12345", "/clients/not-a-uuid/edit", "/visits/1", "/visits/%27%3B--"])
def test_malformed_record_id_gives_the_not_found_page(client, as_nurse, path):
    response = client.get(path)
    assert response.status_code == 404
    assert NOT_FOUND in text(response)


def test_unknown_page_gives_the_not_found_page(client, as_nurse):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert NOT_FOUND in text(response)


def test_unknown_user_and_clinic_ids_are_not_found_for_the_administrator(client, sign_in_as, make, clinic):
    sign_in_as(make.user(role="admin", clinic=clinic))
    for path in (f"/auth/users/{uuid.uuid4()}", f"/clinics/{uuid.uuid4()}"):
        assert client.get(path).status_code == 404, path


@pytest.mark.parametrize("page", ["abc", "0", "-3", "1e9", "99999999999", ""])
def test_bad_page_number_shows_the_first_page(client, as_nurse, make, nurse, page):
    make.visit(client=make.client(registered_by=nurse), recorded_by=nurse)
    response = client.get("/visits/", query_string={"page": page})
    assert response.status_code == 200
    assert "1 visit" in text(response)


def test_bad_page_number_on_the_audit_trail_shows_the_first_page(client, sign_in_as, make, clinic):
    sign_in_as(make.user(role="admin", clinic=clinic))
    response = client.get("/audit/", query_string={"page": "x"})
    assert response.status_code == 200
    assert "Page 1" in text(response)


def test_bad_filter_date_does_not_break_the_visit_list(client, as_nurse):
    response = client.get("/visits/", query_string={"date_from": "2026-13-45", "reason": "nonsense"})
    assert response.status_code == 200


def test_wrong_method_gives_a_plain_page(client, as_nurse):
    response = client.get("/auth/logout")
    assert response.status_code == 405
    assert "This page cannot be used that way." in text(response)


def test_anonymous_form_post_leads_to_sign_in_and_back_saving_nothing(client, make):
    response = client.post("/clients/new", data={"alias": "x"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/auth/login?next=/clients/new"
    assert "Sign in to return to the form." in text(client.get(response.headers["Location"]))
    assert count(Client) == 0


def test_anonymous_post_of_a_script_is_refused_with_a_sign_in_message(client, make):
    response = client.post("/clients/new", json={"alias": "x"})
    assert response.status_code == 401
    assert "Please sign in to continue." in text(response)
    assert count(Client) == 0


def test_unexpected_failure_gives_a_plain_page_and_saves_nothing(app, client, make):
    def explode():
        db.session.add(Clinic(code="HALF", name="Half saved", country="ZA", timezone="UTC"))
        db.session.flush()
        raise RuntimeError("secret detail 1234-5678-9")

    app.add_url_rule("/explode", "explode", public(explode))
    response = client.get("/explode")
    assert response.status_code == 500
    page = text(response)
    assert "Something went wrong on our side. Nothing was saved. Please try again." in page
    assert "secret detail" not in page
    assert "RuntimeError" not in page
    assert count(Clinic, Clinic.code == "HALF") == 0


# --- CSRF -----------------------------------------------------------------------------

with_csrf = pytest.mark.parametrize("app", [{"WTF_CSRF_ENABLED": True}], indirect=True, ids=["csrf"])


@with_csrf
def test_sign_in_without_a_csrf_token_is_refused_with_the_expiry_message(client, nurse):
    response = client.post("/auth/login", data={"username": "nurse", "password": PASSWORD})
    assert response.status_code == 400
    assert EXPIRED in text(response)
    assert audit_events("auth.sign_in") == []
    assert client.get("/").status_code == 302


@with_csrf
def test_sign_in_with_the_forms_csrf_token_works(client, nurse):
    token = csrf_token(client.get("/auth/login"))
    response = client.post("/auth/login", data={"username": "nurse", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


@with_csrf
def test_registration_without_a_csrf_token_saves_nothing(client, sign_in_as, nurse):
    sign_in_as(nurse)
    response = client.post(
        "/clients/new",
        data={
            "mother_letters": "MA",
            "own_letters": "JO",
            "sex": "female",
            "date_of_birth": "1992-08-15",
            "key_population": "fsw",
            "nationality": "ZW",
            "enrolled_on": "2026-01-10",
            "consent_given": "y",
        },
    )
    assert response.status_code == 400
    assert EXPIRED in text(response)
    assert count(Client) == 0


@with_csrf
def test_sign_out_without_a_csrf_token_leaves_the_session_alone(client, sign_in_as, nurse):
    sign_in_as(nurse)
    version = nurse.session_version
    assert client.post("/auth/logout").status_code == 400
    assert client.get("/").status_code == 200
    db.session.refresh(nurse)
    assert nurse.session_version == version
    assert db.session.get(User, nurse.id).active


# --- security headers -----------------------------------------------------------------


def _assert_security_headers(response):
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"


def test_pages_carry_the_security_headers_and_are_never_cached(client, nurse, sign_in_as):
    anonymous = [client.get("/auth/login"), client.get("/")]
    sign_in_as(nurse)
    signed_in = [client.get("/"), client.get("/clients/new"), client.get(f"/clients/{uuid.uuid4()}")]
    for response in anonymous + signed_in:
        _assert_security_headers(response)
        assert response.headers["Cache-Control"] == "no-store"


def test_static_files_carry_the_security_headers_and_may_be_cached(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    _assert_security_headers(response)
    assert "no-store" not in response.headers.get("Cache-Control", "")
    response.close()


def test_session_cookie_is_http_only_and_same_site(client, login, nurse):
    response = login(nurse)
    cookies = response.headers.getlist("Set-Cookie")
    # The session cookie, and the known-browser mark that spares this browser the address slow-down.
    assert sorted(c.split("=", 1)[0] for c in cookies) == ["bluebox_known", "bluebox_session"]
    for cookie in cookies:
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie
