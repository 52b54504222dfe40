"""The system actor: commands and the network scheduler act as "who ran it, from where", checked
against the permission table and audited as such; no service runs without an actor."""

import getpass
import uuid

import pytest

from clinic_app.audit.models import AuditEvent
from clinic_app.audit.services import record_event
from clinic_app.clients.services import search_clients
from clinic_app.clinics.models import Clinic
from clinic_app.clinics.services import create_clinic
from clinic_app.core.actor import parse_system_source, system_actor
from clinic_app.core.errors import NotAllowed
from clinic_app.core.permissions import PERMISSIONS, SYSTEM_PERMISSIONS
from tests.helpers import audit_events, count

OS_USER = getpass.getuser()


def _create_clinic(runner, code="VFA"):
    args = ["clinics", "create", "--code", code, "--name", "Victoria Falls", "--country", "ZW"]
    return runner.invoke(args=[*args, "--timezone", "Africa/Harare"])


def test_a_command_writes_an_audit_line_naming_the_os_user_and_cli(runner, app):
    result = _create_clinic(runner)
    assert result.exit_code == 0, result.output
    [event] = audit_events("clinic.create")
    assert event.source == f"cli:{OS_USER}"
    assert (event.actor_id, event.actor_role) == (None, None)


def test_users_create_and_audit_checkpoint_are_audited_as_the_cli(runner, clinic, tmp_path):
    args = ["users", "create", "--username", "firstadmin", "--name", "First Admin", "--role", "admin"]
    result = runner.invoke(args=[*args, "--clinic", "BBR", "--password", "a long passphrase"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["audit", "checkpoint", "--out", str(tmp_path / "checkpoint.json")])
    assert result.exit_code == 0, result.output
    sources = {event.action: event.source for event in audit_events()}
    assert sources["user.create"] == f"cli:{OS_USER}"
    assert sources["audit.checkpoint"] == f"cli:{OS_USER}"


def test_the_scheduler_is_its_own_source():
    actor = system_actor("scheduler")
    assert actor.description == f"scheduler:{OS_USER}"
    assert parse_system_source(actor.description) == ("scheduler", OS_USER)
    assert parse_system_source("192.168.1.20") is None
    assert parse_system_source("::1") is None
    with pytest.raises(ValueError):
        system_actor("web")


def test_the_system_permission_set_is_in_the_table_and_holds_nothing_clinical():
    assert SYSTEM_PERMISSIONS <= set(PERMISSIONS)
    individual = ("clients.", "visits.", "crisis.", "duelists.", "outreach.", "screening.")
    assert [action for action in SYSTEM_PERMISSIONS if action.startswith(individual)] == []
    assert "audit.view" not in SYSTEM_PERMISSIONS


def test_a_system_actor_is_refused_a_permission_it_lacks_in_words(app, clinic):
    actor = system_actor("cli")
    assert actor.can("clinics.manage")
    assert not actor.can("clients.search")
    with pytest.raises(NotAllowed) as refused:
        search_clients(actor=actor, term="BBR")
    assert "command run from the cli" in refused.value.message
    assert "clients.search" in refused.value.message
    assert audit_events("client.search") == []


def test_the_scheduler_may_sync_but_not_read_a_client_record(app, clinic):
    actor = system_actor("scheduler")
    assert actor.can("network.sync")
    with pytest.raises(NotAllowed):
        actor.require("clients.view")


def test_services_refuse_a_missing_actor(app):
    with pytest.raises(TypeError):
        create_clinic(code="VFA", name="Victoria Falls", country="ZW", timezone="Africa/Harare")  # type: ignore[call-arg]
    with pytest.raises(AttributeError):
        create_clinic(actor=None, code="VFA", name="Victoria Falls", country="ZW", timezone="Africa/Harare")
    with pytest.raises(TypeError):
        record_event(actor=None, action="clinic.create", object_type="clinics", object_id=uuid.uuid4())
    assert count(Clinic) == 0
    assert count(AuditEvent) == 0


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", f"Command line (computer user {OS_USER})"),
        ("pt", f"Linha de comandos (utilizador do computador {OS_USER})"),
    ],
)
def test_the_audit_page_and_its_export_name_the_command_in_words(runner, make, clinic, sign_in_as, language, words):
    assert _create_clinic(runner).exit_code == 0
    admin = make.user(role="admin", clinic=clinic, language=language)
    browser = sign_in_as(admin)
    page = browser.get("/audit/")
    assert page.status_code == 200
    assert words in page.get_data(as_text=True)
    export = browser.get("/audit/export.csv")
    [line] = [row for row in export.get_data(as_text=True).splitlines() if ",clinic.create," in row]
    assert words in line
