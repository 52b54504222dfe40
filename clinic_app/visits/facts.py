"""What the registry knows about a client's HIV and PrEP history, for the clinical rules."""

from sqlalchemy import select

from clinic_app.clients.models import Client
from clinic_app.extensions import db
from clinic_app.screening.models import HivResult, HivTest, PreviousHivStatus
from clinic_app.visits.models import PrepEvent, Visit
from clinic_app.visits.rules import ClientFacts


def client_facts(client: Client, *, exclude_visit_id=None) -> ClientFacts:
    """Facts from every visit of the client at any clinic, except the one being recorded."""
    not_this = Visit.id != exclude_visit_id if exclude_visit_id is not None else True
    hiv_rows = db.session.execute(
        select(Visit.service_date, HivTest.final_result, HivTest.previous_status)
        .join(HivTest, HivTest.visit_id == Visit.id)
        .where(Visit.client_id == client.id, not_this)
        .order_by(Visit.service_date)
    ).all()
    positive_days = [
        day
        for day, result, previous in hiv_rows
        if result == HivResult.POSITIVE or previous == PreviousHivStatus.KNOWN_POSITIVE
    ]
    prep_rows = db.session.execute(
        select(Visit.service_date, PrepEvent.event)
        .join(PrepEvent, PrepEvent.visit_id == Visit.id)
        .where(Visit.client_id == client.id, not_this)
        .order_by(Visit.service_date)
    ).all()
    return ClientFacts(
        sex=client.sex,
        date_of_birth=client.date_of_birth,
        key_population=client.key_population,
        positive_since=positive_days[0] if positive_days else None,
        negative_test_dates=[day for day, result, _prev in hiv_rows if result == HivResult.NEGATIVE],
        prep_history=[(day, event) for day, event in prep_rows],
    )
