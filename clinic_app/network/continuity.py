"""The continuity minimum: what another clinic may see of a consenting client's care, and nothing more.

Per visit at another clinic: the date and clinic, the HIV result (or that the client is known
positive) and ART start, the PrEP event with regimen, months supplied and next appointment, the
cervical screen's next due date and the visit's next appointment. Never STI, PEP, violence,
commodities, notes or who recorded it.
"""

from sqlalchemy import select

from clinic_app.extensions import db
from clinic_app.network.models import ShareConsent
from clinic_app.network.tables import to_json
from clinic_app.screening.models import CervicalScreening, HivTest, PreviousHivStatus
from clinic_app.visits.models import PrepEvent, Visit

COLUMNS = (
    "visit_id",
    "client_id",
    "clinic_id",
    "service_date",
    "hiv_result",
    "known_positive",
    "art_started_on",
    "prep_event",
    "prep_regimen",
    "prep_months",
    "prep_next_on",
    "cervical_next_on",
    "next_appointment_on",
)


def consenting(client_ids) -> set:
    """Those of these clients whose latest answer (in the hub's order of arrival) is yes."""
    ids = list(client_ids)
    if not ids:
        return set()
    latest = {}
    rows = db.session.execute(
        select(ShareConsent.client_id, ShareConsent.given)
        .where(ShareConsent.client_id.in_(ids))
        .order_by(ShareConsent.hub_seq.nulls_first(), ShareConsent.recorded_at, ShareConsent.id)
    )
    for client_id, given in rows:
        latest[client_id] = given
    return {client_id for client_id, given in latest.items() if given}


def for_clinic(clinic_id, client_ids) -> list[dict]:
    """For each client: whether sharing is on, and the minimum of their visits at other clinics."""
    ids = list(client_ids)
    allowed = consenting(ids)
    rows = {client_id: [] for client_id in ids}
    if allowed:
        query = (
            select(
                Visit.id.label("visit_id"),
                Visit.client_id,
                Visit.clinic_id,
                Visit.service_date,
                HivTest.final_result.label("hiv_result"),
                (HivTest.previous_status == PreviousHivStatus.KNOWN_POSITIVE).label("known_positive"),
                HivTest.art_started_on,
                PrepEvent.event.label("prep_event"),
                PrepEvent.regimen.label("prep_regimen"),
                PrepEvent.months_dispensed.label("prep_months"),
                PrepEvent.next_appointment_on.label("prep_next_on"),
                CervicalScreening.next_due_on.label("cervical_next_on"),
                Visit.next_appointment_on,
            )
            .outerjoin(HivTest, HivTest.visit_id == Visit.id)
            .outerjoin(PrepEvent, PrepEvent.visit_id == Visit.id)
            .outerjoin(CervicalScreening, CervicalScreening.visit_id == Visit.id)
            .where(Visit.client_id.in_(list(allowed)), Visit.clinic_id != clinic_id)
            .order_by(Visit.service_date)
        )
        for row in db.session.execute(query).mappings():
            rows[row["client_id"]].append({name: to_json(row[name]) for name in COLUMNS})
    return [
        {"client_id": str(client_id), "shared": client_id in allowed, "visits": visits}
        for client_id, visits in rows.items()
    ]
