"""The lists of cases and follow-ups, with the PEP clock: cases still inside the window come first."""

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from clinic_app.audit.services import record_alone
from clinic_app.core.actor import Actor
from clinic_app.core.db import utcnow
from clinic_app.crisis.access import coordinates, visible_filter
from clinic_app.crisis.fund_models import ApplicationStatus, FundApplication
from clinic_app.crisis.models import ActionKind, ActionStatus, CaseStatus, CrisisCase, FollowUp, Violation
from clinic_app.extensions import db
from clinic_app.visits.clinical import PepClock, pep_clock

CLOSED_SHOWN = 50  # the most recent closed cases a list shows


@dataclass(frozen=True)
class CaseRow:
    case: CrisisCase
    clock: PepClock | None  # sexual violence only
    pep: str  # "pending", "given", "declined", "" (no PEP question)

    @property
    def pep_urgent(self) -> bool:
        return self.pep == "pending" and self.clock is not None and self.clock.inside


def pep_state(case: CrisisCase) -> str:
    """Where the case's PEP step stands: given (here or elsewhere), declined, or still pending."""
    if not case.sexual_violence:
        return ""
    statuses = {a.status for a in case.actions if a.kind == ActionKind.PEP}
    if statuses & {ActionStatus.PROVIDED, ActionStatus.ELSEWHERE}:
        return "given"
    if statuses & {ActionStatus.DECLINED, ActionStatus.UNAVAILABLE}:
        return "declined"
    return "pending"


def case_row(case: CrisisCase, now: datetime) -> CaseRow:
    clock = pep_clock(case.incident_on, case.incident_time, case.clinic.timezone, now) if case.sexual_violence else None
    return CaseRow(case, clock, pep_state(case))


def _sort_key(row: CaseRow):
    # PEP still possible and not given: least time left first; then the newest reports.
    urgent = row.pep_urgent
    return (not urgent, row.clock.hours_left if urgent else 0, -row.case.reported_at.timestamp())


def case_rows(cases, now: datetime) -> list[CaseRow]:
    return sorted((case_row(c, now) for c in cases), key=_sort_key)


def case_list(*, actor: Actor, status: str = "open", now: datetime | None = None) -> list[CaseRow]:
    """The cases an actor may see (the coordinator: every case of the clinic), PEP-window cases first."""
    actor.require("crisis.cases")
    now = now or utcnow()
    query = (
        select(CrisisCase)
        .where(visible_filter(actor))
        .options(selectinload(CrisisCase.actions), selectinload(CrisisCase.assignments))
    )
    if status == "closed":
        query = query.where(CrisisCase.status == CaseStatus.CLOSED).order_by(CrisisCase.closed_at.desc())
        query = query.limit(CLOSED_SHOWN)
    else:
        query = query.where(CrisisCase.status == CaseStatus.OPEN)
    cases = db.session.scalars(query).all()
    record_alone(actor=actor, action="crisis.list", object_type="crisis_cases", object_ids=[str(c.id) for c in cases])
    return case_rows(cases, now)


def follow_up_list(*, actor: Actor) -> list[FollowUp]:
    """Follow-ups not yet done: one's own, or every one of the clinic for the coordinator; by due date."""
    actor.require("crisis.cases")
    query = (
        select(FollowUp)
        .join(CrisisCase, CrisisCase.id == FollowUp.case_id)
        .where(FollowUp.done_at.is_(None), CrisisCase.status == CaseStatus.OPEN, visible_filter(actor))
        .options(selectinload(FollowUp.case), selectinload(FollowUp.assigned_to))
        .order_by(FollowUp.due_on)
    )
    if not coordinates(actor):
        query = query.where(FollowUp.assigned_to_id == actor.id)
    return list(db.session.scalars(query))


def due_follow_up_count(*, actor: Actor, today: date) -> int:
    return sum(1 for f in follow_up_list(actor=actor) if f.due_on <= today)


def needing_care(*, actor: Actor, now: datetime | None = None) -> list[CaseRow]:
    """Open cases of the clinic whose survivor needs clinical care (sexual or physical violence, injuries)
    and has not had it yet, PEP-window cases first. For the nurse's home page: rows, not case files."""
    actor.require("crisis.care")
    now = now or utcnow()
    cases = db.session.scalars(
        select(CrisisCase)
        .where(CrisisCase.clinic_id == actor.clinic_id, CrisisCase.status == CaseStatus.OPEN)
        .options(selectinload(CrisisCase.actions), selectinload(CrisisCase.client))
    ).all()
    rows = []
    for row in case_rows(cases, now):
        case = row.case
        cared = (
            any(a.kind in (ActionKind.MEDICAL_CARE, ActionKind.PEP) and a.status is not None for a in case.actions)
            and row.pep != "pending"
        )
        needs = case.sexual_violence or Violation.PHYSICAL in case.violations or case.injured
        if needs and not cared:
            rows.append(row)
    record_alone(
        actor=actor, action="crisis.care_list", object_type="crisis_cases", object_ids=[str(r.case.id) for r in rows]
    )
    return rows


@dataclass(frozen=True)
class HomeSummary:
    open_cases: int
    pep_urgent: int
    follow_ups_due: int
    fund_to_decide: int | None = None  # for whoever decides fund applications: waiting for her decision
    fund_to_pay: int | None = None  # approved, not yet paid


def _fund_waiting(actor: Actor, status: ApplicationStatus) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(FundApplication)
        .where(FundApplication.clinic_id == actor.clinic_id, FundApplication.status == status)
    )


def home_summary(*, actor: Actor, now: datetime | None = None) -> HomeSummary:
    """Counts for the home page (no case shown, so nothing to audit)."""
    actor.require("crisis.cases")
    now = now or utcnow()
    cases = db.session.scalars(
        select(CrisisCase)
        .where(visible_filter(actor), CrisisCase.status == CaseStatus.OPEN)
        .options(selectinload(CrisisCase.actions))
    ).all()
    rows = case_rows(cases, now)
    today = now.astimezone(ZoneInfo(actor.user.clinic.timezone)).date()
    fund = {}
    if actor.can("crisis.fund_decide"):
        fund = dict(
            fund_to_decide=_fund_waiting(actor, ApplicationStatus.REQUESTED),
            fund_to_pay=_fund_waiting(actor, ApplicationStatus.APPROVED),
        )
    rows_urgent = sum(1 for r in rows if r.pep_urgent)
    return HomeSummary(len(rows), rows_urgent, due_follow_up_count(actor=actor, today=today), **fund)
