"""Trainings and education sessions with their attendance."""

import re
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from clinic_app.audit.services import record_event
from clinic_app.auth.models import User
from clinic_app.core.actor import Actor
from clinic_app.core.errors import Invalid
from clinic_app.core.once import already_submitted, commit_once
from clinic_app.core.permissions import Role
from clinic_app.core.timeutil import local_today
from clinic_app.extensions import db
from clinic_app.outreach.models import Training, TrainingAttendee, TrainingStaff, TrainingTopic
from clinic_app.outreach.services import known_client

MAX_HEAD_COUNT = 500


@dataclass
class TrainingInput:
    held_on: date | None
    topic: str
    facilitator: str
    client_numbers: str = ""
    other_attendees: int | None = 0
    staff_ids: list[str] = field(default_factory=list)  # peer educators and other staff who attended


def staff_choices(clinic_id) -> list[tuple[str, str]]:
    """The clinic's active staff accounts who can attend a session as trainees (peer educators first)."""
    users = db.session.scalars(
        select(User)
        .where(User.clinic_id == clinic_id, User.active.is_(True), User.role != Role.ADMIN)
        .order_by(User.role != Role.PEER_EDUCATOR, User.display_name)
    )
    return [(str(u.id), f"{u.display_name} ({u.role.label})") for u in users]


def _staff(actor: Actor, ids: list[str], errors: dict) -> list[uuid.UUID]:
    allowed = {value for value, _label in staff_choices(actor.clinic_id)}
    chosen = list(dict.fromkeys(str(i) for i in ids or []))
    if any(i not in allowed for i in chosen):
        errors["staff_ids"] = _("Choose staff of this clinic from the list.")
        return []
    return [uuid.UUID(i) for i in chosen]


def record_training(
    *, actor: Actor, data: TrainingInput, submission_key: uuid.UUID, today: date | None = None
) -> tuple[Training, bool]:
    """Record a session; attendees are known clients (by health-card number) and/or a head count."""
    actor.require("outreach.trainings")
    existing = already_submitted(Training, submission_key)
    if existing is not None:
        return existing, False
    today = today or local_today(actor.user.clinic.timezone)
    errors = {}
    if data.held_on is None or data.held_on > today:
        errors["held_on"] = _("Give the date of the session (not in the future).")
    elif data.held_on < today - timedelta(days=366):
        errors["held_on"] = _("Sessions older than a year cannot be entered.")
    if data.topic not in {t.value for t in TrainingTopic}:
        errors["topic"] = _("Choose the topic.")
    if not (data.facilitator or "").strip():
        errors["facilitator"] = _("Who led the session?")
    attendees, unknown = [], []
    for token in filter(None, re.split(r"[\s,;]+", data.client_numbers or "")):
        client = known_client(token)
        (attendees if client else unknown).append(client or token)
    if unknown:
        errors["client_numbers"] = _("No client has these numbers: %(list)s", list=", ".join(unknown[:10]))
    staff = _staff(actor, data.staff_ids, errors)
    head_count = data.other_attendees or 0
    if not 0 <= head_count <= MAX_HEAD_COUNT:
        errors["other_attendees"] = _("Give a number from 0 to %(n)d.", n=MAX_HEAD_COUNT)
    elif not attendees and not staff and not head_count and not {"client_numbers", "staff_ids"} & set(errors):
        errors["other_attendees"] = _("Give the attendees' client numbers, the staff who attended, or a head count.")
    if errors:
        raise Invalid(_("The session was not saved."), errors)
    training = Training(
        id=uuid.uuid4(),
        clinic_id=actor.clinic_id,
        held_on=data.held_on,
        topic=TrainingTopic(data.topic),
        facilitator=data.facilitator.strip()[:120],
        other_attendees=head_count,
        recorded_by_id=actor.id,
        submission_key=submission_key,
    )
    training.attendee_rows = [TrainingAttendee(client_id=c.id) for c in {c.id: c for c in attendees}.values()]
    training.staff_rows = [TrainingStaff(user_id=user_id) for user_id in staff]
    record_event(actor=actor, action="training.create", object_type="trainings", object_id=training.id)
    return commit_once(Training, training, submission_key)


def clinic_trainings(*, actor: Actor, page: int, per_page: int):
    actor.require("outreach.trainings")
    query = select(Training).where(Training.clinic_id == actor.clinic_id).order_by(Training.held_on.desc())
    return db.paginate(query, page=page, per_page=per_page, error_out=False)
