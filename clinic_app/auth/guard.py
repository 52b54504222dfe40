"""Sign-in and the permission table on every route: deny by default, and audit each refusal."""

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user

from clinic_app.audit.services import record_alone
from clinic_app.core.guard import back_to_the_form_after_sign_in, sent_from_a_page_form
from clinic_app.core.permissions import PUBLIC, required_action, role_can
from clinic_app.core.views import current_actor


def enforce_permissions():
    """Deny by default: a route must declare its action, and the role must hold it."""
    if request.endpoint is None:
        return None  # no route matched: the 404/405 handlers answer
    if request.endpoint == "static":
        return None
    view = current_app.view_functions.get(request.endpoint)
    action = required_action(view)
    if action == PUBLIC:
        return None
    if not current_user.is_authenticated:
        if request.method in ("GET", "HEAD"):
            return redirect(url_for("auth.login", next=request.path))
        if sent_from_a_page_form():
            return back_to_the_form_after_sign_in()
        abort(401)
    if action is None or not role_can(current_user.role, action):
        record_alone(actor=current_actor(), action="access.denied", detail=request.endpoint)
        abort(403)
    return None
