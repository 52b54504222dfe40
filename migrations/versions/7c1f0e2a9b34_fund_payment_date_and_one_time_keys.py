"""emergency fund: the date a payment went out, and one-time form keys for applications and top-ups

Revision ID: 7c1f0e2a9b34
Revises: 4096273e27ff
Create Date: 2026-12-02 03:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c1f0e2a9b34'
down_revision = '4096273e27ff'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('fund_applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paid_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('submission_key', sa.Uuid(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_fund_applications_submission_key'), ['submission_key'])
    with op.batch_alter_table('fund_top_ups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submission_key', sa.Uuid(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_fund_top_ups_submission_key'), ['submission_key'])


def downgrade():
    with op.batch_alter_table('fund_top_ups', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_fund_top_ups_submission_key'), type_='unique')
        batch_op.drop_column('submission_key')
    with op.batch_alter_table('fund_applications', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_fund_applications_submission_key'), type_='unique')
        batch_op.drop_column('submission_key')
        batch_op.drop_column('paid_on')
