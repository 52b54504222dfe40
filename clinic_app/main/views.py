"""The home page."""

from flask import Blueprint, current_app, render_template

from clinic_app.clients.forms import SearchForm
from clinic_app.core.permissions import requires, role_can
from clinic_app.core.timeutil import local_today
from clinic_app.core.views import current_actor
from clinic_app.duelists.services import DUE_LISTS, DueFilters, DueSettings, due_counts
from clinic_app.main import services

bp = Blueprint("main", __name__)


@bp.route("/")
@requires("home.view")
def home():
    actor = current_actor()
    today = local_today(actor.user.clinic.timezone)
    context = {"today": today}
    if role_can(actor.role, "visits.list"):
        context["figures"] = services.clinic_figures(actor=actor, today=today)
        context["search_form"] = SearchForm()
    if role_can(actor.role, "duelists.view"):
        settings = DueSettings.from_config(current_app.config, today)
        context["due_counts"] = due_counts(actor=actor, settings=settings, filters=DueFilters(actor.clinic_id))
        context["due_lists"] = DUE_LISTS
    if role_can(actor.role, "clinics.view"):
        context["network"] = services.network_figures(today=today)
    if role_can(actor.role, "users.manage"):
        context["counts"] = services.account_counts()
    if role_can(actor.role, "outreach.work"):
        from clinic_app.outreach.start import peer_home

        context["peer"] = peer_home(actor=actor)
    if role_can(actor.role, "crisis.care"):
        from clinic_app.crisis.lists import needing_care

        context["care_rows"] = needing_care(actor=actor)
    if role_can(actor.role, "crisis.cases"):
        from clinic_app.crisis.lists import home_summary

        context["crisis"] = home_summary(actor=actor)
    return render_template("main/home.html", **context)
