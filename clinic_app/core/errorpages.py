"""Error pages: every failure answers with a plain page, never a traceback."""

import logging

from flask import Flask, current_app, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError

from clinic_app.core.errors import Busy
from clinic_app.extensions import db

log = logging.getLogger(__name__)

MESSAGES = {
    400: _l("The request could not be understood. Go back and try again."),
    401: _l("Please sign in to continue."),
    403: _l("Your role does not give access to this page."),
    404: _l("There is no such page or record."),
    405: _l("This page cannot be used that way."),
    413: _l("What was sent is too large."),
    429: _l("Too many attempts. Wait a few minutes and try again."),
    500: _l("Something went wrong on our side. Nothing was saved. Please try again."),
    503: _l("The server is very busy. Nothing was saved. Wait a few seconds and try again."),
}
RETRY_AFTER_SECONDS = 5


def _page(code: int, message=None):
    return render_template("errors/error.html", code=code, message=message or MESSAGES.get(code, MESSAGES[400])), code


def handle_http(error: HTTPException):
    code = error.code or 500
    if code == 403 and error.description == "plain_http":
        return _page(403, _l("Open this app with https:// (the clinic network does not carry it in clear)."))
    return _page(code)


def handle_csrf(_error: CSRFError):
    from flask_login import current_user

    from clinic_app.core import guard

    if not current_user.is_authenticated and guard.sent_from_a_page_form() and not guard.is_public_page():
        return guard.back_to_the_form_after_sign_in()  # the session (and its form token) ended meanwhile
    return _page(
        400,
        _l(
            "This form had expired (or was sent twice). Your entries were not saved; "
            "please go back, reload and submit again."
        ),
    )


def handle_busy(error: Busy):
    db.session.rollback()
    return _busy(error.retry_after)


def _busy(retry_after: int):
    headers = {"Retry-After": str(retry_after)}
    try:
        body, code = _page(503)
    except Exception:  # noqa: BLE001 (the page itself needed the busy database: answer in plain words)
        return str(MESSAGES[503]), 503, {**headers, "Content-Type": "text/plain; charset=utf-8"}
    return body, code, headers


def _overloaded(error: Exception) -> bool:
    """The database stayed locked past its busy time-out, or no pooled connection freed up: a flood."""
    if isinstance(error, PoolTimeout):
        return True
    return isinstance(error, OperationalError) and "database is locked" in str(error)


def handle_unexpected(error: Exception):
    db.session.rollback()
    if _key_changed_underneath(error):
        return redirect(url_for("vault.unlock"))
    if _overloaded(error):
        log.warning("overloaded: %s", type(error).__name__)
        return _busy(RETRY_AFTER_SECONDS)
    # The message of an exception may hold user input: log only its type.
    log.error("unhandled %s", type(error).__name__, exc_info=False)
    return _page(500)


def _key_changed_underneath(error: Exception) -> bool:
    """The database was re-keyed while the app ran: lock it again, so the new passphrase is asked."""
    keys = current_app.extensions.get("vault")
    if keys is None or not keys.enabled or "file is not a database" not in str(error):
        return False
    keys.forget()
    db.engine.dispose()
    log.warning("the database no longer opens with the passphrase held: locked until unlocked again")
    return True


def register(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf)
    app.register_error_handler(Busy, handle_busy)
    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(InternalServerError, handle_unexpected)
    app.register_error_handler(Exception, handle_unexpected)
