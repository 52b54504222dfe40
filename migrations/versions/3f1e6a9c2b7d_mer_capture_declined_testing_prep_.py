"""MER capture: declined HIV testing at a visit and at outreach, where PrEP was handed over, the reason for a cervical screen outside the screening ages

Revision ID: 3f1e6a9c2b7d
Revises: ca50f8a5f225
Create Date: 2026-12-01 23:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3f1e6a9c2b7d'
down_revision = 'ca50f8a5f225'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('hiv_tests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('declined', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('outreach_contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('test_declined', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('prep_events', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'distribution',
                sa.Enum('facility', 'community', name='prepdistribution', native_enum=False, length=10),
                server_default='facility',
                nullable=False,
            )
        )
    with op.batch_alter_table('cervical_screenings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outside_age_reason', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('cervical_screenings', schema=None) as batch_op:
        batch_op.drop_column('outside_age_reason')
    with op.batch_alter_table('prep_events', schema=None) as batch_op:
        batch_op.drop_column('distribution')
    with op.batch_alter_table('outreach_contacts', schema=None) as batch_op:
        batch_op.drop_column('test_declined')
    with op.batch_alter_table('hiv_tests', schema=None) as batch_op:
        batch_op.drop_column('declined')
