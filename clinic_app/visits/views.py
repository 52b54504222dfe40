"""Visit pages: the clinic's visit list, record a visit, view and correct one; the client page's visit
timeline and the health card's next appointment (clients.contributions)."""

from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from clinic_app.clients import contributions as client_contributions
from clinic_app.clients.models import Client
from clinic_app.core.errors import Conflict, Invalid, NotFound
from clinic_app.core.forms import section_data, section_input
from clinic_app.core.permissions import requires
from clinic_app.core.timeutil import local_today
from clinic_app.core.views import apply_errors, current_actor, field_named, forget_draft, get_or_404, page_arg
from clinic_app.visits import contributions, history, services
from clinic_app.visits.forms import VisitFilterForm, VisitForm
from clinic_app.visits.recording import load_sections
from clinic_app.visits.sections import BY_NAME, SECTIONS, ServicesInput
from clinic_app.visits.services import DuplicateVisit, VisitFilters, VisitInput
from clinic_app.visits.suggestions import return_visit_suggestions

bp = Blueprint("visits", __name__, url_prefix="/visits", cli_group=None)


def _input(form: VisitForm) -> VisitInput:
    return VisitInput(
        service_date=form.service_date.data,
        visit_type=form.visit_type.data,
        reasons=form.reasons.data or [],
        referral_code=form.referral_code.data,
        notes=form.notes.data,
        next_appointment_on=form.next_appointment_on.data,
    )


def _services(form: VisitForm) -> ServicesInput:
    return ServicesInput(**{section.name: section_input(form[section.name], section.input) for section in SECTIONS})


def _parsed_services(form: VisitForm) -> ServicesInput:
    """The sections that parsed; a section with a format error waits until it is fixed."""
    parsed = {}
    for section in SECTIONS:
        subform = form[section.name]
        try:
            parsed[section.name] = None if subform.errors else section_input(subform, section.input)
        except (TypeError, ValueError):  # a value no choice list holds
            parsed[section.name] = None
    return ServicesInput(**parsed)


def _rule_errors_too(form, client, visit=None) -> None:
    """Entries that did not parse are marked already; add what the clinical rules say about the rest,
    so that one round shows every problem."""
    problems = services.visit_problems(
        actor=current_actor(), client=client, data=_input(form), services=_parsed_services(form), visit=visit
    )
    apply_errors(form, Invalid("", {name: message for name, message in problems.items() if not _has_error(form, name)}))


def _has_error(form, name: str) -> bool:
    field = field_named(form, name)
    return field is not None and bool(field.errors)


def _later_treatment_choices(form, client, visit=None) -> dict:
    """Offer the positive screens a visit may record the treatment of; the section shows only when there are."""
    actor = current_actor()
    choices = services.treatable_screen_choices(client, actor.clinic_id, visit.id if visit is not None else None)
    form.cervical_tx.form.screen_id.choices = [("", _("Choose..."))] + choices
    offered = bool(choices or form.cervical_tx.form.screen_id.data)
    return {
        field.name: BY_NAME[field.name].label
        for field in form  # the sections in the form's order, the screen's
        if field.name in BY_NAME and (offered or field.name != "cervical_tx")
    }


def _render_form(form, client, visit, duplicate=None):
    status = 422 if form.is_submitted() else 200
    sections = _later_treatment_choices(form, client, visit)
    history = [v for v in services.client_timeline(client) if visit is None or v.id != visit.id]
    summary = services.clinical_summary(history)
    return render_template(
        "visits/form.html",
        form=form,
        client=client,
        visit=visit,
        duplicate=duplicate,
        sections=sections,
        summary=summary,
        suggestions=return_visit_suggestions(summary, history[0] if history else None) if visit is None else {},
        today=local_today(current_actor().user.clinic.timezone),
        **contributions.visit_form.context(actor=current_actor(), client=client, visit=visit),  # crisis care
    ), status


@bp.route("/")
@requires("visits.list")
def index():
    form = VisitFilterForm(request.args)
    filters = VisitFilters(**form.data) if form.validate() else VisitFilters()
    pagination = services.list_visits(
        actor=current_actor(), filters=filters, page=page_arg(), per_page=current_app.config["PAGE_SIZE"]
    )
    args = {k: v for k, v in request.args.items() if k in VisitFilterForm.FIELDS and v}
    return render_template("visits/index.html", form=form, pagination=pagination, args=args)


@bp.route("/for/<uuid:client_id>/new", methods=["GET", "POST"])
@requires("visits.record")
def new(client_id):
    client = get_or_404(Client, client_id)
    form = VisitForm()
    if request.method == "GET":
        today = local_today(current_actor().user.clinic.timezone)
        form.service_date.data = today
        form.visit_type.data = services.suggested_visit_type(client, today).value
    duplicate = None
    if form.validate_on_submit():
        try:
            visit = services.record_visit(
                actor=current_actor(), client=client, data=_input(form), services=_services(form)
            )
        except DuplicateVisit as error:
            duplicate = error.visit
            form.form_errors.append(error.message)
        except (Invalid, Conflict) as error:
            apply_errors(form, error)
        else:
            flash(_("Visit of %(day)s recorded.", day=visit.service_date.isoformat()), "success")
            forget_draft("visit-new")
            if any(contributions.visit_recorded(actor=current_actor(), visit=visit)):  # e.g. an open crisis case
                return redirect(url_for("visits.detail", visit_id=visit.id))
            return redirect(url_for("clients.detail", client_id=client.id))
    elif form.is_submitted():
        _rule_errors_too(form, client)
    return _render_form(form, client, None, duplicate)


@bp.route("/<uuid:visit_id>")
@requires("visits.list")
def detail(visit_id):
    try:
        visit = services.view_visit(actor=current_actor(), visit_id=visit_id)
    except NotFound:
        abort(404)
    form = VisitForm(data=_visit_data(visit), meta={"csrf": False})
    return render_template(
        "visits/detail.html",
        visit=visit,
        form=form,
        sections=_later_treatment_choices(form, visit.client, visit),
        history=services.visit_history(visit),
        history_changes=history.changes,
        **contributions.visit_page.context(actor=current_actor(), visit=visit),  # crisis care
    )


@bp.route("/<uuid:visit_id>/edit", methods=["GET", "POST"])
@requires("visits.edit")
def edit(visit_id):
    try:
        visit = services.view_visit(actor=current_actor(), visit_id=visit_id)
    except NotFound:
        abort(404)
    form = VisitForm(data=_visit_data(visit) if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            services.update_visit(actor=current_actor(), visit=visit, data=_input(form), services=_services(form))
        except (Invalid, Conflict) as error:
            apply_errors(form, error)
        else:
            flash(_("Visit saved."), "success")
            forget_draft("visit-edit")
            return redirect(url_for("visits.detail", visit_id=visit.id))
    elif form.is_submitted():
        _rule_errors_too(form, visit.client, visit)
    return _render_form(form, visit.client, visit)


@client_contributions.client_page.register
def timeline_on_client_page(client: Client, *, actor, today) -> dict:
    """The client page's visit timeline, every clinic's, and the clinical summary drawn from it."""
    visits = services.client_timeline(client)
    return {"visits": visits, "summary": services.clinical_summary(visits)}


@client_contributions.next_appointment.register
def appointment_on_health_card(client: Client, today: date) -> date | None:
    """The appointment the health card may print: the one set at the latest visit, if still ahead."""
    return services.next_appointment(services.client_timeline(client), today)


def _visit_data(visit) -> dict:
    recorded = load_sections(visit)
    data = {
        "service_date": visit.service_date,
        "visit_type": visit.visit_type.value,
        "reasons": [r.value for r in visit.reasons],
        "referral_code": visit.referral_code,
        "next_appointment_on": visit.next_appointment_on,
        "notes": visit.notes,
    }
    data.update({section.name: section_data(getattr(recorded, section.name)) for section in SECTIONS})
    return {k: v for k, v in data.items() if v is not None}
