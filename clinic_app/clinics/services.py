"""Clinics: look-ups and the administrator's create/update."""

import re
import uuid
from zoneinfo import available_timezones

from flask_babel import gettext as _
from sqlalchemy import func, select

from clinic_app.audit.services import record_event
from clinic_app.clinics.models import Clinic
from clinic_app.core.actor import Actor
from clinic_app.core.errors import Invalid
from clinic_app.core.places import Country
from clinic_app.extensions import db

CODE_RE = re.compile(r"^[A-Z0-9]{2,12}$")


def all_clinics(*, active_only: bool = False) -> list[Clinic]:
    query = select(Clinic).order_by(Clinic.name)
    if active_only:
        query = query.where(Clinic.is_active.is_(True))
    return list(db.session.scalars(query))


def clinic_choices(*, active_only: bool = True) -> list[tuple[str, str]]:
    return [(str(c.id), f"{c.name} ({c.code})") for c in all_clinics(active_only=active_only)]


def clinic_by_id(value) -> Clinic | None:
    try:
        return db.session.get(Clinic, uuid.UUID(str(value)))
    except ValueError:
        return None


def installation_clinic(config) -> Clinic | None:
    """The clinic this installation runs at (CLINIC_CODE in instance/config.py), if set."""
    return clinic_by_code(config.get("CLINIC_CODE") or "")


def clinic_by_code(code: str) -> Clinic | None:
    return db.session.scalar(select(Clinic).where(Clinic.code == (code or "").strip().upper()))


def _validate(code: str, name: str, country: str, timezone: str, existing: Clinic | None) -> dict:
    errors = {}
    if not CODE_RE.match(code):
        errors["code"] = _("Use 2 to 12 capital letters or digits.")
    else:
        query = select(func.count()).where(Clinic.code == code)
        if existing is not None:
            query = query.where(Clinic.id != existing.id)
        if db.session.scalar(query):
            errors["code"] = _("Another clinic has this code.")
    if not name.strip():
        errors["name"] = _("Enter the clinic's name.")
    if country not in {c.value for c in Country}:
        errors["country"] = _("Choose a country.")
    if timezone not in available_timezones():
        errors["timezone"] = _("Choose a time zone.")
    return errors


def create_clinic(*, actor: Actor, code: str, name: str, country: str, timezone: str) -> Clinic:
    """Add a Blue Box site (an administrator, or ``flask clinics create``)."""
    actor.require("clinics.manage")
    code = (code or "").strip().upper()
    errors = _validate(code, name or "", str(country), timezone, None)
    if errors:
        raise Invalid(_("The clinic was not saved."), errors)
    clinic = Clinic(code=code, name=name.strip(), country=Country(country), timezone=timezone)
    db.session.add(clinic)
    db.session.flush()
    record_event(actor=actor, action="clinic.create", target=clinic)
    db.session.commit()
    return clinic


def update_clinic(*, actor: Actor, clinic: Clinic, name: str, country: str, timezone: str, is_active: bool) -> Clinic:
    actor.require("clinics.manage")
    errors = _validate(clinic.code, name or "", str(country), timezone, clinic)
    if errors:
        raise Invalid(_("The clinic was not saved."), errors)
    clinic.name = name.strip()
    clinic.country = Country(country)
    clinic.timezone = timezone
    clinic.is_active = is_active
    record_event(actor=actor, action="clinic.update", target=clinic)
    db.session.commit()
    return clinic
