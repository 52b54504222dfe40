"""Online backups with VACUUM INTO: a consistent copy taken while the app keeps working.

The copy is written by the database engine itself, so it is encrypted with the
same passphrase as the live database. The newest BACKUP_KEEP copies are kept.
PostgreSQL deployments back up with pg_dump instead (see README).
"""

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app

from clinic_app.core.db import utcnow
from clinic_app.extensions import db
from clinic_app.vault.keyring import database_path

PREFIX = "clinic-"


class BackupError(RuntimeError):
    pass


@dataclass
class Backup:
    path: Path
    taken_at: datetime
    size: int


def backup_dir() -> Path:
    configured = current_app.config.get("BACKUP_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "backups"


def list_backups() -> list[Backup]:
    """The backups on disk, newest first."""
    found = []
    for path in backup_dir().glob(f"{PREFIX}*.db"):
        try:
            taken = datetime.strptime(path.stem[len(PREFIX) :], "%Y%m%d-%H%M%S").replace(tzinfo=UTC)
        except ValueError:
            continue
        found.append(Backup(path, taken, path.stat().st_size))
    return sorted(found, key=lambda b: b.taken_at, reverse=True)


def make_backup(now: datetime | None = None) -> Backup:
    """Copy the live database into the backup folder and drop the oldest copies beyond BACKUP_KEEP."""
    if db.engine.dialect.name != "sqlite":
        raise BackupError("Only SQLite databases are backed up by the app; use pg_dump for PostgreSQL.")
    folder = backup_dir()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)
    stamp = (now or utcnow()).strftime("%Y%m%d-%H%M%S")
    target = folder / f"{PREFIX}{stamp}.db"
    partial = target.with_suffix(".partial")
    for leftover in folder.glob(f"{PREFIX}*.partial"):  # from a backup a power cut interrupted
        leftover.unlink(missing_ok=True)
    _vacuum_into(partial)
    partial.chmod(0o600)
    partial.replace(target)  # a power cut never leaves a half-written file under a backup's name
    keep = current_app.config.get("BACKUP_KEEP", 14)
    for old in list_backups()[keep:]:
        old.path.unlink(missing_ok=True)
    return Backup(target, datetime.strptime(stamp, "%Y%m%d-%H%M%S").replace(tzinfo=UTC), target.stat().st_size)


def _vacuum_into(path: Path) -> None:
    """A consistent copy of the live database, WAL included, encrypted with the same key."""
    raw = db.engine.raw_connection()  # outside any transaction: VACUUM cannot run inside one
    try:
        raw.driver_connection.execute("VACUUM INTO ?", (str(path),))
    finally:
        raw.close()


def check_backup(path: Path) -> None:
    """A backup can be restored only if it opens with the current key and passes an integrity check."""
    from sqlalchemy import create_engine, event

    options = dict(current_app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
    engine = create_engine(f"sqlite:///{path}", module=options.get("module"), poolclass=None)
    keys = current_app.extensions.get("vault")
    if keys is not None and keys.enabled:
        from clinic_app.vault.keyring import quote

        @event.listens_for(engine, "connect")
        def _key(dbapi_connection, _record):
            dbapi_connection.execute(f"PRAGMA key = {quote(keys.passphrase())}")

    try:
        with engine.connect() as connection:
            result = connection.exec_driver_sql("PRAGMA integrity_check").scalar()
    except Exception as error:  # noqa: BLE001 (any failure means: not restorable)
        raise BackupError(
            f"{path.name} cannot be opened with this installation's key: {type(error).__name__}"
        ) from None
    finally:
        engine.dispose()
    if result != "ok":
        raise BackupError(f"{path.name} failed the integrity check: {result}")


def restore(path: Path, now: datetime | None = None) -> Path:
    """Put a backup in place of the live database (the app must be stopped); returns where the old one went."""
    live = database_path(current_app)
    if live is None:
        raise BackupError("Only SQLite databases are restored by the app.")
    check_backup(path)
    stamp = (now or utcnow()).strftime("%Y%m%d-%H%M%S")
    kept = live.with_name(f"{live.stem}-before-restore-{stamp}.db")
    if live.exists():
        _vacuum_into(kept)  # every committed record, including those still in the WAL
    db.engine.dispose()
    for suffix in ("-wal", "-shm"):
        Path(f"{live}{suffix}").unlink(missing_ok=True)
    shutil.copy2(path, live)
    return kept
