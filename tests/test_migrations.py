"""The schema exists only through migrations: they must build exactly what the models declare."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from clinic_app.extensions import db


def test_migrations_build_the_models_schema(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == []


def test_every_record_has_a_global_id_its_clinic_and_utc_times(app):
    """Ready for several clinics syncing into one database: UUID ids, the clinic of origin, UTC."""
    from sqlalchemy import Uuid

    from clinic_app.core.db import UTCDateTime

    # Link tables are keyed by the global ids of the two records they link.
    link_tables = {
        "visit_reasons",
        "peer_hotspots",
        "training_attendees",
        "training_staff",
        "crisis_case_violations",
        "crisis_case_perpetrators",
    }
    # This installation's own bookkeeping (the audit chain's end and key, sign-in throttles) is never synced.
    local_state = {"audit_head", "audit_key_seals", "sign_in_throttles"}
    # Derived tables (each client's status, the report facts) are recomputed at every site from the synced records.
    derived = {table.name for table in db.metadata.sorted_tables if table.info.get("derived")}
    assert derived == {"client_status", "report_people", "report_visits", "report_prevention"}
    # The network's own state (network/models.py): this node's link and outbox, the hub's members and
    # counter, the index keyed by client ids, copies of what other clinics shared and the derived rows a
    # backlog left for the pull to recompute (hub); never pushed.
    network = {
        "network_pending_facts",
        "network_node",
        "network_outbox",
        "network_hub",
        "network_members",
        "network_holdings",
        "network_index",
        "network_index_numbers",
        "network_continuity",
    }
    for table in db.metadata.sorted_tables:
        if table.name in link_tables | local_state | derived | network:
            continue
        assert isinstance(table.c.id.type, Uuid), table.name
        if table.name != "clinics":
            assert "clinic_id" in table.c, table.name
        for column in table.c:
            if column.name.endswith("_at"):
                assert isinstance(column.type, UTCDateTime), f"{table.name}.{column.name}"
