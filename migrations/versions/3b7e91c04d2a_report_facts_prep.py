"""report facts for PrEP_NEW and PrEP_CT: each client's first PrEP record, each visit's HIV final result,
PrEP regimen (or the last given before), distribution and seroconversion stop; the PrEP index covers them

Revision ID: 3b7e91c04d2a
Revises: 8e2b4c6d1f70
Create Date: 2026-12-02 14:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = "3b7e91c04d2a"
down_revision = "8e2b4c6d1f70"
branch_labels = None
depends_on = None

_PREP = sa.text("prep_event IS NOT NULL")
_OLD_INDEX = ["service_date", "clinic_id", "prep_event", "client_id"]
_NEW_INDEX = _OLD_INDEX + [
    "prep_seroconverted",
    "hiv_final_result",
    "prep_regimen",
    "prep_distribution",
    "created_at",
    "sex",
    "dob",
    "kp",
]


def upgrade():
    with op.batch_alter_table("report_people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prep_first_on", sa.Date(), nullable=True))
    with op.batch_alter_table("report_visits", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "hiv_final_result",
                sa.Enum("negative", "positive", "inconclusive", name="hivresult", native_enum=False, length=14),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column(
                "prep_regimen",
                sa.Enum("tdf_ftc", "tdf_3tc", "cab_la", "ring", name="prepregimen", native_enum=False, length=8),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column(
                "prep_distribution",
                sa.Enum("facility", "community", name="prepdistribution", native_enum=False, length=10),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("prep_seroconverted", sa.Boolean(), nullable=True))
        batch_op.drop_index("ix_report_visits_prep", sqlite_where=_PREP, postgresql_where=_PREP)
        batch_op.create_index(
            "ix_report_visits_prep", _NEW_INDEX, unique=False, sqlite_where=_PREP, postgresql_where=_PREP
        )
    backfill(op.get_bind())


# The new columns of every existing row, derived as clinic_app.reports.upkeep derives them at this revision;
# frozen as portable SQL (tests/reports/test_facts.py checks the migrations' backfills against the app).
BACKFILL = (
    """UPDATE report_people SET prep_first_on = (SELECT min(v.service_date) FROM visits AS v
        JOIN prep_events AS e ON e.visit_id = v.id WHERE v.client_id = report_people.client_id)""",
    """UPDATE report_visits SET
        hiv_final_result = (SELECT h.final_result FROM hiv_tests AS h WHERE h.visit_id = report_visits.visit_id),
        prep_regimen = (SELECT coalesce(e.regimen, (SELECT e2.regimen FROM visits AS v2
                JOIN prep_events AS e2 ON e2.visit_id = v2.id
                WHERE v2.client_id = v.client_id AND v2.service_date < v.service_date AND e2.regimen IS NOT NULL
                ORDER BY v2.service_date DESC, v2.created_at DESC, v2.id DESC LIMIT 1))
            FROM prep_events AS e JOIN visits AS v ON v.id = e.visit_id WHERE e.visit_id = report_visits.visit_id),
        prep_distribution = (SELECT e.distribution FROM prep_events AS e WHERE e.visit_id = report_visits.visit_id),
        prep_seroconverted = (SELECT CASE WHEN e.event = 'stop' AND e.stop_reason = 'hiv_positive' THEN true
                ELSE false END
            FROM prep_events AS e WHERE e.visit_id = report_visits.visit_id)""",
)


def backfill(connection):
    for statement in BACKFILL:
        connection.execute(sa.text(statement))


def downgrade():
    with op.batch_alter_table("report_visits", schema=None) as batch_op:
        batch_op.drop_index("ix_report_visits_prep", sqlite_where=_PREP, postgresql_where=_PREP)
        batch_op.create_index(
            "ix_report_visits_prep", _OLD_INDEX, unique=False, sqlite_where=_PREP, postgresql_where=_PREP
        )
        batch_op.drop_column("prep_seroconverted")
        batch_op.drop_column("prep_distribution")
        batch_op.drop_column("prep_regimen")
        batch_op.drop_column("hiv_final_result")
    with op.batch_alter_table("report_people", schema=None) as batch_op:
        batch_op.drop_column("prep_first_on")
