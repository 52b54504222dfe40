"""The automatic daily backup, run by the production server (wsgi.py), never by the factory."""

import logging
import threading
import time

from flask import Flask

from clinic_app.backups.services import BackupError, list_backups, make_backup
from clinic_app.core.db import utcnow

log = logging.getLogger(__name__)
CHECK_EVERY_SECONDS = 3600
DAY_SECONDS = 24 * 3600


def backup_if_due(app: Flask) -> bool:
    """Take a backup when the newest is a day old (or there is none) and the records are unlocked."""
    with app.app_context():
        keys = app.extensions.get("vault")
        if keys is not None and keys.locked:
            return False
        newest = list_backups()
        if newest and (utcnow() - newest[0].taken_at).total_seconds() < DAY_SECONDS:
            return False
        try:
            make_backup()
        except BackupError as error:
            log.warning("daily backup skipped: %s", error)
            return False
        return True


def start(app: Flask) -> threading.Thread:
    """A daemon thread that checks every hour whether the daily backup is due."""

    def loop():
        while True:
            try:
                backup_if_due(app)
            except Exception:  # noqa: BLE001 (a failed backup must never stop the clinic's work)
                log.exception("daily backup failed")
            time.sleep(CHECK_EVERY_SECONDS)

    thread = threading.Thread(target=loop, name="daily-backup", daemon=True)
    thread.start()
    return thread
