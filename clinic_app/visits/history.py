"""A visit's corrections as people read them: each changed field by its label, values by their labels."""

import uuid
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Enum as SAEnum

from clinic_app.core.coded import CodedEnum
from clinic_app.visits.models import Commodity, ViolenceType, Visit, VisitReason, VisitType
from clinic_app.visits.sections import BY_NAME

VISIT_SECTION = "visit"  # a correction of the visit itself (date, type, reasons, notes...)

# Columns the form does not show (worked out when saving), by the name people use.
DERIVED_LABELS = {
    "final_result": _l("Final result"),
    "complete": _l("Screen complete"),
    "next_due_on": _l("Next screen due"),
}
VISIT_FIELD_CODES = {"visit_type": VisitType, "reasons": VisitReason}


@dataclass
class Change:
    field: str
    before: str
    after: str


def _section_enums(section: str) -> dict[str, type[CodedEnum]]:
    if section == VISIT_SECTION:
        return dict(VISIT_FIELD_CODES)
    attribute = BY_NAME[section].attribute
    model = Visit.__mapper__.relationships[attribute].mapper.class_
    return {
        **{
            c.key: c.type.enum_class
            for c in model.__table__.columns
            if isinstance(c.type, SAEnum) and c.type.enum_class is not None
        },
        **BY_NAME[section].list_codes,
    }


def _shown(value, enum: type[CodedEnum] | None) -> str:
    if value in (None, "", []):
        return "-"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(_shown(v, enum) for v in value)
    if enum is not None:
        return str(enum.labelled(str(value)))
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _label(form, section: str, name: str) -> str:
    if section == "commodities":
        try:
            return str(Commodity(name).label)
        except ValueError:
            return name
    if section == "violence" and name in {kind.value for kind in ViolenceType}:
        return str(ViolenceType(name).label)
    holder = form if section == VISIT_SECTION else form[section].form
    if name in holder:
        return str(holder[name].label.text)
    return str(DERIVED_LABELS.get(name, name.replace("_", " ")))


def _screen_day(screen_id):
    from clinic_app.extensions import db
    from clinic_app.screening.models import CervicalScreening

    if not screen_id:
        return None
    screen = db.session.get(CervicalScreening, uuid.UUID(str(screen_id)))
    visit = db.session.get(Visit, screen.visit_id) if screen else None
    return _("screen of %(d)s", d=visit.service_date.isoformat()) if visit else None


def changes(revision, form) -> list[Change]:
    """Only the fields that changed, in the form's words."""
    before, after = revision.before or {}, revision.after or {}
    enums = _section_enums(revision.section)
    found = []
    for name in dict.fromkeys([*before, *after]):
        old, new = before.get(name), after.get(name)
        if old == new or (old in (None, "", [], 0) and new in (None, "", [], 0)):
            continue
        enum = enums.get(name)
        if revision.section == "cervical_tx" and name == "screen_id":
            old, new = _screen_day(old), _screen_day(new)  # the screen by its date, never its id
        found.append(Change(_label(form, revision.section, name), _shown(old, enum), _shown(new, enum)))
    return found
