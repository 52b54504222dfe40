"""report facts for the data-quality checks: each visit's findings (to_fix flags) and whether a person's
tests record a linkage outcome, with an index of the visits with anything to fix

Revision ID: 6a2d9e4f1c83
Revises: eaf96741b992
Create Date: 2026-12-05 00:05:00

"""

import sqlalchemy as sa
from alembic import op

revision = "6a2d9e4f1c83"
down_revision = "eaf96741b992"
branch_labels = None
depends_on = None

_TO_FIX = sa.text("to_fix IS NOT NULL")


def upgrade():
    with op.batch_alter_table("report_visits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("to_fix", sa.SmallInteger(), nullable=True))
    with op.batch_alter_table("report_people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("linked", sa.Boolean(), nullable=True))
    backfill(op.get_bind())  # before the index, so the update does not maintain it
    with op.batch_alter_table("report_visits", schema=None) as batch_op:
        batch_op.create_index(
            "ix_report_visits_to_fix",
            ["service_date", "clinic_id", "client_id", "to_fix"],
            unique=False,
            sqlite_where=_TO_FIX,
            postgresql_where=_TO_FIX,
        )


# The new columns of every existing row, derived as clinic_app.reports.upkeep derives them at this revision;
# frozen as portable SQL (tests/reports/test_facts.py checks the migrations' backfills against the app).
# to_fix: 1 reactive without confirmatory, 2 result not given, 4 cervical screen incomplete, 8 PEP without
# outcome, 16 positive test, 32 no sex or an age under 10 or over 100.
# Completed years on the visit's date, from the ISO text of both dates (SQLite stores them so; PostgreSQL
# casts a date to it): the year difference, less one when the month and day come before the birthday's.
_AGE = """(CAST(substr(CAST(v.service_date AS TEXT), 1, 4) AS INTEGER)
    - CAST(substr(CAST(k.date_of_birth AS TEXT), 1, 4) AS INTEGER)
    - CASE WHEN substr(CAST(v.service_date AS TEXT), 6, 5) < substr(CAST(k.date_of_birth AS TEXT), 6, 5)
        THEN 1 ELSE 0 END)"""
_FLAGS = f"""NULLIF(
    CASE WHEN h.screening_result = 'reactive' AND h.confirmatory_result IS NULL THEN 1 ELSE 0 END
    + CASE WHEN h.final_result IS NOT NULL AND h.result_received IS false THEN 2 ELSE 0 END
    + CASE WHEN c.id IS NOT NULL AND NOT ((CASE WHEN c.method = 'hpv' AND c.result = 'positive'
        THEN c.triage_result ELSE c.result END) IS NOT NULL) THEN 4 ELSE 0 END
    + CASE WHEN p.id IS NOT NULL AND p.outcome IS NULL THEN 8 ELSE 0 END
    + CASE WHEN h.final_result = 'positive' THEN 16 ELSE 0 END
    + CASE WHEN k.sex IS NULL OR {_AGE} < 10 OR {_AGE} > 100 THEN 32 ELSE 0 END, 0)"""
BACKFILL = (
    f"""UPDATE report_visits SET to_fix = (SELECT {_FLAGS} FROM visits AS v
        JOIN clients AS k ON k.id = v.client_id
        LEFT OUTER JOIN hiv_tests AS h ON h.visit_id = v.id
        LEFT OUTER JOIN cervical_screenings AS c ON c.visit_id = v.id
        LEFT OUTER JOIN pep_courses AS p ON p.visit_id = v.id WHERE v.id = report_visits.visit_id)""",
    """UPDATE report_people SET linked = (SELECT CASE
            WHEN max(CASE WHEN h.art_started_on IS NOT NULL OR h.art_referred_to IS NOT NULL THEN 1 ELSE 0 END) = 1
            THEN true
            WHEN count(h.id) > 0 THEN false END
        FROM visits AS v JOIN hiv_tests AS h ON h.visit_id = v.id WHERE v.client_id = report_people.client_id)""",
)


def backfill(connection):
    for statement in BACKFILL:
        connection.execute(sa.text(statement))


def downgrade():
    with op.batch_alter_table("report_visits", schema=None) as batch_op:
        batch_op.drop_index("ix_report_visits_to_fix", sqlite_where=_TO_FIX, postgresql_where=_TO_FIX)
        batch_op.drop_column("to_fix")
    with op.batch_alter_table("report_people", schema=None) as batch_op:
        batch_op.drop_column("linked")
