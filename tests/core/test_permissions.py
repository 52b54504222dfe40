"""The permission table, and its enforcement on every route of the app for every role."""

import uuid
from datetime import UTC, date, datetime

import pytest

from clinic_app import create_app
from clinic_app.core.actor import Actor
from clinic_app.core.errors import NotAllowed
from clinic_app.core.permissions import PERMISSIONS, PUBLIC, Role, required_action, requires, role_can
from clinic_app.extensions import db
from tests.conftest import _config
from tests.helpers import audit_events, text

ADMIN, NURSE, DATA_ADMIN, PEER, ME, CRT = (
    Role.ADMIN,
    Role.NURSE,
    Role.DATA_ADMIN,
    Role.PEER_EDUCATOR,
    Role.ME_OFFICER,
    Role.CRT_COORDINATOR,
)

# The table as the programme agreed it: minimum necessary access.
EXPECTED_TABLE = {
    "home.view": {ADMIN, NURSE, DATA_ADMIN, PEER, ME, CRT},
    "account.manage_own": {ADMIN, NURSE, DATA_ADMIN, PEER, ME, CRT},
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
    "network.status": {ADMIN, DATA_ADMIN},
    "network.sync": {DATA_ADMIN},
    # Done on the computer itself, by a command's system actor (no role holds them); the checkpoint
    # also from the audit page.
    "network.hub": set(),
    "network.enrol": set(),
    "network.renumber": set(),
    "audit.checkpoint": {ADMIN},
    "duelists.view": {NURSE, DATA_ADMIN},
    # Peer mobilisation: peer educators see their own contacts, referrals and tracing.
    "outreach.work": {PEER},
    "outreach.referrals": {PEER, NURSE, DATA_ADMIN},
    "outreach.clinic_referrals": {NURSE, DATA_ADMIN},
    "outreach.figures": {PEER, NURSE, DATA_ADMIN, ME},
    "outreach.clinic_figures": {NURSE, DATA_ADMIN, ME},
    "outreach.tracing": {PEER, NURSE, DATA_ADMIN},
    "outreach.assign_tracing": {NURSE, DATA_ADMIN},
    "outreach.hotspots": {NURSE, DATA_ADMIN, ADMIN},
    "outreach.trainings": {PEER, NURSE, DATA_ADMIN},
    # Reports: aggregates for programme staff; files that leave the clinic only for M&E, data admins, admins.
    "reports.view": {NURSE, DATA_ADMIN, ME, ADMIN},
    "reports.export": {DATA_ADMIN, ME, ADMIN},
    # Exact small numbers (with a reason) and the k-anonymous line list: M&E and data admins only.
    "reports.export_exact": {DATA_ADMIN, ME},
    "reports.linelist": {DATA_ADMIN, ME},
    "reports.quality_records": {NURSE, DATA_ADMIN},
    # Crisis response: cases are scoped by the services (own or assigned; coordinator: the clinic's).
    "crisis.open": {PEER, NURSE, CRT},
    "crisis.cases": {PEER, NURSE, CRT},
    "crisis.respond": {PEER, NURSE, CRT},
    "crisis.coordinate": {CRT},
    "crisis.care": {NURSE, DATA_ADMIN},
    "crisis.link_visit": {NURSE, DATA_ADMIN},
    # The emergency fund: ask on a case one may read; decide (never one's own), pay, manage: the coordinator.
    "crisis.fund_request": {PEER, NURSE, CRT},
    "crisis.fund_decide": {CRT},
    "crisis.fund_manage": {CRT},
    "crisis.fund_statement": {CRT, DATA_ADMIN},
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


def _route_records(make, clinic, signed_in) -> dict:
    """Real records for the <uuid:...> parts of URLs, all at the signed-in user's clinic.

    Records a peer educator may only see when they are theirs (referral slips,
    tracing) belong to the signed-in peer educator, or to another one otherwise.
    """
    from clinic_app.outreach.models import Hotspot, HotspotKind, Referral, ReferralService, TracingAssignment
    from clinic_app.outreach.referrals import unique_code

    staff = make.user(role="nurse", clinic=clinic)
    peer = signed_in if signed_in is not None and signed_in.role == Role.PEER_EDUCATOR else None
    peer = peer or make.user(role="peer_educator", clinic=clinic)
    client = make.client(registered_by=staff)
    visit = make.visit(client=client, recorded_by=staff)
    hotspot = Hotspot(clinic_id=clinic.id, name="Truck stop", kind=HotspotKind.TRUCK_STOP)
    referral = Referral(
        clinic_id=clinic.id,
        peer_educator_id=peer.id,
        code=unique_code(),
        service=ReferralService.HIV_TEST,
        issued_on=date(2026, 11, 1),
        expires_on=date(2026, 12, 1),
        submission_key=uuid.uuid4(),
    )
    tracing = TracingAssignment(
        clinic_id=clinic.id,
        client_id=client.id,
        peer_educator_id=peer.id,
        assigned_by_id=staff.id,
        assigned_on=date(2026, 11, 1),
        reason="other",
    )
    db.session.add_all([hotspot, referral, tracing])
    db.session.commit()
    from tests.crisis.fundkit import make_application, make_case, make_fund

    # A case the signed-in user may read (one they reported, or any for the coordinator), and a fund
    # application on it that they may open: their own, or someone else's for the coordinator to decide.
    works_cases = signed_in is not None and signed_in.role in (Role.PEER_EDUCATOR, Role.NURSE)
    case = make_case(clinic, signed_in if works_cases else staff)
    fund = make_fund(clinic)
    application = make_application(fund, case, signed_in if works_cases else staff)
    follow_up = _done_follow_up(case)
    return {
        "follow_up_id": follow_up.id,
        "client_id": client.id,
        "visit_id": visit.id,
        "clinic_id": clinic.id,
        "user_id": staff.id,
        "hotspot_id": hotspot.id,
        "referral_id": referral.id,
        "assignment_id": tracing.id,
        "case_id": case.id,
        "fund_id": fund.id,
        "application_id": application.id,
    }


def _done_follow_up(case):
    """A follow-up of the case, assigned to the one who reported it, already done (the case can be closed)."""
    from clinic_app.crisis.models import FollowUp

    follow_up = FollowUp(
        clinic_id=case.clinic_id,
        case_id=case.id,
        due_on=date(2026, 11, 25),
        assigned_to_id=case.reported_by_id,
        created_by_id=case.reported_by_id,
        done_at=datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
    )
    db.session.add(follow_up)
    db.session.commit()
    return follow_up


def _example_arguments(endpoint: str) -> dict:
    """Values for URL parts that are not record ids, by endpoint (a new one must be added here)."""
    from clinic_app.duelists.services import DUE_LISTS
    from clinic_app.reports.quality import CHECKS

    return {
        "duelists.show": {"name": next(iter(DUE_LISTS))},
        "reports.quality_list": {"code": CHECKS[0].code},
        "auth.confirm_grant": {"seq": 1},  # an audit line's number (no flagged line: a message, no change)
    }.get(endpoint, {})


# Query strings a page needs to answer 200 (report choices are parameters, never client data).
EXAMPLE_QUERIES = {
    "reports.preview": "?format_code=clinic_monthly&period_code=2026-10",
    "reports.download": "?format_code=clinic_monthly&period_code=2026-10&as=json",
    "reports.download_exact": "?format_code=clinic_monthly&period_code=2026-10",
    "reports.quality_list": "?period_code=2026-10",
}


def _url(app, endpoint: str, rule: str, ids: dict) -> str:
    [route] = [r for r in app.url_map.iter_rules() if r.endpoint == endpoint and r.rule == rule]
    values = {**ids, **_example_arguments(endpoint)}
    needed = set(route.arguments) - set(route.defaults or {})
    missing = needed - set(values)
    assert not missing, f"give an example value for {missing} of {endpoint} in _route_records or _example_arguments"
    return route.build({name: values[name] for name in needed}, append_unknown=False)[1] + EXAMPLE_QUERIES.get(
        endpoint, ""
    )


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value if r else "anonymous")
@pytest.mark.parametrize(("endpoint", "rule", "method"), RULES, ids=[f"{e}:{r}" for e, r, _ in RULES])
def test_route_answers_each_role_as_the_table_says(app, client, make, clinic, sign_in_as, endpoint, rule, method, role):
    action = required_action(app.view_functions[endpoint])
    user = make.user(role=role, clinic=clinic) if role is not None else None
    url = _url(app, endpoint, rule, _route_records(make, clinic, user))
    if user is not None:
        sign_in_as(user)
    response = client.open(url, method=method)

    if action == PUBLIC and endpoint.startswith("network.api_"):
        assert response.status_code == 404  # the sync API (signed requests, no session) exists only on a hub
        return
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
