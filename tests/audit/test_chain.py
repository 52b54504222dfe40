"""The keyed chain and its checkpoints: a trail rewritten outside the app is detected, even by
someone who recomputes the hashes; the audit page shows every kind of line the app writes."""

import hashlib
import hmac
import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select, text

from clinic_app.audit import keys
from clinic_app.audit.actions import ACTIONS
from clinic_app.audit.models import AuditEvent, AuditHead
from clinic_app.audit.services import record_event, verify_chain
from clinic_app.core.actor import Actor, system_actor
from clinic_app.extensions import db
from tests.conftest import PG_URL
from tests.helpers import text as page_text

SOURCE = Path(__file__).resolve().parents[2] / "clinic_app"
TRIGGERS = {
    "sqlite": ["DROP TRIGGER audit_events_no_update", "DROP TRIGGER audit_events_no_delete"],
    # The PostgreSQL schema outlives a test: the trigger is switched off, and on again afterwards.
    "postgresql": ["ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_change"],
}


@pytest.fixture(autouse=True)
def _append_only_again_after_the_test(app):
    yield
    if db.engine.dialect.name == "postgresql":
        db.session.rollback()
        db.session.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_change"))
        db.session.commit()


@pytest.fixture
def admin(make, clinic):
    return make.user(role="admin", clinic=clinic, username="admin")


def _write_lines(nurse, n=5):
    for i in range(n):
        record_event(actor=Actor(nurse, "10.0.0.9"), action="client.view", object_type="clients", object_id=f"id-{i}")
    db.session.commit()


def _rewrite(digest) -> None:
    """What an attacker with the database (and its passphrase) does: drop the triggers, change a row,
    and recompute every hash after it with ``digest`` so the links hold."""
    for statement in TRIGGERS[db.engine.dialect.name]:
        db.session.execute(text(statement))
    rows = list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
    rows[1].source = "somewhere else"
    previous = "0" * 64
    for row in rows:
        row.prev_hash = previous
        row.hash = digest(row)
        previous = row.hash
    head = db.session.get(AuditHead, 1)
    head.hash = previous
    db.session.commit()


def _plain_sha256(row) -> str:
    return hashlib.sha256(row.content(keyed=False).encode()).hexdigest()


def test_rows_carry_a_keyed_hash_not_a_plain_sha256(app, nurse):
    _write_lines(nurse, 1)
    [row] = db.session.scalars(select(AuditEvent))
    assert row.hash != _plain_sha256(row)
    assert row.hash != hashlib.sha256(row.content().encode()).hexdigest()


def test_a_rewrite_with_recomputed_sha256_hashes_is_detected(app, nurse):
    _write_lines(nurse)
    assert verify_chain().intact
    _rewrite(_plain_sha256)
    report = verify_chain()
    assert not report.intact
    assert "row 1: content changed after it was written" in report.problems


def test_the_key_is_not_in_the_database(app, nurse):
    _write_lines(nurse, 2)
    key = keys.chain_key(db.session).hex()
    tables = [t.name for t in db.metadata.sorted_tables]
    for table in tables:
        for row in db.session.execute(text(f"SELECT * FROM {table}")):  # noqa: S608 (table names from metadata)
            assert key not in " ".join(str(v) for v in row).lower(), table


def test_checkpoint_catches_a_rewrite_by_someone_who_holds_the_key(app, client, sign_in_as, admin, nurse, runner):
    _write_lines(nurse)
    sign_in_as(admin)
    response = client.get("/audit/checkpoint.json")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    checkpoint = json.loads(response.get_data())
    [line] = [e for e in db.session.scalars(select(AuditEvent)) if e.action == "audit.checkpoint"]
    assert checkpoint["seq"] == line.seq  # the checkpoint covers its own line
    assert verify_chain(checkpoints=[checkpoint]).intact

    key = keys.chain_key(db.session)
    _rewrite(lambda row: hmac.new(key, row.content().encode(), hashlib.sha256).hexdigest())
    assert verify_chain().intact  # the chain alone cannot tell: the key was used
    report = verify_chain(checkpoints=[checkpoint])
    assert f"row {checkpoint['seq']}: differs from the checkpoint taken then (the trail was rewritten)" in (
        report.problems
    )


def test_a_forged_checkpoint_is_refused(app, nurse, tmp_path, runner):
    _write_lines(nurse)
    out = tmp_path / "checkpoint.json"
    result = runner.invoke(args=["audit", "checkpoint", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["audit", "verify", "--checkpoint", str(out)]).exit_code == 0
    forged = json.loads(out.read_text())
    forged["hash"] = "f" * 64
    out.write_text(json.dumps(forged))
    result = runner.invoke(args=["audit", "verify", "--checkpoint", str(out)])
    assert result.exit_code == 1
    assert "not signed with this installation's key" in result.output


def test_verify_with_a_checkpoint_after_rows_were_removed_says_so(app, nurse, tmp_path, runner):
    _write_lines(nurse)
    out = tmp_path / "checkpoint.json"
    runner.invoke(args=["audit", "checkpoint", "--out", str(out)])
    for statement in TRIGGERS[db.engine.dialect.name]:
        db.session.execute(text(statement))
    last = db.session.scalar(select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(1))
    db.session.delete(last)
    db.session.commit()
    result = runner.invoke(args=["audit", "verify", "--checkpoint", str(out)])
    assert result.exit_code == 1
    assert "of a checkpoint is no longer in the trail" in result.output


def test_rows_from_before_the_keyed_chain_are_checked_as_they_were_written(app, nurse):
    """A database upgraded from the plain chain: its old rows keep their SHA-256 and still verify."""
    _write_lines(nurse, 3)
    for statement in TRIGGERS[db.engine.dialect.name]:
        db.session.execute(text(statement))
    rows = list(db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
    previous = "0" * 64
    for row in rows[:2]:
        row.prev_hash, row.hash = previous, None
        row.hash = _plain_sha256(row)
        previous = row.hash
    db.session.commit()
    db.session.get(AuditHead, 1).keyed_from = 3
    rows[2].prev_hash = previous
    rows[2].hash = hmac.new(keys.chain_key(db.session), rows[2].content().encode(), hashlib.sha256).hexdigest()
    db.session.get(AuditHead, 1).hash = rows[2].hash
    db.session.commit()
    report = verify_chain()
    assert report.intact, report.problems
    assert report.notes == ["rows 1 to 2 were written before the chain was keyed (plain SHA-256)"]


# --- The audit page -------------------------------------------------------------------------------


def _written_actions() -> set[str]:
    found = set()
    for path in SOURCE.rglob("*.py"):
        found |= set(re.findall(r'\baction="([a-z_]+\.[a-z_]+)"', path.read_text(encoding="utf-8")))
    return found


def test_every_action_the_code_writes_has_words_on_the_audit_page():
    assert _written_actions() - set(ACTIONS) == set()


def test_the_audit_page_shows_every_kind_of_line(app, client, sign_in_as, admin, nurse):
    """Each action, with a record, without a record id (as exports are written), and with a page of ids."""
    actor = Actor(nurse, "10.0.0.9")
    for action in sorted(ACTIONS):
        record_event(actor=actor, action=action, object_type="report", detail="d=1")
        record_event(actor=system_actor(), action=action, object_type="clients", object_id="0f0e0d0c-aaaa")
        record_event(actor=actor, action=action, object_type="clients", object_ids=["a1b2c3d4-1", "e5f6a7b8-2"])
    db.session.commit()
    sign_in_as(admin)
    for action in sorted(ACTIONS):
        response = client.get("/audit/", query_string={"action": action})
        assert response.status_code == 200, action
        assert str(ACTIONS[action]) in page_text(response), action
    response = client.get("/audit/")
    assert response.status_code == 200
    assert "2 records shown" in page_text(response)


def test_after_a_report_export_the_audit_page_answers(app, client, sign_in_as, make, clinic, admin):
    exporter = make.user(role="me_officer", clinic=clinic)
    sign_in_as(exporter)
    response = client.get(
        "/reports/download", query_string={"format_code": "clinic_monthly", "period_code": "2026-10", "as": "json"}
    )
    assert response.status_code == 200
    sign_in_as(admin)
    response = client.get("/audit/")
    assert response.status_code == 200
    assert "report.export" in page_text(response)


@pytest.mark.skipif(bool(PG_URL), reason="the key file is the fallback of a one-machine installation")
def test_without_a_setting_the_key_lives_in_a_private_file_in_instance(tmp_path):
    value = keys.key_file(tmp_path)
    assert (tmp_path / "audit_key").stat().st_mode & 0o777 == 0o600
    assert keys.key_file(tmp_path) == value
