"""How a phone trusts the clinic's HTTPS: a page with the steps and the CA's fingerprint, and the CA
certificate to install once (it is public, not secret)."""

from flask import Blueprint, current_app, redirect, render_template, send_file, url_for

from clinic_app.core.permissions import public
from clinic_app.tls.certificates import fingerprint, tls_files

bp = Blueprint("tls", __name__, url_prefix="/tls", cli_group=None)


@bp.route("/")
@public
def index():
    files = tls_files(current_app)
    made = files.ca.exists()
    return render_template("tls/index.html", made=made, fingerprint=fingerprint(files.ca) if made else None)


@bp.route("/ca.crt")
@public
def ca_certificate():
    files = tls_files(current_app)
    if not files.ca.exists():
        return redirect(url_for("tls.index"))
    return send_file(files.ca, mimetype="application/x-x509-ca-cert", download_name="bluebox-clinic-ca.crt")
