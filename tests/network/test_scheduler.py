"""The automatic sync runs as the scheduler's own system actor, and every sync leaves its own audit line,
whoever made it (the scheduler, a command, the data administrator's button), also when the hub is down."""

import getpass
import uuid

from clinic_app.extensions import db
from clinic_app.network import protocol
from clinic_app.network.models import NodeLink
from clinic_app.network.scheduler import sync_if_due
from tests.helpers import audit_events

NOBODY_LISTENS = "http://127.0.0.1:9"  # the discard port: the connection is refused at once


def _enrolled(clinic) -> NodeLink:
    private_key, _public_key = protocol.new_key_pair()
    link = NodeLink(
        id=1,
        hub_url=NOBODY_LISTENS,
        hub_id=str(uuid.uuid4()),
        clinic_id=clinic.id,
        private_key=private_key,
        network_key="k",
    )
    db.session.add(link)
    db.session.commit()
    return link


def test_the_schedulers_sync_is_audited_as_the_scheduler_when_the_hub_is_down(app, clinic):
    _enrolled(clinic)
    assert sync_if_due(app) is False  # the hub did not answer
    [line] = audit_events("network.sync")
    assert line.source == f"scheduler:{getpass.getuser()}"
    assert (line.actor_id, line.actor_role) == (None, None)
    assert line.detail == "pushed=0 pulled=0 ok=0"
    link = db.session.get(NodeLink, 1)
    assert link.failures == 1 and link.next_attempt_at is not None
    db.session.rollback()  # the scheduler runs in its own thread: the test's reads end first
    # Not due again yet (back-off): no attempt, so no line.
    assert sync_if_due(app) is False
    assert len(audit_events("network.sync")) == 1


def test_a_sync_by_command_is_audited_as_who_ran_it(app, clinic, runner, make, nurse):
    _enrolled(clinic)
    result = runner.invoke(args=["network", "sync", "--batches", "1"])  # nothing waits: nothing to send
    assert (result.exit_code, result.output.strip()) == (0, "Sent 0 records; 0 wait.")
    make.client(clinic=clinic, registered_by=nurse)  # one record waits for the hub now
    result = runner.invoke(args=["network", "sync", "--batches", "1"])
    assert result.exit_code == 1
    result = runner.invoke(args=["network", "sync"])
    assert result.exit_code == 1
    lines = audit_events("network.sync")
    assert [line.source for line in lines] == [f"cli:{getpass.getuser()}"] * 3
    assert [line.detail for line in lines] == ["pushed=0 ok=1", "ok=0", "pushed=0 pulled=0 ok=0"]
