"""report facts for GEND_GBV: whether a visit gave post-violence care, for sexual violence, with PEP

Revision ID: 4c8f02d15e3b
Revises: 9f3a1c5e7b20
Create Date: 2026-12-02 15:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "4c8f02d15e3b"
down_revision = "9f3a1c5e7b20"
branch_labels = None
depends_on = None

_GBV = sa.text("gbv_sexual IS NOT NULL")


def upgrade():
    with op.batch_alter_table("report_visits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("gbv_sexual", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("gbv_pep", sa.Boolean(), nullable=True))
        batch_op.create_index(
            "ix_report_visits_gbv",
            ["service_date", "clinic_id", "client_id", "gbv_sexual", "gbv_pep"],
            unique=False,
            sqlite_where=_GBV,
            postgresql_where=_GBV,
        )
    backfill(op.get_bind())


# The new columns of every existing row, derived as clinic_app.reports.upkeep derives them at this revision;
# frozen as portable SQL (tests/reports/test_facts.py checks the migrations' backfills against the app).
_CARE = """(c.id IS NOT NULL OR p.exposure = 'sexual_violence'
    OR EXISTS (SELECT 1 FROM visit_reasons AS r WHERE r.visit_id = v.id AND r.reason = 'violence'))"""
_FROM = """FROM visits AS v LEFT OUTER JOIN violence_care AS c ON c.visit_id = v.id
    LEFT OUTER JOIN pep_courses AS p ON p.visit_id = v.id WHERE v.id = report_visits.visit_id"""
BACKFILL = (
    f"""UPDATE report_visits SET
        gbv_sexual = (SELECT CASE WHEN {_CARE} AND (c.sexual IS true OR p.exposure = 'sexual_violence') THEN true
            WHEN {_CARE} THEN false END {_FROM}),
        gbv_pep = (SELECT CASE WHEN {_CARE} AND p.id IS NOT NULL THEN true WHEN {_CARE} THEN false END {_FROM})""",
)


def backfill(connection):
    for statement in BACKFILL:
        connection.execute(sa.text(statement))


def downgrade():
    with op.batch_alter_table("report_visits", schema=None) as batch_op:
        batch_op.drop_index("ix_report_visits_gbv", sqlite_where=_GBV, postgresql_where=_GBV)
        batch_op.drop_column("gbv_pep")
        batch_op.drop_column("gbv_sexual")
