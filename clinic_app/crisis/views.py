"""Crisis pages. The new-case form is built for a peer educator's phone at night."""

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from clinic_app.core.db import utcnow
from clinic_app.core.errors import Invalid, NotAllowed, NotFound
from clinic_app.core.forms import choice_list
from clinic_app.core.permissions import requires
from clinic_app.core.views import apply_errors, current_actor, forget_draft
from clinic_app.crisis import care, lists, services
from clinic_app.crisis.access import OpenReason, find_case, open_case
from clinic_app.crisis.detail import case_page, edit_data
from clinic_app.crisis.forms import (
    ActionForm,
    AssignForm,
    CaseEditForm,
    CaseForm,
    CloseForm,
    ConsentForm,
    FollowUpForm,
    ReasonForm,
    yes_no,
)
from clinic_app.outreach.services import hotspots_for

bp = Blueprint("crisis", __name__, url_prefix="/crisis")


def _reason() -> str | None:
    """The coded reason a restricted case was opened with (kept through its forms)."""
    value = request.values.get("reason") or None
    return value if value in {r.value for r in OpenReason} else None


def _back(case_id):
    return redirect(url_for("crisis.detail", case_id=case_id, reason=_reason()))


@bp.route("/")
@requires("crisis.cases")
def index():
    status = "closed" if request.args.get("status") == "closed" else "open"
    rows = lists.case_list(actor=current_actor(), status=status)
    return render_template("crisis/index.html", rows=rows, status=status)


def case_input(form, keep_record: bool) -> services.CaseInput:
    return services.CaseInput(
        survivor_kind=form.survivor_kind.data,
        client_number=form.client_number.data,
        uic=form.uic.data,
        alias=form.alias.data,
        violations=form.violations.data or [],
        perpetrators=form.perpetrators.data or [],
        perpetrator_count=form.perpetrator_count.data,
        incident_on=form.incident_on.data,
        incident_time=form.incident_time.data,
        hotspot_id=form.hotspot_id.data,
        place_text=form.place_text.data,
        town=form.town.data,
        channel=form.channel.data,
        safe_now=yes_no(form.safe_now.data),
        injured=yes_no(form.injured.data),
        keep_record=keep_record,
        narrative=form.narrative.data,
    )


def hotspot_choices(form, actor) -> None:
    form.hotspot_id.choices = choice_list([("", _("Choose...")), *((str(h.id), h.name) for h in hotspots_for(actor))])


@bp.route("/new", methods=["GET", "POST"])
@requires("crisis.open")
def new_case():
    actor = current_actor()
    form = CaseForm()
    hotspot_choices(form, actor)
    if request.method == "GET":
        form.incident_on.data = services.actor_today(actor)
        if actor.can("outreach.work"):
            form.channel.data = "peer"
    if form.validate_on_submit():
        data = case_input(form, keep_record=form.keep_record.data)
        try:
            case, created = services.open_new_case(actor=actor, data=data, submission_key=form.key())
        except Invalid as error:
            apply_errors(form, error)
        else:
            flash(_("Case opened.") if created else _("This was already saved; it was not stored twice."), "success")
            forget_draft("crisis-case")
            return redirect(url_for("crisis.detail", case_id=case.id, reason="responding" if case.restricted else None))
    return render_template("crisis/new.html", form=form), 422 if form.is_submitted() else 200


def _render_case(case_id, status=200, **forms):
    actor = current_actor()
    try:
        case = open_case(actor, case_id, _reason())
    except (NotFound, NotAllowed):
        abort(404)  # a case she may not open does not exist for her
    if case is None:
        reason_form = ReasonForm(request.args)
        return render_template("crisis/reason.html", form=reason_form, case_id=case_id), status
    return render_template("crisis/detail.html", **case_page(actor, case, _reason(), **forms)), status


@bp.route("/cases/<uuid:case_id>")
@requires("crisis.cases")
def detail(case_id):
    return _render_case(case_id)


def _when(form: ActionForm, actor) -> datetime | None:
    if form.done_on.data is None:
        return None
    zone = ZoneInfo(actor.user.clinic.timezone)
    at = datetime.combine(form.done_on.data, form.done_time.data or utcnow().astimezone(zone).time())
    return at.replace(tzinfo=zone)


def _handle(case_id, form, work, message, form_name):
    """Validate a form posted from the case page, run one service, and come back to the case."""
    if form.validate_on_submit():
        try:
            work()
        except (NotFound, NotAllowed):
            abort(404)
        except Invalid as error:
            apply_errors(form, error)
        else:
            flash(message, "success")
            return _back(case_id)
    return _render_case(case_id, 422, **{form_name: form})


@bp.route("/cases/<uuid:case_id>/edit", methods=["GET", "POST"])
@requires("crisis.respond")
def edit(case_id):
    actor = current_actor()
    try:
        case = open_case(actor, case_id, _reason()) if request.method == "GET" else find_case(actor, case_id)
    except (NotFound, NotAllowed):
        abort(404)
    if case is None:
        return render_template("crisis/reason.html", form=ReasonForm(request.args), case_id=case_id)
    form = CaseEditForm(data=None if request.method == "POST" else edit_data(case))
    hotspot_choices(form, actor)
    if form.validate_on_submit():
        try:
            services.update_case(actor=actor, case_id=case.id, data=case_input(form, keep_record=True))
        except Invalid as error:
            apply_errors(form, error)
        else:
            flash(_("Case saved."), "success")
            return _back(case.id)
    return render_template(
        "crisis/edit.html", form=form, case=case, reason=_reason()
    ), 422 if form.is_submitted() else 200


@bp.route("/cases/<uuid:case_id>/actions", methods=["POST"])
@requires("crisis.respond")
def record_action(case_id):
    actor = current_actor()
    form = ActionForm()

    def work():
        data = services.ActionInput(
            kind=form.kind.data,
            status=form.status.data,
            done_at=_when(form, actor),
            police_case_number=form.police_case_number.data,
            note=form.note.data,
        )
        services.record_action(actor=actor, case_id=case_id, data=data)

    return _handle(case_id, form, work, _("Step saved."), "action_form")


@bp.route("/cases/<uuid:case_id>/follow-ups", methods=["POST"])
@requires("crisis.respond")
def add_follow_up(case_id):
    actor = current_actor()
    form = FollowUpForm()

    def work():
        services.add_follow_up(
            actor=actor,
            case_id=case_id,
            due_on=form.due_on.data,
            assigned_to_id=form.assigned_to_id.data or None,
            note=form.note.data,
        )

    return _handle(case_id, form, work, _("Follow-up planned."), "follow_up_form")


@bp.route("/follow-ups/<uuid:follow_up_id>/done", methods=["POST"])
@requires("crisis.respond")
def follow_up_done(follow_up_id):
    try:
        follow_up = services.complete_follow_up(actor=current_actor(), follow_up_id=follow_up_id)
    except (NotFound, NotAllowed):
        abort(404)
    flash(_("Follow-up done."), "success")
    if request.form.get("back") == "list":
        return redirect(url_for("crisis.follow_ups"))
    return _back(follow_up.case_id)


@bp.route("/cases/<uuid:case_id>/consent", methods=["POST"])
@requires("crisis.respond")
def consent(case_id):
    actor = current_actor()
    form = ConsentForm()
    revoke = request.form.get("do") == "revoke"

    def work():
        service = services.revoke_consent if revoke else services.give_consent
        service(actor=actor, case_id=case_id, purpose=form.purpose.data)

    return _handle(case_id, form, work, _("Consent withdrawn.") if revoke else _("Consent recorded."), "consent_form")


@bp.route("/cases/<uuid:case_id>/responders", methods=["POST"])
@requires("crisis.coordinate")
def assign(case_id):
    actor = current_actor()
    form = AssignForm()

    def work():
        services.assign_responder(actor=actor, case_id=case_id, user_id=form.user_id.data)

    return _handle(case_id, form, work, _("Responder assigned."), "assign_form")


@bp.route("/cases/<uuid:case_id>/responders/<uuid:user_id>/end", methods=["POST"])
@requires("crisis.coordinate")
def end_assignment(case_id, user_id):
    try:
        services.end_assignment(actor=current_actor(), case_id=case_id, user_id=user_id)
    except (NotFound, NotAllowed):
        abort(404)
    flash(_("Responder taken off the case."), "success")
    return _back(case_id)


@bp.route("/cases/<uuid:case_id>/close", methods=["POST"])
@requires("crisis.coordinate")
def close(case_id):
    actor = current_actor()
    form = CloseForm()

    def work():
        data = services.CloseInput(
            outcome=form.outcome.data,
            perpetrator_outcome=form.perpetrator_outcome.data or None,
            court_case=form.court_case.data,
        )
        services.close_case(actor=actor, case_id=case_id, data=data)

    return _handle(case_id, form, work, _("Case closed."), "close_form")


@bp.route("/follow-ups")
@requires("crisis.cases")
def follow_ups():
    actor = current_actor()
    return render_template(
        "crisis/follow_ups.html", follow_ups=lists.follow_up_list(actor=actor), today=services.actor_today(actor)
    )


@bp.route("/care")
@requires("crisis.care")
def care_list():
    return render_template("crisis/care.html", rows=lists.needing_care(actor=current_actor()))


@bp.route("/visits/<uuid:visit_id>/link", methods=["POST"])
@requires("crisis.link_visit")
def link_visit(visit_id):
    try:
        care.link_visit(actor=current_actor(), visit_id=visit_id, case_id=request.form.get("case_id", ""))
    except NotFound:
        abort(404)
    except Invalid as error:
        flash(error.message, "error")
    else:
        flash(_("The visit is linked to the case."), "success")
    return redirect(url_for("visits.detail", visit_id=visit_id))
