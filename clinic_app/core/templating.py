"""Template globals and filters: permission checks, coded labels, dates."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask
from flask_babel import format_date, format_datetime
from flask_login import current_user

from clinic_app.core.forms import EmptyForm
from clinic_app.core.permissions import Role, role_can


def can(action: str) -> bool:
    return bool(current_user and current_user.is_authenticated and role_can(current_user.role, action))


def local_time(value: datetime | None) -> str:
    """A UTC timestamp shown in the signed-in user's clinic time zone."""
    if value is None:
        return ""
    tz = "UTC"
    if current_user and current_user.is_authenticated:
        tz = current_user.clinic.timezone
    return format_datetime(value.astimezone(ZoneInfo(tz)).replace(tzinfo=None), "yyyy-MM-dd HH:mm")


def iso_date(value: date | None) -> str:
    return value.isoformat() if value else ""


def filled(subform) -> bool:
    """True when a sub-form section holds an entry or an error (it is shown open)."""
    return bool(subform.errors) or any(field.data not in (None, "", False, 0, []) for field in subform.form)


def shown(field) -> str:
    """A form field's value as a person reads it: the label of a chosen code, a date, a number."""
    from flask_babel import gettext as _

    data = field.data
    if field.type == "BooleanField":
        return _("yes") if data else _("no")
    choices = getattr(field, "choices", None)
    if choices:
        labels = {str(choice.value): str(choice.label) for choice in choices}
        if isinstance(data, list):
            return ", ".join(labels.get(str(v), str(v)) for v in data)
        return labels.get(str(data), str(data))
    if isinstance(data, date):
        return data.isoformat()
    return str(data)


def now_local() -> str:
    """The time now at the signed-in user's clinic (printed pages say when they were printed)."""
    from clinic_app.core.db import utcnow

    return local_time(utcnow())


def role_label(code: str | None) -> str:
    """A role as people call it (the audit trail stores its code)."""
    return str(Role.labelled(code)) if code else ""


def register(app: Flask) -> None:
    app.jinja_env.globals.update(
        can=can, EmptyForm=EmptyForm, filled=filled, shown=shown, role_label=role_label, now_local=now_local
    )
    app.jinja_env.filters.update(local_time=local_time, iso_date=iso_date, long_date=format_date)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
