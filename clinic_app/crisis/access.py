"""Who may open which case: the coordinator every case of her clinic, others the cases they opened or
respond to; restricted cases (police or another authority among the perpetrators) only the coordinator and
the assigned responders, each open audited with a reason."""

import uuid

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, or_, select

from clinic_app.audit.services import record_alone
from clinic_app.core.actor import Actor
from clinic_app.core.coded import CodedEnum
from clinic_app.core.errors import NotAllowed, NotFound
from clinic_app.crisis.models import CaseAssignment, CrisisCase
from clinic_app.extensions import db


class OpenReason(CodedEnum):
    """Why a restricted case is opened (a code, so the audit line holds no free text)."""

    RESPONDING = "responding", _l("Responding to the case now")
    FOLLOW_UP = "follow_up", _l("Following up")
    SURVIVOR_ASKED = "survivor_asked", _l("The survivor asked")
    REVIEW = "review", _l("Coordinator's review")


def coordinates(actor: Actor) -> bool:
    return actor.can("crisis.coordinate")


def readable(actor: Actor, case: CrisisCase) -> bool:
    """May ``actor`` open this case at all (restricted cases still need a reason)?"""
    if case.clinic_id != actor.clinic_id or not actor.can("crisis.cases"):
        return False
    if coordinates(actor) or actor.id in case.responder_ids:
        return True
    return not case.restricted and case.reported_by_id == actor.id


def visible_filter(actor: Actor):
    """The SQL side of ``readable``: the cases an actor's lists may show."""
    in_clinic = CrisisCase.clinic_id == actor.clinic_id
    if coordinates(actor):
        return in_clinic
    assigned = exists(
        select(CaseAssignment.id).where(
            CaseAssignment.case_id == CrisisCase.id,
            CaseAssignment.responder_id == actor.id,
            CaseAssignment.ended_at.is_(None),
        )
    )
    return and_(in_clinic, or_(assigned, and_(CrisisCase.reported_by_id == actor.id, CrisisCase.restricted.is_(False))))


def find_case(actor: Actor, case_id) -> CrisisCase:
    """A case the actor may open (NotFound for another clinic's or a malformed id, NotAllowed otherwise)."""
    try:
        case = db.session.get(CrisisCase, uuid.UUID(str(case_id)))
    except ValueError:
        case = None
    if case is None or case.clinic_id != actor.clinic_id:
        raise NotFound()
    if not readable(actor, case):
        raise NotAllowed("You are not allowed to open this case.")
    return case


def open_case(actor: Actor, case_id, reason: str | None = None) -> CrisisCase | None:
    """Open a case to read it, audited. A restricted case without a valid reason returns None (ask for one)."""
    case = find_case(actor, case_id)
    if case.restricted:
        try:
            why = OpenReason(reason or "")
        except ValueError:
            return None
        record_alone(actor=actor, action="crisis.view_restricted", target=case, detail=f"reason={why.value}")
    else:
        record_alone(actor=actor, action="crisis.view", target=case)
    return case
