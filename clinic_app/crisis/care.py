"""One thread from the call to the clinic: the visit screen offers the client's open case, and linking
the visit records the clinical care on the case (PEP given there completes the case's PEP step)."""

import uuid
from datetime import datetime, time
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from clinic_app.audit.services import record_event
from clinic_app.clients.models import Client
from clinic_app.core.actor import Actor
from clinic_app.core.db import utcnow
from clinic_app.core.errors import Invalid, NotFound
from clinic_app.crisis.lists import CaseRow, case_rows
from clinic_app.crisis.models import (
    ActionKind,
    ActionStatus,
    CaseStatus,
    CaseVisit,
    CrisisCase,
    ResponseAction,
    SurvivorKind,
)
from clinic_app.extensions import db
from clinic_app.visits import contributions as visit_contributions
from clinic_app.visits.models import Visit


def _offered(clinic_id, client: Client):
    """Open cases of the clinic for a client: linked to her, or not yet registered with her UIC."""
    return (
        select(CrisisCase)
        .where(
            CrisisCase.clinic_id == clinic_id,
            CrisisCase.status == CaseStatus.OPEN,
            or_(
                CrisisCase.client_id == client.id,
                and_(CrisisCase.client_id.is_(None), CrisisCase.survivor_uic == client.uic),
            ),
        )
        .options(selectinload(CrisisCase.actions))
    )


def linked_case(visit: Visit) -> CrisisCase | None:
    return db.session.scalar(
        select(CrisisCase).join(CaseVisit, CaseVisit.case_id == CrisisCase.id).where(CaseVisit.visit_id == visit.id)
    )


def offer_for_visit(*, actor: Actor, visit: Visit, now: datetime | None = None) -> list[CaseRow]:
    """The client's open cases the nurse may link this visit to (none once it is linked)."""
    if not actor.can("crisis.link_visit") or linked_case(visit) is not None:
        return []
    return case_rows(db.session.scalars(_offered(visit.clinic_id, visit.client)).all(), now or utcnow())


def offer_for_client(*, actor: Actor, client: Client, now: datetime | None = None) -> list[CaseRow]:
    """The client's open cases at the actor's clinic, for the notice on the visit form."""
    if not actor.can("crisis.link_visit"):
        return []
    return case_rows(db.session.scalars(_offered(actor.clinic_id, client)).all(), now or utcnow())


# The visit screens show crisis care through visits.contributions (visits cannot import crisis).
@visit_contributions.visit_form.register
def offer_on_visit_form(*, actor: Actor, client: Client, visit: Visit | None) -> dict:
    """A new visit's form shows the client's open cases."""
    return {"crisis_offer": offer_for_client(actor=actor, client=client) if visit is None else []}


@visit_contributions.visit_page.register
def care_on_visit_page(*, actor: Actor, visit: Visit) -> dict:
    """The visit page shows the case the visit is linked to, or offers the client's open cases."""
    return {"crisis_offer": offer_for_visit(actor=actor, visit=visit), "crisis_case": linked_case(visit)}


@visit_contributions.visit_recorded.register
def case_to_link(*, actor: Actor, visit: Visit) -> bool:
    """A visit just recorded for a client with an open case goes to its page, where the case is offered."""
    return bool(offer_for_visit(actor=actor, visit=visit))


def _given_at(visit: Visit) -> datetime:
    """When the visit's care was given: when it was recorded, or midday of a back-dated day of service."""
    zone = ZoneInfo(visit.clinic.timezone)
    if visit.created_at.astimezone(zone).date() == visit.service_date:
        return visit.created_at
    return datetime.combine(visit.service_date, time(12, 0), tzinfo=zone)


def _complete(case: CrisisCase, kind: ActionKind, visit: Visit, actor: Actor, at: datetime) -> None:
    action = next((a for a in case.actions if a.kind == kind and a.status is None), None)
    if action is None:
        action = ResponseAction(clinic_id=case.clinic_id, kind=kind, recorded_by_id=actor.id)
        case.actions.append(action)
    action.status = ActionStatus.PROVIDED
    action.done_at = at
    action.visit_id = visit.id
    action.recorded_by_id = actor.id


def _get(model, record_id):
    try:
        return db.session.get(model, uuid.UUID(str(record_id)))
    except ValueError:
        return None


def link_visit(*, actor: Actor, visit_id, case_id) -> CrisisCase:
    """Link a clinic visit to the client's open case: medical care given, and PEP if the visit gave it."""
    actor.require("crisis.link_visit")
    visit, case = _get(Visit, visit_id), _get(CrisisCase, case_id)
    if visit is None or visit.clinic_id != actor.clinic_id:
        raise NotFound()
    if case is None or case not in db.session.scalars(_offered(visit.clinic_id, visit.client)).all():
        raise Invalid(_("Choose one of this client's open cases."), {"case_id": _("Choose from the list.")})
    if linked_case(visit) is not None:
        raise Invalid(_("This visit is already linked to a case."))
    if case.client_id is None:
        case.client_id = visit.client_id
        case.survivor_kind = SurvivorKind.REGISTERED
    db.session.add(CaseVisit(clinic_id=case.clinic_id, case_id=case.id, visit_id=visit.id, linked_by_id=actor.id))
    at = _given_at(visit)
    _complete(case, ActionKind.MEDICAL_CARE, visit, actor, at)
    if visit.pep_course is not None:
        _complete(case, ActionKind.PEP, visit, actor, at)
    record_event(
        actor=actor, action="crisis.link_visit", target=case, detail=f"pep={int(visit.pep_course is not None)}"
    )
    db.session.commit()
    return case
