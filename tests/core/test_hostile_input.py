"""Hostile input costs nothing: generated posts to every form, hostile queries and paths,
stored text shown escaped, strict headers, and no client data in URLs or logs."""

import inspect
import itertools
import logging
import re
import uuid
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, unquote_plus, urljoin, urlsplit

import pytest
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict
from wtforms import DateField, FormField, IntegerField

import clinic_app
from clinic_app.auth.models import User
from clinic_app.clients.models import Client
from clinic_app.clinics.models import Clinic
from clinic_app.core.permissions import PUBLIC, Role, required_action, role_can
from clinic_app.core.timeutil import local_today
from clinic_app.duelists.services import DUE_LISTS
from clinic_app.extensions import db
from clinic_app.outreach.models import Referral
from clinic_app.visits.models import Visit
from tests.core.test_permissions import _ROUTE_APP, EXAMPLE_QUERIES, _route_records, _url
from tests.factories import PASSWORD

XSS_SCRIPT = "<script>alert(1)</script>"
XSS_IMG = '"><img src=x onerror=alert(1)>'
# What a page may never contain: the payloads above as live markup.
UNESCAPED = (XSS_SCRIPT, "onerror=alert(1)>")
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"

HOSTILE_VALUES = (
    # very long
    "A" * 10_000,
    "é" * 10_000,
    XSS_SCRIPT * 400,
    # control characters and NUL
    "\x00",
    "a\x00b",
    "\x01\x02\x1b[2J\x7f",
    "\r\n\t",
    "\u2028\u2029",
    # unicode: right-to-left, emoji, combining marks, byte-order mark, full-width and Arabic digits
    "\u202eevil\u202c",
    "مرحبا",
    "😀👩🏽‍⚕️🏳️‍🌈",
    "e\u0301\u0302\u0303\u0304",
    "\ufeff",
    "Ａ１",
    "١٢٣",
    # SQL
    "' OR 1=1 --",
    "'; DROP TABLE clients; --",
    "1' UNION SELECT password_hash FROM users --",
    "%",
    "_",
    "\\",
    # HTML, script and template syntax
    XSS_SCRIPT,
    XSS_IMG,
    "javascript:alert(1)",
    "{{ 7*7 }}",
    # wrong types
    "abc",
    "12abc",
    "1.5",
    "0x1F",
    " 7 ",
    "NaN",
    # huge and negative numbers
    str(10**30),
    "-1",
    "1e309",
    str(2**63),
    str(-(2**63) - 1),
    # bad dates
    "2026-02-30",
    "0000-00-00",
    "9999-12-31",
    "0001-01-01",
    "2026-13-45",
    "31/12/2026",
    "20261120",
    "12345",
    # empty
    "",
    " ",
)

# Rows a refused request may still add: the audit trail (and its head) and the sign-in throttle.
MAY_GROW = {"audit_events", "audit_head", "sign_in_throttles"}

# The first of these roles that the permission table lets use a route is the one that visits it:
# a data administrator may do all a nurse may, and sees more (merge, downloads).
ROLE_ORDER = (Role.DATA_ADMIN, Role.NURSE, Role.PEER_EDUCATOR, Role.ADMIN, Role.ME_OFFICER, Role.CRT_COORDINATOR)

HOSTILE = settings(
    max_examples=15,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)


def _rules(method: str) -> list[tuple[str, str]]:
    return sorted(
        (rule.endpoint, rule.rule)
        for rule in _ROUTE_APP.url_map.iter_rules()
        if method in rule.methods
        and rule.endpoint != "static"
        # The hub's sync API takes signed, compressed JSON, not forms: tests/network sends it forged,
        # replayed and tampered requests.
        and not rule.endpoint.startswith("network.api_")
        # The phone's outbox sends JSON entries, not forms: tests/outreach/test_offline.py and
        # tests/crisis/test_offline.py send it unreadable, foreign and repeated entries.
        and rule.endpoint not in ("outreach.offline_contact", "outreach.offline_referral", "crisis.offline_case")
    )


POST_RULES = _rules("POST")
GET_RULES = _rules("GET")


def _ids(rules):
    return [f"{endpoint}:{rule}" for endpoint, rule in rules]


def _role_for(app, endpoint: str) -> Role | None:
    action = required_action(app.view_functions[endpoint])
    if action == PUBLIC:
        return None
    return next(role for role in ROLE_ORDER if role_can(role, action))


@pytest.fixture
def open_route(app, make, clinic, sign_in_as):
    """Sign in as a role that may use a route; give its URL (real ids) and the records behind them."""

    def visit(endpoint: str, rule: str):
        role = _role_for(app, endpoint)
        user = make.user(role=role, clinic=clinic) if role is not None else None
        records = _route_records(make, clinic, user)
        records["spare_number"] = make.client(clinic=clinic).client_number  # a second record, to merge
        if user is not None:
            sign_in_as(user)
        return user, _url(app, endpoint, rule, records), records

    return visit


# --- reading pages ----------------------------------------------------------------------


class _Page(HTMLParser):
    """What a page holds: its forms (field names, and what a browser would send untouched), links, inline code."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self.links: list[str] = []
        self.inline: list[str] = []
        self._form = None
        self._by_id: dict[str, dict] = {}
        self._elsewhere: list[tuple[str, list]] = []  # fields placed outside their form (form="id")
        self._select = None
        self._textarea = None
        self._script = None

    def _add(self, form_id: str | None, name: str, values: list) -> None:
        if form_id:
            self._elsewhere.append((form_id, (name, values)))
        elif self._form is not None:
            self._form["fields"].append((name, values))

    def handle_starttag(self, tag, attrs):
        a = {key: value or "" for key, value in attrs}
        self._note_links_and_inline_code(tag, a)
        if tag == "form":
            self._form = {"method": (a.get("method") or "get").lower(), "action": a.get("action", ""), "fields": []}
            self.forms.append(self._form)
            if a.get("id"):
                self._by_id[a["id"]] = self._form
        elif tag in ("input", "select", "textarea") and a.get("name"):
            sent: list[str] = []
            self._add(a.get("form"), a["name"], sent)
            if tag == "select":
                self._select = {"sent": sent, "first": None, "multiple": "multiple" in a}
            elif tag == "textarea":
                self._textarea = sent
                sent.append("")
            elif a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    sent.append(a.get("value") or "on")
            elif a.get("type") not in ("submit", "button", "reset", "image", "file"):
                sent.append(a.get("value", ""))
        elif tag == "option" and self._select is not None:
            if self._select["first"] is None:
                self._select["first"] = a.get("value", "")
            if "selected" in a:
                self._select["sent"].append(a.get("value", ""))

    def _note_links_and_inline_code(self, tag: str, a: dict) -> None:
        for key in ("href", "action", "src", "formaction"):
            if key in a:
                self.links.append(a[key])
        for key in a:
            if key.startswith("on") or key == "style":
                self.inline.append(f"<{tag} {key}={a[key]!r}>")
        if a.get("href", "").strip().lower().startswith("javascript:"):
            self.inline.append(f"<{tag} href={a['href']!r}>")
        if tag == "style":
            self.inline.append("<style> element")
        if tag == "script":
            self._script = "src" in a

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None:
            chosen = self._select
            if not chosen["sent"] and not chosen["multiple"] and chosen["first"] is not None:
                chosen["sent"].append(chosen["first"])
            self._select = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "script":
            self._script = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[-1] += data
        if self._script is False and data.strip():
            self.inline.append(f"<script>{data.strip()[:60]}")

    def close(self):
        super().close()
        for form_id, field in self._elsewhere:
            if form_id in self._by_id:
                self._by_id[form_id]["fields"].append(field)


def _untouched(form: dict) -> list[tuple[str, str]]:
    """What a browser sends for a form as the page shows it."""
    return [(name, value) for name, values in form["fields"] for value in values]


def _read(response) -> _Page:
    page = _Page()
    page.feed(response.get_data(as_text=True))
    page.close()
    return page


def _fetch(client, url: str, method: str = "GET", **kwargs):
    """A request whose answer is read in full and closed (downloads are streamed)."""
    response = client.open(url, method=method, **kwargs)
    response.get_data()
    response.close()
    return response


def _is_html(response) -> bool:
    return response.mimetype == "text/html"


def _unescaped(response) -> str | None:
    """The payload a page shows as live markup, if any."""
    if not _is_html(response):
        return None  # a CSV or spreadsheet download is not read as HTML (nosniff)
    body = response.get_data(as_text=True)
    return next((payload for payload in UNESCAPED if payload in body), None)


def _assert_escaped(response, what: str) -> None:
    payload = _unescaped(response)
    assert payload is None, f"{what}: the page shows {payload!r} unescaped"


# --- the fields of a form -----------------------------------------------------------------


def _form_classes(view) -> list[type]:
    """The FlaskForm classes a view names (so a POST-only route's form is known without its page)."""
    view = inspect.unwrap(view)
    named = (view.__globals__.get(name) for name in view.__code__.co_names)
    return [obj for obj in named if isinstance(obj, type) and issubclass(obj, FlaskForm)]


def _flat(form):
    for field in form:
        if isinstance(field, FormField):
            yield from _flat(field.form)
        else:
            yield field


def _example_posts(records: dict, today: date) -> dict[str, dict]:
    """A valid submission for the forms whose page, left as it is, is not one (edit forms are).

    Hypothesis makes one to three fields of it hostile, so that hostile values reach the
    services and the database. A form missing here is still posted to, only less deeply.
    """
    client = db.session.get(Client, records["client_id"])
    peer_id = db.session.get(Referral, records["referral_id"]).peer_educator_id
    staff = db.session.get(User, records["user_id"])
    day = today.isoformat()
    return {
        "auth.login": {"username": staff.username, "password": PASSWORD},
        "auth.account": {"current_password": PASSWORD, "new_password": "a long enough new passphrase"},
        "auth.set_language": {"language": "pt"},
        "auth.new_user": {
            "username": "new.user{n}",
            "display_name": "New user",
            "password": "a long enough passphrase",
            "role": "nurse",
            "language": "en",
        },
        "clinics.new": {"code": "N{n}", "name": "New clinic", "country": "ZA", "timezone": "Africa/Johannesburg"},
        "clients.search": {"term": client.client_number},
        "clients.register": {**_registration(), "enrolled_on": day},
        "clients.merge_preview": {"duplicate_number": records["spare_number"]},
        "clients.merge": {"duplicate_number": records["spare_number"]},
        "visits.new": {"service_date": "{day}", "visit_type": "return", "reasons": "general", "notes": "Well."},
        "outreach.new_contact": {
            "contact_date": day,
            "kind": "individual",
            "hiv_info": "y",
            "male_condoms": "10",
            "submission_key": "{uuid}",
        },
        "outreach.new_referral": {
            "service": "hiv_test",
            "client_number": client.client_number,
            "submission_key": "{uuid}",
        },
        "outreach.tracing_outcome": {"outcome": "reached"},
        "outreach.assign_tracing": {"peer_id": str(peer_id), "client_ids": str(client.id), "reason": "other"},
        "outreach.new_training": {
            "held_on": day,
            "topic": "hiv_prevention",
            "facilitator": "Nurse",
            "other_attendees": "12",
            "submission_key": "{uuid}",
        },
        "outreach.hotspot_form": {"name": "Market {n}", "kind": "bar", "is_active": "y"},
        "reports.line_list": {"period_code": "2026-10", "output": "zip"},
        "reports.download_exact": {"reason": "donor_entry", "note": "DATIM", "output": "json"},
        "crisis.new_fund": {"name": "Fund {n}", "currency": "ZAR", "opening_balance": "100", "opened_on": day},
        "crisis.fund_detail": {"amount": "50", "received_on": day, "submission_key": "{uuid}"},
        "crisis.fund_apply": {
            "fund_id": str(records["fund_id"]),
            "purpose": "medical",
            "amount": "25",
            "submission_key": "{uuid}",
        },
        "crisis.fund_decide": {"decision": "approve", "reason": "Hospital bill"},
        "crisis.fund_pay": {"paid_on": day, "method": "cash", "receipt_ref": "R1"},
        "crisis.new_case": {
            "survivor_kind": "anonymous",
            "violations": "physical",
            "incident_on": day,
            "channel": "hotline",
            "keep_record": "y",
            "submission_key": "{uuid}",
        },
        "crisis.record_action": {"kind": "first_contact", "status": "provided", "done_on": day},
        "crisis.add_follow_up": {"due_on": day, "note": "Call her"},
        "crisis.consent": {"purpose": "advocacy"},
        "crisis.assign": {"user_id": str(staff.id)},
        "crisis.close": {"outcome": "resolved", "perpetrator_outcome": "none"},
        "crisis.link_visit": {"case_id": str(records["case_id"])},
    }


def _kind(field) -> str:
    if isinstance(field, DateField):
        return "date"
    if isinstance(field, IntegerField):
        return "number"
    return "text"


def _post_form(app, client, endpoint: str, rule: str, url: str, records: dict) -> tuple[dict[str, str], list]:
    """The fields of a route's form (name: kind), and a submission of it that is valid where one is known.

    Names come from the form classes the view uses and from the page's own forms that post
    to this URL; the submission is the page's form as a browser would send it untouched,
    with the route's example values over it.
    """
    kinds = {"unexpected_field": "text"}
    with app.test_request_context(url, method="POST"):
        for form_class in _form_classes(app.view_functions[endpoint]):
            kinds.update((field.name, _kind(field)) for field in _flat(form_class(meta={"csrf": False})))
    untouched: list[tuple[str, str]] = []
    [route] = [r for r in app.url_map.iter_rules() if r.endpoint == endpoint and r.rule == rule]
    if "GET" in route.methods:
        page = _fetch(client, url)
        assert page.status_code < 500, f"GET {url} answered {page.status_code}"
        for form in _read(page).forms:
            if form["method"] == "post" and urlsplit(urljoin(url, form["action"])).path == urlsplit(url).path:
                kinds.update((name, kinds.get(name, "text")) for name, _values in form["fields"])
                untouched += _untouched(form)
    example = _example_posts(records, local_today(db.session.get(Clinic, records["clinic_id"]).timezone))
    overrides = example.get(endpoint, {})
    valid = [(name, value) for name, value in untouched if name not in overrides]
    valid += [(name, value) for name, value in overrides.items()]
    kinds.update((name, kinds.get(name, "text")) for name in overrides)
    return kinds, valid


_hostile_value = st.one_of(
    st.sampled_from(HOSTILE_VALUES),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=20),
)
# A field left out, sent once, or sent several times.
_hostile_field = st.one_of(
    st.just([]),
    _hostile_value.map(lambda value: [value]),
    st.lists(_hostile_value, min_size=2, max_size=3),
)


@st.composite
def hostile_posts(draw, names: list[str], valid: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Form data where every field is hostile, or a valid submission with one to three hostile fields."""
    if draw(st.booleans()):
        hostile, pairs = names, []
    else:
        hostile = sorted(draw(st.sets(st.sampled_from(names), min_size=1, max_size=3)))
        pairs = [(name, value) for name, value in valid if name not in hostile]
    for name in hostile:
        pairs.extend((name, value) for value in draw(_hostile_field))
    return pairs


_serial = itertools.count(1)


def _filled(pairs) -> list[tuple[str, str]]:
    """The pairs with this post's values for the placeholders of the examples."""
    n = next(_serial)
    day = (date.today() - timedelta(days=n % 250 + 1)).isoformat()  # a different past day per post
    values = {"{n}": str(n), "{day}": day, "{uuid}": str(uuid.uuid4())}
    return [(name, values.get(value, value.replace("{n}", str(n)))) for name, value in pairs]


def _short(value: str) -> str:
    return value if len(value) <= 40 else f"{value[:12]}...({len(value)} chars)"


def _shown(pairs) -> str:
    """Form data short enough for an assertion message."""
    return repr([(name, _short(value)) for name, value in pairs])


def _row_counts() -> dict[str, int]:
    """Rows in every table, in one query."""
    tables = db.metadata.sorted_tables
    counts = db.session.execute(select(*(select(func.count()).select_from(t).scalar_subquery() for t in tables)))
    row = counts.one()
    db.session.rollback()  # end the reading transaction (the requests share this session)
    return {table.name: n for table, n in zip(tables, row, strict=True)}


def _post_problem(client, url: str, pairs) -> str | None:
    """What went wrong when posting ``pairs``: a 5xx, rows stored by a refusal, or markup echoed."""
    before = _row_counts()
    response = _fetch(client, url, data=MultiDict(pairs), method="POST")
    status = response.status_code
    if status >= 500:
        return f"answered {status}"
    if _unescaped(response):
        return f"answered {status} showing {_unescaped(response)!r} unescaped"
    if 400 <= status < 500:
        after = _row_counts()
        stored = {table: after[table] - before[table] for table in after if after[table] != before[table]}
        stored = {table: change for table, change in stored.items() if table not in MAY_GROW}
        if stored:
            return f"answered {status} yet changed row counts {stored}"
    location = response.headers.get("Location", "")
    if 300 <= status < 400 and location.startswith("/"):
        target = _fetch(client, location)
        if target.status_code >= 500:
            return f"redirected to {location}, which answered {target.status_code}"
        if _unescaped(target):
            return f"redirected to {location}, which shows {_unescaped(target)!r} unescaped"
    return None


def _fresh_browser(client, sign_in_as, user) -> None:
    """The same browser for every post: an earlier one may have signed in, out, or changed the password."""
    with client.session_transaction() as session:
        session.clear()
    if user is not None:
        sign_in_as(user)


# --- 1. generated posts to every form ---------------------------------------------------------


@pytest.mark.parametrize(("endpoint", "rule"), POST_RULES, ids=_ids(POST_RULES))
def test_valid_submission_is_accepted(app, client, open_route, endpoint, rule):
    """The submission the hostile posts start from passes, so their hostile fields reach the services."""
    _user, url, records = open_route(endpoint, rule)
    _names, valid = _post_form(app, client, endpoint, rule, url, records)
    pairs = _filled(valid)
    response = _fetch(client, url, method="POST", data=MultiDict(pairs))
    assert response.status_code in (200, 302), f"POST {url} refused {_shown(pairs)}: {response.status_code}"


@pytest.mark.parametrize(("endpoint", "rule"), POST_RULES, ids=_ids(POST_RULES))
def test_hostile_form_posts_never_fail_store_or_echo_markup(app, client, open_route, sign_in_as, endpoint, rule):
    user, url, records = open_route(endpoint, rule)
    kinds, valid = _post_form(app, client, endpoint, rule, url, records)

    @HOSTILE
    @given(pairs=hostile_posts(sorted(kinds), valid))
    def post(pairs):
        _fresh_browser(client, sign_in_as, user)
        sent = _filled(pairs)
        problem = _post_problem(client, url, sent)
        assert problem is None, f"POST {url} {problem} for {_shown(sent)}"

    post()


# One field at a time, in an otherwise valid form, with the values likeliest to break a service
# or a database for its kind of field (random draws seldom put a given value in a given field).
EDGE_VALUES = {
    "text": ("a\x00b", "A" * 10_000),
    "date": ("9999-12-31", "0001-01-01"),
    "number": (str(10**30), "-1"),
}


@pytest.mark.parametrize(("endpoint", "rule"), POST_RULES, ids=_ids(POST_RULES))
def test_each_field_alone_survives_edge_values(app, client, open_route, sign_in_as, endpoint, rule):
    user, url, records = open_route(endpoint, rule)
    kinds, valid = _post_form(app, client, endpoint, rule, url, records)
    problems = []
    for name, kind in sorted(kinds.items()):
        for value in EDGE_VALUES[kind]:
            _fresh_browser(client, sign_in_as, user)
            pairs = _filled([(n, v) for n, v in valid if n != name] + [(name, value)])
            problem = _post_problem(client, url, pairs)
            if problem:
                problems.append(f"{name}={_short(value)!r}: {problem}")
    assert not problems, f"POST {url} (otherwise valid form):\n" + "\n".join(problems)


# --- 2. stored text is shown escaped ------------------------------------------------------------


def _registration(**overrides) -> dict:
    return {
        "mother_letters": "MA",
        "own_letters": "JO",
        "sex": "female",
        "date_of_birth": "1992-08-15",
        "key_population": "fsw",
        "nationality": "ZW",
        "enrolled_on": "2026-01-10",
        "consent_given": "y",
        "confirm_new": "y",
        **overrides,
    }


def test_alias_and_visit_note_with_markup_are_shown_escaped(client, sign_in_as, nurse):
    sign_in_as(nurse)
    registered = _fetch(client, "/clients/new", data=_registration(alias=XSS_SCRIPT), method="POST")
    assert registered.status_code == 302
    record = db.session.scalars(select(Client)).one()
    assert record.alias == XSS_SCRIPT

    note = f"<b>bold</b>{XSS_SCRIPT}{XSS_IMG}"
    recorded = _fetch(
        client,
        f"/visits/for/{record.id}/new",
        method="POST",
        data={"service_date": "2026-11-01", "visit_type": "new", "reasons": "general", "notes": note},
    )
    assert recorded.status_code == 302, recorded.get_data(as_text=True)
    visit = db.session.scalars(select(Visit)).one()
    assert visit.notes == note

    pages = {
        "client page": _fetch(client, f"/clients/{record.id}"),
        "visit page": _fetch(client, f"/visits/{visit.id}"),
        "visit correction form": _fetch(client, f"/visits/{visit.id}/edit"),
        "client edit form": _fetch(client, f"/clients/{record.id}/edit"),
        "search results": _fetch(client, "/clients/", data={"term": XSS_SCRIPT}, method="POST"),
        "visit list": _fetch(client, "/visits/"),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        _assert_escaped(response, name)
        assert "<b>bold</b>" not in response.get_data(as_text=True), name
    for name in ("client page", "client edit form", "search results"):
        assert ESCAPED_SCRIPT in pages[name].get_data(as_text=True), name
    for name in ("visit page", "visit correction form"):
        body = pages[name].get_data(as_text=True)
        assert "&lt;b&gt;bold&lt;/b&gt;" + ESCAPED_SCRIPT in body, name
        assert "&lt;img src=x onerror=alert(1)&gt;" in body, name


# --- 3. hostile query strings and paths on every GET route ------------------------------------

HOSTILE_QUERY_VALUES = (
    "-1",
    str(10**30),
    "abc",
    "1e309",
    "' OR 1=1 --",
    "'; DROP TABLE clients; --",
    XSS_SCRIPT,
    XSS_IMG,
    "\x00",
    "A" * 2_000,
    "2026-02-30",
    "9999-12-31",
    str(uuid.uuid4()),
)
# Parameter names that mean something to url_for or to the view's own arguments.
HOSTILE_QUERY_NAMES = ("_external", "_scheme", "_anchor", "_method", "endpoint", "name", "code", "client_id")
MALFORMED_IDS = ("not-a-uuid", "12345", "%27%3B--", "%00", "0" * 40)


def _query_names(response) -> set[str]:
    """The parameters a page's own GET forms send (its filters)."""
    names = set()
    for form in _read(response).forms:
        if form["method"] == "get":
            names.update(name for name, _values in form["fields"])
    return names


def _with_query(url: str, params: list[tuple[str, str]]) -> str:
    base, _, _query = url.partition("?")
    return base + "?" + "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in params)


@pytest.mark.parametrize(("endpoint", "rule"), GET_RULES, ids=_ids(GET_RULES))
def test_hostile_query_strings_never_fail(app, client, open_route, endpoint, rule):
    _user, url, _records = open_route(endpoint, rule)
    first = _fetch(client, url)
    assert first.status_code < 500
    example = [
        tuple(pair.split("=", 1)) for pair in EXAMPLE_QUERIES.get(endpoint, "").lstrip("?").split("&") if "=" in pair
    ]
    names = sorted(_query_names(first) | {"page"} | {name for name, _ in example})
    failures = []
    for name in names:
        for value in HOSTILE_QUERY_VALUES:
            params = [(k, v) for k, v in example if k != name] + [(name, value)]
            target = _with_query(url, params)
            response = _fetch(client, target)
            if response.status_code >= 500:
                failures.append((name, _short(value), response.status_code))
            _assert_escaped(response, f"GET {target[:200]}")
    for name in HOSTILE_QUERY_NAMES:
        target = _with_query(url, [*example, ("page", "2"), (name, "javascript")])
        response = _fetch(client, target)
        if response.status_code >= 500:
            failures.append((name, "javascript", response.status_code))
    assert not failures, f"GET {url} failed for (parameter, value, status): {failures}"


UUID_PART = re.compile(r"<uuid:[^>]+>")
TEXT_PART = re.compile(r"<(?:string:)?[a-z_]+>")


PARAMETRISED_GET_RULES = [(endpoint, rule) for endpoint, rule in GET_RULES if "<" in rule]


@pytest.mark.parametrize(("endpoint", "rule"), PARAMETRISED_GET_RULES, ids=_ids(PARAMETRISED_GET_RULES))
def test_unknown_and_malformed_path_parts_are_not_found(open_route, client, endpoint, rule):
    open_route(endpoint, rule)
    paths = [UUID_PART.sub(str(uuid.uuid4()), rule)]
    paths += [UUID_PART.sub(bad, rule) for bad in MALFORMED_IDS if UUID_PART.search(rule)]
    if TEXT_PART.search(rule):
        for bad in (XSS_SCRIPT, "' OR 1=1 --", "\x00", "A" * 2_000, "..", "%2e%2e%2fetc"):
            paths.append(UUID_PART.sub(str(uuid.uuid4()), TEXT_PART.sub(quote(bad, safe="%"), rule)))
    for path in paths:
        response = _fetch(client, path)
        assert response.status_code == 404, f"GET {path[:200]} answered {response.status_code}"
        _assert_escaped(response, f"GET {path[:200]}")


# --- 4. security headers on every page; nothing inline that the CSP would block -------------


def _assert_strict_headers(response, what: str) -> None:
    headers = response.headers
    csp = [part.strip() for part in headers.get("Content-Security-Policy", "").split(";")]
    assert "default-src 'self'" in csp, what
    assert "script-src 'self'" in csp, what
    assert "frame-ancestors 'none'" in csp, what
    assert "unsafe-inline" not in headers["Content-Security-Policy"], what
    assert headers.get("X-Content-Type-Options") == "nosniff", what
    assert headers.get("Referrer-Policy") == "no-referrer", what
    assert "no-store" in headers.get("Cache-Control", ""), what


@pytest.mark.parametrize(("endpoint", "rule"), GET_RULES, ids=_ids(GET_RULES))
def test_every_page_carries_strict_headers_and_no_inline_code(open_route, client, endpoint, rule):
    _user, url, _records = open_route(endpoint, rule)
    response = _fetch(client, url)
    assert response.status_code in (200, 302), url
    _assert_strict_headers(response, url)
    if _is_html(response):
        assert _read(response).inline == [], url


@pytest.mark.parametrize("path", ["/auth/login", "/no/such/page", "/auth/logout"])
def test_sign_in_and_error_pages_carry_strict_headers(client, path):
    response = _fetch(client, path)
    _assert_strict_headers(response, path)
    assert _read(response).inline == []


TEMPLATES = Path(clinic_app.__file__).parent / "templates"
INLINE_IN_TEMPLATES = {
    "inline script": re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.IGNORECASE),
    "script with content": re.compile(r"<script\b[^>]*>\s*[^<\s]", re.IGNORECASE),
    "style attribute": re.compile(r"<[a-z][^>]*\sstyle\s*=", re.IGNORECASE),
    "style element": re.compile(r"<style\b", re.IGNORECASE),
    "event handler": re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE),
    "javascript: link": re.compile(r"""href\s*=\s*["']?\s*javascript:""", re.IGNORECASE),
}


def test_inline_code_detectors_catch_inline_code():
    samples = {
        "inline script": "<script>alert(1)</script>",
        "script with content": "<script>alert(1)</script>",
        "style attribute": '<div class="x" style="color: red">',
        "style element": "<style>p {}</style>",
        "event handler": '<img src="x" onerror="alert(1)">',
        "javascript: link": '<a href="javascript:alert(1)">',
    }
    for kind, sample in samples.items():
        assert INLINE_IN_TEMPLATES[kind].search(sample), kind
        page = _Page()
        page.feed(sample)
        page.close()
        assert page.inline, kind
    allowed = '<script src="/static/js/app.js" defer></script><a href="/x" class="on">'
    assert not any(pattern.search(allowed) for pattern in INLINE_IN_TEMPLATES.values())


def test_templates_hold_no_inline_script_style_or_handler():
    templates = sorted(TEMPLATES.rglob("*.html"))
    assert templates
    found = [
        f"{path.relative_to(TEMPLATES)}: {kind}: {match.group(0)[:80]}"
        for path in templates
        for kind, pattern in INLINE_IN_TEMPLATES.items()
        for match in pattern.finditer(path.read_text())
    ]
    assert found == []


# --- 5. no client data in URLs --------------------------------------------------------------------


@pytest.fixture
def known_clients(make, nurse):
    """Clients with an alias and a phone, one of them on the missed-appointment list."""
    today = local_today("Africa/Harare")
    first = make.client(registered_by=nurse, alias="Sunflower", phone="+263771234567", phone_consent=True)
    second = make.client(
        registered_by=nurse, mother="TA", own="NI", alias="Nightjar", phone="+27821234567", phone_consent=True
    )
    make.visit(
        client=first,
        recorded_by=nurse,
        service_date=today - timedelta(days=40),
        next_appointment_on=today - timedelta(days=20),
    )
    return [first, second]


def _client_data(record: Client) -> list[str]:
    values = [record.client_number, record.client_number.replace("-", ""), record.uic, record.alias, record.phone]
    return [value.lower() for value in values if value]


def test_client_search_is_posted_and_never_read_from_the_url(client, sign_in_as, nurse, known_clients):
    sign_in_as(nurse)
    record = known_clients[0]
    for page in ("/", "/clients/"):
        forms = [f for f in _read(_fetch(client, page)).forms if "term" in dict(f["fields"])]
        assert forms, page
        assert all(form["method"] == "post" for form in forms), page
    for term in (record.client_number, record.alias, record.uic):
        by_url = _fetch(client, "/clients/", query_string={"term": term})
        assert by_url.status_code == 200
        assert record.client_number not in by_url.get_data(as_text=True)
    posted = _fetch(client, "/clients/", data={"term": record.alias}, method="POST")
    assert record.client_number in posted.get_data(as_text=True)


def test_links_on_the_nurses_pages_hold_no_client_data(client, sign_in_as, nurse, known_clients):
    sign_in_as(nurse)
    visit = db.session.scalars(select(Visit)).one()
    pages = {
        "home": _fetch(client, "/"),
        "visit list": _fetch(client, "/visits/"),
        "visit page": _fetch(client, f"/visits/{visit.id}"),
        "due lists": _fetch(client, "/duelists/"),
        "search results": _fetch(client, "/clients/", data={"term": known_clients[0].alias}, method="POST"),
        **{f"due list {name}": _fetch(client, f"/duelists/{name}") for name in DUE_LISTS},
        **{f"client {c.client_number}": _fetch(client, f"/clients/{c.id}") for c in known_clients},
    }
    assert known_clients[0].client_number in pages["due list missed_appointment"].get_data(as_text=True)
    secrets = [value for record in known_clients for value in _client_data(record)]
    leaks = []
    for name, response in pages.items():
        assert response.status_code == 200, name
        links = _read(response).links
        assert links, name
        for link in links:
            plain = unquote_plus(link).lower()
            leaks += [(name, link) for secret in secrets if secret in plain]
    assert leaks == []


# --- 6. logs ------------------------------------------------------------------------------------------


@pytest.fixture
def app_logs(caplog, monkeypatch):
    """Every record of the app's loggers (any level) and of any other at WARNING or above.

    Loggers that an in-process migration disabled are enabled again, so that these checks
    see what the app would write (see test_unexpected_error_is_logged_with_its_type).
    """
    for logger in list(logging.root.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger) and logger.disabled:
            monkeypatch.setattr(logger, "disabled", False)
    caplog.set_level(logging.DEBUG, logger="clinic_app")
    return caplog


def _logged(caplog) -> str:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(formatter.format(record) for record in caplog.records)


ALIAS, PHONE = "Marigold", "+263 77 765 4321"


def test_alias_phone_and_search_term_stay_out_of_the_logs(client, sign_in_as, nurse, app_logs):
    sign_in_as(nurse)
    registered = _fetch(
        client, "/clients/new", data=_registration(alias=ALIAS, phone=PHONE, phone_consent="y"), method="POST"
    )
    assert registered.status_code == 302
    assert _fetch(client, registered.headers["Location"]).status_code == 200
    searched = _fetch(client, "/clients/", data={"term": ALIAS}, method="POST")
    assert ALIAS in searched.get_data(as_text=True)
    assert _fetch(client, "/clients/", data={"term": "Marig"}, method="POST").status_code == 200

    logged = _logged(app_logs).lower()
    for secret in (ALIAS, "marig", PHONE, "263777654321", "765 4321"):
        assert secret.lower() not in logged


def _break_the_search(monkeypatch):
    def broken_search(**_kwargs):
        raise ValueError(f"cannot search for {ALIAS} at {PHONE}")

    monkeypatch.setattr("clinic_app.clients.services.search_clients", broken_search)


def test_unexpected_error_shows_the_error_page_and_logs_its_type_only(client, sign_in_as, nurse, app_logs, monkeypatch):
    _break_the_search(monkeypatch)
    sign_in_as(nurse)
    response = _fetch(client, "/clients/", data={"term": ALIAS}, method="POST")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Something went wrong on our side. Nothing was saved. Please try again." in page
    assert ALIAS not in page
    logged = _logged(app_logs)
    assert "unhandled ValueError" in logged
    assert ALIAS not in logged
    assert PHONE not in logged
    assert not any(record.exc_info or record.exc_text for record in app_logs.records)  # no traceback


def test_unexpected_error_is_logged_with_its_type(client, sign_in_as, nurse, caplog, monkeypatch):
    """As the loggers are after the schema was migrated in this process (as the unlock page does)."""
    caplog.set_level(logging.DEBUG, logger="clinic_app")
    _break_the_search(monkeypatch)
    sign_in_as(nurse)
    assert _fetch(client, "/clients/", data={"term": ALIAS}, method="POST").status_code == 500
    disabled = logging.getLogger("clinic_app.core.errorpages").disabled
    assert "unhandled ValueError" in _logged(caplog), "the unexpected error was not logged" + (
        ": the logger clinic_app.core.errorpages is disabled; logging.config.fileConfig(alembic.ini) in "
        "migrations/env.py, run by flask_migrate.upgrade() in this process, disables every existing logger"
        if disabled
        else ""
    )
