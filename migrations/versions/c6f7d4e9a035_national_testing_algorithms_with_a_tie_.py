"""National testing algorithms with a tie-breaker assay: the third assay's result, and the retest date of an inconclusive result

Revision ID: c6f7d4e9a035
Revises: b5e6c3d8f924
Create Date: 2026-12-02 04:30:00.000000

"""
from datetime import timedelta

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c6f7d4e9a035'
down_revision = 'b5e6c3d8f924'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('hiv_tests', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'tiebreaker_result',
                sa.Enum('non_reactive', 'reactive', 'invalid', name='assayresult', native_enum=False, length=14),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column('retest_on', sa.Date(), nullable=True))
    # Inconclusive results recorded before: retest 14 days after the visit (the rule then and now).
    hiv_tests = sa.table(
        'hiv_tests',
        sa.column('visit_id', sa.Uuid()),
        sa.column('final_result', sa.String()),
        sa.column('retest_on', sa.Date()),
    )
    visits = sa.table('visits', sa.column('id', sa.Uuid()), sa.column('service_date', sa.Date()))
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(hiv_tests.c.visit_id, visits.c.service_date)
        .join(visits, visits.c.id == hiv_tests.c.visit_id)
        .where(hiv_tests.c.final_result == 'inconclusive')
    ).all()
    for visit_id, day in rows:
        bind.execute(
            hiv_tests.update().where(hiv_tests.c.visit_id == visit_id).values(retest_on=day + timedelta(days=14))
        )


def downgrade():
    with op.batch_alter_table('hiv_tests', schema=None) as batch_op:
        batch_op.drop_column('retest_on')
        batch_op.drop_column('tiebreaker_result')
