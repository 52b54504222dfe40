"""The client registry's rules that depend on visits, registered with clients.contributions: an enrolment
date never after the first visit, and a merge that neither folds two visits of one day at one clinic into
one record nor leaves it two first visits. The client status rows are recomputed by visits.status."""

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select, tuple_, update

from clinic_app.clients import contributions
from clinic_app.clients.models import Client
from clinic_app.core.errors import Conflict
from clinic_app.extensions import db
from clinic_app.visits.models import Visit, VisitType


@contributions.enrolment_bound.register
def first_visit_on(client: Client) -> date | None:
    """A visit date bounds the enrolment date."""
    return db.session.scalar(
        select(Visit.service_date).where(Visit.client_id == client.id).order_by(Visit.service_date).limit(1)
    )


@contributions.merge_checks.register
def refuse_same_day_visits(keep: Client, duplicate: Client) -> None:
    """One visit per client, clinic and day holds after a merge too."""
    kept = select(Visit.clinic_id, Visit.service_date).where(Visit.client_id == keep.id)
    clashes = db.session.scalars(
        select(Visit.service_date).where(
            Visit.client_id == duplicate.id, tuple_(Visit.clinic_id, Visit.service_date).in_(kept)
        )
    ).all()
    if clashes:
        days = ", ".join(sorted({d.isoformat() for d in clashes}))
        raise Conflict(
            _(
                "Both records have a visit at the same clinic on %(days)s. Correct or delete the visit "
                "entered twice, then merge.",
                days=days,
            )
        )


@contributions.after_merge.register
def only_first_visit_is_new(client: Client) -> None:
    """The kept record's earliest visit is its one new visit; the others, moved from the duplicate, return."""
    db.session.flush()
    first = db.session.scalar(
        select(Visit.id).where(Visit.client_id == client.id).order_by(Visit.service_date, Visit.created_at).limit(1)
    )
    db.session.execute(
        update(Visit)
        .where(Visit.client_id == client.id, Visit.id != first, Visit.visit_type == VisitType.NEW)
        .values(visit_type=VisitType.RETURN)
    )
