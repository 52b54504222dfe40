"""Rows derived from the records, recomputed for what a sync wrote with Core statements (which the
flush hooks of visits.status and reports.upkeep do not see): client status rows and report facts."""

from sqlalchemy.engine import Connection

from clinic_app.reports import upkeep
from clinic_app.visits import status


def refresh(connection: Connection, client_ids, *, contact_ids=(), referral_ids=()) -> None:
    """Recompute the derived rows of these clients, and the report facts of these contacts and slips."""
    clients = set(client_ids)
    if clients:
        status.refresh(connection, clients)
    if clients or contact_ids or referral_ids:
        upkeep.refresh(connection, clients, contact_ids=contact_ids, referral_ids=referral_ids)
