"""Clinic pages: list for managers and M&E, create and edit for administrators."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from clinic_app.clinics import services
from clinic_app.clinics.forms import ClinicForm, NewClinicForm
from clinic_app.clinics.models import Clinic
from clinic_app.core.errors import Invalid
from clinic_app.core.permissions import requires
from clinic_app.core.views import apply_errors, current_actor, get_or_404

bp = Blueprint("clinics", __name__, url_prefix="/clinics", cli_group=None)


@bp.route("/")
@requires("clinics.view")
def index():
    return render_template("clinics/index.html", clinics=services.all_clinics())


@bp.route("/new", methods=["GET", "POST"])
@requires("clinics.manage")
def new():
    form = NewClinicForm()
    if form.validate_on_submit():
        try:
            clinic = services.create_clinic(
                actor=current_actor(),
                code=form.code.data,
                name=form.name.data,
                country=form.country.data,
                timezone=form.timezone.data,
            )
        except Invalid as error:
            apply_errors(form, error)
        else:
            flash(_("Clinic %(code)s added.", code=clinic.code), "success")
            return redirect(url_for("clinics.index"))
    return render_template("clinics/form.html", form=form, clinic=None), 422 if form.is_submitted() else 200


@bp.route("/<uuid:clinic_id>", methods=["GET", "POST"])
@requires("clinics.manage")
def edit(clinic_id):
    clinic = get_or_404(Clinic, clinic_id)
    form = ClinicForm(obj=None if request.method == "POST" else clinic)
    if request.method == "GET":
        form.country.data = str(clinic.country)
    if form.validate_on_submit():
        try:
            services.update_clinic(
                actor=current_actor(),
                clinic=clinic,
                name=form.name.data,
                country=form.country.data,
                timezone=form.timezone.data,
                is_active=form.is_active.data,
            )
        except Invalid as error:
            apply_errors(form, error)
        else:
            flash(_("Clinic %(code)s saved.", code=clinic.code), "success")
            return redirect(url_for("clinics.index"))
    return render_template("clinics/form.html", form=form, clinic=clinic), 422 if form.is_submitted() else 200
