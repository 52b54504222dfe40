"""Helpers shared by views: the current actor, form errors, safe redirects, paging."""

from urllib.parse import urlsplit

from flask import abort, request, session
from flask_login import current_user

from clinic_app.core.actor import Actor
from clinic_app.core.errors import DomainError
from clinic_app.extensions import db


def current_actor() -> Actor | None:
    if not current_user or not current_user.is_authenticated:
        return None
    return Actor(current_user._get_current_object(), request.remote_addr or "unknown")


def get_or_404(model, object_id):
    """The one database read a view makes itself: a record by primary key, or 404 (access is the service's)."""
    obj = db.session.get(model, object_id)
    if obj is None:
        abort(404)
    return obj


def apply_errors(form, error: DomainError) -> None:
    """Put a service's message at the top of the form and its field errors beside the fields."""
    if error.message and error.message not in form.form_errors:
        form.form_errors.append(error.message)
    for name, message in error.field_errors.items():
        field = field_named(form, name)
        if field is not None:
            field.errors = list(field.errors or []) + [message]
        else:
            form.form_errors.append(message)


def field_named(form, name: str):
    """A form field by name; ``section-field`` names a field of a sub-form (FormField)."""
    section, _, sub = name.partition("-")
    field = form._fields.get(section)
    if field is not None and sub:
        field = field.form._fields.get(sub) if hasattr(field, "form") else None
    return field


def safe_next(target: str | None, fallback: str) -> str:
    """A redirect target on this site only (no scheme, no host)."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


def page_arg() -> int:
    page = request.args.get("page", 1, type=int)
    return page if page and 0 < page < 100_000 else 1


def forget_draft(name: str) -> None:
    """Let the browser drop the draft of a form once it is saved (see data-draft in static/js/app.js).

    ``name`` is the form's kind ("visit-new" drops every "visit-new-<client>" draft): no record id
    travels in the session cookie."""
    session["clear_draft"] = name


def forget_all_drafts() -> None:
    """At sign-out: the browser drops every draft and anything waiting to be sent (call after session.clear())."""
    session["clear_draft"] = "*"
