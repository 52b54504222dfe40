"""Backups: named by their time, rotated, never left half-written, taken daily when due,
restored only when sound and always keeping the database they replace."""

import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from clinic_app import create_app
from clinic_app.backups.scheduler import backup_if_due
from clinic_app.backups.services import BackupError, list_backups, make_backup, restore
from clinic_app.clients.models import Client
from clinic_app.core.db import utcnow
from clinic_app.extensions import db
from clinic_app.vault.keyring import ENV_PASSPHRASE, vault
from tests.conftest import PG_URL, _config
from tests.helpers import count

ROOT = Path(__file__).resolve().parents[2]
WRITER = ROOT / "tests" / "core" / "writer_process.py"
SQLITE_ONLY = pytest.mark.skipif(bool(PG_URL), reason="the app backs up SQLite files; PostgreSQL uses pg_dump")
POSTGRESQL_ONLY = pytest.mark.skipif(not PG_URL, reason="checks the refusal on a PostgreSQL database")
NIGHT = datetime(2026, 11, 20, 2, 0, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def backup_folder(app, tmp_path) -> Path:
    """Backups of the test database go to tmp_path, never into the real instance/ folder."""
    folder = tmp_path / "backups"
    app.config["BACKUP_DIR"] = str(folder)
    return folder


@pytest.fixture
def live(app) -> Path:
    return Path(app.config["SQLALCHEMY_DATABASE_URI"].split("///", 1)[1])


def _stopped() -> None:
    """As when the app is stopped for a restore: no session and no open connection."""
    db.session.remove()
    db.engine.dispose()


def _clients_after_recovery(live: Path, folder: Path) -> int:
    """The clients anyone opening this database now would see (SQLite replays the -wal on opening)."""
    folder.mkdir()
    for suffix in ("", "-wal"):
        shutil.copy(f"{live}{suffix}", folder / f"copy.db{suffix}")
    connection = sqlite3.connect(folder / "copy.db")
    try:
        return connection.execute("SELECT count(*) FROM clients").fetchone()[0]
    finally:
        connection.close()


def _clients_in(path: Path) -> int:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return connection.execute("SELECT count(*) FROM clients").fetchone()[0]
    finally:
        connection.close()


# --- Taking backups ----------------------------------------------------------------------------


@SQLITE_ONLY
def test_backups_are_named_by_their_time_and_only_the_newest_are_kept(app, backup_folder):
    app.config["BACKUP_KEEP"] = 3
    backup_folder.mkdir()
    (backup_folder / "clinic-notes.db").write_text("not a backup")  # rotation leaves other files alone
    nights = [NIGHT + timedelta(days=n, seconds=n) for n in range(5)]
    made = [make_backup(now=night) for night in nights]

    assert [backup.path.name for backup in made] == [f"clinic-{night:%Y%m%d-%H%M%S}.db" for night in nights]
    assert made[0].path.name == "clinic-20261120-020000.db"
    assert all(backup.taken_at == night for backup, night in zip(made, nights, strict=True))
    kept = list_backups()
    assert [backup.taken_at for backup in kept] == [nights[4], nights[3], nights[2]]
    assert [backup.size for backup in kept] == [backup.path.stat().st_size for backup in kept]
    assert sorted(path.name for path in backup_folder.iterdir()) == sorted(
        ["clinic-notes.db"] + [backup.path.name for backup in made[2:]]
    )


@SQLITE_ONLY
def test_backup_leaves_no_partial_file(backup_folder):
    backup_folder.mkdir()
    (backup_folder / f"clinic-{NIGHT:%Y%m%d-%H%M%S}.partial").write_bytes(b"half a copy")
    backup = make_backup(now=NIGHT)
    assert backup.path.exists()
    assert list(backup_folder.glob("*.partial")) == []


@SQLITE_ONLY
def test_partial_file_left_by_an_interrupted_backup_is_cleared_by_the_next(backup_folder):
    backup_folder.mkdir()
    # A power cut during last night's VACUUM INTO left its half-written copy behind.
    (backup_folder / f"clinic-{NIGHT - timedelta(days=1):%Y%m%d-%H%M%S}.partial").write_bytes(b"half a copy")
    make_backup(now=NIGHT)
    assert list(backup_folder.glob("*.partial")) == []


@SQLITE_ONLY
def test_backup_holds_the_records(make, live):
    make.client()
    make.client()
    backup = make_backup(now=NIGHT)
    assert _clients_in(backup.path) == 2


# --- The daily backup --------------------------------------------------------------------------


@SQLITE_ONLY
def test_daily_backup_is_taken_when_there_is_none(app):
    assert backup_if_due(app) is True
    assert len(list_backups()) == 1


@SQLITE_ONLY
def test_daily_backup_is_taken_when_the_newest_is_older_than_a_day(app):
    make_backup(now=utcnow() - timedelta(days=1, minutes=5))
    assert backup_if_due(app) is True
    newest, older = list_backups()
    assert utcnow() - newest.taken_at < timedelta(minutes=5)


@SQLITE_ONLY
def test_daily_backup_is_not_taken_when_a_recent_one_exists(app):
    recent = make_backup(now=utcnow() - timedelta(hours=20))
    assert backup_if_due(app) is False
    assert [backup.path for backup in list_backups()] == [recent.path]


@SQLITE_ONLY
def test_daily_backup_is_not_taken_while_the_records_are_locked(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_PASSPHRASE, raising=False)
    config = _config(
        f"sqlite:///{tmp_path / 'locked' / 'clinic.db'}",
        DATABASE_ENCRYPTION="sqlcipher",
        BACKUP_DIR=str(tmp_path / "locked-backups"),
    )
    installing = create_app(config)
    with installing.app_context():
        vault().create("the clinic's sealed passphrase")
        db.engine.dispose()
    restarted = create_app(config)
    assert vault(restarted).locked
    assert backup_if_due(restarted) is False
    assert not (tmp_path / "locked-backups").exists() or list((tmp_path / "locked-backups").iterdir()) == []


# --- Restoring ---------------------------------------------------------------------------------


@SQLITE_ONLY
def test_restore_puts_the_backup_in_place_and_keeps_the_replaced_database_beside_it(make, live):
    make.client()
    backup = make_backup(now=NIGHT)
    make.client()
    make.client()
    _stopped()

    kept = restore(backup.path, now=NIGHT + timedelta(hours=8))

    assert kept == live.with_name(f"{live.stem}-before-restore-20261120-100000.db")
    assert _clients_in(kept) == 3
    assert count(Client) == 1
    assert backup.path.exists()  # the backup itself stays available


@SQLITE_ONLY
def test_restore_after_a_power_cut_keeps_every_committed_record_beside_it(make, live, runner, tmp_path):
    """The writes committed just before a power cut are in the -wal file, not yet in the database file."""
    make.user(role="nurse", clinic=make.clinic(code="BBR", timezone="Africa/Harare"), username="writer")
    backup = make_backup(now=NIGHT)
    _stopped()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop(ENV_PASSPHRASE, None)
    cut = subprocess.run(
        [sys.executable, str(WRITER), str(live), "writer", "--stop-after", "3"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert cut.returncode == 0, cut.stderr
    assert cut.stdout.count("client ") == 3
    assert Path(f"{live}-wal").stat().st_size > 0  # what the power cut left
    assert _clients_after_recovery(live, tmp_path / "recovered") == 3

    result = runner.invoke(args=["backup", "restore", str(backup.path), "--yes"])
    assert result.exit_code == 0, result.output
    [kept] = live.parent.glob(f"{live.stem}-before-restore-*.db")
    assert _clients_in(kept) == 3
    assert count(Client) == 0


@SQLITE_ONLY
@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_restore_refuses_a_damaged_backup_and_changes_nothing(make, live, backup_folder, damage):
    make.client()
    good = make_backup(now=NIGHT)
    damaged = backup_folder / f"clinic-{NIGHT + timedelta(days=1):%Y%m%d-%H%M%S}.db"
    content = good.path.read_bytes()
    damaged.write_bytes(b"\x00garbage" * 512 if damage == "garbage" else content[: len(content) // 2])
    make.client()
    _stopped()
    before = live.read_bytes()

    with pytest.raises(BackupError, match=damaged.name):
        restore(damaged)

    assert live.read_bytes() == before
    assert list(live.parent.glob("*before-restore*")) == []
    assert count(Client) == 2


# --- Commands ----------------------------------------------------------------------------------


@SQLITE_ONLY
def test_backup_commands_create_list_and_restore(make, live, runner, backup_folder):
    make.client()
    created = runner.invoke(args=["backup", "create"])
    assert created.exit_code == 0, created.output
    [first] = list_backups()
    assert created.output.startswith(f"Backup written: {first.path} ({first.size:,} bytes).")
    make_backup(now=NIGHT)  # an older one
    make.client()

    listed = runner.invoke(args=["backup", "list"])
    assert listed.exit_code == 0
    lines = listed.output.splitlines()
    assert [line.split()[-1] for line in lines] == [str(first.path), str(backup_folder / "clinic-20261120-020000.db")]
    assert lines[1].startswith("2026-11-20 02:00 UTC")

    refused = runner.invoke(args=["backup", "restore", str(first.path)], input="n\n")
    assert refused.exit_code != 0
    assert count(Client) == 2

    _stopped()
    restored = runner.invoke(args=["backup", "restore", str(first.path), "--yes"])
    assert restored.exit_code == 0, restored.output
    [kept] = live.parent.glob("*before-restore*.db")
    assert f"Restored {first.path.name}. The database it replaced is kept as {kept}." in restored.output
    assert count(Client) == 1
    assert _clients_in(kept) == 2


# --- PostgreSQL: the app leaves backups to pg_dump ---------------------------------------------


@POSTGRESQL_ONLY
def test_postgresql_database_is_not_backed_up_or_restored_by_the_app(app, runner, backup_folder, tmp_path):
    with pytest.raises(BackupError, match="use pg_dump"):
        make_backup()
    result = runner.invoke(args=["backup", "create"])
    assert result.exit_code != 0
    assert "use pg_dump for PostgreSQL" in result.output
    assert backup_if_due(app) is False
    assert not backup_folder.exists()
    stray = tmp_path / "clinic-20261120-020000.db"
    stray.write_bytes(b"not for PostgreSQL")
    with pytest.raises(BackupError, match="Only SQLite databases are restored"):
        restore(stray)
