"""Request hygiene every route shares: no NUL bytes, no plain HTTP from the network, security headers.

The checks that belong to a feature live with it and the factory orders them: sign-in and the
permission table in auth/guard.py, the locked database in vault/guard.py.
"""

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_babel import gettext as _

from clinic_app.core import work
from clinic_app.core.permissions import PUBLIC, required_action


def declare_unit_of_work():
    """A page that only reads (GET, HEAD) is declared so, first of all: its database session begins a
    read transaction and never takes SQLite's write lock (core/work.py); any other method writes."""
    if request.method in ("GET", "HEAD"):
        g.reads_only_token = work.declare_reads_only()
    return None


def end_unit_of_work(_error=None) -> None:
    """The request's declaration ends with it (a served thread takes the next request clean)."""
    token = g.pop("reads_only_token", None)
    if token is not None:
        work.end_declaration(token)


def refuse_nul_bytes():
    """No person types a NUL byte; some databases cannot store one. Refuse such a request whole."""
    if any("\x00" in value for values in request.values.listvalues() for value in values):
        abort(400)
    return None


LOOPBACK = ("127.0.0.1", "::1")


def refuse_plain_http_from_the_network():
    """Passwords and client lists never cross the Wi-Fi in clear: plain HTTP answers only this computer
    (127.0.0.1) or a reverse proxy on it; anyone else is told to use https (REQUIRE_TLS_FROM_NETWORK)."""
    if request.is_secure or request.remote_addr in LOOPBACK or not current_app.config["REQUIRE_TLS_FROM_NETWORK"]:
        return None
    abort(403, description="plain_http")


def is_public_page() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return view is not None and required_action(view) == PUBLIC


def sent_from_a_page_form() -> bool:
    """A form a person submitted from a page that can be opened again (not a script's request)."""
    rule = request.url_rule
    return (
        rule is not None
        and "GET" in (rule.methods or ())
        and request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data")
        and request.headers.get("X-Requested-With") is None
    )


def back_to_the_form_after_sign_in():
    """A form sent after the session ended: nothing is saved, the browser still holds the entries
    (its draft), and signing in again leads back to the same form, where they are restored."""
    flash(_("Nothing was saved yet: your entries are kept on this screen. Sign in to return to the form."), "info")
    return redirect(url_for("auth.login", next=request.path), code=303)


def security_headers(response):
    """Headers on every answer: no framing, no sniffing, no referrer, strict CSP."""
    headers = response.headers
    headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    )
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("X-Frame-Options", "DENY")
    if request.is_secure:
        # Once a browser has seen HTTPS here, it never tries plain HTTP to this name again.
        headers.setdefault("Strict-Transport-Security", f"max-age={current_app.config['HSTS_SECONDS']}")
    if request.endpoint != "static":
        # Pages may show client data: never keep them in a shared desktop's cache.
        headers["Cache-Control"] = "no-store"
    return response
