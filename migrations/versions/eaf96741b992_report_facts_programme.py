"""report facts for the programme's clinic figures: each visit's type, STI screening (treated or not), PEP
exposure and the commodities handed out, with indexes for VISITS, SW_VISITS, SW_PEOPLE, STI, PEP, commodities

Revision ID: eaf96741b992
Revises: 5d1e7a2b9c40
Create Date: 2026-12-03 09:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "eaf96741b992"
down_revision = "5d1e7a2b9c40"
branch_labels = None
depends_on = None

_STI = sa.text("sti_treated IS NOT NULL")
_PEP = sa.text("pep_exposure IS NOT NULL")
_DISPENSED = sa.text("male_condoms IS NOT NULL OR female_condoms IS NOT NULL OR lubricant IS NOT NULL")
_PERIOD = ["service_date", "clinic_id", "kp", "visit_type", "client_id", "sex", "dob"]


def upgrade():
    with op.batch_alter_table("report_visits", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("visit_type", sa.Enum("new", "return", name="visittype", native_enum=False, length=10))
        )
        batch_op.add_column(sa.Column("sti_treated", sa.Boolean(), nullable=True))
        exposures = ("sexual_violence", "condom_failure", "unprotected", "occupational", "other")
        batch_op.add_column(
            sa.Column("pep_exposure", sa.Enum(*exposures, name="pepexposure", native_enum=False, length=16))
        )
        for item in ("male_condoms", "female_condoms", "lubricant"):
            batch_op.add_column(sa.Column(item, sa.Integer(), nullable=True))
    backfill(op.get_bind())  # before the indexes, so the update does not maintain them
    with op.batch_alter_table("report_visits", schema=None) as batch_op:
        batch_op.create_index("ix_report_visits_period", _PERIOD, unique=False)
        batch_op.create_index(
            "ix_report_visits_sti",
            ["service_date", "clinic_id", "sti_treated"],
            unique=False,
            sqlite_where=_STI,
            postgresql_where=_STI,
        )
        batch_op.create_index(
            "ix_report_visits_pep",
            ["service_date", "clinic_id", "pep_exposure"],
            unique=False,
            sqlite_where=_PEP,
            postgresql_where=_PEP,
        )
        batch_op.create_index(
            "ix_report_visits_commodities",
            ["service_date", "clinic_id", "male_condoms", "female_condoms", "lubricant"],
            unique=False,
            sqlite_where=_DISPENSED,
            postgresql_where=_DISPENSED,
        )


# The new columns of every existing row, derived as clinic_app.reports.upkeep derives them at this revision;
# frozen as portable SQL (tests/reports/test_facts.py checks the migrations' backfills against the app).
_ITEM = "(SELECT d.quantity FROM dispensed_items AS d WHERE d.visit_id = report_visits.visit_id AND d.item = '{}')"
BACKFILL = (
    f"""UPDATE report_visits SET
        visit_type = (SELECT v.visit_type FROM visits AS v WHERE v.id = report_visits.visit_id),
        sti_treated = (SELECT CASE WHEN json_array_length(s.treatments) > 0 THEN true ELSE false END
            FROM sti_screenings AS s WHERE s.visit_id = report_visits.visit_id),
        pep_exposure = (SELECT p.exposure FROM pep_courses AS p WHERE p.visit_id = report_visits.visit_id),
        male_condoms = {_ITEM.format("male_condoms")},
        female_condoms = {_ITEM.format("female_condoms")},
        lubricant = {_ITEM.format("lubricant")}""",
)


def backfill(connection):
    for statement in BACKFILL:
        connection.execute(sa.text(statement))


def downgrade():
    with op.batch_alter_table("report_visits", schema=None) as batch_op:
        batch_op.drop_index("ix_report_visits_commodities", sqlite_where=_DISPENSED, postgresql_where=_DISPENSED)
        batch_op.drop_index("ix_report_visits_pep", sqlite_where=_PEP, postgresql_where=_PEP)
        batch_op.drop_index("ix_report_visits_sti", sqlite_where=_STI, postgresql_where=_STI)
        batch_op.drop_index("ix_report_visits_period")
        for column in ("lubricant", "female_condoms", "male_condoms", "pep_exposure", "sti_treated", "visit_type"):
            batch_op.drop_column(column)
