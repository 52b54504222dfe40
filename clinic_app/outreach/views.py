"""Outreach pages. Peer educators' pages are built for a 360px phone."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from clinic_app.clients.services import peer_educator_choices
from clinic_app.core.errors import Invalid, NotFound
from clinic_app.core.forms import choice_list
from clinic_app.core.permissions import requires
from clinic_app.core.qr import qr_image
from clinic_app.core.views import apply_errors, current_actor, forget_draft, page_arg
from clinic_app.outreach import figures, referrals, services, start, tracing, trainings
from clinic_app.outreach.forms import (
    AssignTracingForm,
    ContactForm,
    HotspotForm,
    OutcomeForm,
    PeriodForm,
    ReferralForm,
    TrainingForm,
)
from clinic_app.outreach.services import ContactInput
from clinic_app.outreach.trainings import TrainingInput

bp = Blueprint("outreach", __name__, url_prefix="/outreach")


def _saved(message: str, draft: str, created: bool) -> None:
    """Confirm a save and let the browser forget the form's draft."""
    flash(message if created else _("This was already saved; it was not stored twice."), "success")
    forget_draft(draft)


@bp.route("/")
@requires("outreach.figures")
def index():
    """A peer educator's start page on the phone; for staff, the way into outreach."""
    actor = current_actor()
    return render_template(
        "outreach/index.html", **(start.peer_home(actor=actor) if actor.can("outreach.work") else {})
    )


@bp.route("/contacts")
@requires("outreach.work")
def contacts():
    pagination = services.own_contacts(actor=current_actor(), page=page_arg(), per_page=current_app.config["PAGE_SIZE"])
    return render_template("outreach/contacts.html", pagination=pagination)


@bp.route("/contacts/new", methods=["GET", "POST"])
@requires("outreach.work")
def new_contact():
    actor = current_actor()
    form = ContactForm()
    form.hotspot_id.choices = choice_list(
        [("", _("Choose..."))] + [(str(h.id), h.name) for h in services.hotspots_for(actor)]
    )
    if request.method == "GET":
        form.contact_date.data = services.actor_today(actor)
    if form.validate_on_submit():
        data = ContactInput(**{name: form[name].data for name in ContactInput.__dataclass_fields__ if name in form})
        try:
            _contact, created = services.record_contact(
                actor=actor,
                data=data,
                submission_key=form.key(),
                backdate_days=current_app.config["OUTREACH_BACKDATE_DAYS"],
            )
        except Invalid as error:
            apply_errors(form, error)
        else:
            _saved(_("Contact saved."), "contact", created)
            return redirect(url_for("outreach.new_contact"))
    return render_template("outreach/contact_form.html", form=form), 422 if form.is_submitted() else 200


@bp.route("/referrals")
@requires("outreach.referrals")
def referral_list():
    status = request.args.get("status", "")
    pagination = services.referral_list(
        actor=current_actor(), page=page_arg(), per_page=current_app.config["PAGE_SIZE"], status=status
    )
    return render_template(
        "outreach/referrals.html",
        pagination=pagination,
        status=status,
        today=services.actor_today(current_actor()),
        display_code=referrals.display_code,
    )


@bp.route("/referrals/new", methods=["GET", "POST"])
@requires("outreach.work")
def new_referral():
    form = ReferralForm()
    if form.validate_on_submit():
        try:
            referral, created = services.issue_referral(
                actor=current_actor(),
                service=form.service.data,
                client_number=form.client_number.data,
                submission_key=form.key(),
                valid_days=current_app.config["REFERRAL_VALID_DAYS"],
            )
        except Invalid as error:
            apply_errors(form, error)
        else:
            _saved(_("Referral issued. Show or print the slip."), "referral", created)
            return redirect(url_for("outreach.slip", referral_id=referral.id))
    return render_template("outreach/referral_form.html", form=form), 422 if form.is_submitted() else 200


@bp.route("/referrals/<uuid:referral_id>")
@requires("outreach.referrals")
def slip(referral_id):
    try:
        referral = services.visible_referral(actor=current_actor(), referral_id=referral_id)
    except NotFound:
        abort(404)
    code = referrals.display_code(referral.code)
    return render_template(
        "outreach/slip.html",
        referral=referral,
        code=code,
        qr=qr_image(code),  # encodes the code as printed (redemption accepts it with or without the dash)
        today=services.actor_today(current_actor()),
    )


@bp.route("/figures")
@requires("outreach.figures")
def loop_figures():
    actor = current_actor()
    form = PeriodForm(request.args)
    today = services.actor_today(actor)
    start = form.start.data if form.validate() and form.start.data else today.replace(day=1)
    end = form.end.data if form.end.data and form.end.data >= start else today
    form.start.data, form.end.data = start, end
    total, per_peer = figures.loop_figures(actor=actor, start=start, end=end)
    return render_template(
        "outreach/figures.html",
        form=form,
        total=total,
        per_peer=per_peer,
        clinic_wide=actor.can("outreach.clinic_figures"),
    )


@bp.route("/tracing")
@requires("outreach.tracing")
def tracing_list():
    actor = current_actor()
    if actor.can("outreach.work"):
        return render_template("outreach/tracing_mine.html", rows=tracing.own_tracing(actor=actor), form=OutcomeForm())
    return render_template(
        "outreach/tracing_clinic.html", rows=tracing.clinic_tracing(actor=actor), reason_label=tracing.reason_label
    )


@bp.route("/tracing/<uuid:assignment_id>/outcome", methods=["POST"])
@requires("outreach.work")
def tracing_outcome(assignment_id):
    form = OutcomeForm()
    if not form.validate_on_submit():
        flash(_("Choose what came of the follow-up."), "error")
        return redirect(url_for("outreach.tracing_list"))
    try:
        tracing.record_outcome(actor=current_actor(), assignment_id=assignment_id, outcome=form.outcome.data)
    except NotFound:
        abort(404)
    flash(_("Follow-up outcome saved."), "success")
    return redirect(url_for("outreach.tracing_list"))


@bp.route("/tracing/assign", methods=["POST"])
@requires("outreach.assign_tracing")
def assign_tracing():
    form = AssignTracingForm()
    back = request.form.get("back", "")
    target = back if back.startswith("/duelists/") else url_for("outreach.tracing_list")
    if form.validate_on_submit():
        try:
            added = tracing.assign_tracing(
                actor=current_actor(),
                client_ids=form.client_ids.data or [],
                peer_id=form.peer_id.data,
                reason=form.reason.data or "",
            )
        except Invalid as error:
            flash(error.message, "error")
        else:
            flash(_("%(n)d client(s) added to the peer educator's tracing list.", n=added), "success")
    else:
        flash(_("Choose a peer educator and tick at least one client."), "error")
    return redirect(target)


@bp.route("/trainings")
@requires("outreach.trainings")
def training_list():
    pagination = trainings.clinic_trainings(
        actor=current_actor(), page=page_arg(), per_page=current_app.config["PAGE_SIZE"]
    )
    return render_template("outreach/trainings.html", pagination=pagination)


@bp.route("/trainings/new", methods=["GET", "POST"])
@requires("outreach.trainings")
def new_training():
    form = TrainingForm()
    form.staff_ids.choices = trainings.staff_choices(current_actor().clinic_id)
    if request.method == "GET":
        form.held_on.data = services.actor_today(current_actor())
        form.facilitator.data = current_actor().user.display_name
    if form.validate_on_submit():
        data = TrainingInput(**{name: form[name].data for name in TrainingInput.__dataclass_fields__})
        try:
            _training, created = trainings.record_training(actor=current_actor(), data=data, submission_key=form.key())
        except Invalid as error:
            apply_errors(form, error)
        else:
            _saved(_("Session saved."), "training", created)
            return redirect(url_for("outreach.training_list"))
    return render_template("outreach/training_form.html", form=form), 422 if form.is_submitted() else 200


@bp.route("/hotspots")
@requires("outreach.hotspots")
def hotspots():
    return render_template("outreach/hotspots.html", hotspots=services.hotspots_for(current_actor(), active_only=False))


@bp.route("/hotspots/new", methods=["GET", "POST"], defaults={"hotspot_id": None})
@bp.route("/hotspots/<uuid:hotspot_id>", methods=["GET", "POST"])
@requires("outreach.hotspots")
def hotspot_form(hotspot_id):
    actor = current_actor()
    try:
        hotspot = services.clinic_hotspot(actor, hotspot_id) if hotspot_id else None
    except NotFound:
        abort(404)
    form = HotspotForm(obj=hotspot if request.method == "GET" else None)
    form.peer_ids.choices = choice_list(peer_educator_choices(actor.clinic_id))
    if request.method == "GET" and hotspot is not None:
        form.kind.data = hotspot.kind.value
        form.peer_ids.data = services.covered_hotspot_ids(hotspot)
    if form.validate_on_submit():
        try:
            services.save_hotspot(
                actor=actor,
                name=form.name.data,
                kind=form.kind.data,
                is_active=form.is_active.data,
                peer_ids=form.peer_ids.data or [],
                hotspot=hotspot,
            )
        except Invalid as error:
            apply_errors(form, error)
        else:
            flash(_("Hotspot saved."), "success")
            return redirect(url_for("outreach.hotspots"))
    return render_template(
        "outreach/hotspot_form.html", form=form, hotspot=hotspot
    ), 422 if form.is_submitted() else 200
