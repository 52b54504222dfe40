"""The permission table, and its enforcement on every route of the app for every role."""

import pytest

from clinic_app import create_app
from clinic_app.core.actor import Actor
from clinic_app.core.errors import NotAllowed
from clinic_app.core.permissions import PERMISSIONS, PUBLIC, Role, required_action, requires, role_can
from tests.conftest import _config
from tests.helpers import audit_events, text

ADMIN, NURSE, DATA_ADMIN, PEER, ME = (
    Role.ADMIN,
    Role.NURSE,
    Role.DATA_ADMIN,
    Role.PEER_EDUCATOR,
    Role.ME_OFFICER,
)

# The table as the programme agreed it: minimum necessary access.
EXPECTED_TABLE = {
    "home.view": {ADMIN, NURSE, DATA_ADMIN, PEER, ME},
    "account.manage_own": {ADMIN, NURSE, DATA_ADMIN, PEER, ME},
    "clients.search": {NURSE, DATA_ADMIN},
    "clients.view": {NURSE, DATA_ADMIN},
    "clients.register": {NURSE, DATA_ADMIN},
    "clients.edit": {NURSE, DATA_ADMIN},
    "clients.merge": {DATA_ADMIN},
    "visits.list": {NURSE, DATA_ADMIN},
    "visits.record": {NURSE, DATA_ADMIN},
    "visits.edit": {NURSE, DATA_ADMIN},
    "clinics.view": {ADMIN, DATA_ADMIN, ME},
    "clinics.manage": {ADMIN},
    "users.manage": {ADMIN},
    "audit.view": {ADMIN},
    "duelists.view": {NURSE, DATA_ADMIN},
}


def test_permission_table_grants_each_action_to_exactly_the_agreed_roles():
    assert {action: set(roles) for action, roles in PERMISSIONS.items()} == EXPECTED_TABLE


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", sorted(EXPECTED_TABLE))
def test_role_can_follows_the_table(role, action):
    assert role_can(role, action) is (role in EXPECTED_TABLE[action])
    assert role_can(role.value, action) is (role in EXPECTED_TABLE[action])


def test_unknown_action_and_missing_role_are_denied():
    assert not role_can(Role.ADMIN, "clients.delete")
    assert not role_can(None, "home.view")


def test_declaring_an_action_missing_from_the_table_fails_at_import():
    with pytest.raises(KeyError):
        requires("clients.export_everything")


def test_administrator_holds_no_client_or_visit_action():
    clinical = [a for a in EXPECTED_TABLE if a.startswith(("clients.", "visits."))]
    assert clinical
    assert not any(role_can(Role.ADMIN, a) for a in clinical)


def test_peer_educator_and_me_officer_hold_no_individual_record_action():
    for role in (Role.PEER_EDUCATOR, Role.ME_OFFICER):
        assert not any(role_can(role, a) for a in EXPECTED_TABLE if a.startswith(("clients.", "visits.", "audit.")))


def test_disabled_user_can_do_nothing(make):
    user = make.user(role="admin", active=False)
    actor = Actor(user)
    assert not actor.can("home.view")
    with pytest.raises(NotAllowed):
        actor.require("users.manage")


# --- every URL rule x every role ---------------------------------------------------

_ROUTE_APP = create_app(_config("sqlite://"))
RULES = sorted(
    (rule.endpoint, rule.rule, "GET" if "GET" in rule.methods else "POST")
    for rule in _ROUTE_APP.url_map.iter_rules()
    if rule.endpoint != "static"
)
ROLES = [None, *Role]  # None: not signed in


def test_every_non_static_endpoint_declares_an_action(app):
    undeclared = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint != "static" and required_action(view) is None
    ]
    assert undeclared == []


def test_every_declared_action_is_in_the_table(app):
    for endpoint, view in app.view_functions.items():
        action = required_action(view)
        if endpoint != "static":
            assert action == PUBLIC or action in PERMISSIONS, endpoint


def test_route_list_is_the_apps_route_list(app):
    assert {e for e, _, _ in RULES} == {r.endpoint for r in app.url_map.iter_rules()} - {"static"}


@pytest.fixture
def route_ids(make, clinic):
    """Real records for the <uuid:...> parts of URLs, all at the signed-in user's clinic."""
    staff = make.user(role="nurse", clinic=clinic)
    client = make.client(registered_by=staff)
    visit = make.visit(client=client, recorded_by=staff)
    return {"client_id": client.id, "visit_id": visit.id, "clinic_id": clinic.id, "user_id": staff.id}


def _example_arguments(endpoint: str) -> dict:
    """Values for URL parts that are not record ids, by endpoint (a new one must be added here)."""
    from clinic_app.duelists.services import DUE_LISTS

    return {"duelists.show": {"name": next(iter(DUE_LISTS))}}.get(endpoint, {})


def _url(app, endpoint: str, rule: str, ids: dict) -> str:
    [route] = [r for r in app.url_map.iter_rules() if r.endpoint == endpoint and r.rule == rule]
    values = {**ids, **_example_arguments(endpoint)}
    missing = set(route.arguments) - set(values)
    assert not missing, f"give an example value for {missing} of {endpoint} in _example_arguments"
    return route.build({name: values[name] for name in route.arguments}, append_unknown=False)[1]


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value if r else "anonymous")
@pytest.mark.parametrize(("endpoint", "rule", "method"), RULES, ids=[e for e, _, _ in RULES])
def test_route_answers_each_role_as_the_table_says(
    app, client, make, clinic, sign_in_as, route_ids, endpoint, rule, method, role
):
    action = required_action(app.view_functions[endpoint])
    url = _url(app, endpoint, rule, route_ids)
    if role is not None:
        sign_in_as(make.user(role=role, clinic=clinic))
    response = client.open(url, method=method)

    if action == PUBLIC:
        assert response.status_code in (200, 302)
        return
    if role is None:
        if method == "GET":
            assert response.status_code == 302
            assert response.headers["Location"].startswith("/auth/login")
        else:
            assert response.status_code == 401
            assert "Please sign in to continue." in text(response)
        return
    if role_can(role, action):
        assert response.status_code not in (401, 403)
        assert response.status_code < 500
        if method == "GET":
            assert response.status_code == 200
    else:
        assert response.status_code == 403
        assert "Your role does not give access to this page." in text(response)


def test_static_files_are_served_without_signing_in(client):
    response = client.get("/static/favicon.svg")
    assert response.status_code == 200
    response.close()


def test_sign_in_page_is_public(client):
    response = client.get("/auth/login")
    assert response.status_code == 200
    assert "Sign in" in text(response)


def test_anonymous_is_sent_to_sign_in_and_back_to_the_page_asked_for(client):
    response = client.get("/visits/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/auth/login?next=/visits/"


# --- minimum necessary on client records ---------------------------------------------


@pytest.mark.parametrize("role", ["peer_educator", "me_officer", "admin"])
def test_non_clinical_roles_cannot_open_a_client_record(client, make, clinic, sign_in_as, role):
    record = make.client(clinic=clinic)
    sign_in_as(make.user(role=role, clinic=clinic))
    for url in (f"/clients/{record.id}", f"/clients/{record.id}/edit", "/clients/", "/clients/new", "/visits/"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert record.client_number not in text(response)
        assert record.uic not in text(response)


@pytest.mark.parametrize("role", ["peer_educator", "me_officer", "admin"])
def test_non_clinical_roles_cannot_search_the_registry(client, make, clinic, sign_in_as, role):
    record = make.client(clinic=clinic)
    sign_in_as(make.user(role=role, clinic=clinic))
    response = client.post("/clients/", data={"term": record.client_number})
    assert response.status_code == 403
    assert record.client_number not in text(response)


def test_refused_access_is_audited_with_the_endpoint(client, make, clinic, sign_in_as):
    record = make.client(clinic=clinic)
    peer = make.user(role="peer_educator", clinic=clinic)
    sign_in_as(peer)
    assert client.get(f"/clients/{record.id}").status_code == 403
    [event] = audit_events("access.denied")
    assert event.actor_id == peer.id
    assert event.actor_role == "peer_educator"
    assert event.detail == "clients.detail"
    assert audit_events("client.view") == []


def test_menu_shows_only_what_the_role_may_open(client, make, clinic, sign_in_as):
    sign_in_as(make.user(role="me_officer", clinic=clinic))
    page = text(client.get("/"))
    assert 'href="/clinics/"' in page
    for hidden in (
        'href="/clients/"',
        'href="/clients/new"',
        'href="/visits/"',
        'href="/auth/users"',
        'href="/audit/"',
    ):
        assert hidden not in page
