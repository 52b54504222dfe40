"""Fixtures: a fresh database per test (SQLite, or PostgreSQL with TEST_DATABASE_URL),
the app, its test client, and a helper to sign in as any role."""

import dataclasses
import decimal
import enum
import hashlib
import os
import shutil
import uuid
from datetime import date, datetime, time

import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from flask_sqlalchemy import SQLAlchemy
from jinja2 import BytecodeCache
from sqlalchemy import event, inspect, select, text
from werkzeug.routing.rules import Rule

from clinic_app import create_app
from clinic_app.core.actor import Actor
from clinic_app.demo.seed import seed_demo
from clinic_app.extensions import db
from tests import factories


def _reuse_url_builders() -> None:
    """Each test makes its own app, and making one was 94 ms, 85 of them werkzeug compiling a URL
    builder (generated Python code) for each of the app's ~95 routes. The builder is a pure function of
    the rule (it reads the rule's converters through the rule it is bound to at call time), so the same
    rule's builder is compiled once per test process and bound to each new app's rule: 8 ms an app.
    Tests only; should werkzeug rename this private method, apps are made the slow way."""
    compile_builder = getattr(Rule, "_compile_builder", None)
    if compile_builder is None:
        return
    built: dict = {}

    def reused(self, append_unknown=True):
        key = (self.rule, tuple(self._trace), repr(sorted((self.defaults or {}).items())), append_unknown)
        if key not in built:
            built[key] = compile_builder(self, append_unknown)
        return built[key]

    Rule._compile_builder = reused


_reuse_url_builders()


def _share_compiled_statements() -> None:
    """Each test's app has its own engine, and SQLAlchemy keeps compiled SQL per engine and dialect
    object: every test compiled every statement it ran again (a quarter of a typical test's time).
    Engines made with the same options (all but the database file) share one dialect object and one
    compiled cache here, as a long-running app's single engine does. Tests only; an engine option
    that differs per app (a SQLCipher key's ``creator``) keeps its own."""
    make_engine = SQLAlchemy._make_engine
    shared: dict[tuple, tuple] = {}

    def make_sharing(self, bind_key, options, app):
        engine = make_engine(self, bind_key, options, app)
        if engine._compiled_cache is None:
            return engine
        others = sorted((name, repr(value)) for name, value in options.items() if name != "url")
        key = (type(engine.dialect), engine.url.drivername, repr(sorted(engine.url.query.items())), repr(others))
        dialect, cache = shared.setdefault(key, (engine.dialect, engine._compiled_cache))
        engine.dialect = dialect
        engine.pool._dialect = dialect
        engine._compiled_cache = cache
        return engine

    SQLAlchemy._make_engine = make_sharing


class _TemplateBytecode(BytecodeCache):
    """Jinja compiles each template again for each new app (each test's): the compiled code is kept
    per test process, keyed as Jinja keys it (the template's name and a checksum of its source)."""

    def __init__(self):
        self.kept: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.kept:
            bucket.bytecode_from_string(self.kept[bucket.key])

    def dump_bytecode(self, bucket):
        self.kept[bucket.key] = bucket.bytecode_to_string()


_share_compiled_statements()
_TEMPLATES = _TemplateBytecode()
PG_URL = os.environ.get("TEST_DATABASE_URL")
# Each test run gets its own PostgreSQL schema, so parallel runs never collide.
PG_SCHEMA = f"test_{os.getpid()}"
TODAY = date(2026, 11, 20)


def _config(uri: str, **extra) -> dict:
    engine_options = {}
    if uri.startswith("postgresql"):
        engine_options = {"connect_args": {"options": f"-csearch_path={PG_SCHEMA}"}}
    return {
        "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "AUDIT_KEY": "test-audit-key",
        "SQLALCHEMY_DATABASE_URI": uri,
        "WTF_CSRF_ENABLED": False,
        "CLINIC_CODE": "BBR",
        # Tests send requests from pretend phone addresses over the test client's plain HTTP.
        "REQUIRE_TLS_FROM_NETWORK": False,
        **extra,
    }


@pytest.fixture(scope="session")
def schema(tmp_path_factory):
    """Build the schema once, through the migrations, as a deployment would."""
    if PG_URL:
        app = create_app(_config(PG_URL))
        with app.app_context():
            db.session.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE; CREATE SCHEMA {PG_SCHEMA}"))
            db.session.commit()
            upgrade()
            db.engine.dispose()
        yield PG_URL
        with app.app_context():
            for kept in _PG_KEPT:  # the rows kept by _pg_keep
                db.session.execute(text(f"DROP SCHEMA IF EXISTS {kept} CASCADE"))
            db.session.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
            db.session.commit()
            db.engine.dispose()
        return
    template = tmp_path_factory.mktemp("schema") / "template.db"
    app = create_app(_config(f"sqlite:///{template}"))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    yield template


@pytest.fixture
def database_uri(schema, tmp_path):
    if PG_URL:
        yield PG_URL
        return
    target = tmp_path / "test.db"
    shutil.copy(schema, target)
    yield f"sqlite:///{target}"


def _empty_tables() -> None:
    tables = [t.name for t in db.metadata.sorted_tables]
    db.session.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
    db.session.commit()


class Browser(FlaskClient):
    """A test client whose every request starts with an empty ``g``, as when served.

    The ``app`` fixture keeps an app context pushed for the whole test (factories
    need it) and Flask reuses that context, and its ``g``, for test requests.
    Flask-Login caches the signed-in user in ``g`` and Flask-Babel the locale:
    without this, a request would see the user of the previous request, even
    another browser's or one that has since signed out. The database session is
    shared the same way.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            vars(g).clear()
            # A served request starts and ends with a fresh database session: end whatever
            # transaction the test's own reads left open on the shared session, and the request's
            # (a read-only page's transaction cannot turn into the test's next write).
            db.session.rollback()
        response = super().open(*args, **kwargs)
        if has_app_context():
            db.session.rollback()
        return response


@pytest.fixture
def app(database_uri, request):
    extra = getattr(request, "param", {}) or {}
    app = create_app(_config(database_uri, **extra))
    app.test_client_class = Browser
    app.jinja_env.bytecode_cache = _TEMPLATES
    with app.app_context():
        if PG_URL:
            _empty_tables()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make(app):
    """Factories for records: make.clinic(), make.user(role=...), make.client(), make.visit()."""
    return factories.Factory()


@pytest.fixture
def clinic(make):
    # A fixed id (each test has its own database), so a kept build can start from the same rows.
    return make.clinic(id=_fixed_id("BBR"), code="BBR", name="Beitbridge", country="ZW", timezone="Africa/Harare")


@pytest.fixture
def nurse(make, clinic):
    return make.user(role="nurse", clinic=clinic, username="nurse")


@pytest.fixture
def nurse_actor(nurse):
    return Actor(nurse, "test")


@pytest.fixture
def login(client):
    """Sign in through the real form; returns the response of the sign-in POST."""

    def sign_in(user, password=factories.PASSWORD):
        return client.post("/auth/login", data={"username": user.username, "password": password})

    return sign_in


@pytest.fixture
def count_queries(app):
    """Count SQL statements run inside the ``with`` block."""

    class Counter:
        def __init__(self):
            self.count = 0

        def __enter__(self):
            event.listen(db.engine, "before_cursor_execute", self._hit)
            return self

        def __exit__(self, *exc):
            event.remove(db.engine, "before_cursor_execute", self._hit)

        def _hit(self, *args):
            self.count += 1

    return Counter


@pytest.fixture
def other_clinic(make):
    return make.clinic(id=_fixed_id("NGO"), code="NGO", name="Ngodwana", country="ZA", timezone="Africa/Johannesburg")


def _fixed_id(code: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"test-clinic:{code}")


@pytest.fixture
def sign_in_as(client):
    """Give a test client the session that login_user gives, without the sign-in form.

    For tests whose subject is not signing in: the form costs an argon2 check per
    call. ``sign_in_as(user, on=other_client)`` signs in a second browser.
    """

    def sign_in(user, on=None):
        browser = on or client
        with browser.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        return browser

    return sign_in


@pytest.fixture
def in_request(app):
    """A request context around a test, as when a view calls a service.

    Services themselves must work without one (the command line calls them so):
    the service tests of auth, clients and visits run without this fixture.
    """
    with app.test_request_context():
        yield


# The demo network seeded once per test process and size, kept as a file (SQLite only).
_DEMO_COPIES: dict[int, object] = {}


def _seed_postgres_copy(n_clients: int) -> None:
    """PostgreSQL: the first demo test of a process seeds through the services, and its rows are kept in
    a schema of their own (``demo_<pid>_<n>``); later tests copy them back (``_pg_restore``)."""
    kept = _DEMO_COPIES.get(n_clients)
    if kept is None:
        seed_demo(n_clients=n_clients)
        db.session.commit()
        kept = _pg_keep(f"demo_{os.getpid()}_{n_clients}")
        _DEMO_COPIES[n_clients] = kept
        return
    _pg_restore(kept)


# Every schema of kept rows this process made (the schema fixture drops them at the end).
_PG_KEPT: list[str] = []


def _pg_keep(kept: str) -> str:
    """PostgreSQL: copy every table's rows into a schema of their own, ``kept``."""
    db.session.execute(text(f"DROP SCHEMA IF EXISTS {kept} CASCADE; CREATE SCHEMA {kept}"))
    for table in db.metadata.sorted_tables:
        db.session.execute(text(f'CREATE TABLE {kept}."{table.name}" AS SELECT * FROM {PG_SCHEMA}."{table.name}"'))
    db.session.commit()
    _PG_KEPT.append(kept)
    return kept


_PG_SERIALS: list[tuple[str, str]] = []


def _pg_serial_columns() -> list[tuple[str, str]]:
    """This schema's serial columns, read once per process in a transaction of their own: reading
    ``information_schema.columns`` locks other schemas' tables for a moment (``column_default``), which
    deadlocked with another worker's TRUNCATE when it ran after this process's own."""
    if not _PG_SERIALS:
        db.session.commit()
        found = db.session.execute(
            text(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = :schema AND column_default LIKE 'nextval%'"
            ),
            {"schema": PG_SCHEMA},
        ).all()
        db.session.commit()
        _PG_SERIALS.extend((table, column) for table, column in found)
    return _PG_SERIALS


def _pg_restore(kept: str) -> None:
    """PostgreSQL: replace every table's rows by those kept in ``kept``, server-side, table by table in
    foreign-key order (10-20 s of seeding become about a second), then move each serial column's
    sequence past the copied rows."""
    serials = _pg_serial_columns()
    tables = [t.name for t in db.metadata.sorted_tables]
    db.session.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
    for table in tables:
        db.session.execute(text(f'INSERT INTO {PG_SCHEMA}."{table}" SELECT * FROM {kept}."{table}"'))
    for table, column in serials:
        db.session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{PG_SCHEMA}.\"{table}\"', '{column}'), "
                f'coalesce(max("{column}"), 0) + 1, false) FROM {PG_SCHEMA}."{table}"'
            )
        )
    db.session.commit()


@pytest.fixture
def demo_data(app, tmp_path_factory):
    """``demo_data(n_clients)``: the demo network, as ``seed_demo(n_clients=...)`` makes it.

    For tests that read the demo data rather than test seeding it. On SQLite the first such test in
    a test process seeds through the app's own services and keeps a copy of the file (sqlite's
    backup API); later tests restore that copy into their own fresh database instead of seeding
    again (each demo seed costs 10-50 s; the copy about 0.1 s). On PostgreSQL the rows are kept in a
    schema of their own and copied back (``_seed_postgres_copy``).
    Tests of the seed itself, or of rows kept while it writes, call ``seed_demo`` directly.
    """

    def seed(n_clients: int) -> None:
        if PG_URL:
            _seed_postgres_copy(n_clients)
            return
        db.session.commit()
        kept = _DEMO_COPIES.get(n_clients)
        if kept is None:
            seed_demo(n_clients=n_clients)
            db.session.commit()
            kept = tmp_path_factory.mktemp("demo") / f"demo-{n_clients}.db"
            _copy_database(to=kept)
            _DEMO_COPIES[n_clients] = kept
        else:
            _copy_database(source=kept)
        db.session.expire_all()

    return seed


def _copy_database(*, to=None, source=None) -> None:
    """SQLite: copy this test's database into the file ``to``, or the file ``source`` over it
    (sqlite's backup API, through the app's own connection)."""
    dbapi = db.engine.dialect.dbapi
    raw = db.engine.raw_connection()
    try:
        here = raw.driver_connection
        other = dbapi.connect(str(to or source))
        try:
            here.backup(other) if to else other.backup(here)
        finally:
            other.close()
    finally:
        raw.close()


# What a kept build's handles may hold besides rows, dataclasses and containers.
_PLAIN = (str, int, float, bool, type(None), date, datetime, time, enum.Enum, uuid.UUID, decimal.Decimal)


@dataclasses.dataclass(frozen=True)
class _Row:
    cls: type
    identity: tuple


@dataclasses.dataclass(frozen=True)
class _Built:
    cls: type
    values: dict


def _handles(value):
    """A build's result with every row replaced by its class and primary key, to find again in the
    database a later test restores."""
    state = inspect(value, raiseerr=False)
    if state is not None and getattr(state, "identity", None) is not None:
        return _Row(type(value), state.identity)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = [f.name for f in dataclasses.fields(value) if f.init]
        return _Built(type(value), {name: _handles(getattr(value, name)) for name in fields})
    if isinstance(value, dict):
        return {key: _handles(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_handles(item) for item in value)
    if isinstance(value, _PLAIN):
        return value
    raise TypeError(f"a kept build returns rows, dataclasses, containers and plain values, not {type(value)}")


def _attach(handles):
    """The build's result again, its rows loaded from this test's (restored) database."""
    if isinstance(handles, _Row):
        row = db.session.get(handles.cls, handles.identity)
        assert row is not None, f"kept row {handles} missing after restore"
        return row
    if isinstance(handles, _Built):
        return handles.cls(**{name: _attach(item) for name, item in handles.values.items()})
    if isinstance(handles, dict):
        return {key: _attach(item) for key, item in handles.items()}
    if isinstance(handles, list | tuple):
        return type(handles)(_attach(item) for item in handles)
    return handles


def _database_digest() -> str:
    """Every row of every table, hashed: the state a build starts from. The times rows were written
    are left out (the fixtures' clinics, whose ids are fixed, differ in nothing else)."""
    digest = hashlib.sha256()
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(select(table).order_by(*table.primary_key.columns or table.columns)).all()
        kept = [tuple(v for v in row if not isinstance(v, datetime)) for row in rows]
        digest.update(repr((table.name, kept)).encode())
    return digest.hexdigest()


# Builds kept per test process: (build, arguments, database before) -> (file after, handles).
_KEPT_BUILDS: dict[tuple, tuple[object, object]] = {}


@pytest.fixture
def kept_build(app, tmp_path_factory):
    """``kept_build(build, *args)``: ``build(*args)``, written once per test process and copied back.

    For set-ups that write a fixed history through the factories or services (the hand-counted
    report histories take 3-4 s each; the copy about 0.1 s). The first test to call a build from a
    given database (every row of every table, as the fixtures left it) runs it and keeps what it
    leaves (SQLite: the file; PostgreSQL: a schema of its own); a later test starting from the same
    rows gets them copied over its own and the build's result with its rows loaded again by primary
    key (the fixtures' rows keep their ids, and take the first test's write times). From any other
    starting state the build simply runs. A build must
    depend only on the database and its arguments (rows, plain values, the factory) and return rows,
    dataclasses, containers and plain values.
    """

    def run(build, *args):
        db.session.commit()
        key = (build.__module__, build.__qualname__, repr([_argument(arg) for arg in args]), _database_digest())
        db.session.commit()  # the digest's read ends before the rows are replaced
        kept = _KEPT_BUILDS.get(key)
        if kept is None:
            result = build(*args)
            db.session.commit()
            if PG_URL:
                where = _pg_keep(f"kept_{os.getpid()}_{len(_KEPT_BUILDS)}")
            else:
                where = tmp_path_factory.mktemp("kept") / "build.db"
                _copy_database(to=where)
            _KEPT_BUILDS[key] = (where, _handles(result))
            return result
        where, handles = kept
        _pg_restore(where) if PG_URL else _copy_database(source=where)
        db.session.expire_all()
        return _attach(handles)

    return run


def _argument(arg):
    """What a build's argument contributes to its key: the factory holds no state of its own."""
    return "factory" if isinstance(arg, factories.Factory) else _handles(arg)
