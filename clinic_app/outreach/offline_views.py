"""The peer educator's pages without signal: the installable app (manifest, service worker) and the JSON
endpoints the phone's outbox sends to (static/js/offline.js). Same forms and services as the pages, so an
entry sent later gets the same messages; the phone's UUID is the submission key (sent twice, stored once)."""

import uuid
from datetime import date

from flask import current_app, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import user_logged_out
from flask_wtf.csrf import generate_csrf
from werkzeug.datastructures import MultiDict

from clinic_app.core.actor import Actor
from clinic_app.core.errors import Invalid
from clinic_app.core.forms import choice_list
from clinic_app.core.permissions import requires, role_can
from clinic_app.core.qr import qr_image
from clinic_app.core.views import current_actor
from clinic_app.outreach import bp, offline, referrals, services
from clinic_app.outreach.forms import ContactForm, ReferralForm
from clinic_app.outreach.services import ContactInput


@bp.route("/app.webmanifest")
@requires("outreach.work")
def manifest():
    """What makes the peer educator's pages an installable app (same origin, no CDN)."""
    data = {
        "name": _("Blue Box outreach"),
        "short_name": "Blue Box",
        "start_url": url_for("outreach.index"),
        "scope": url_for("outreach.index"),
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#1f4e79",
        "icons": [
            {"src": url_for("static", filename=f"icons/bluebox-{n}.png"), "sizes": f"{n}x{n}", "type": "image/png"}
            for n in (192, 512)
        ],
    }
    response = jsonify(data)
    response.mimetype = "application/manifest+json"
    return response


@bp.route("/sw.js")
@requires("outreach.work")
def service_worker():
    """Keeps the contact and slip forms (and the files they need) for opening without signal."""
    pages = [url_for("outreach.new_contact"), url_for("outreach.new_referral")]
    assets = [
        url_for("static", filename=name) for name in ("css/app.css", "js/app.js", "js/offline.js", "favicon.svg")
    ] + [url_for("outreach.manifest")]
    body = render_template("outreach/sw.js", pages=pages, assets=assets, version=current_app.config.get("VERSION", "1"))
    return current_app.response_class(body, mimetype="text/javascript")


@bp.route("/offline/token")
@requires("outreach.work")
def offline_token():
    """A fresh form token before the outbox sends (a page opened from the phone's cache may hold an old one)."""
    return jsonify(csrf_token=generate_csrf())


@bp.route("/offline/codes", methods=["POST"])
@requires("outreach.work")
def offline_codes():
    actor = current_actor()
    block = offline.reserve_codes(actor=actor, today=services.actor_today(actor))
    codes = []
    for reserved in block.codes:
        shown = referrals.display_code(reserved.code)
        codes.append(
            {
                "code": reserved.code,
                "display": shown,
                "qr": qr_image(shown).data_uri,
                "expires_on": str(reserved.expires_on),
            }
        )
    return jsonify(codes=codes)


def _payload():
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("fields"), dict):
        return None, None
    try:
        key = uuid.UUID(str(data.get("uuid")))
    except ValueError:
        return None, None
    pairs = []
    for name, values in data["fields"].items():
        for value in values if isinstance(values, list) else [values]:
            if isinstance(value, str | int | float) and len(str(value)) <= 200:
                pairs.append((str(name), str(value)))
    return data, (key, MultiDict(pairs))


def _refused(form, message: str, field_errors: dict | None = None):
    errors = []
    for name, messages in (field_errors or {}).items():
        for text in messages if isinstance(messages, list) else [messages]:
            label = form[name].label.text if name in form else ""
            errors.append({"field": name, "label": str(label), "message": str(text)})
    return jsonify(message=message, errors=errors), 422


def _bad_request():
    return jsonify(message=_("This entry could not be read."), errors=[]), 400


@bp.route("/offline/contact", methods=["POST"])
@requires("outreach.work")
def offline_contact():
    data, parsed = _payload()
    if data is None:
        return _bad_request()
    key, formdata = parsed
    actor = current_actor()
    form = ContactForm(formdata=formdata, meta={"csrf": False})
    form.hotspot_id.choices = choice_list([("", "")] + [(str(h.id), h.name) for h in services.hotspots_for(actor)])
    if not form.validate():
        return _refused(form, _("The contact was not saved. Please correct the fields marked below."), form.errors)
    entry = ContactInput(**{name: form[name].data for name in ContactInput.__dataclass_fields__ if name in form})
    try:
        _contact, created = services.record_contact(
            actor=actor, data=entry, submission_key=key, backdate_days=current_app.config["OUTREACH_BACKDATE_DAYS"]
        )
    except Invalid as error:
        return _refused(form, error.message, error.field_errors)
    return jsonify(status="saved" if created else "already", message=_("Contact saved."))


@bp.route("/offline/referral", methods=["POST"])
@requires("outreach.work")
def offline_referral():
    data, parsed = _payload()
    if data is None:
        return _bad_request()
    key, formdata = parsed
    form = ReferralForm(formdata=formdata, meta={"csrf": False})
    if not form.validate():
        return _refused(form, _("The referral was not issued."), form.errors)
    try:
        issued_on = date.fromisoformat(data["issued_on"]) if data.get("issued_on") else None
    except (TypeError, ValueError):
        return _bad_request()
    code = data.get("code") if isinstance(data.get("code"), str) else None
    try:
        referral, created = services.issue_referral(
            actor=current_actor(),
            service=form.service.data,
            client_number=form.client_number.data,
            submission_key=key,
            valid_days=current_app.config["REFERRAL_VALID_DAYS"],
            code=code,
            issued_on=issued_on,
            backdate_days=current_app.config["OUTREACH_BACKDATE_DAYS"],
        )
    except Invalid as error:
        return _refused(form, error.message, error.field_errors)
    return jsonify(
        status="saved" if created else "already",
        code=referrals.display_code(referral.code),
        url=url_for("outreach.slip", referral_id=referral.id),
    )


@user_logged_out.connect
def _release_codes_at_sign_out(sender, user, **extra):
    """The phone forgets its codes at sign-out; the server gives them back."""
    if user is not None and role_can(user.role, "outreach.work"):
        offline.release_codes(actor=Actor(user, request.remote_addr or "unknown"))
