"""One unit of work whatever the caller (core/work.py): the same service writes the same way from a page,
a form's POST, a command and a test, decided by the caller's own transaction, never by the request."""

import ast
import inspect

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from clinic_app.audit import services as audit_services
from clinic_app.audit.models import AuditEvent
from clinic_app.audit.services import record_alone, verify_chain
from clinic_app.clients.models import Client
from clinic_app.clients.services import view_client
from clinic_app.core import guard, sqlite, work
from clinic_app.core.actor import Actor
from clinic_app.core.work import WRITE_LOCK, UnitOfWorkError, end_reads, only_reading
from clinic_app.extensions import db


@pytest.fixture
def person(make, clinic, nurse):
    return make.client(clinic=clinic, registered_by=nurse, alias="Rudo")


def _views():
    """The client.view lines, as a separate connection sees them (committed, not the test's session)."""
    with Session(db.engine) as other:
        query = select(AuditEvent.actor_id, AuditEvent.object_type, AuditEvent.object_id, AuditEvent.source)
        return other.execute(query.where(AuditEvent.action == "client.view").order_by(AuditEvent.seq)).all()


def _as_request(app, method):
    """A request context whose unit of work is declared as the web layer declares it."""
    db.session.rollback()  # a served request starts with a fresh session
    context = app.test_request_context("/", method=method)
    context.push()
    guard.declare_unit_of_work()
    return context


def _end(context):
    guard.end_unit_of_work()
    context.pop()


def test_the_same_read_writes_the_same_line_from_a_command_a_page_and_a_post(app, nurse, person):
    actor = Actor(nurse, "test")
    view_client(actor=actor, client_id=person.id)  # no request: a command or a test
    for method in ("GET", "POST"):
        context = _as_request(app, method)
        try:
            view_client(actor=actor, client_id=person.id)
        finally:
            _end(context)
    lines = _views()
    assert len(lines) == 3
    assert set(lines) == {(nurse.id, "clients", str(person.id), "test")}
    assert verify_chain().intact


def test_a_page_that_only_reads_keeps_its_read_transaction(app, nurse, person):
    context = _as_request(app, "GET")
    try:
        assert only_reading()
        db.session.get(Client, person.id)  # the page's own read
        connection = db.session.connection()
        view_client(actor=Actor(nurse, "test"), client_id=person.id)
        # The line went through a short write transaction of its own: the page's transaction is
        # still open, on the same connection, and never took SQLite's write lock.
        assert db.session().in_transaction()
        assert db.session.connection() is connection
        assert not connection.info.get(WRITE_LOCK)
    finally:
        _end(context)
    assert len(_views()) == 1


def test_a_writer_holding_the_write_lock_writes_the_line_there_not_waiting_for_itself(app, nurse, person):
    db.session.get(Client, person.id)  # a command's transaction: on SQLite it began with BEGIN IMMEDIATE
    holds_lock = bool(db.session.connection().info.get(WRITE_LOCK))
    assert holds_lock == (db.engine.dialect.name == "sqlite")
    # A second connection would wait for the lock this one holds (10 s, then "database is locked").
    view_client(actor=Actor(nurse, "test"), client_id=person.id)
    assert len(_views()) == 1


@pytest.mark.parametrize("flushed", [False, True], ids=["changed", "flushed"])
def test_a_line_beside_uncommitted_writes_is_refused_and_nothing_is_committed(app, nurse, person, flushed):
    person.alias = "Chipo"
    if flushed:
        db.session.flush()
        assert not db.session.dirty  # only the flush remembers it
    with pytest.raises(UnitOfWorkError):
        view_client(actor=Actor(nurse, "test"), client_id=person.id)
    db.session.rollback()
    assert _views() == []
    assert db.session.get(Client, person.id).alias == "Rudo"


def test_after_its_commit_the_callers_work_no_longer_blocks_a_line(app, nurse, person):
    person.alias = "Chipo"
    db.session.flush()
    db.session.commit()
    record_alone(actor=Actor(nurse, "test"), action="client.view", target=person)
    assert len(_views()) == 1


def test_a_new_row_not_yet_added_to_the_database_is_refused(app, make, clinic, nurse, person):
    db.session.add(Client(clinic_id=clinic.id, sex=person.sex, key_population=person.key_population))
    with pytest.raises(UnitOfWorkError):
        record_alone(actor=Actor(nurse, "test"), action="client.view", target=person)
    db.session.rollback()
    assert _views() == []


def test_ending_reads_before_a_hash_refuses_writes_instead_of_committing_them(app, person):
    person.alias = "Chipo"
    with pytest.raises(UnitOfWorkError):
        end_reads()
    db.session.rollback()
    assert db.session.get(Client, person.id).alias == "Rudo"


def test_the_read_only_declaration_ends_with_its_request(app, client, sign_in_as, nurse, person):
    sign_in_as(nurse)
    response = client.get(f"/clients/{person.id}")
    assert response.status_code == 200
    assert not only_reading()
    assert len(_views()) == 1  # the page's own audit line, through the same service


@pytest.mark.parametrize("module", [sqlite, work, audit_services], ids=lambda m: m.__name__)
def test_the_database_and_audit_layers_never_look_at_the_request(module):
    tree = ast.parse(inspect.getsource(module))
    from_flask = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "flask"
        for alias in node.names
    }
    assert not from_flask & {"request", "has_request_context"}
