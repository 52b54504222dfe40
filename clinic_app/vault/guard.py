"""While the encrypted database is locked, only the unlock page (and static files) answer."""

from flask import abort, redirect, request, url_for

from clinic_app.vault.keyring import vault

OPEN_WHILE_LOCKED = ("static", "vault.unlock", "vault.set_up", "tls.index", "tls.ca_certificate")


def require_unlocked():
    """A request before unlock: pages go to the unlock page, anything else is refused (503)."""
    if not vault().locked or request.endpoint in OPEN_WHILE_LOCKED:
        return None
    if request.method in ("GET", "HEAD"):
        return redirect(url_for("vault.unlock"))
    abort(503)
