"""Sign-in, sign-out, own password and language, and the administrator's user pages."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from clinic_app.auth import grants, known, services, sessions
from clinic_app.auth.forms import ChangePasswordForm, EditUserForm, LanguageForm, LoginForm, NewUserForm
from clinic_app.auth.throttle import Policy
from clinic_app.clinics import services as clinic_services
from clinic_app.clinics.models import Clinic
from clinic_app.core.errors import Invalid, NotAllowed
from clinic_app.core.forms import EmptyForm, choice_list
from clinic_app.core.permissions import public, requires
from clinic_app.core.views import apply_errors, current_actor, forget_all_drafts, safe_next

bp = Blueprint("auth", __name__, url_prefix="/auth", cli_group=None)


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            signed_in = services.sign_in(
                username=form.username.data,
                password=form.password.data,
                source=request.remote_addr or "unknown",
                policy=Policy.from_config(current_app.config),
                known_user_ids=known.known_user_ids(),
            )
        except (services.SignInPaused, services.AccountLocked) as refused:
            form.password.errors = [refused.message]
            response = make_response(render_template("auth/login.html", form=form), 429)
            response.headers["Retry-After"] = str(refused.retry_after)
            return response
        if signed_in is not None:
            session.clear()  # a fresh session at sign-in
            login_user(signed_in.user, remember=False)
            sessions.start()
            _sign_in_notices(signed_in)
            response = redirect(safe_next(request.args.get("next"), url_for("main.home")))
            known.remember(response, signed_in.user.id)
            return response
        form.password.errors = [_("The username or password is not correct.")]
    return render_template("auth/login.html", form=form), 200 if not form.errors else 422


def _sign_in_notices(signed_in: services.SignedIn) -> None:
    if signed_in.lock_lifted:
        flash(_("Your account was locked after many wrong passwords; signing in here lifted the lock."), "info")
    if signed_in.failures_since_last:
        flash(
            _(
                "%(n)d wrong passwords were typed for your account since you last signed in. If that was not you, "
                "tell the administrator.",
                n=signed_in.failures_since_last,
            ),
            "info",
        )


@bp.route("/logout", methods=["POST"])
@requires("account.manage_own")
def logout():
    if EmptyForm().validate_on_submit():
        services.sign_out(actor=current_actor())
        logout_user()
        session.clear()
        forget_all_drafts()  # this browser keeps nothing typed once its user has signed out
        flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@requires("account.manage_own")
def account():
    form = ChangePasswordForm()
    language_form = LanguageForm(language=str(current_user.language))
    status = 200
    if form.validate_on_submit():
        try:
            services.change_password(
                actor=current_actor(), current_password=form.current_password.data, new_password=form.new_password.data
            )
        except Invalid as error:
            apply_errors(form, error)
            status = 422
        else:
            logout_user()
            session.clear()
            flash(_("Your password was changed. Sign in with the new password."), "info")
            return redirect(url_for("auth.login"))
    elif form.is_submitted():
        status = 422
    return render_template("auth/account.html", form=form, language_form=language_form), status


@bp.route("/account/language", methods=["POST"])
@requires("account.manage_own")
def set_language():
    form = LanguageForm()
    if form.validate_on_submit():
        services.set_language(actor=current_actor(), language=form.language.data)
    return redirect(url_for("auth.account"))


@bp.route("/users")
@requires("users.manage")
def users():
    return render_template("auth/users.html", users=services.list_users(actor=current_actor()))


@bp.route("/users/new", methods=["GET", "POST"])
@requires("users.manage")
def new_user():
    form = NewUserForm()
    form.clinic_id.choices = choice_list(clinic_services.clinic_choices())
    if request.method == "GET":
        here = clinic_services.installation_clinic(current_app.config)
        form.clinic_id.data = str(here.id) if here else None
    if form.validate_on_submit():
        try:
            user = services.create_user(
                actor=current_actor(),
                username=form.username.data,
                display_name=form.display_name.data,
                password=form.password.data,
                role=form.role.data,
                clinic=_chosen_clinic(form),
                language=form.language.data,
                second_admin=_second_admin(form),
            )
        except Invalid as error:
            apply_errors(form, error)
        else:
            flash(_("Account %(name)s created.", name=user.username), "success")
            return redirect(url_for("auth.users"))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/user_form.html", form=form, user=None), status


@bp.route("/users/<uuid:user_id>", methods=["GET", "POST"])
@requires("users.manage")
def edit_user(user_id):
    user = services.staff_account(actor=current_actor(), user_id=user_id)
    if user is None:
        abort(404)
    form = EditUserForm(obj=None if request.method == "POST" else user)
    form.clinic_id.choices = choice_list(clinic_services.clinic_choices())
    if request.method == "GET":
        form.clinic_id.data = str(user.clinic_id)
        form.role.data = str(user.role)
        form.language.data = str(user.language)
    if form.validate_on_submit():
        try:
            services.update_user(
                actor=current_actor(),
                user=user,
                display_name=form.display_name.data,
                role=form.role.data,
                clinic=_chosen_clinic(form),
                active=form.active.data,
                new_password=form.new_password.data or "",
                language=form.language.data,
                second_admin=_second_admin(form),
            )
        except Invalid as error:
            apply_errors(form, error)
        else:
            flash(_("Account %(name)s saved.", name=user.username), "success")
            return redirect(url_for("auth.users"))
    status = 422 if form.is_submitted() else 200
    locked = services.sign_in_locked(user)
    return render_template("auth/user_form.html", form=form, user=user, locked=locked, lift_form=EmptyForm()), status


@bp.route("/users/<uuid:user_id>/lift-lock", methods=["POST"])
@requires("users.manage")
def lift_lock(user_id):
    """The administrator lifts the sign-in lock many wrong passwords put on an account."""
    user = services.staff_account(actor=current_actor(), user_id=user_id)
    if user is None:
        abort(404)
    if EmptyForm().validate_on_submit():
        services.lift_sign_in_lock(actor=current_actor(), user=user)
        flash(_("Sign-in to account %(name)s is open again.", name=user.username), "success")
    return redirect(url_for("auth.edit_user", user_id=user.id))


@bp.route("/users/grants/<int:seq>/confirm", methods=["POST"])
@requires("users.manage")
def confirm_grant(seq):
    """A second administrator confirms clinical access flagged on the audit page."""
    if EmptyForm().validate_on_submit():
        try:
            grants.confirm(actor=current_actor(), seq=seq)
        except (Invalid, NotAllowed) as error:
            flash(error.message, "error")
        else:
            flash(_("Confirmed."), "success")
    return redirect(url_for("audit.index"))


def _second_admin(form) -> grants.SecondAdmin:
    return grants.SecondAdmin(form.second_username.data or "", form.second_password.data or "")


def _chosen_clinic(form) -> Clinic | None:
    return clinic_services.clinic_by_id(form.clinic_id.data)
