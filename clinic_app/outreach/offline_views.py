"""The peer educator's pages without signal: the installable app (manifest, service worker) and the JSON
endpoints the phone's outbox sends to (static/js/offline.js). Same forms and services as the pages, so an
entry sent later gets the same messages; the phone's UUID is the submission key (sent twice, stored once).

The worker is served from /outreach but works for the whole site (Service-Worker-Allowed: /): the pages
it keeps are outreach's contact and slip forms and the crisis case form (crisis/offline_views.py takes
those entries). It answers only for the pages and files it lists; every other request goes to the network
untouched. One worker rather than one per feature: a page is controlled by one worker only, and the
outbox, its count and its sending are the same for every entry."""

from datetime import date

from flask import current_app, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import user_logged_out
from flask_wtf.csrf import generate_csrf

from clinic_app.core.actor import Actor
from clinic_app.core.errors import Invalid
from clinic_app.core.forms import choice_list
from clinic_app.core.outbox import read_entry, refused, unreadable
from clinic_app.core.permissions import requires, role_can
from clinic_app.core.qr import qr_image
from clinic_app.core.views import current_actor
from clinic_app.outreach import offline, referrals, services
from clinic_app.outreach.forms import ContactForm, ReferralForm
from clinic_app.outreach.services import ContactInput
from clinic_app.outreach.views import bp


@bp.route("/app.webmanifest")
@requires("outreach.work")
def manifest():
    """What makes the peer educator's pages an installable app (same origin, no CDN)."""
    data = {
        "name": _("Blue Box outreach"),
        "short_name": "Blue Box",
        "start_url": url_for("outreach.index"),
        "scope": url_for("main.home"),  # the crisis case form is part of the app
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
    """Keeps the contact, slip and crisis case forms (and the files they need) for opening without signal."""
    pages = [url_for("outreach.new_contact"), url_for("outreach.new_referral")]
    if current_actor().can("crisis.open"):
        pages.append(url_for("crisis.new_case"))
    files = (
        "css/app.css",
        "js/app.js",
        "js/offline.js",
        "favicon.svg",
        "icons/bluebox-192.png",
        "icons/bluebox-512.png",
    )
    assets = [url_for("static", filename=name) for name in files] + [url_for("outreach.manifest")]
    body = render_template("outreach/sw.js", pages=pages, assets=assets, version=current_app.config.get("VERSION", "1"))
    response = current_app.response_class(body, mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = url_for("main.home")
    response.headers["Cache-Control"] = "no-cache"
    return response


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


@bp.route("/offline/contact", methods=["POST"])
@requires("outreach.work")
def offline_contact():
    entry = read_entry()
    if entry is None:
        return unreadable()
    actor = current_actor()
    form = ContactForm(formdata=entry.formdata, meta={"csrf": False})
    form.hotspot_id.choices = choice_list([("", "")] + [(str(h.id), h.name) for h in services.hotspots_for(actor)])
    if not form.validate():
        return refused(form, _("The contact was not saved. Please correct the fields marked below."), form.errors)
    data = ContactInput(**{name: form[name].data for name in ContactInput.__dataclass_fields__ if name in form})
    try:
        _contact, created = services.record_contact(
            actor=actor, data=data, submission_key=entry.key, backdate_days=current_app.config["OUTREACH_BACKDATE_DAYS"]
        )
    except Invalid as error:
        return refused(form, error.message, error.field_errors)
    return jsonify(status="saved" if created else "already", message=_("Contact saved."))


@bp.route("/offline/referral", methods=["POST"])
@requires("outreach.work")
def offline_referral():
    entry = read_entry()
    if entry is None:
        return unreadable()
    data = entry.data
    form = ReferralForm(formdata=entry.formdata, meta={"csrf": False})
    if not form.validate():
        return refused(form, _("The referral was not issued."), form.errors)
    try:
        issued_on = date.fromisoformat(data["issued_on"]) if data.get("issued_on") else None
    except (TypeError, ValueError):
        return unreadable()
    code = data.get("code") if isinstance(data.get("code"), str) else None
    try:
        referral, created = services.issue_referral(
            actor=current_actor(),
            service=form.service.data,
            client_number=form.client_number.data,
            submission_key=entry.key,
            valid_days=current_app.config["REFERRAL_VALID_DAYS"],
            code=code,
            issued_on=issued_on,
            backdate_days=current_app.config["OUTREACH_BACKDATE_DAYS"],
        )
    except Invalid as error:
        return refused(form, error.message, error.field_errors)
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
