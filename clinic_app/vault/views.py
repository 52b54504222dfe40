"""The unlock page: the only page served while the database is locked.

Typed on the clinic desktop itself (a request from 127.0.0.1 or ::1 that no proxy forwarded), the
passphrase takes the local path: its own delay after wrong guesses and its own turn to be checked, so
a loop of guesses from the network can neither delay nor queue the data administrator at the desktop.
``VAULT_UNLOCK_FROM_NETWORK = False`` leaves only the local path.
"""

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for

from clinic_app.core.errors import Invalid
from clinic_app.core.permissions import public
from clinic_app.core.views import apply_errors
from clinic_app.vault import services
from clinic_app.vault.forms import SetUpForm, UnlockForm
from clinic_app.vault.keyring import LOCAL, vault

bp = Blueprint("vault", __name__, url_prefix="/vault", cli_group=None)


@bp.route("/unlock", methods=["GET", "POST"])
@public
def unlock():
    keys = vault()
    if not keys.locked:
        return redirect(url_for("main.home"))
    if not keys.exists:
        return redirect(url_for("vault.set_up"))
    place = unlock_place()
    if place != LOCAL and not current_app.config["VAULT_UNLOCK_FROM_NETWORK"]:
        abort(403)
    form = UnlockForm()
    if form.validate_on_submit():
        try:
            services.unlock(form.passphrase.data, place)
        except Invalid as error:
            apply_errors(form, error)
        else:
            return redirect(url_for("auth.login"))
    return render_template("vault/unlock.html", form=form), 422 if form.is_submitted() else 200


@bp.route("/set-up", methods=["GET", "POST"])
@public
def set_up():
    keys = vault()
    if not keys.locked:
        return redirect(url_for("main.home"))
    if keys.exists:
        return redirect(url_for("vault.unlock"))
    form = SetUpForm()
    if form.validate_on_submit():
        try:
            services.set_up(form.passphrase.data, form.confirm.data)
        except Invalid as error:
            apply_errors(form, error)
        else:
            return redirect(url_for("auth.login"))
    return render_template("vault/set_up.html", form=form), 422 if form.is_submitted() else 200


def unlock_place() -> str:
    """LOCAL for the desktop itself, else the address the request came from."""
    forwarded = request.headers.get("X-Forwarded-For") or request.headers.get("Forwarded")
    if request.remote_addr in ("127.0.0.1", "::1") and not forwarded:
        return LOCAL
    return request.remote_addr or "unknown"
