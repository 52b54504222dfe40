"""The automatic sync, run by the production server (wsgi.py) next to the app, never by the factory."""

import logging
import threading
import time

from flask import Flask

from clinic_app.core.actor import system_actor
from clinic_app.core.db import utcnow
from clinic_app.extensions import db
from clinic_app.network import node

log = logging.getLogger(__name__)
CHECK_EVERY_SECONDS = 30


def sync_if_due(app: Flask) -> bool:
    """Sync when the link's next attempt is due (every few minutes, later after failures)."""
    with app.app_context():
        keys = app.extensions.get("vault")
        if keys is not None and keys.locked:
            return False
        link = node.link()
        if link is None or (link.next_attempt_at is not None and link.next_attempt_at > utcnow()):
            db.session.rollback()
            return False
        result = node.sync(actor=system_actor("scheduler"))
        if result.error:
            log.warning("network sync: %s", result.error)
        return result.error is None


def start(app: Flask) -> threading.Thread:
    def loop():
        while True:
            try:
                sync_if_due(app)
            except Exception:  # noqa: BLE001 (a failed sync must never stop the clinic's work)
                log.exception("network sync failed")
            time.sleep(CHECK_EVERY_SECONDS)

    thread = threading.Thread(target=loop, name="network-sync", daemon=True)
    thread.start()
    return thread
