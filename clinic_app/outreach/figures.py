"""Closing the loop: contacts, people reached and referrals completed, per peer educator and clinic.

People reached counts each person once in the period: a known client by their
record, a new contact by the UIC they gave, a contact who gave neither as one
person, and a small group by its head count (group members cannot be told apart).
"""

import statistics
from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, distinct, func, select

from clinic_app.auth.models import User
from clinic_app.core.actor import Actor
from clinic_app.core.permissions import Role
from clinic_app.extensions import db
from clinic_app.outreach.models import ContactKind, OutreachContact, Referral
from clinic_app.visits.models import Visit, VisitType


@dataclass
class LoopFigures:
    contacts: int = 0
    people_reached: int = 0
    referrals_issued: int = 0
    referrals_completed: int = 0
    new_clients: int = 0
    mean_days: float | None = None
    median_days: float | None = None

    @property
    def completion_rate(self) -> float | None:
        return self.referrals_completed / self.referrals_issued if self.referrals_issued else None


def _contact_counts(clinic_id, start: date, end: date) -> dict:
    individual = OutreachContact.kind == ContactKind.INDIVIDUAL
    anonymous = individual & OutreachContact.client_id.is_(None) & OutreachContact.contact_uic.is_(None)
    rows = db.session.execute(
        select(
            OutreachContact.peer_educator_id,
            func.count(),
            func.count(distinct(case((individual, OutreachContact.client_id)))),
            func.count(distinct(case((individual & OutreachContact.client_id.is_(None), OutreachContact.contact_uic)))),
            func.count(case((anonymous, 1))),
            func.coalesce(func.sum(case((~individual, OutreachContact.group_size), else_=0)), 0),
        )
        .where(OutreachContact.clinic_id == clinic_id, OutreachContact.contact_date.between(start, end))
        .group_by(OutreachContact.peer_educator_id)
    )
    return {
        peer: (contacts, known + uics + anonymous_n + int(groups))
        for peer, contacts, known, uics, anonymous_n, groups in rows
    }


def _referral_rows(clinic_id, start: date, end: date):
    return db.session.execute(
        select(Referral.peer_educator_id, Referral.issued_on, Referral.completed_on, Visit.visit_type)
        .outerjoin(Visit, Visit.id == Referral.visit_id)
        .where(Referral.clinic_id == clinic_id, Referral.issued_on.between(start, end))
    ).all()


def _people_once(clinic_id, start: date, end: date) -> int:
    """Clinic-wide people reached: a known client reached by two peer educators counts once."""
    sub = (
        select(OutreachContact)
        .where(OutreachContact.clinic_id == clinic_id, OutreachContact.contact_date.between(start, end))
        .subquery()
    )
    individual = sub.c.kind == ContactKind.INDIVIDUAL
    known, uics, anonymous, groups = db.session.execute(
        select(
            func.count(distinct(case((individual, sub.c.client_id)))),
            func.count(distinct(case((individual & sub.c.client_id.is_(None), sub.c.contact_uic)))),
            func.count(case((individual & sub.c.client_id.is_(None) & sub.c.contact_uic.is_(None), 1))),
            func.coalesce(func.sum(case((~individual, sub.c.group_size), else_=0)), 0),
        )
    ).one()
    return known + uics + anonymous + int(groups)


def _figures(contacts: tuple[int, int], referrals: list) -> LoopFigures:
    days = [(done - issued).days for _peer, issued, done, _type in referrals if done is not None]
    return LoopFigures(
        contacts=contacts[0],
        people_reached=contacts[1],
        referrals_issued=len(referrals),
        referrals_completed=len(days),
        new_clients=sum(1 for *_rest, visit_type in referrals if visit_type == VisitType.NEW),
        mean_days=round(statistics.mean(days), 1) if days else None,
        median_days=statistics.median(days) if days else None,
    )


def loop_figures(*, actor: Actor, start: date, end: date, peer_id=None) -> tuple[LoopFigures, list]:
    """Figures for the actor's clinic (or one peer educator), and one row per peer educator.

    A peer educator gets only their own figures, whatever they ask for.
    """
    actor.require("outreach.figures")
    if not actor.can("outreach.clinic_figures"):
        peer_id = actor.id
    clinic_id = actor.clinic_id
    counts = _contact_counts(clinic_id, start, end)
    referral_rows = _referral_rows(clinic_id, start, end)
    peers = list(
        db.session.scalars(
            select(User).where(User.clinic_id == clinic_id, User.role == Role.PEER_EDUCATOR).order_by(User.display_name)
        )
    )
    if peer_id is not None:
        peers = [p for p in peers if p.id == peer_id]
    per_peer = [
        (peer, _figures(counts.get(peer.id, (0, 0)), [r for r in referral_rows if r[0] == peer.id])) for peer in peers
    ]
    if peer_id is not None:
        total = per_peer[0][1] if per_peer else LoopFigures()
        return total, per_peer
    total = _figures((sum(c for c, _p in counts.values()), _people_once(clinic_id, start, end)), referral_rows)
    return total, per_peer
