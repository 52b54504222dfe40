"""A PrEP refill without an HIV test in the retest interval keeps the reason it was given anyway

Revision ID: b5e6c3d8f924
Revises: a4d5b2c7e813
Create Date: 2026-12-02 04:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b5e6c3d8f924'
down_revision = 'a4d5b2c7e813'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('prep_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('no_test_reason', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('prep_events', schema=None) as batch_op:
        batch_op.drop_column('no_test_reason')
