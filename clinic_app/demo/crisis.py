"""Synthetic crisis cases: several a month at every site, police among the perpetrators, sexual violence
with PEP inside and outside the 72 hours. Opened and worked through the crisis services, as staff would."""

import random
import uuid
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from clinic_app.auth.models import User
from clinic_app.clients.models import Client
from clinic_app.clinics.models import Clinic
from clinic_app.core.actor import Actor
from clinic_app.core.permissions import Role
from clinic_app.core.timeutil import local_today
from clinic_app.crisis import care, services
from clinic_app.extensions import db
from clinic_app.visits.clinical import incident_instants
from clinic_app.visits.models import PepExposure, PepRegimen, Visit, VisitReason, VisitReasonRow, VisitType
from clinic_app.visits.recording import apply_sections
from clinic_app.visits.sections import PepInput, ServicesInput

MONTHS = 6
TOWNS = {"NGD": "Ngodwana", "CTR": "Cato Ridge", "BBR": "Beitbridge", "VFA": "Victoria Falls", "INC": "Inchope"}
# (violations, perpetrators, weight): what CRTs on the corridor report most.
PATTERNS = [
    (["sexual"], ["client"], 4),
    (["sexual", "physical"], ["police"], 2),
    (["physical"], ["client"], 4),
    (["physical", "extortion"], ["police"], 3),
    (["arrest", "police_harass"], ["police"], 3),
    (["extortion"], ["authority"], 1),
    (["emotional"], ["partner"], 2),
    (["physical", "emotional"], ["partner"], 2),
    (["discrimination"], ["health_worker"], 1),
    (["eviction"], ["bar_owner"], 1),
]


def _staff(clinic: Clinic) -> dict[Role, User]:
    users = db.session.scalars(select(User).where(User.clinic_id == clinic.id, User.active.is_(True)))
    return {user.role: user for user in users}


def _at(clinic: Clinic, day, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(clinic.timezone)).astimezone(UTC)


def _pep_visit(case, nurse: User | None, given: datetime) -> bool:
    """The survivor comes to the clinic: the nurse records PEP at a visit and links it to the case."""
    if nurse is None or case.client_id is None:
        return False
    clinic = case.clinic
    day = given.astimezone(ZoneInfo(clinic.timezone)).date()
    taken = select(Visit.id).where(Visit.client_id == case.client_id, Visit.clinic_id == clinic.id)
    if db.session.scalar(taken.where(Visit.service_date == day)) is not None:
        return False
    start, _latest = incident_instants(case.incident_on, case.incident_time, clinic.timezone)
    visit = Visit(
        clinic_id=clinic.id,
        client_id=case.client_id,
        service_date=day,
        recorded_by_id=nurse.id,
        visit_type=VisitType.RETURN,
        created_at=given,
    )
    visit.reason_rows = [VisitReasonRow(reason=VisitReason.PEP), VisitReasonRow(reason=VisitReason.VIOLENCE)]
    db.session.add(visit)
    pep = PepInput(
        exposure=PepExposure.SEXUAL_VIOLENCE,
        hours_since_exposure=max(1, int((given - start).total_seconds() // 3600)),
        regimen=PepRegimen.TDF_3TC_DTG,
    )
    apply_sections(visit, ServicesInput(pep=pep), actor=Actor(nurse, "demo"), hiv_positive=False, keep_history=False)
    db.session.commit()
    care.link_visit(actor=Actor(nurse), visit_id=visit.id, case_id=case.id)
    return True


def _one_case(rng: random.Random, clinic: Clinic, staff: dict[Role, User], day, clients: list[Client]) -> None:
    coordinator = staff[Role.CRT_COORDINATOR]
    reporter = rng.choice([u for r, u in staff.items() if r in services.RESPONDER_ROLES])
    violations, perpetrators, _w = rng.choices(PATTERNS, weights=[p[2] for p in PATTERNS])[0]
    hour = rng.choice([1, 2, 3, 19, 21, 22, 23, 14])
    time_known = rng.random() < 0.8
    registered = clients and rng.random() < 0.6
    now = datetime.now(UTC)
    if _at(clinic, day, hour) > now - timedelta(hours=2):  # it happened before the call
        day -= timedelta(days=1)
    reported = _at(clinic, day, hour) + timedelta(hours=rng.choice([1, 2, 5, 12, 30]))
    if reported > now:
        reported = now - timedelta(minutes=20)
    data = services.CaseInput(
        survivor_kind="registered" if registered else rng.choice(["unregistered", "anonymous"]),
        client_number=rng.choice(clients).client_number if registered else None,
        alias=rng.choice(["Lulu", "Sisi", "Mama T", "Rose", "Zodwa"]),
        violations=violations,
        perpetrators=perpetrators,
        perpetrator_count=rng.choice([None, 1, 1, 2, 3]),
        incident_on=day,
        incident_time=time(hour, 0) if time_known else None,
        town=TOWNS.get(clinic.code),
        channel=rng.choice(["hotline", "peer", "whatsapp", "walk_in"]),
        safe_now=rng.choice([True, True, False, None]),
        injured="physical" in violations or "sexual" in violations and rng.random() < 0.5,
        keep_record=rng.random() < 0.9,
        narrative="(synthetic) Met at the truck stop; it happened after payment was refused.",
    )
    case, _created = services.open_new_case(actor=Actor(reporter), data=data, submission_key=uuid.uuid4(), now=reported)
    work = Actor(coordinator)
    step = reported
    for kind in ("crt_notified", "first_contact"):
        step += timedelta(minutes=rng.randint(10, 240))
        if step < now:
            services.record_action(
                actor=work, case_id=case.id, data=services.ActionInput(kind, "provided", done_at=step), now=now
            )
    if case.sexual_violence and step < now:
        inside = rng.random() < 0.7
        given = step + timedelta(hours=rng.randint(1, 20)) if inside else None
        if given is not None and given < now:
            services.give_consent(actor=work, case_id=case.id, purpose="refer_health", now=step)
            if not _pep_visit(case, staff.get(Role.NURSE), given):
                services.record_action(
                    actor=work, case_id=case.id, data=services.ActionInput("pep", "provided", done_at=given), now=now
                )
    if "police" in perpetrators and rng.random() < 0.5 and step < now:
        services.give_consent(actor=work, case_id=case.id, purpose="refer_legal", now=step)
        services.record_action(
            actor=work, case_id=case.id, data=services.ActionInput("legal_aid", "referred", done_at=step), now=now
        )
    if rng.random() < 0.6:
        services.give_consent(actor=work, case_id=case.id, purpose="advocacy", now=reported)
    today = local_today(clinic.timezone)
    if (today - day).days > 21 and rng.random() < 0.8:
        services.close_case(
            actor=work,
            case_id=case.id,
            data=services.CloseInput(
                outcome=rng.choice(["resolved", "resolved", "partly", "unresolved", "withdrew", "lost"]),
                perpetrator_outcome=rng.choice(["none", "unknown", "arrested", "charged"]),
                court_case=rng.random() < 0.1,
            ),
            now=_at(clinic, day + timedelta(days=rng.randint(7, 20)), 12),
        )
    elif (today - day).days <= 10:
        assignee = rng.choice([u for r, u in staff.items() if r in services.RESPONDER_ROLES])
        services.add_follow_up(
            actor=work,
            case_id=case.id,
            due_on=today + timedelta(days=rng.randint(0, 5)),
            assigned_to_id=assignee.id,
            note="(synthetic) Call to check she is safe",
            today=today,
        )


def add_crisis_cases(rng: random.Random, clinics: dict[str, Clinic]) -> None:
    """Three to six cases a month at every site over the last months, and two fresh ones at Beitbridge."""
    for clinic in clinics.values():
        staff = _staff(clinic)
        if Role.CRT_COORDINATOR not in staff:
            continue
        clients = list(db.session.scalars(select(Client).where(Client.clinic_id == clinic.id).limit(60)))
        today = local_today(clinic.timezone)
        for month in range(MONTHS):
            for _n in range(rng.randint(3, 6)):
                day = today - timedelta(days=month * 30 + rng.randint(0, 29))
                _one_case(rng, clinic, staff, day, clients)
        # Always at least one case inside the PEP window and one just reported, for the demo's first screens.
        for offset in (0, 1):
            _one_case(rng, clinic, staff, today - timedelta(days=offset), clients)
