"""Crisis case work: open a case, consent, response actions, follow-ups, responders, closing.

Each public function is one unit of work with an explicit actor, one commit and an audit line.
"""

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time

from flask_babel import gettext as _
from sqlalchemy import select

from clinic_app.audit.services import record_event
from clinic_app.auth.models import User
from clinic_app.clients import identifiers
from clinic_app.clients.models import Client
from clinic_app.clients.services import find_by_number, resolve
from clinic_app.core.actor import Actor
from clinic_app.core.db import utcnow
from clinic_app.core.errors import Invalid, NotFound
from clinic_app.core.once import already_submitted, commit_once
from clinic_app.core.permissions import Role
from clinic_app.core.places import Country
from clinic_app.core.timeutil import local_today
from clinic_app.crisis.access import find_case, readable
from clinic_app.crisis.models import (
    ActionKind,
    ActionStatus,
    CaseAssignment,
    CaseConsent,
    CaseOutcome,
    CaseStatus,
    CaseVisit,
    ConsentPurpose,
    CrisisCase,
    FollowUp,
    Perpetrator,
    PerpetratorOutcome,
    ReportChannel,
    ResponseAction,
    SurvivorKind,
    Violation,
)
from clinic_app.extensions import db
from clinic_app.outreach.models import Hotspot
from clinic_app.visits.clinical import incident_instants

# Roles that respond to cases (people with an account; the rest of the CRT is a roster the coordinator calls).
RESPONDER_ROLES = (Role.PEER_EDUCATOR, Role.NURSE, Role.CRT_COORDINATOR)

# Recording a referral needs the survivor's consent to that referral.
REFERRAL_CONSENT = {
    ActionKind.POLICE_REPORT: ConsentPurpose.REFER_POLICE,
    ActionKind.LEGAL_AID: ConsentPurpose.REFER_LEGAL,
    ActionKind.MEDICAL_CARE: ConsentPurpose.REFER_HEALTH,
    ActionKind.PEP: ConsentPurpose.REFER_HEALTH,
    ActionKind.SHELTER: ConsentPurpose.REFER_SHELTER,
    ActionKind.PSYCHOSOCIAL: ConsentPurpose.REFER_PSYCHOSOCIAL,
}

_REFERENCE_LETTERS = "ACDEFGHJKLMNPQRTUVWXY3479"  # no look-alikes (0/O, 1/I, 5/S, 8/B)


def actor_today(actor: Actor) -> date:
    return local_today(actor.user.clinic.timezone)


def new_reference() -> str:
    while True:
        reference = "".join(secrets.choice(_REFERENCE_LETTERS) for _ in range(6))
        if db.session.scalar(select(CrisisCase.id).where(CrisisCase.reference == reference)) is None:
            return reference


# --- opening a case ---------------------------------------------------------


@dataclass
class CaseInput:
    survivor_kind: str
    violations: list[str]
    incident_on: date | None
    keep_record: bool
    client_number: str | None = None
    uic: str | None = None
    alias: str | None = None
    perpetrators: list[str] = field(default_factory=list)
    perpetrator_count: int | None = None
    incident_time: time | None = None
    hotspot_id: str | None = None
    place_text: str | None = None
    town: str | None = None
    channel: str = ReportChannel.HOTLINE.value
    safe_now: bool | None = None
    injured: bool | None = None
    narrative: str | None = None


def _registered_survivor(data: CaseInput, errors: dict) -> Client | None:
    """The registered client a health-card number or UIC names (a UIC shared by several is not enough)."""
    if (data.client_number or "").strip():
        client = find_by_number(data.client_number)
        if client is None:
            errors["client_number"] = _("No client has this number. Check the health card, or give the UIC.")
        return resolve(client) if client else None
    uic = identifiers.normalise_uic(data.uic or "")
    if uic is None:
        errors["client_number" if not data.uic else "uic"] = (
            _("A UIC looks like MAJO150892F.") if data.uic else _("Give the health card number or the UIC.")
        )
        return None
    matches = db.session.scalars(select(Client).where(Client.uic == uic, Client.merged_into_id.is_(None))).all()
    if len(matches) != 1:
        errors["uic"] = (
            _("No registered client has this UIC: choose 'not yet registered'.")
            if not matches
            else _("Several clients share this UIC: give the health card number.")
        )
        return None
    return matches[0]


def _survivor_values(data: CaseInput, errors: dict) -> dict:
    try:
        kind = SurvivorKind(data.survivor_kind)
    except ValueError:
        errors["survivor_kind"] = _("Choose who the survivor is.")
        return {}
    if not data.keep_record:
        # Without consent to keep the record nothing that points to the survivor is stored.
        return dict(survivor_kind=SurvivorKind.ANONYMOUS)
    if kind == SurvivorKind.REGISTERED:
        client = _registered_survivor(data, errors)
        return dict(survivor_kind=kind, client_id=client.id if client else None)
    if kind == SurvivorKind.UNREGISTERED:
        uic = None
        if (data.uic or "").strip():
            uic = identifiers.normalise_uic(data.uic)
            if uic is None:
                errors["uic"] = _("A UIC looks like MAJO150892F. Leave it empty if unsure.")
        alias = (data.alias or "").strip() or None
        if not alias and not uic:
            errors["alias"] = _("Give an alias or the UIC, or choose 'anonymous'.")
        return dict(survivor_kind=kind, survivor_alias=alias, survivor_uic=uic)
    return dict(survivor_kind=kind)


def _coded_set(enum_cls, codes, name: str, errors: dict, message: str) -> list:
    try:
        return sorted({enum_cls(code) for code in codes or []})
    except ValueError:
        errors[name] = message
        return []


def _incident_values(actor: Actor, data: CaseInput, now: datetime, errors: dict) -> dict:
    tz = actor.user.clinic.timezone
    today = local_today(tz, now)
    violations = _coded_set(Violation, data.violations, "violations", errors, _("Choose from the list."))
    if not violations and "violations" not in errors:
        errors["violations"] = _("Tick what happened (one or more).")
    perpetrators = _coded_set(Perpetrator, data.perpetrators, "perpetrators", errors, _("Choose from the list."))
    if data.incident_on is None:
        errors["incident_on"] = _("Give the date it happened (a guess is fine).")
    elif data.incident_on > today:
        errors["incident_on"] = _("The date is in the future.")
    elif data.incident_time is not None and incident_instants(data.incident_on, data.incident_time, tz)[0] > now:
        errors["incident_time"] = _("The time is in the future.")
    if data.perpetrator_count is not None and not 1 <= data.perpetrator_count <= 50:
        errors["perpetrator_count"] = _("Give a number from 1 to 50, or leave it empty.")
    hotspot = None
    if data.hotspot_id:
        try:
            hotspot = db.session.get(Hotspot, uuid.UUID(str(data.hotspot_id)))
        except ValueError:
            hotspot = None
        if hotspot is None or hotspot.clinic_id != actor.clinic_id:
            errors["hotspot_id"] = _("Choose a hotspot from the list.")
    try:
        channel = ReportChannel(data.channel)
    except ValueError:
        errors["channel"] = _("Choose how it was reported.")
        channel = None
    place = (data.place_text or "").strip() or None
    return dict(
        violations=violations,
        perpetrators=perpetrators,
        incident_on=data.incident_on,
        incident_time=data.incident_time,
        perpetrator_count=data.perpetrator_count,
        hotspot_id=hotspot.id if hotspot else None,
        place_text=place if data.keep_record else None,
        town=(data.town or "").strip() or None,
        channel=channel,
        safe_now=data.safe_now,
        injured=data.injured,
        narrative=((data.narrative or "").strip() or None) if data.keep_record else None,
    )


def open_new_case(
    *, actor: Actor, data: CaseInput, submission_key: uuid.UUID, now: datetime | None = None
) -> tuple[CrisisCase, bool]:
    """Open a case from the first call; returns (case, created). A resubmitted form is not stored twice.

    Without consent to keep the record, the case is kept anonymous and without narrative or exact place.
    The one who opens it is its first responder; sexual violence starts a PEP step still to do.
    """
    actor.require("crisis.open")
    existing = already_submitted(CrisisCase, submission_key)
    if existing is not None:
        if existing.reported_by_id != actor.id:  # a key is the phone's own: another's is refused, naming nothing
            raise Invalid(_("The case was not saved."), {"survivor_kind": _("This entry belongs to someone else.")})
        return existing, False
    now = now or utcnow()
    errors: dict[str, str] = {}
    survivor = _survivor_values(data, errors)
    incident = _incident_values(actor, data, now, errors)
    if errors:
        raise Invalid(_("The case was not saved. Please correct the fields marked below."), errors)
    violations, perpetrators = incident.pop("violations"), incident.pop("perpetrators")
    case = CrisisCase(
        id=uuid.uuid4(),
        clinic_id=actor.clinic_id,
        reference=new_reference(),
        reported_at=now,
        reported_by_id=actor.id,
        country=Country(actor.user.clinic.country),
        submission_key=submission_key,
        **survivor,
        **incident,
    )
    case.set_violations(violations)
    case.set_perpetrators(perpetrators)
    if data.keep_record:
        case.consents.append(
            CaseConsent(
                clinic_id=actor.clinic_id, purpose=ConsentPurpose.KEEP_RECORD, given_at=now, given_by_id=actor.id
            )
        )
    case.assignments.append(
        CaseAssignment(clinic_id=actor.clinic_id, responder_id=actor.id, assigned_by_id=actor.id, assigned_at=now)
    )
    if Violation.SEXUAL in violations:
        case.actions.append(ResponseAction(clinic_id=actor.clinic_id, kind=ActionKind.PEP, recorded_by_id=actor.id))
    record_event(
        actor=actor,
        action="crisis.create",
        object_type="crisis_cases",
        object_id=case.id,
        detail=f"restricted={int(case.restricted)} kept={int(data.keep_record)}",
    )
    return commit_once(CrisisCase, case, submission_key)


def update_case(*, actor: Actor, case_id, data: CaseInput, now: datetime | None = None) -> CrisisCase:
    """Correct or complete what a case holds; its consent to keep the record still decides what is kept.

    Police or another authority added among the perpetrators makes the case restricted from now on."""
    actor.require("crisis.respond")
    case = find_case(actor, case_id)
    if not case.is_open:
        raise Invalid(_("This case is closed."))
    data.keep_record = case.has_consent(ConsentPurpose.KEEP_RECORD)
    errors: dict[str, str] = {}
    survivor = _survivor_values(data, errors)
    incident = _incident_values(actor, data, now or utcnow(), errors)
    if errors:
        raise Invalid(_("The case was not saved. Please correct the fields marked below."), errors)
    violations, perpetrators = incident.pop("violations"), incident.pop("perpetrators")
    values = {"client_id": None, "survivor_alias": None, "survivor_uic": None, **survivor, **incident}
    for name, value in values.items():
        setattr(case, name, value)
    case.set_violations(violations)
    case.set_perpetrators(perpetrators)
    if case.sexual_violence and not any(a.kind == ActionKind.PEP for a in case.actions):
        case.actions.append(ResponseAction(clinic_id=case.clinic_id, kind=ActionKind.PEP, recorded_by_id=actor.id))
    record_event(actor=actor, action="crisis.update", target=case, detail=f"restricted={int(case.restricted)}")
    db.session.commit()
    return case


# --- consent ----------------------------------------------------------------


def _anonymise(case: CrisisCase) -> None:
    """The survivor withdrew consent to keep the record: drop everything that points to her."""
    case.survivor_kind = SurvivorKind.ANONYMOUS
    case.client_id = None
    case.survivor_alias = None
    case.survivor_uic = None
    case.narrative = None
    case.place_text = None
    for action in case.actions:
        action.note = None
        action.police_case_number = None
        action.visit_id = None
    for follow_up in case.follow_ups:
        follow_up.note = None
    for link in db.session.scalars(select(CaseVisit).where(CaseVisit.case_id == case.id)):
        db.session.delete(link)


def give_consent(*, actor: Actor, case_id, purpose: str, now: datetime | None = None) -> CrisisCase:
    """Record the survivor's consent for one purpose (nothing changes if it is already in force)."""
    actor.require("crisis.respond")
    case = find_case(actor, case_id)
    try:
        purpose = ConsentPurpose(purpose)
    except ValueError as error:
        raise Invalid(_("Choose a purpose from the list.")) from error
    if not case.has_consent(purpose):
        case.consents.append(
            CaseConsent(clinic_id=case.clinic_id, purpose=purpose, given_at=now or utcnow(), given_by_id=actor.id)
        )
        record_event(actor=actor, action="crisis.consent", target=case, detail=f"purpose={purpose.value}")
        db.session.commit()
    return case


def revoke_consent(*, actor: Actor, case_id, purpose: str, now: datetime | None = None) -> CrisisCase:
    """Withdraw consent for one purpose. Withdrawing consent to keep the record anonymises the case."""
    actor.require("crisis.respond")
    case = find_case(actor, case_id)
    try:
        purpose = ConsentPurpose(purpose)
    except ValueError as error:
        raise Invalid(_("Choose a purpose from the list.")) from error
    consent = case.consent_for(purpose)
    if consent is None:
        return case
    consent.revoked_at = now or utcnow()
    consent.revoked_by_id = actor.id
    if purpose == ConsentPurpose.KEEP_RECORD:
        _anonymise(case)
    record_event(actor=actor, action="crisis.consent_revoke", target=case, detail=f"purpose={purpose.value}")
    db.session.commit()
    return case


# --- response actions -------------------------------------------------------


@dataclass
class ActionInput:
    kind: str
    status: str
    done_at: datetime | None = None
    police_case_number: str | None = None
    note: str | None = None


def record_action(*, actor: Actor, case_id, data: ActionInput, now: datetime | None = None) -> ResponseAction:
    """Record a step of the response with its status; a step still to do of that kind is completed."""
    actor.require("crisis.respond")
    case = find_case(actor, case_id)
    errors: dict[str, str] = {}
    try:
        kind = ActionKind(data.kind)
    except ValueError:
        kind = None
        errors["kind"] = _("Choose what was done.")
    try:
        status = ActionStatus(data.status)
    except ValueError:
        status = None
        errors["status"] = _("Choose what became of it.")
    now = now or utcnow()
    done_at = data.done_at or now
    if done_at > now:
        errors["done_on"] = _("The time is in the future.")
    needed = REFERRAL_CONSENT.get(kind)
    if status == ActionStatus.REFERRED and needed and not case.has_consent(needed):
        errors["status"] = _("The survivor has not consented to this referral: record her consent first.")
    police_number = (data.police_case_number or "").strip() or None
    if police_number and kind != ActionKind.POLICE_REPORT:
        errors["police_case_number"] = _("A police case number belongs to a police report.")
    if not case.is_open:
        raise Invalid(_("This case is closed."))
    if errors:
        raise Invalid(_("The step was not saved. Please correct the fields marked below."), errors)
    action = next((a for a in case.actions if a.kind == kind and a.status is None), None)
    if action is None:
        action = ResponseAction(clinic_id=case.clinic_id, kind=kind, recorded_by_id=actor.id)
        case.actions.append(action)
    action.status = status
    action.done_at = done_at
    action.recorded_by_id = actor.id
    action.police_case_number = police_number
    action.note = (data.note or "").strip() or None
    record_event(actor=actor, action="crisis.action", target=case, detail=f"kind={kind.value} status={status.value}")
    db.session.commit()
    return action


# --- follow-ups -------------------------------------------------------------


def responders_for(actor: Actor) -> list[User]:
    """Staff of the clinic who can respond to a case."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.clinic_id == actor.clinic_id, User.active.is_(True), User.role.in_(RESPONDER_ROLES))
            .order_by(User.display_name)
        )
    )


def _responder(actor: Actor, user_id, errors: dict, name: str) -> User | None:
    try:
        user = db.session.get(User, uuid.UUID(str(user_id)))
    except ValueError:
        user = None
    if user is None or user.clinic_id != actor.clinic_id or not user.active or user.role not in RESPONDER_ROLES:
        errors[name] = _("Choose a member of staff from the list.")
        return None
    return user


def add_follow_up(
    *, actor: Actor, case_id, due_on: date | None, assigned_to_id, note: str | None = None, today: date | None = None
) -> FollowUp:
    """Plan a follow-up for a date; it appears on the assignee's and the coordinator's lists."""
    actor.require("crisis.respond")
    case = find_case(actor, case_id)
    errors: dict[str, str] = {}
    today = today or actor_today(actor)
    if due_on is None:
        errors["due_on"] = _("Give the date it is due.")
    elif due_on < today:
        errors["due_on"] = _("The date has passed.")
    assignee = _responder(actor, assigned_to_id or actor.id, errors, "assigned_to_id")
    if assignee is not None and not readable(Actor(assignee), case):
        if actor.can("crisis.coordinate"):
            _assign(actor, case, assignee)
        else:
            errors["assigned_to_id"] = _("Only a responder of this case (or the coordinator) can be given a follow-up.")
    if not case.is_open:
        raise Invalid(_("This case is closed."))
    if errors:
        raise Invalid(_("The follow-up was not saved. Please correct the fields marked below."), errors)
    follow_up = FollowUp(
        clinic_id=case.clinic_id,
        due_on=due_on,
        assigned_to_id=assignee.id,
        note=(note or "").strip() or None,
        created_by_id=actor.id,
    )
    case.follow_ups.append(follow_up)
    record_event(actor=actor, action="crisis.follow_up", target=case, detail=f"due={due_on.isoformat()}")
    db.session.commit()
    return follow_up


def complete_follow_up(*, actor: Actor, follow_up_id, now: datetime | None = None) -> FollowUp:
    """Mark a follow-up done (by its assignee, a responder of the case, or the coordinator)."""
    actor.require("crisis.respond")
    try:
        follow_up = db.session.get(FollowUp, uuid.UUID(str(follow_up_id)))
    except ValueError:
        follow_up = None
    if follow_up is None:
        raise NotFound()
    find_case(actor, follow_up.case_id)
    if follow_up.done_at is None:
        follow_up.done_at = now or utcnow()
        follow_up.done_by_id = actor.id
        record_event(
            actor=actor, action="crisis.follow_up_done", object_type="crisis_cases", object_id=follow_up.case_id
        )
        db.session.commit()
    return follow_up


# --- responders -------------------------------------------------------------


def _assign(actor: Actor, case: CrisisCase, user: User) -> None:
    existing = next((a for a in case.assignments if a.responder_id == user.id), None)
    if existing is None:
        case.assignments.append(
            CaseAssignment(
                clinic_id=case.clinic_id, responder_id=user.id, assigned_by_id=actor.id, assigned_at=utcnow()
            )
        )
    elif existing.ended_at is not None:
        existing.ended_at = None
        existing.assigned_by_id = actor.id
        existing.assigned_at = utcnow()
    record_event(actor=actor, action="crisis.assign", target=case, detail=f"role={user.role.value}")


def assign_responder(*, actor: Actor, case_id, user_id) -> CrisisCase:
    """The coordinator puts a member of staff on the case (who may then open it, restricted or not)."""
    actor.require("crisis.coordinate")
    case = find_case(actor, case_id)
    errors: dict[str, str] = {}
    user = _responder(actor, user_id, errors, "user_id")
    if errors:
        raise Invalid(_("Nobody was assigned."), errors)
    _assign(actor, case, user)
    db.session.commit()
    return case


def end_assignment(*, actor: Actor, case_id, user_id) -> CrisisCase:
    """The coordinator takes a responder off the case (the assignment is ended, not deleted)."""
    actor.require("crisis.coordinate")
    case = find_case(actor, case_id)
    assignment = next((a for a in case.assignments if str(a.responder_id) == str(user_id) and a.ended_at is None), None)
    if assignment is not None:
        assignment.ended_at = utcnow()
        record_event(actor=actor, action="crisis.unassign", target=case)
        db.session.commit()
    return case


# --- closing ----------------------------------------------------------------


@dataclass
class CloseInput:
    outcome: str
    perpetrator_outcome: str | None = None
    court_case: bool = False


def close_case(*, actor: Actor, case_id, data: CloseInput, now: datetime | None = None) -> CrisisCase:
    """Close a case with its outcome; follow-ups still open must be done first."""
    actor.require("crisis.coordinate")
    case = find_case(actor, case_id)
    errors: dict[str, str] = {}
    if not case.is_open:
        raise Invalid(_("This case is already closed."))
    try:
        outcome = CaseOutcome(data.outcome)
    except ValueError:
        outcome = None
        errors["outcome"] = _("Choose the outcome.")
    try:
        perpetrator = PerpetratorOutcome(data.perpetrator_outcome) if data.perpetrator_outcome else None
    except ValueError:
        perpetrator = None
        errors["perpetrator_outcome"] = _("Choose from the list.")
    pending = [f for f in case.follow_ups if f.done_at is None]
    if pending:
        errors["outcome"] = _("%(n)d follow-ups are not done yet: mark them done first.", n=len(pending))
    if errors:
        raise Invalid(_("The case was not closed. Please correct the fields marked below."), errors)
    case.status = CaseStatus.CLOSED
    case.outcome = outcome
    case.perpetrator_outcome = perpetrator
    case.court_case = bool(data.court_case)
    case.closed_at = now or utcnow()
    case.closed_by_id = actor.id
    record_event(actor=actor, action="crisis.close", target=case, detail=f"outcome={outcome.value}")
    db.session.commit()
    return case
