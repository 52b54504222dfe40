"""The unlock page: the only page served while the database is locked."""

from flask import redirect, render_template, url_for

from clinic_app.core.errors import Invalid
from clinic_app.core.permissions import public
from clinic_app.core.views import apply_errors
from clinic_app.vault import bp, services
from clinic_app.vault.forms import SetUpForm, UnlockForm
from clinic_app.vault.keyring import vault


@bp.route("/unlock", methods=["GET", "POST"])
@public
def unlock():
    keys = vault()
    if not keys.locked:
        return redirect(url_for("main.home"))
    if not keys.exists:
        return redirect(url_for("vault.set_up"))
    form = UnlockForm()
    if form.validate_on_submit():
        try:
            services.unlock(form.passphrase.data)
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
