"""Sessions for shared desktops: idle and absolute time-outs, checked on every request.

A session ends on the server too: the user's session_version is part of the
session id (see session_loader), so sign-out, a password change or disabling
the account make every copy of the cookie useless.
"""

import time

from flask import current_app, flash, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_login import current_user, logout_user

STARTED, SEEN = "_started", "_seen"


def start() -> None:
    """Call at sign-in, after session.clear()."""
    now = int(time.time())
    session[STARTED] = now
    session[SEEN] = now


def expire_idle_sessions():
    """End a session idle for too long, or older than the absolute limit; refresh the idle clock."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    now = int(time.time())
    idle = current_app.config["SESSION_IDLE_MINUTES"] * 60
    absolute = current_app.config["SESSION_ABSOLUTE_HOURS"] * 3600
    if STARTED not in session:  # signed in before time-outs were tracked: the clocks start now
        start()
    started, seen = session[STARTED], session.get(SEEN, now)
    if now - seen > idle or now - started > absolute:
        logout_user()
        session.clear()
        flash(_("You were signed out after a time without use. Please sign in again."), "info")
        return None  # the permission guard now sends the request to the sign-in page
    session[SEEN] = now
    return None


class SessionInterface(SecureCookieSessionInterface):
    """The session cookie is marked Secure whenever the request came over TLS."""

    def get_cookie_secure(self, app):
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure
