"""The database, its WAL and shared-memory files and its backups are 0600; instance/ is 0700."""

import os
import stat
from pathlib import Path

import pytest

from clinic_app import create_app
from clinic_app.backups.services import make_backup
from clinic_app.extensions import db
from clinic_app.vault.keyring import vault
from tests.conftest import PG_URL, _config
from tests.factories import Factory

pytestmark = pytest.mark.skipif(bool(PG_URL), reason="the files are the SQLite database's own")


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_database_wal_and_backup_files_are_private(tmp_path, monkeypatch):
    monkeypatch.delenv("CLINIC_DB_PASSPHRASE", raising=False)
    os.umask(0o022)  # as a desktop session starts the app
    folder = tmp_path / "instance"
    config = _config(f"sqlite:///{folder / 'clinic.db'}", DATABASE_ENCRYPTION="sqlcipher")
    config["BACKUP_DIR"] = str(folder / "backups")
    app = create_app(config)
    app.instance_path = str(folder)
    os.makedirs(folder, exist_ok=True)
    with app.app_context():
        vault().create("four words sealed envelope")
        from flask_migrate import upgrade

        upgrade()
        Factory().clinic(code="BBR", name="Beitbridge", country="ZW", timezone="Africa/Harare")
        backup = make_backup()
        files = [folder / "clinic.db", folder / "clinic.db-wal", folder / "clinic.db-shm", backup.path]
        for path in files:
            assert Path(path).exists(), path
            assert _mode(path) == 0o600, (path, oct(_mode(path)))
        assert _mode(folder / "backups") == 0o700
        db.session.remove()
        db.engine.dispose()


def test_an_older_world_readable_database_is_made_private_when_opened(tmp_path):
    path = tmp_path / "old.db"
    app = create_app(_config(f"sqlite:///{path}"))
    with app.app_context():
        db.session.execute(db.text("CREATE TABLE t (x)"))
        db.session.commit()
        db.engine.dispose()
        os.chmod(path, 0o644)
        db.session.execute(db.text("SELECT 1"))
        assert _mode(path) == 0o600
        db.session.remove()
        db.engine.dispose()


def test_the_instance_folder_is_private(tmp_path):
    app = create_app(_config("sqlite://"))
    assert _mode(app.instance_path) == 0o700
