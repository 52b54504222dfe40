"""What the registry knows about a client's HIV and PrEP history, for the clinical rules."""

from sqlalchemy import or_, select

from clinic_app.clients.models import Client
from clinic_app.extensions import db
from clinic_app.screening.models import CervicalScreening, HivResult, HivTest
from clinic_app.visits import clinical, contributions
from clinic_app.visits.clinical import HivRecord
from clinic_app.visits.models import LaterCervicalTreatment, PrepEvent, Visit
from clinic_app.visits.rules import ClientFacts


def treatable_screens(client: Client, *, clinic_id=None, visit_id=None) -> dict[str, tuple]:
    """Positive, complete screens of the client at the clinic a later visit may record the treatment of:
    untreated, or treated by the visit ``visit_id`` itself (a correction). Screen id -> (date, method, outcome)."""
    treated_elsewhere = select(LaterCervicalTreatment.screen_id).where(
        LaterCervicalTreatment.visit_id != visit_id if visit_id is not None else True
    )
    rows = db.session.execute(
        select(CervicalScreening.id, Visit.service_date, CervicalScreening.method, clinical.cervical_outcome_sql())
        .join(Visit, Visit.id == CervicalScreening.visit_id)
        .where(
            Visit.client_id == client.id,
            Visit.clinic_id == clinic_id if clinic_id is not None else True,
            clinical.screen_positive_sql(),
            or_(
                CervicalScreening.treatment.is_(None),
                CervicalScreening.id.in_(
                    select(LaterCervicalTreatment.screen_id).where(LaterCervicalTreatment.visit_id == visit_id)
                ),
            ),
            CervicalScreening.id.not_in(treated_elsewhere),
        )
        .order_by(Visit.service_date)
    ).all()
    return {str(screen_id): (day, method, outcome) for screen_id, day, method, outcome in rows}


def client_facts(client: Client, *, exclude_visit_id=None, clinic_id=None) -> ClientFacts:
    """Facts from every visit of the client at any clinic, except the one being recorded."""
    not_this = Visit.id != exclude_visit_id if exclude_visit_id is not None else True
    hiv_records = [
        HivRecord(*row)
        for row in db.session.execute(
            select(Visit.service_date, HivTest.final_result, HivTest.previous_status, HivTest.art_started_on)
            .join(HivTest, HivTest.visit_id == Visit.id)
            .where(Visit.client_id == client.id, not_this)
            .order_by(Visit.service_date)
        )
    ]
    supplies = db.session.execute(
        select(Visit.service_date, PrepEvent.event, PrepEvent.months_dispensed)
        .join(PrepEvent, PrepEvent.visit_id == Visit.id)
        .where(Visit.client_id == client.id, not_this)
        .order_by(Visit.service_date)
    ).all()
    elsewhere = [row for rows in contributions.prep_elsewhere(client) for row in rows]  # the network's, with consent
    supplies = sorted([tuple(row) for row in [*supplies, *elsewhere]], key=lambda row: row[0])
    prep_rows = [(day, event) for day, event, _months in supplies]
    return ClientFacts(
        sex=client.sex,
        date_of_birth=client.date_of_birth,
        key_population=client.key_population,
        positive_since=clinical.positive_since(hiv_records),
        negative_test_dates=[r.service_date for r in hiv_records if r.final_result == HivResult.NEGATIVE],
        hiv_records=hiv_records,
        prep_history=prep_rows,
        prep_supplies=supplies,
        treatable_screens={
            i: day
            for i, (day, _m, _o) in treatable_screens(client, clinic_id=clinic_id, visit_id=exclude_visit_id).items()
        },
    )
