"""Outreach self-test kits by recipient and how they were handed over (HTS_SELF community distribution)

Revision ID: 9c3e4a1b6f42
Revises: 8b2d3f0a5e31
Create Date: 2026-12-02 04:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9c3e4a1b6f42'
down_revision = '8b2d3f0a5e31'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outreach_contacts', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'self_test_distribution',
                sa.Enum('assisted', 'unassisted', name='selftestdistribution', native_enum=False, length=12),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column('kits_for_self', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('kits_for_partner', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('kits_for_other', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('outreach_contacts', schema=None) as batch_op:
        batch_op.drop_column('kits_for_other')
        batch_op.drop_column('kits_for_partner')
        batch_op.drop_column('kits_for_self')
        batch_op.drop_column('self_test_distribution')
