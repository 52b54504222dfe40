"""Figures for the home page (aggregates only)."""

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from clinic_app.auth.models import User
from clinic_app.clients.models import Client
from clinic_app.clinics.models import Clinic
from clinic_app.core.actor import Actor
from clinic_app.extensions import db
from clinic_app.visits.models import Visit, VisitType


@dataclass
class ClinicFigures:
    visits_today: int
    visits_this_month: int
    new_clients_this_month: int


def clinic_figures(*, actor: Actor, today: date) -> ClinicFigures:
    month_start = today.replace(day=1)
    in_clinic = Visit.clinic_id == actor.clinic_id
    visits_today, visits_month, new_month = db.session.execute(
        select(
            func.count().filter(Visit.service_date == today),
            func.count(),
            func.count().filter(Visit.visit_type == VisitType.NEW),
        ).where(in_clinic, Visit.service_date >= month_start, Visit.service_date <= today)
    ).one()
    return ClinicFigures(visits_today, visits_month, new_month)


def network_figures(*, today: date) -> list[tuple[Clinic, int, int]]:
    """Per clinic: visits and distinct clients this month (for M&E and administrators)."""
    month_start = today.replace(day=1)
    counts = (
        select(
            Visit.clinic_id, func.count().label("visits"), func.count(func.distinct(Visit.client_id)).label("people")
        )
        .where(Visit.service_date >= month_start, Visit.service_date <= today)
        .group_by(Visit.clinic_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Clinic, func.coalesce(counts.c.visits, 0), func.coalesce(counts.c.people, 0))
        .outerjoin(counts, counts.c.clinic_id == Clinic.id)
        .order_by(Clinic.name)
    )
    return [tuple(row) for row in rows]


def account_counts() -> dict[str, int]:
    return {
        "users": db.session.scalar(select(func.count()).select_from(User).where(User.active.is_(True))),
        "clients": db.session.scalar(select(func.count()).select_from(Client).where(Client.merged_into_id.is_(None))),
    }
