"""Client pages: search, register, view, edit, merge.

The features built on clients add to these pages through clients.contributions: the visit timeline and
the network panel on the client page, the network's index to a search that found nobody here."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from clinic_app.clients import contributions, services
from clinic_app.clients.forms import HealthCardForm, MergeForm, RegisterClientForm, SearchForm
from clinic_app.clients.models import Client
from clinic_app.clients.services import ClientDetails, ProbableDuplicate, SafeguardingNeeded
from clinic_app.core.errors import Conflict, Invalid, NotFound
from clinic_app.core.forms import choice_list
from clinic_app.core.permissions import requires
from clinic_app.core.qr import qr_image
from clinic_app.core.views import apply_errors, current_actor, forget_draft, get_or_404

bp = Blueprint("clients", __name__, url_prefix="/clients")

DETAIL_FIELDS = tuple(ClientDetails.__dataclass_fields__)


def _details(form) -> ClientDetails:
    return ClientDetails(**{name: getattr(form, name).data for name in DETAIL_FIELDS})


@bp.route("/", methods=["GET", "POST"])
@requires("clients.search")
def search():
    """Search is POSTed so that numbers, UICs and aliases never appear in a URL or log."""
    form = SearchForm()
    hits, elsewhere = None, {}
    if form.validate_on_submit():
        hits = services.search_clients(actor=current_actor(), term=form.term.data)
        if not hits:  # not known here: what the features above know (the network's index)
            elsewhere = contributions.search_elsewhere.context(actor=current_actor(), term=form.term.data)
    status = 422 if form.is_submitted() and form.errors else 200
    return render_template("clients/search.html", form=form, hits=hits, **elsewhere), status


@bp.route("/new", methods=["GET", "POST"])
@requires("clients.register")
def register():
    form = RegisterClientForm()
    _peer_choices(form)
    if request.method == "GET":
        form.enrolled_on.data = services.actor_today(current_actor())
    matches = safeguarding = None
    if form.validate_on_submit():
        try:
            client = services.register_client(
                actor=current_actor(),
                details=_details(form),
                consent_given=form.consent_given.data,
                confirm_new=form.confirm_new.data,
                safeguarding_done=form.safeguarding_done.data,
            )
        except SafeguardingNeeded as prompt:
            safeguarding = prompt
            form.form_errors.append(prompt.message)
        except ProbableDuplicate as duplicate:
            matches = duplicate.matches
            form.form_errors.append(duplicate.message)
        except Invalid as error:
            apply_errors(form, error)
        else:
            # Flashes travel in the signed (not encrypted) session cookie: never a client number in them.
            flash(_("Client registered. Write the client number shown below on the health card."), "success")
            forget_draft("register")
            return redirect(url_for("clients.detail", client_id=client.id))
    elif form.is_submitted():
        problems = services.registration_problems(
            actor=current_actor(), details=_details(form), consent_given=form.consent_given.data
        )
        apply_errors(form, Invalid("", {k: v for k, v in problems.items() if k in form and not form[k].errors}))
    status = 422 if form.is_submitted() else 200
    return render_template("clients/register.html", form=form, matches=matches, safeguarding=safeguarding), status


@bp.route("/<uuid:client_id>")
@requires("clients.view")
def detail(client_id):
    try:
        client = services.view_client(actor=current_actor(), client_id=client_id)
    except NotFound:
        abort(404)
    if client.is_merged:
        flash(_("The record you opened was merged into this one; its number still finds it."), "info")
        return redirect(url_for("clients.detail", client_id=services.resolve(client).id))
    actor, today = current_actor(), services.actor_today(current_actor())
    return render_template(
        "clients/detail.html",
        client=client,
        today=today,
        merge_form=MergeForm(),
        # the visit timeline and clinical summary (visits), the network panel (network)
        **contributions.client_page.context(client, actor=actor, today=today),
    )


@bp.route("/<uuid:client_id>/edit", methods=["GET", "POST"])
@requires("clients.edit")
def edit(client_id):
    client = _opened(client_id) if request.method == "GET" else get_or_404(Client, client_id)
    if client.is_merged:
        return redirect(url_for("clients.edit", client_id=services.resolve(client).id))
    form = RegisterClientForm(data=_form_data(client) if request.method == "GET" else None)
    del form.consent_given, form.confirm_new, form.safeguarding_done
    _peer_choices(form)
    if form.validate_on_submit():
        try:
            services.update_client(actor=current_actor(), client=client, details=_details(form))
        except (Invalid, Conflict) as error:
            apply_errors(form, error)
        else:
            flash(_("Client details saved."), "success")
            forget_draft("client-edit")
            return redirect(url_for("clients.detail", client_id=client.id))
    status = 422 if form.is_submitted() else 200
    return render_template("clients/edit.html", form=form, client=client), status


def _opened(client_id) -> Client:
    """Load a client for a page that shows the record, auditing the view."""
    try:
        return services.view_client(actor=current_actor(), client_id=client_id)
    except NotFound:
        abort(404)


def _peer_choices(form) -> None:
    peers = services.peer_educator_choices(current_actor().clinic_id)
    form.peer_educator_id.choices = choice_list([("", _("None"))] + peers)


def _form_data(client: Client) -> dict:
    return {
        # "9" pads a missing letter in the UIC; the form takes the letters as typed.
        "mother_letters": client.uic[0:2].rstrip("9") or "9",
        "own_letters": client.uic[2:4].rstrip("9") or "9",
        "sex": str(client.sex),
        "date_of_birth": None if client.dob_estimated else client.date_of_birth,
        "estimated_age": services.age_now(client) if client.dob_estimated else None,
        "dob_unknown": client.date_of_birth is None,
        "alias": client.alias,
        "key_population": str(client.key_population),
        "nationality": str(client.nationality),
        "is_mobile": client.is_mobile,
        "phone": client.phone,
        "phone_consent": client.phone_consent,
        "enrolled_on": client.enrolled_on,
        "peer_educator_id": str(client.peer_educator_id) if client.peer_educator_id else "",
    }


def _duplicate_or_message(form, keep: Client):
    if not form.validate_on_submit():
        flash(_("Type the client number of the duplicate record."), "error")
        return None
    duplicate = services.find_by_number(form.duplicate_number.data)
    if duplicate is None:
        flash(_("No client has that number. Check the digits on the card."), "error")
    return duplicate


@bp.route("/<uuid:client_id>/merge/preview", methods=["POST"])
@requires("clients.merge")
def merge_preview(client_id):
    """Show both records side by side before anything is merged."""
    keep = get_or_404(Client, client_id)
    duplicate = _duplicate_or_message(MergeForm(), keep)
    if duplicate is None:
        return redirect(url_for("clients.detail", client_id=keep.id))
    for record in (keep, duplicate):
        _opened(record.id)
    confirm = MergeForm(duplicate_number=duplicate.client_number)
    return render_template("clients/merge.html", keep=keep, duplicate=duplicate, form=confirm)


@bp.route("/<uuid:client_id>/merge", methods=["POST"])
@requires("clients.merge")
def merge(client_id):
    keep = get_or_404(Client, client_id)
    duplicate = _duplicate_or_message(MergeForm(), keep)
    if duplicate is not None:
        try:
            services.merge_clients(actor=current_actor(), keep=keep, duplicate=duplicate)
        except (Invalid, Conflict) as error:
            flash(error.message, "error")
        else:
            flash(_("The duplicate record was merged into this one. Its number still finds this record."), "success")
    return redirect(url_for("clients.detail", client_id=keep.id))


@bp.route("/<uuid:client_id>/card")
@requires("clients.view")
def card(client_id):
    """The client's health card to print: number as text and QR code, clinic, next appointment if wanted."""
    client = _opened(client_id)
    if client.is_merged:
        return redirect(url_for("clients.card", client_id=services.resolve(client).id))
    form = HealthCardForm(request.args)
    today = services.actor_today(current_actor())
    shown = None
    if form.appointment.data:  # the next appointment (visits)
        shown = next((day for day in contributions.next_appointment(client, today) if day is not None), None)
    return render_template(
        "clients/card.html",
        client=client,
        form=form,
        qr=qr_image(client.client_number),
        appointment=shown,
        clinic=current_actor().user.clinic,
    )
