"""Due list pages: an overview with counts, and each printable list."""

import uuid

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import gettext as _

from clinic_app.clients.services import peer_educator_choices
from clinic_app.clinics.services import clinic_choices
from clinic_app.core.forms import choice_list
from clinic_app.core.permissions import requires
from clinic_app.core.timeutil import local_today
from clinic_app.core.views import current_actor, page_arg
from clinic_app.duelists import services
from clinic_app.duelists.forms import DueFilterForm

bp = Blueprint("duelists", __name__, url_prefix="/duelists")


def due_settings(actor) -> services.DueSettings:
    return services.DueSettings.from_config(current_app.config, local_today(actor.user.clinic.timezone))


def _uuid(value):
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def _filters(actor) -> tuple[DueFilterForm, services.DueFilters, list[tuple[str, str]]]:
    """The filter form, the filters it gives, and the filtered clinic's peer educators."""
    form = DueFilterForm(request.args)
    form.clinic.choices = choice_list(clinic_choices())
    clinic_id = _uuid(form.clinic.data) or actor.clinic_id
    form.clinic.data = str(clinic_id)
    peers = peer_educator_choices(clinic_id)
    form.peer.choices = choice_list([("", _("All"))] + peers)
    peer_id = _uuid(form.peer.data)
    return form, services.DueFilters(clinic_id=clinic_id, peer_educator_id=peer_id), peers


def _filter_args() -> dict:
    """The filters to carry into links: only the known ones (a URL's other parameters are ignored; the page
    number is added by the pager)."""
    return {k: v for k, v in request.args.items() if k in ("clinic", "peer") and v}


@bp.route("/")
@requires("duelists.view")
def index():
    actor = current_actor()
    form, filters, _peers = _filters(actor)
    counts = services.due_counts(actor=actor, settings=due_settings(actor), filters=filters)
    return render_template(
        "duelists/index.html", form=form, counts=counts, lists=services.DUE_LISTS, args=_filter_args()
    )


@bp.route("/<name>")
@requires("duelists.view")
def show(name):
    if name not in services.DUE_LISTS:
        abort(404)
    actor = current_actor()
    form, filters, peers = _filters(actor)
    settings = due_settings(actor)
    page = services.due_page(
        actor=actor,
        name=name,
        settings=settings,
        filters=filters,
        page=page_arg(),
        per_page=current_app.config["DUE_LIST_PAGE_SIZE"],
    )
    own_clinic = filters.clinic_id == actor.clinic_id
    # Another clinic's list shows who is due, but not how to reach them, and is not for tracing from here.
    assign_to = peers if own_clinic and actor.can("outreach.assign_tracing") else []
    return render_template(
        "duelists/list.html",
        form=form,
        due=services.DUE_LISTS[name],
        page=page,
        entries=page.entries,
        today=settings.today,
        assign_to=assign_to,
        own_clinic=own_clinic,
        args=_filter_args(),
    )
