"""Network pages: the sync state for the data administrator (members on the hub), taking on a client
found in the network, and the client's answer on sharing. Thin: each calls one service. The client
pages show the network panel and the network's search hits through clients.contributions."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from clinic_app.clients import contributions
from clinic_app.clients.models import Client
from clinic_app.core.errors import Conflict, Invalid, NotFound
from clinic_app.core.forms import EmptyForm
from clinic_app.core.permissions import requires
from clinic_app.core.views import current_actor, get_or_404
from clinic_app.network import hub, node, services

bp = Blueprint("network", __name__, url_prefix="/network", cli_group=None)


@bp.route("/")
@requires("network.status")
def status():
    if current_app.config.get("NETWORK_ROLE") == "hub":
        return render_template("network/hub.html", members=hub.members())
    state = services.sync_state(actor=current_actor())
    return render_template("network/status.html", state=state, form=EmptyForm())


@bp.route("/sync", methods=["POST"])
@requires("network.sync")
def sync():
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        result = services.sync_now(actor=current_actor())
    except NotFound as error:
        flash(error.message, "error")
    else:
        if result.error:
            flash(result.error, "error")
        else:
            flash(_("Sync done: %(n)d records sent.", n=result.pushed), "success")
    return redirect(url_for("network.status"))


@bp.route("/take-on/<uuid:client_id>", methods=["POST"])
@requires("clients.register")
def take_on(client_id):
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        client = services.take_on(actor=current_actor(), client_id=client_id)
    except (Conflict, Invalid) as error:
        flash(error.message, "error")
        return redirect(url_for("clients.search"))
    flash(
        _("Client %(number)s is now held here too: record the visit on this record.", number=client.client_number),
        "success",
    )
    return redirect(url_for("clients.detail", client_id=client.id))


@bp.route("/sharing/<uuid:client_id>", methods=["POST"])
@requires("clients.edit")
def sharing(client_id):
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    client = get_or_404(Client, client_id)
    from flask import request

    given = request.form.get("given") == "yes"
    try:
        services.record_sharing(actor=current_actor(), client=client, given=given)
    except Conflict as error:
        flash(error.message, "error")
    else:
        flash(
            _("Sharing with other Blue Boxes is on.") if given else _("Sharing with other Blue Boxes is off."),
            "success",
        )
    return redirect(url_for("clients.detail", client_id=client.id))


@contributions.client_page.register
def panel_on_client_page(client: Client, *, actor, today) -> dict:
    """What the client page shows of the network (``network`` is None when this clinic is not in one)."""
    if node.link() is None:
        return {"network": None}
    return {
        "network": {
            "sharing": services.sharing(client),
            "shared_care": services.shared_care(actor=actor, client=client),
            "form": EmptyForm(),
        }
    }


@contributions.search_elsewhere.register
def hits_for_client_search(*, actor, term: str) -> dict:
    """A client not known here: the network index (the hub's, or the local copy offline)."""
    hits, source = services.search_network(actor=actor, term=term)
    return {"network_hits": hits, "network_source": source, "network_form": EmptyForm()}
